// Regular expressions with RE2 semantics, as Alertmanager (Go regexp) has them: linear-time
// matching, RE2 syntax ((?i), (?s), \d, \b, \pL, [[:alpha:]]), code points rather than
// UTF-16 units. re2js is a pure-JS port of RE2/J (docs/decisions/0010-re2-matchers.md).
import { RE2JS } from 're2js';

export type Re2 = RE2JS;

export class RegexSyntaxError extends Error {
  override name = 'RegexSyntaxError';
}

/**
 * Compiles `value` anchored as Alertmanager anchors it: ^(?:value)$
 * (prometheus/alertmanager pkg/labels/matcher.go, NewMatcher). Throws RegexSyntaxError
 * with RE2's own message (the same wording as Go's regexp package).
 */
export function compileAnchored(value: string): Re2 {
  try {
    return RE2JS.compile(`^(?:${value})$`);
  } catch (e) {
    throw new RegexSyntaxError((e as Error).message);
  }
}
