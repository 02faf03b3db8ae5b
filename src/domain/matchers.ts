// Alertmanager label matchers: `name op value` with op one of = != =~ !~.
// Regexes are anchored exactly as Alertmanager anchors them: ^(?:value)$
// (prometheus/alertmanager pkg/labels/matcher.go, NewMatcher). Compiled once at config load.
// Note: Alertmanager uses Go RE2; JavaScript regexes accept a superset (lookaround,
// backreferences). Rules come from the operator's config, not from alerts.

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Present for =~ and !~. */
  re?: RegExp;
  /** The matcher as written, for messages. */
  text: string;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/** Parses one matcher. Throws an Error whose message says what is wrong and how to fix it. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m) {
    throw new Error(
      `"${text}" is not a label matcher. Fix: write it as Alertmanager does, label, operator (=, !=, =~, !~), value, e.g. alertname="KubePodCrashLooping" or namespace=~"shop-.*"`,
    );
  }
  const [, name, op, rawValue] = m as unknown as [string, string, MatchOp, string];
  let value = rawValue;
  if (!value.startsWith('"') && /^[=~!]|"/.test(value)) {
    throw new Error(`"${text}": the operator or value is malformed. Fix: use exactly one of =, !=, =~, !~ and quote the value, e.g. alertname="KubePodCrashLooping"`);
  }
  if (value.startsWith('"')) {
    if (!value.endsWith('"') || value.length < 2) {
      throw new Error(`"${text}": the quoted value is not closed. Fix: end the value with a double quote.`);
    }
    try {
      value = JSON.parse(value) as string;
    } catch {
      throw new Error(`"${text}": the quoted value has an invalid escape. Fix: escape only \\" and \\\\ inside quotes.`);
    }
  }
  const matcher: Matcher = { name: name!, op, value, text: text.trim() };
  if (op === '=~' || op === '!~') {
    try {
      matcher.re = new RegExp(`^(?:${value})$`);
    } catch (e) {
      throw new Error(`"${text}": the regular expression does not compile (${(e as Error).message}). Fix: correct the regex; it is anchored as ^(?:...)$ like Alertmanager does.`);
    }
  }
  return matcher;
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
      return m.re!.test(v);
    case '!~':
      return !m.re!.test(v);
  }
}

export function matchesAll(ms: readonly Matcher[], labels: Record<string, string>): boolean {
  for (const m of ms) if (!matches(m, labels)) return false;
  return true;
}
