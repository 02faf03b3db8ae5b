// Conformance with Alertmanager's matcher parsers and regex matching. The cases were read
// from prometheus/alertmanager (commit 68fb2d57, 2026-08-22): pkg/labels/parse_test.go,
// matcher/parse/parse_test.go, matcher/compliance/compliance_test.go,
// matcher/compat/parse_test.go and pkg/labels/matcher_test.go, and written here as our own
// tables: input, then what Alertmanager returns (matchers, or its exact error text).
import { describe, expect, it } from 'vitest';
import { classicParseMatchers, ClassicParseError } from '../../src/domain/matchers-classic.js';
import { utf8ParseMatchers, Utf8ParseError } from '../../src/domain/matchers-utf8.js';
import { explainMatcher, matches, MatcherSyntaxError, parseMatcher, parseMatchers } from '../../src/domain/matchers.js';

type M = [name: string, op: string, value: string];
const raw = String.raw;
const triples = (ms: Array<{ name: string; op: string; value: string }>): M[] => ms.map((m) => [m.name, m.op, m.value]);

// pkg/labels ParseMatchers: the classic parser, with its own error messages.
const CLASSIC: Array<[input: string, want: M[] | string]> = [
  ['{}', []],
  [',', 'bad matcher format: '],
  ['{,}', 'bad matcher format: '],
  ["{foo='}", [['foo', '=', "'"]]],
  ['{foo=`}', [['foo', '=', '`']]],
  [raw`{foo=\"}`, [['foo', '=', '"']]],
  ['{foo=bar}', [['foo', '=', 'bar']]],
  ['{foo="bar"}', [['foo', '=', 'bar']]],
  ['{foo=~bar.*}', [['foo', '=~', 'bar.*']]],
  ['{foo=~"bar.*"}', [['foo', '=~', 'bar.*']]],
  ['{foo!=bar}', [['foo', '!=', 'bar']]],
  ['{foo!="bar"}', [['foo', '!=', 'bar']]],
  ['{foo!~bar.*}', [['foo', '!~', 'bar.*']]],
  ['{foo!~"bar.*"}', [['foo', '!~', 'bar.*']]],
  [
    '{foo="bar", baz!="quux"}',
    [
      ['foo', '=', 'bar'],
      ['baz', '!=', 'quux'],
    ],
  ],
  [
    '{foo="bar", baz!~"quux.*"}',
    [
      ['foo', '=', 'bar'],
      ['baz', '!~', 'quux.*'],
    ],
  ],
  [
    '{foo="bar",baz!~".*quux", derp="wat"}',
    [
      ['foo', '=', 'bar'],
      ['baz', '!~', '.*quux'],
      ['derp', '=', 'wat'],
    ],
  ],
  [
    '{foo="bar", instance=~"some-api.*"}',
    [
      ['foo', '=', 'bar'],
      ['instance', '=~', 'some-api.*'],
    ],
  ],
  ['{foo=""}', [['foo', '=', '']]],
  [
    '{foo="bar,quux", job="job1"}',
    [
      ['foo', '=', 'bar,quux'],
      ['job', '=', 'job1'],
    ],
  ],
  [
    '{foo = "bar", dings != "bums", }',
    [
      ['foo', '=', 'bar'],
      ['dings', '!=', 'bums'],
    ],
  ],
  [
    'foo=bar,dings!=bums',
    [
      ['foo', '=', 'bar'],
      ['dings', '!=', 'bums'],
    ],
  ],
  [raw`{quote="She said: \"Hi, ladies! That's gender-neutral…\""}`, [['quote', '=', `She said: "Hi, ladies! That's gender-neutral…"`]]],
  ['statuscode=~"5.."', [['statuscode', '=~', '5..']]],
  ['tricky=~~~', [['tricky', '=~', '~~']]],
  [raw`trickier==\\=\=\"`, [['trickier', '=', raw`=\=\="`]]],
  [
    raw`contains_quote != "\"" , contains_comma !~ "foo,bar" , `,
    [
      ['contains_quote', '!=', '"'],
      ['contains_comma', '!~', 'foo,bar'],
    ],
  ],
  ['{foo=bar}}', [['foo', '=', 'bar}']]],
  ['{foo=bar}},}', [['foo', '=', 'bar}}']]],
  [
    '{foo=,bar=}}',
    [
      ['foo', '=', ''],
      ['bar', '=', '}'],
    ],
  ],
  [raw`{foo=bar\t}`, [['foo', '=', raw`bar\t`]]],
  [raw`{foo=bar\n}`, [['foo', '=', 'bar\n']]],
  [raw`{foo=bar\}`, [['foo', '=', 'bar\\']]],
  [raw`{foo=bar\\}`, [['foo', '=', 'bar\\']]],
  [raw`{foo=bar\"}`, [['foo', '=', 'bar"']]],
  ['job=', [['job', '=', '']]],
  ['job="value', 'matcher value contains unescaped double quote: "value'],
  ['job=value"', 'matcher value contains unescaped double quote: value"'],
  [raw`trickier==\\=\=\""`, raw`matcher value contains unescaped double quote: =\\=\=\""`],
  ['contains_unescaped_quote = foo"bar', 'matcher value contains unescaped double quote: foo"bar'],
  ['{invalid-name = "valid label"}', 'bad matcher format: invalid-name = "valid label"'],
  [raw`"{foo=\"bar"}`, raw`bad matcher format: "{foo=\"bar"`],
  [raw`"foo=\"bar"`, raw`bad matcher format: "foo=\"bar"`],
  [raw`"foo=\"bar\""`, raw`bad matcher format: "foo=\"bar\""`],
  [raw`"{foo=\"bar\"}"`, raw`bad matcher format: "{foo=\"bar\"}"`],
  ['"foo="bar""', 'bad matcher format: "foo="bar""'],
  ['{{foo=', 'bad matcher format: {foo='],
  ['{foo=', [['foo', '=', '']]],
  ['{foo=}b', [['foo', '=', '}b']]],
  // The classic name pattern also takes colons (Prometheus recording-rule style).
  ['a:b:c="x"', [['a:b:c', '=', 'x']]],
  ['0foo="x"', 'bad matcher format: 0foo="x"'],
];

// matcher/parse Matchers: the UTF-8 parser, with its error messages (rune columns).
const UTF8: Array<[input: string, want: M[] | string]> = [
  ['', []],
  ['{}', []],
  ['{foo=bar}', [['foo', '=', 'bar']]],
  ['{foo=bar,}', [['foo', '=', 'bar']]],
  ['{foo!=bar}', [['foo', '!=', 'bar']]],
  ['{foo=~[a-z]+}', [['foo', '=~', '[a-z]+']]],
  ['{foo!~[a-z]+}', [['foo', '!~', '[a-z]+']]],
  ['{foo=🙂}', [['foo', '=', '🙂']]],
  ['{foo=🙂bar}', [['foo', '=', '🙂bar']]],
  ['foo=bar', [['foo', '=', 'bar']]],
  ['foo=bar,', [['foo', '=', 'bar']]],
  ['foo=~[a-z]+', [['foo', '=~', '[a-z]+']]],
  ['{"foo"="bar"}', [['foo', '=', 'bar']]],
  ['{"foo"="bar",}', [['foo', '=', 'bar']]],
  ['{"foo"!~"[a-z]+"}', [['foo', '!~', '[a-z]+']]],
  [raw`{"foo"=~"\\d+"}`, [['foo', '=~', raw`\d+`]]],
  ['{"foo"="🙂"}', [['foo', '=', '🙂']]],
  [raw`{"foo"="\xf0\x9f\x99\x82"}`, [['foo', '=', '🙂']]],
  [raw`{"foo"="\U0001f642"}`, [['foo', '=', '🙂']]],
  [raw`{"foo"="bar\n"}`, [['foo', '=', 'bar\n']]],
  [raw`{"foo"="bar\t"}`, [['foo', '=', 'bar\t']]],
  [raw`{"foo"="\"bar\""}`, [['foo', '=', '"bar"']]],
  [raw`{"foo"="bar\\"}`, [['foo', '=', 'bar\\']]],
  ['"foo"="bar",', [['foo', '=', 'bar']]],
  [
    '{foo=bar,bar!=baz}',
    [
      ['foo', '=', 'bar'],
      ['bar', '!=', 'baz'],
    ],
  ],
  [
    'foo="bar",bar!="baz"',
    [
      ['foo', '=', 'bar'],
      ['bar', '!=', 'baz'],
    ],
  ],
  ['{name-with-dashes = "bar"}', [['name-with-dashes', '=', 'bar']]],
  ['foo🙂=bar', [['foo🙂', '=', 'bar']]],
  [',', '0:1: unexpected ,: expected label name'],
  ['{,}', '1:2: unexpected ,: expected label name'],
  ['{', '0:1: end of input: expected close brace'],
  ['}', '0:1: }: expected opening brace'],
  ['foo=bar}', '0:8: }: expected opening brace'],
  ['{foo=bar', '0:8: end of input: expected close brace'],
  ['{foo=:"bar"}', '6:11: unexpected "bar": expected a comma or close brace'],
  [raw`{foo="bar\w"}`, raw`5:12: "bar\w": invalid input`],
  [raw`{"foo"=~"\d+"}`, raw`8:13: "\d+": invalid input`],
  [raw`{foo=bar\n}`, raw`8:9: \: invalid input: expected a comma or close brace`],
  [raw`{"foo"="\xf0\x9f"}`, raw`7:17: "\xf0\x9f": invalid input`],
  ['foo!bar', "3:4: !: expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'"],
  ['foo="bar', '4:8: "bar: missing end ": expected label value'],
  ['foo=', 'end of input: expected label value'],
];

// What Alertmanager (default flags) returns for a route's `matchers:` entry: the classic result
// when the classic parser accepts, else the UTF-8 result, else the classic error (refused).
// 'deliberate' marks an entry Alertmanager accepts and this project refuses on purpose.
const FALLBACK: Array<[input: string, want: M[] | 'refused' | 'deliberate']> = [
  ['foo=bar', [['foo', '=', 'bar']]],
  [
    '{foo=bar,bar=baz}',
    [
      ['foo', '=', 'bar'],
      ['bar', '=', 'baz'],
    ],
  ],
  ['foo!bar', 'refused'],
  ['{foo!bar}', 'refused'],
  ['foo🙂=bar', [['foo🙂', '=', 'bar']]],
  [
    '{foo🙂=bar,bar=baz🙂}',
    [
      ['foo🙂', '=', 'bar'],
      ['bar', '=', 'baz🙂'],
    ],
  ],
  [raw`foo=!bar\n`, 'deliberate'],
  [raw`{foo=!bar,bar=$baz\n}`, 'deliberate'],
  [raw`{bar=$baz\n}`, [['bar', '=', '$baz\n']]],
  // Disagreement: the classic parser keeps \x literally, and its reading wins.
  [raw`foo="\xf0\x9f\x99\x82"`, [['foo', '=', raw`\xf0\x9f\x99\x82`]]],
  [raw`{foo="\xf0\x9f\x99\x82"}`, [['foo', '=', raw`\xf0\x9f\x99\x82`]]],
  // Escapes: only \n, \" and \\ are decoded; \t, \d, \b stay literal (and mean RE2 escapes).
  [raw`foo=~"\bfoo\b"`, [['foo', '=~', raw`\bfoo\b`]]],
  [raw`foo="a\tb"`, [['foo', '=', raw`a\tb`]]],
  [raw`instance=~"web-\d+"`, [['instance', '=~', raw`web-\d+`]]],
  [raw`summary="say \"hi\""`, [['summary', '=', 'say "hi"']]],
  // Several matchers in one entry; the comma is never part of an unquoted value.
  [
    'severity!=info,team=db',
    [
      ['severity', '!=', 'info'],
      ['team', '=', 'db'],
    ],
  ],
  [
    'severity!=info,team=db,',
    [
      ['severity', '!=', 'info'],
      ['team', '=', 'db'],
    ],
  ],
  ['{owner="team-A"}', [['owner', '=', 'team-A']]],
  [
    '{foo = "bar", dings != "bums", }',
    [
      ['foo', '=', 'bar'],
      ['dings', '!=', 'bums'],
    ],
  ],
  [
    '{foo="bar,quux", job="job1"}',
    [
      ['foo', '=', 'bar,quux'],
      ['job', '=', 'job1'],
    ],
  ],
  // Label names: quoted and UTF-8 through the UTF-8 parser, colons through the classic one.
  ['"service.name"="checkout"', [['service.name', '=', 'checkout']]],
  [
    '{"service.name"=~"check.*", env="prod"}',
    [
      ['service.name', '=~', 'check.*'],
      ['env', '=', 'prod'],
    ],
  ],
  ['{name-with-dashes = "bar"}', [['name-with-dashes', '=', 'bar']]],
  ['job:rate5m="1"', [['job:rate5m', '=', '1']]],
  // Stray braces: one trailing brace is trimmed, as Alertmanager does.
  ['foo=bar}', [['foo', '=', 'bar']]],
  ['{foo=bar}', [['foo', '=', 'bar']]],
  ['{}', []],
  // Alertmanager reads these with a brace or an operator character inside the value.
  ['{foo=bar}}', 'deliberate'],
  ['{foo=,bar=}}', 'deliberate'],
  ['{foo=}b', 'deliberate'],
  ['foo=~a{2}', 'deliberate'],
  ['tricky=~~~', 'deliberate'],
  [raw`trickier==\\=\=\"`, 'deliberate'],
  ['alertname=!x', 'deliberate'],
  ['""="x"', 'deliberate'],
  // Quoted, the same characters are plain values.
  ['foo="=x"', [['foo', '=', '=x']]],
  ['foo=~"a{2}"', [['foo', '=~', 'a{2}']]],
  ['job=', [['job', '=', '']]],
  // Refused by Alertmanager too.
  [',', 'refused'],
  ['{,}', 'refused'],
  ['job="value', 'refused'],
  ['job=value"', 'refused'],
  ['contains_unescaped_quote = foo"bar', 'refused'],
  ['{foo=~"invalid[regexp"}', 'refused'],
  [raw`"foo=\"bar\""`, 'refused'],
  ['"foo="bar""', 'refused'],
  ['{{foo=', 'refused'],
  [raw`{"foo"="\xf0\x9f"}`, 'refused'],
  ['severity ~= critical', 'refused'],
  ['alertname=="x"', 'refused'],
];

/** Checks one parser against a table: the same matchers, or the same error class and text. */
function agrees(parse: (input: string) => Array<{ name: string; op: string; value: string }>, ErrorClass: new (m: string) => Error) {
  return (input: string, want: M[] | string) => {
    if (typeof want === 'string') {
      expect(() => parse(input)).toThrow(ErrorClass);
      expect(() => parse(input)).toThrow(new ErrorClass(want));
    } else {
      expect(triples(parse(input))).toEqual(want);
    }
  };
}

describe('the classic parser agrees with pkg/labels ParseMatchers', () => {
  it.each(CLASSIC)('%s', agrees(classicParseMatchers, ClassicParseError));
});

describe('the UTF-8 parser agrees with matcher/parse Matchers', () => {
  it.each(UTF8)('%s', agrees(utf8ParseMatchers, Utf8ParseError));
});

describe('a matchers: entry reads as Alertmanager (default flags) reads it', () => {
  it.each(FALLBACK)('%s', (input, want) => {
    if (want === 'refused') {
      expect(() => parseMatchers(input)).toThrow(MatcherSyntaxError);
      expect(() => parseMatchers(input)).toThrow(/\(Alertmanager: .*\)/);
    } else if (want === 'deliberate') {
      // Alertmanager accepts it: the message shows its reading and says this project refuses it.
      const accepted = [classicParseMatchers, utf8ParseMatchers].filter((parse) => {
        try {
          return parse(input).length > 0;
        } catch {
          return false;
        }
      });
      expect(accepted.length).toBeGreaterThan(0);
      expect(() => parseMatchers(input)).toThrow(MatcherSyntaxError);
      expect(() => parseMatchers(input)).toThrow(/Alertmanager reads it as .*This project refuses it\. Fix: /);
    } else {
      expect(triples(parseMatchers(input))).toEqual(want);
    }
  });

  it('says which of Alertmanager parsers gave the reading', () => {
    expect(parseMatchers('foo=bar').map((m) => m.parser)).toEqual(['classic']);
    expect(parseMatchers('"service.name"="x"').map((m) => m.parser)).toEqual(['utf8']);
    expect(explainMatcher(parseMatchers('severity!=info,team=db')[1]!)).toEqual({
      entry: 'severity!=info,team=db',
      name: 'team',
      op: '=',
      value: 'db',
      parser: 'classic',
    });
  });

  it('refuses an entry meant as one matcher that holds two, naming the count', () => {
    expect(() => parseMatcher('foo=bar,bar=baz')).toThrow(
      new MatcherSyntaxError('"foo=bar,bar=baz" holds 2 matchers where exactly one is expected. Fix: write one matcher, e.g. namespace="shop"'),
    );
  });

  it('refuses a value that is not valid UTF-8 (a lone surrogate)', () => {
    expect(() => parseMatchers('foo="a\ud800"')).toThrow(MatcherSyntaxError);
    expect(() => parseMatchers('foo="a\ud800"')).toThrow(/not valid UTF-8/);
  });
});

// Matching: RE2 semantics, anchored as ^(?:value)$, a missing label reads as "".
const MATCHING: Array<[matcher: string, value: string, match: boolean]> = [
  ['x="bar"', 'bar', true],
  ['x="bar"', 'foo-bar', false],
  ['x!="bar"', 'bar', false],
  ['x!="bar"', 'foo-bar', true],
  ['x=~"bar"', 'bar', true],
  ['x=~"bar"', 'foo-bar', false],
  ['x=~".*bar"', 'foo-bar', true],
  ['x!~"bar"', 'bar', false],
  ['x!~"bar"', 'foo-bar', true],
  ['x!~".*bar"', 'foo-bar', false],
  ['x=~"foo.bar"', 'foo-bar', true],
  [raw`x=~"foo\.bar"`, 'foo-bar', false],
  [raw`x=~"foo\.bar"`, 'foo.bar', true],
  [raw`x="foo\nbar"`, 'foo\nbar', true],
  ['x=~"foo.bar"', 'foo\nbar', false],
  ['x=~"(?s)foo.bar"', 'foo\nbar', true],
  [raw`x="~!=\""`, '~!="', true],
  // RE2 syntax that JavaScript lacks or reads differently.
  ['x=~"(?i)critical"', 'CRITICAL', true],
  ['x=~"(?i)k"', '\u212a', true], // KELVIN SIGN folds to k in RE2
  [raw`x=~"\bfoo\b"`, 'foo', true],
  [raw`x=~"web-\d+"`, 'web-12', true],
  [raw`x=~"web-\d+"`, 'web-1a', false],
  [raw`x=~"\d"`, '٣', false], // \d is ASCII only in RE2
  ['x=~"[[:alpha:]]+"', 'abc', true],
  [raw`x=~"\pL+"`, 'Grüße', true],
  [raw`x=~"\QJob.*\E"`, 'Job.*', true],
  [raw`x=~"\QJob.*\E"`, 'Jobs', false],
  // UTF-8: one dot is one code point, also outside the BMP.
  ['x=~"."', '😀', true],
  ['x=~".."', '😀', false],
  ['x=~"a.c"', 'a😀c', true],
  ['x=~"[😀-😂]"', '😁', true],
  // Anchoring: ^(?:value)$ around alternations, and $ is the end of the text.
  ['x=~"shop|pay"', 'payments', false],
  ['x=~"shop|pay"', 'pay', true],
  ['x=~"a"', 'a\n', false],
  // A missing label matches as the empty string.
  ['missing=""', '', true],
  ['missing=~".*"', '', true],
  ['missing!~"a.+"', '', true],
];

describe('matching has RE2 semantics, anchored as Alertmanager anchors', () => {
  it.each(MATCHING)('%s on %j is %s', (matcher, value, want) => {
    const m = parseMatcher(matcher);
    expect(matches(m, m.name === 'missing' ? {} : { [m.name]: value })).toBe(want);
  });

  it.each([
    ['x=~"(?=a)"', 'invalid or unsupported Perl syntax: `(?=`'],
    [raw`x=~"(a)\1"`, 'invalid escape sequence: `\\1`'],
    ['x=~"a++"', 'invalid nested repetition operator: `++`'],
    ['x=~"a{1001}"', 'invalid repeat count: `{1001}`'],
    [raw`x=~"\C"`, 'invalid escape sequence: `\\C`'],
  ])('refuses %s, which RE2 (and so Alertmanager) cannot compile', (matcher, why) => {
    expect(() => parseMatcher(matcher)).toThrow(MatcherSyntaxError);
    expect(() => parseMatcher(matcher)).toThrow(`the regular expression does not compile (Alertmanager: error parsing regexp: ${why})`);
  });
});

describe('the regex memo never changes an answer', () => {
  it('answers each regex for itself, after eviction and for values too long to remember', () => {
    const api = parseMatcher('pod=~"api-.*"');
    const web = parseMatcher('pod=~"web-.*"');
    const values = Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? `api-${i}` : `web-${i}`));
    for (let round = 0; round < 3; round++) {
      for (const v of values) {
        expect(matches(api, { pod: v })).toBe(v.startsWith('api-'));
        expect(matches(web, { pod: v })).toBe(v.startsWith('web-'));
      }
    }
    const long = 'api-' + 'x'.repeat(200);
    expect(matches(api, { pod: long })).toBe(true);
    expect(matches(api, { pod: long + '\n' })).toBe(false);
  });
});

describe('matcher details mutation testing found unguarded', () => {
  it('never compiles an equality value as a regex (a value that is no valid regex is fine)', () => {
    const m = parseMatcher('a="(x"');
    expect(m.re).toBeUndefined();
    expect(matches(m, { a: '(x' })).toBe(true);
    expect(parseMatcher('a!="x.*"').re).toBeUndefined();
    expect(matches(parseMatcher('a!="x.*"'), { a: 'xyz' })).toBe(true);
  });

  it('accepts an operator character inside an unquoted value, refusing only a leading one', () => {
    expect(triples(parseMatchers('foo=a!b=c~d'))).toEqual([['foo', '=', 'a!b=c~d']]);
  });

  it('reads a label name with a leading character the classic parser refuses through the UTF-8 parser, never as a shorter name', () => {
    expect(parseMatchers('-foo="x"').map((m) => [m.name, m.parser])).toEqual([['-foo', 'utf8']]);
    expect(parseMatchers('0foo="x"').map((m) => [m.name, m.parser])).toEqual([['0foo', 'utf8']]);
    expect(parseMatchers(' \tfoo="x"').map((m) => [m.name, m.parser])).toEqual([['foo', 'classic']]);
  });

  it('treats a label present with an undefined value as the empty string', () => {
    expect(matches(parseMatcher('team=""'), { team: undefined as unknown as string })).toBe(true);
  });

  it('names its errors MatcherSyntaxError', () => {
    try {
      parseMatcher('nope');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MatcherSyntaxError);
      expect((e as Error).name).toBe('MatcherSyntaxError');
    }
  });
});
