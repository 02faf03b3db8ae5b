// Alertmanager's classic matcher parser (prometheus/alertmanager pkg/labels/parse.go,
// ParseMatchers and ParseMatcher), reproduced rule for rule because Alertmanager's default
// ("fallback") mode returns this parser's result whenever it accepts the input.
import { goTrimSpace, hasLoneSurrogate } from './go-text.js';
import type { MatchOp } from './matchers.js';

export interface ParsedMatcher {
  name: string;
  op: MatchOp;
  value: string;
  /** The value as written, before unquoting and unescaping. */
  raw: string;
  quoted: boolean;
}

export class ClassicParseError extends Error {
  override name = 'ClassicParseError';
}

// Go's regexp: \s is [\t\n\f\r ], $ is the end of the text, (?s).*? crosses newlines.
const CLASSIC = /^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*([\s\S]*?)[\t\n\f\r ]*$/;

/** One optional leading `{` and trailing `}` trimmed; commas outside quotes separate matchers. */
export function classicSplit(input: string): string[] {
  let s = input.startsWith('{') ? input.slice(1) : input;
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let insideQuotes = false;
  let escaped = false;
  let token = '';
  for (const r of s) {
    if (r === ',' && !insideQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (r === '"') {
      if (!escaped) insideQuotes = !insideQuotes;
      else escaped = false;
    } else if (r === '\\') {
      escaped = !escaped;
    } else if (r !== ',') {
      escaped = false;
    }
    token += r;
  }
  const last = goTrimSpace(token);
  if (last !== '') tokens.push(last);
  return tokens;
}

export function classicParseMatcher(s: string): ParsedMatcher {
  const m = CLASSIC.exec(s);
  if (!m) throw new ClassicParseError(`bad matcher format: ${s}`);
  const [, name, op, raw] = m as unknown as [string, string, MatchOp, string];
  let rawValue = raw;
  let expectTrailingQuote = false;
  if (rawValue.startsWith('"')) {
    rawValue = rawValue.slice(1);
    expectTrailingQuote = true;
  }
  if (hasLoneSurrogate(rawValue)) throw new ClassicParseError(`matcher value not valid UTF-8: ${raw}`);
  const runes = Array.from(rawValue);
  let value = '';
  let escaped = false;
  for (let i = 0; i < runes.length; i++) {
    const r = runes[i]!;
    if (escaped) {
      escaped = false;
      // Only \n, \" and \\ are escapes; any other backslash stays literal (e.g. \d, \b, \t).
      value += r === 'n' ? '\n' : r === '"' || r === '\\' ? r : `\\${r}`;
      continue;
    }
    if (r === '\\') {
      if (i < runes.length - 1) escaped = true;
      else value += '\\';
    } else if (r === '"') {
      if (!expectTrailingQuote || i < runes.length - 1) throw new ClassicParseError(`matcher value contains unescaped double quote: ${raw}`);
      expectTrailingQuote = false;
    } else {
      value += r;
    }
  }
  if (expectTrailingQuote) throw new ClassicParseError(`matcher value contains unescaped double quote: ${raw}`);
  return { name, op, value, raw, quoted: raw.startsWith('"') };
}

export function classicParseMatchers(input: string): ParsedMatcher[] {
  return classicSplit(input).map(classicParseMatcher);
}
