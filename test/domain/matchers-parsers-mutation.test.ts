// Matcher parser edges that mutation testing (issue #19) found unguarded: each UTF-8 parser
// refusal with Alertmanager's wording and rune columns (what `aksops rules test` and config errors
// show), the quoted flag, quoted names after a comma, and the classic parser's split and value rules.
import { describe, expect, it } from 'vitest';
import { utf8ParseMatchers, Utf8ParseError } from '../../src/domain/matchers-utf8.js';
import { classicParseMatcher, ClassicParseError, classicSplit } from '../../src/domain/matchers-classic.js';

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a parse error, nothing was thrown');
}
const utf8Error = (input: string): string => {
  const e = thrown(() => utf8ParseMatchers(input));
  expect(e).toBeInstanceOf(Utf8ParseError);
  expect(e.name).toBe('Utf8ParseError');
  return e.message;
};
const classicError = (input: string): string => {
  const e = thrown(() => classicParseMatcher(input));
  expect(e).toBeInstanceOf(ClassicParseError);
  expect(e.name).toBe('ClassicParseError');
  return e.message;
};

describe('UTF-8 parser refusals, in Alertmanager words', () => {
  it.each([
    ['foo!', "3:4: unexpected end of input, expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'"],
    ['foo!x', "3:4: !: expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'"],
    ['foo', "end of input: expected an operator such as '=', '!=', '=~' or '!~'"],
    ['foo=', 'end of input: expected label value'],
    ['{', '0:1: end of input: expected close brace'],
    ['{foo="bar"', '0:10: end of input: expected close brace'],
    ['{foo="bar",', '0:11: end of input: expected close brace'],
    ['foo="bar"}', '0:10: }: expected opening brace'],
    ['foo="bar" baz', '10:13: unexpected baz: expected a comma or close brace'],
    ['a="1",=', '6:7: unexpected =: expected a matcher or close brace after comma'],
    ['{foo="bar"} x', '12:13: x: expected end of input'],
    ['{foo="bar"} "x', '12:14: "x: missing end ": expected end of input'],
    ['{foo="bar" "x', '11:13: "x: missing end ": expected a comma or close brace'],
    ['"foo', '0:4: "foo: missing end "'],
    ['{"foo', '1:5: "foo: missing end "'],
  ])('%s', (input, message) => {
    expect(utf8Error(input)).toBe(message);
  });
});

describe('UTF-8 parser results', () => {
  it('marks quoted values as quoted and keeps the raw text; a quoted name may follow a comma', () => {
    expect(utf8ParseMatchers('a="1","b"="2",c=3')).toEqual([
      { name: 'a', op: '=', value: '1', raw: '"1"', quoted: true },
      { name: 'b', op: '=', value: '2', raw: '"2"', quoted: true },
      { name: 'c', op: '=', value: '3', raw: '3', quoted: false },
    ]);
    expect(utf8ParseMatchers('{foo="bar",}')).toEqual([{ name: 'foo', op: '=', value: 'bar', raw: '"bar"', quoted: true }]);
  });
});

describe('classic parser', () => {
  it('a comma right after a backslash inside quotes does not reset the escape (parse.go), so the quote after it stays escaped', () => {
    expect(classicSplit('a="x\\,",b="c"')).toEqual(['a="x\\,",b="c"']);
    expect(classicSplit('"x",y')).toEqual(['"x"', 'y']);
    // Any other character ends an escape: \d does not escape the closing quote.
    expect(classicSplit('a="\\d",b="c"')).toEqual(['a="\\d"', 'b="c"']);
  });

  it('refuses a lone surrogate and a quote inside a quoted value, naming the value', () => {
    expect(classicError('a="\uD800"')).toBe('matcher value not valid UTF-8: "\uD800"');
    expect(classicError('a="x"y')).toBe('matcher value contains unescaped double quote: "x"y');
  });
});
