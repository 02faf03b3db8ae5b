// Alertmanager's UTF-8 matcher parser (prometheus/alertmanager matcher/parse: lexer.go,
// parse.go, token.go), the parser its default mode falls back to when the classic one refuses
// the input: quoted or UTF-8 label names, Go string escapes in quoted text, `{...}` sets.
// Errors keep Alertmanager's wording and rune columns so they can be compared with amtool.
import { goUnquote, isGoSpace } from './go-text.js';
import type { ParsedMatcher } from './matchers-classic.js';
import type { MatchOp } from './matchers.js';

export class Utf8ParseError extends Error {
  override name = 'Utf8ParseError';
}

type Kind = 'eof' | '{' | '}' | ',' | '=' | '!=' | '=~' | '!~' | 'quoted' | 'unquoted';
interface Token {
  kind: Kind;
  value: string;
  start: number;
  end: number;
}
type Scan = { t: Token; err: Utf8ParseError | null };

const EOF_TOKEN: Token = { kind: 'eof', value: '', start: 0, end: 0 };
const isReserved = (r: string): boolean => isGoSpace(r) || '{}!=~,\\"\'`'.includes(r);

class Lexer {
  private readonly runes: string[];
  private start = 0;
  private pos = 0;
  private width = 0;
  private err: Utf8ParseError | null = null;

  constructor(input: string) {
    this.runes = Array.from(input);
  }

  get column(): number {
    return this.pos;
  }

  scan(): Scan {
    if (this.err) return { t: EOF_TOKEN, err: this.err };
    for (let r = this.next(); r !== undefined; r = this.next()) {
      if (r === '{' || r === '}' || r === ',') return { t: this.emit(r), err: null };
      if (r === '=' || r === '!' || r === '"' || !isReserved(r)) {
        this.rewind();
        const t = r === '"' ? this.scanQuoted() : r === '=' || r === '!' ? this.scanOperator() : this.scanUnquoted();
        if (t instanceof Utf8ParseError) this.err = t;
        return t instanceof Utf8ParseError ? { t: EOF_TOKEN, err: t } : { t, err: null };
      }
      if (isGoSpace(r)) {
        this.start = this.pos;
        continue;
      }
      this.err = new Utf8ParseError(`${this.start}:${this.pos}: ${this.text()}: invalid input`);
      return { t: EOF_TOKEN, err: this.err };
    }
    return { t: EOF_TOKEN, err: null };
  }

  peek(): Scan {
    const saved = [this.start, this.pos, this.width] as const;
    const out = this.scan();
    [this.start, this.pos, this.width] = saved;
    return out;
  }

  private scanOperator(): Token | Utf8ParseError {
    if (this.accept('!')) {
      if (this.accept('=')) return this.emit('!=');
      if (this.accept('~')) return this.emit('!~');
      return this.expected('=~');
    }
    if (this.accept('=')) return this.emit(this.accept('~') ? '=~' : '=');
    return this.expected('!=');
  }

  private scanQuoted(): Token | Utf8ParseError {
    this.next(); // the opening quote
    let escaped = false;
    for (let r = this.next(); r !== undefined; r = this.next()) {
      if (escaped) escaped = false;
      else if (r === '\\') escaped = true;
      else if (r === '"') return this.emit('quoted');
    }
    return new Utf8ParseError(`${this.start}:${this.pos}: ${this.text()}: missing end "`);
  }

  private scanUnquoted(): Token {
    for (let r = this.next(); r !== undefined; r = this.next()) {
      if (isReserved(r)) {
        this.rewind();
        break;
      }
    }
    return this.emit('unquoted');
  }

  private expected(what: string): Utf8ParseError {
    const where = this.pos >= this.runes.length ? 'unexpected end of input' : this.text();
    return new Utf8ParseError(`${this.start}:${this.pos}: ${where}${where === 'unexpected end of input' ? ',' : ':'} expected one of '${what}'`);
  }

  private text(): string {
    return this.runes.slice(this.start, this.pos).join('');
  }

  private emit(kind: Kind): Token {
    const t = { kind, value: this.text(), start: this.start, end: this.pos };
    this.start = this.pos;
    return t;
  }

  private next(): string | undefined {
    if (this.pos >= this.runes.length) {
      this.width = 0;
      return undefined;
    }
    this.width = 1;
    return this.runes[this.pos++];
  }

  private rewind(): void {
    this.pos -= this.width;
  }

  private accept(valid: string): boolean {
    const r = this.next();
    if (r !== undefined && valid.includes(r)) return true;
    this.rewind();
    return false;
  }
}

const fail = (msg: string): never => {
  throw new Utf8ParseError(msg);
};

/** Reads `t` if it is one of `kinds`; throws Alertmanager's message otherwise (`why` appended). */
function expect(l: Lexer, kinds: Kind[], why: string, consume = true): Token | 'eof' {
  const { t, err } = l.peek();
  if (err) fail(`${err.message}: ${why}`);
  if (t.kind === 'eof') return 'eof';
  if (!kinds.includes(t.kind)) fail(`${t.start}:${t.end}: unexpected ${t.value}: ${why}`);
  if (consume) l.scan();
  return t;
}

function unquote(t: Token): string {
  if (t.kind !== 'quoted') return t.value;
  return goUnquote(t.value) ?? fail(`${t.start}:${t.end}: ${t.value}: invalid input`);
}

/** parse.Matchers: zero or more matchers, optionally inside one pair of braces. */
export function utf8ParseMatchers(input: string): ParsedMatcher[] {
  const l = new Lexer(input);
  const out: ParsedMatcher[] = [];
  const first = l.peek();
  if (first.err) fail(first.err.message);
  const hasOpenBrace = first.t.kind === '{';
  if (hasOpenBrace) l.scan();
  // After the optional open brace: end of input or a close brace means no matchers.
  const p = hasOpenBrace ? l.peek() : first;
  if (p.err) fail(p.err.message);
  const next: 'matcher' | 'close' = p.t.kind === 'eof' || p.t.kind === '}' ? 'close' : 'matcher';
  while (next === 'matcher') {
    const nameTok = expect(l, ['quoted', 'unquoted'], 'expected label name');
    if (nameTok === 'eof') fail(`end of input: expected label name`);
    const opTok = expect(l, ['=', '!=', '=~', '!~'], "expected an operator such as '=', '!=', '=~' or '!~'");
    if (opTok === 'eof') fail(`end of input: expected an operator such as '=', '!=', '=~' or '!~'`);
    const valueTok = expect(l, ['unquoted', 'quoted'], 'expected label value');
    if (valueTok === 'eof') fail('end of input: expected label value');
    const [n, o, v] = [nameTok as Token, opTok as Token, valueTok as Token];
    out.push({ name: unquote(n), op: o.kind as MatchOp, value: unquote(v), raw: v.value, quoted: v.kind === 'quoted' });
    const end = expect(l, [',', '}'], 'expected a comma or close brace', false);
    if (end === 'eof' || end.kind === '}') break;
    l.scan(); // the comma
    const after = expect(l, ['}', 'unquoted', 'quoted'], 'expected a matcher or close brace after comma', false);
    if (after === 'eof' || after.kind === '}') break;
  }
  // The close brace: required after an open brace, refused without one.
  const close = l.peek();
  if (hasOpenBrace) {
    if (close.err) fail(`0:${l.column}: ${close.err.message}: expected close brace`);
    if (close.t.kind !== '}')
      fail(`0:${l.column}: ${close.t.kind === 'eof' ? 'end of input' : `${close.t.start}:${close.t.end}: unexpected ${close.t.value}`}: expected close brace`);
    l.scan();
  } else if (!close.err && close.t.kind === '}') {
    l.scan();
    fail(`0:${l.column}: }: expected opening brace`);
  }
  const rest = l.scan();
  if (rest.err) fail(`${rest.err.message}: expected end of input`);
  if (rest.t.kind !== 'eof') fail(`${rest.t.start}:${rest.t.end}: ${rest.t.value}: expected end of input`);
  return out;
}
