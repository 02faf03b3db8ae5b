// Alertmanager label matchers, read exactly as Alertmanager (0.27+, default flags) reads one
// entry of a route's `matchers:` list: the classic parser's result if it accepts the entry,
// otherwise the UTF-8 parser's, otherwise the classic parser's error
// (prometheus/alertmanager matcher/compat/parse.go, FallbackMatchersParser). One entry may hold
// several matchers (`a=b,c!=d`, `{a="b", c=~"d"}`). Regexes have RE2 semantics and are anchored
// as Alertmanager anchors them, ^(?:value)$. Deliberate differences: docs/configuration.md.
import { classicParseMatchers, ClassicParseError, type ParsedMatcher } from './matchers-classic.js';
import { utf8ParseMatchers, Utf8ParseError } from './matchers-utf8.js';
import { hasLoneSurrogate } from './go-text.js';
import { compileAnchored, RegexSyntaxError, type Re2 } from './re2.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Present for =~ and !~: RE2, anchored. */
  re?: Re2;
  /** The config entry this matcher came from, for messages. */
  text: string;
  /** Which of Alertmanager's parsers gave this reading. */
  parser: 'classic' | 'utf8';
}

/** A matcher entry that Alertmanager refuses, or that this project refuses on purpose. */
export class MatcherSyntaxError extends Error {
  override name = 'MatcherSyntaxError';
}

type Attempt = { ok: Matcher[] } | { err: Error };

function attempt(entry: string, parser: Matcher['parser']): Attempt {
  try {
    const parsed = parser === 'classic' ? classicParseMatchers(entry) : utf8ParseMatchers(entry);
    return { ok: parsed.map((p) => build(p, entry, parser)) };
  } catch (e) {
    if (e instanceof ClassicParseError || e instanceof Utf8ParseError || e instanceof RegexSyntaxError) return { err: e };
    throw e;
  }
}

function build(p: ParsedMatcher, entry: string, parser: Matcher['parser']): Matcher {
  const m: Matcher = { name: p.name, op: p.op, value: p.value, text: entry, parser };
  if (p.op === '=~' || p.op === '!~') m.re = compileAnchored(p.value);
  return m;
}

const FIX =
  'Fix: write label, operator (=, !=, =~, !~), value as in an Alertmanager route, e.g. alertname="KubePodCrashLooping" or namespace=~"shop-.*"; separate several matchers with commas';

function refusal(entry: string, classic: Error, utf8: Error): MatcherSyntaxError {
  const am = `Alertmanager: ${classic.message}`;
  if (classic instanceof RegexSyntaxError) {
    return new MatcherSyntaxError(
      `"${entry}": the regular expression does not compile (${am}). Fix: correct the regex; it has RE2 syntax, as in Alertmanager, and is anchored as ^(?:...)$`,
    );
  }
  if (classic.message.startsWith('matcher value contains unescaped double quote')) {
    return new MatcherSyntaxError(
      `"${entry}": a double quote in the value is not closed or not escaped (${am}). Fix: quote the whole value and write an inner quote as \\", e.g. summary="say \\"hi\\""`,
    );
  }
  return new MatcherSyntaxError(`"${entry}" is not a label matcher (${am}; its UTF-8 parser: ${utf8.message}). ${FIX}`);
}

/**
 * Where Alertmanager accepts an entry but the reading is almost surely a typo that would
 * silently match something else, this project refuses it and says why (docs/configuration.md).
 */
function deliberateRefusal(entry: string, parsed: ParsedMatcher[], ms: Matcher[]): MatcherSyntaxError | null {
  for (const [i, p] of parsed.entries()) {
    const m = ms[i]!;
    const reading = `Alertmanager reads it as ${m.name}${m.op}${JSON.stringify(m.value)}`;
    if (m.name === '')
      return new MatcherSyntaxError(
        `"${entry}": the label name is empty; no alert has such a label (${reading}). This project refuses it. Fix: name the label, e.g. namespace="shop"`,
      );
    if (p.quoted) continue;
    if (/^[=!~]/.test(p.raw)) {
      return new MatcherSyntaxError(
        `"${entry}": the unquoted value starts with "${p.raw[0]}", which is almost always a mistyped operator (${reading}). This project refuses it. Fix: use one of =, !=, =~, !~, or quote the value to mean it literally, e.g. ${m.name}${m.op}${JSON.stringify(m.value)}`,
      );
    }
    if (/[{}]/.test(p.raw)) {
      return new MatcherSyntaxError(
        `"${entry}": the unquoted value contains a brace, and Alertmanager trims one trailing brace from an entry (${reading}). This project refuses it. Fix: quote the value if the brace belongs to it, e.g. ${m.name}${m.op}${JSON.stringify(m.value)}, or remove the stray brace`,
      );
    }
  }
  return null;
}

/**
 * Parses one entry of a rule's `matchers:` list into zero or more matchers, as Alertmanager
 * does. Throws MatcherSyntaxError whose message says what is wrong and how to fix it.
 */
export function parseMatchers(entry: string): Matcher[] {
  // Go would read these as invalid UTF-8 and substitute U+FFFD; refuse instead of guessing.
  if (hasLoneSurrogate(entry))
    throw new MatcherSyntaxError(`"${entry}" is not valid UTF-8 (a lone surrogate). Fix: write the text as proper Unicode characters`);
  const classic = attempt(entry, 'classic');
  if ('ok' in classic) {
    const refused = deliberateRefusal(entry, classicParseMatchers(entry), classic.ok);
    if (refused) throw refused;
    return classic.ok;
  }
  const utf8 = attempt(entry, 'utf8');
  if ('ok' in utf8) {
    const refused = deliberateRefusal(entry, utf8ParseMatchers(entry), utf8.ok);
    if (refused) throw refused;
    return utf8.ok;
  }
  throw refusal(entry, classic.err, utf8.err);
}

/** Parses an entry that must hold exactly one matcher. */
export function parseMatcher(text: string): Matcher {
  const ms = parseMatchers(text);
  if (ms.length !== 1)
    throw new MatcherSyntaxError(`"${text}" holds ${ms.length} matchers where exactly one is expected. Fix: write one matcher, e.g. namespace="shop"`);
  return ms[0]!;
}

// re2js costs ~0.7 us per test where V8's RegExp costs ~0.2 us (bench intake). Label values
// repeat (namespace, severity, job), so each regex keeps a small memo of recent short values:
// at most MEMO_ENTRIES values of at most MEMO_VALUE_CHARS characters, dropped when full.
const MEMO_ENTRIES = 32;
const MEMO_VALUE_CHARS = 128;
const memos = new WeakMap<Re2, Map<string, boolean>>();

function regexTest(re: Re2, v: string): boolean {
  if (v.length > MEMO_VALUE_CHARS) return re.test(v);
  let memo = memos.get(re);
  if (!memo) memos.set(re, (memo = new Map()));
  const known = memo.get(v);
  if (known !== undefined) return known;
  const result = re.test(v);
  if (memo.size >= MEMO_ENTRIES) memo.clear();
  memo.set(v, result);
  return result;
}

/** A missing label matches as the empty string, as in Alertmanager. */
export function matches(m: Matcher, labels: Record<string, string>): boolean {
  const v = Object.prototype.hasOwnProperty.call(labels, m.name) ? (labels[m.name] ?? '') : '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return regexTest(m.re!, v);
    case '!~':
      return !regexTest(m.re!, v);
  }
}

export function matchesAll(ms: readonly Matcher[], labels: Record<string, string>): boolean {
  for (const m of ms) if (!matches(m, labels)) return false;
  return true;
}

/** How a matcher was read, for `aksops rules test`: the name, operator and value, unescaped. */
export function explainMatcher(m: Matcher): { entry: string; name: string; op: MatchOp; value: string; parser: Matcher['parser'] } {
  return { entry: m.text, name: m.name, op: m.op, value: m.value, parser: m.parser };
}
