// Time-interval parsing and matching edges that mutation testing (issue #19) found unguarded: the
// config refusals (class and exact message, which name the field and the fix), month names,
// negative days of month, several ranges in one field, dated bounds and holidays in a zone.
import { describe, expect, it } from 'vitest';
import { compileInterval, datedBounds, intervalContains, IntervalError, onDate, validZone, type TimeIntervalSpec } from '../../src/windows/interval.js';

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(IntervalError);
    return (e as Error).message;
  }
  throw new Error('expected an IntervalError, nothing was thrown');
}
const compileError = (spec: TimeIntervalSpec) => refusal(() => compileInterval(spec));
const contains = (spec: TimeIntervalSpec, iso: string) => intervalContains(compileInterval(spec), new Date(iso));

describe('interval refusals name the field and the fix', () => {
  it('times: both ends required, each a HH:MM time, start before end', () => {
    const both = 'times: both start_time and end_time must be given. Fix: e.g. {start_time: "02:00", end_time: "04:00"}';
    expect(compileError({ times: [{ start_time: '02:00', end_time: '' }] })).toBe(both);
    expect(compileError({ times: [{ start_time: '', end_time: '04:00' }] })).toBe(both);
    expect(compileError({ times: [{ start_time: '02:00', end_time: '4pm' }] })).toBe(
      'end_time "4pm" is not a time. Fix: write HH:MM between 00:00 and 24:00, e.g. 02:00',
    );
    for (const bad of ['x02:00', '02:00x', 'x24:00', '24:00x'])
      expect(compileError({ times: [{ start_time: bad, end_time: '24:00' }] })).toBe(
        `start_time "${bad}" is not a time. Fix: write HH:MM between 00:00 and 24:00, e.g. 02:00`,
      );
    expect(compileError({ times: [{ start_time: '02:00', end_time: '02:00' }] })).toBe(
      'times 02:00-02:00: start must be before end. Fix: split a range over midnight into two entries (22:00-24:00 and 00:00-02:00 on the next weekday)',
    );
  });

  it('a range has at most one colon; numbers are whole numbers', () => {
    expect(compileError({ weekdays: ['monday:tuesday:friday'] })).toBe('weekdays "monday:tuesday:friday" is not a range. Fix: write one value or begin:end');
    for (const bad of ['x', '1x', 'x1']) expect(compileError({ days_of_month: [bad] })).toBe(`days_of_month "${bad}" is not a number. Fix: e.g. 1, -1 or 1:5`);
    expect(compileError({ years: ['20x6'] })).toBe('years "20x6" is not a number. Fix: e.g. 1, -1 or 1:5');
    expect(compileError({ years: ['2027:2026'] })).toBe('years "2027:2026": the end year is before the start year. Fix: swap them');
  });

  it('days of month: 1..31 or -31..-1, a negative start needs a negative end, and an end always before the start is refused', () => {
    for (const v of ['0', '32', '-32'])
      expect(compileError({ days_of_month: [v] })).toBe(`days_of_month "${v}": ${v} is out of range. Fix: use 1..31 or -31..-1 (-1 is the last day)`);
    expect(compileInterval({ days_of_month: ['31', '-31'] }).daysOfMonth).toEqual([
      { begin: 31, end: 31 },
      { begin: -31, end: -31 },
    ]);
    expect(compileError({ days_of_month: ['-3:2'] })).toBe('days_of_month "-3:2": the end day must be negative when the start day is. Fix: e.g. -3:-1');
    expect(compileError({ days_of_month: ['-1:-3'] })).toBe('days_of_month "-1:-3": the end day is always before the start day. Fix: swap them');
    // In a 28-day February, -1 is the 28th: 28:-1 is refused as Alertmanager refuses it; 27:-1 is fine.
    expect(compileError({ days_of_month: ['28:-1'] })).toBe('days_of_month "28:-1": the end day is always before the start day. Fix: swap them');
    expect(compileInterval({ days_of_month: ['27:-1'] }).daysOfMonth).toEqual([{ begin: 27, end: -1 }]);
  });

  it('months: every English name maps to its number; numbers 1..12 only', () => {
    const names = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
    expect(compileInterval({ months: names }).months).toEqual(names.map((_, i) => ({ begin: i + 1, end: i + 1 })));
    expect(compileInterval({ months: ['1', '12'] }).months).toEqual([
      { begin: 1, end: 1 },
      { begin: 12, end: 12 },
    ]);
    for (const bad of ['0', '13', '1x', 'x1'])
      expect(compileError({ months: [bad] })).toBe(`months "${bad}": ${bad} is not a month. Fix: use january..december or 1..12`);
  });

  it('a location must be an IANA zone, and "Local" (the machine\'s zone) is refused', () => {
    expect(validZone('Local')).toBe(false);
    expect(validZone('Europe/London')).toBe(true);
    expect(compileError({ location: 'Local' })).toBe('location "Local" is not an IANA time zone. Fix: e.g. Europe/London or UTC');
  });
});

describe('interval matching', () => {
  it('any of several ranges in a field matches (times, months)', () => {
    expect(
      contains(
        {
          times: [
            { start_time: '01:00', end_time: '02:00' },
            { start_time: '05:00', end_time: '06:00' },
          ],
        },
        '2026-06-06T05:30:00Z',
      ),
    ).toBe(true);
    expect(contains({ months: ['january', 'march'] }, '2026-03-10T12:00:00Z')).toBe(true);
    expect(contains({ months: ['january', 'march'] }, '2026-02-10T12:00:00Z')).toBe(false);
  });

  it('days of month: a positive range ends where it says; -1 is the last day of that month', () => {
    expect(contains({ days_of_month: ['1:5'] }, '2026-03-05T12:00:00Z')).toBe(true);
    expect(contains({ days_of_month: ['1:5'] }, '2026-03-06T12:00:00Z')).toBe(false);
    expect(contains({ days_of_month: ['1:5'] }, '2026-03-31T12:00:00Z')).toBe(false);
    expect(contains({ days_of_month: ['-1'] }, '2026-02-28T12:00:00Z')).toBe(true);
    expect(contains({ days_of_month: ['-1'] }, '2026-02-27T12:00:00Z')).toBe(false);
    expect(contains({ days_of_month: ['-2:-1'] }, '2026-03-30T12:00:00Z')).toBe(true);
    expect(contains({ days_of_month: ['-2:-1'] }, '2026-03-29T12:00:00Z')).toBe(false);
  });
});

describe('dated windows and holidays', () => {
  it('a local date-time is read in UTC by default, in its location when given', () => {
    expect(datedBounds({ from: '2026-12-24T18:00', to: '2026-12-24T20:00' })).toEqual({
      from: Date.parse('2026-12-24T18:00:00Z'),
      to: Date.parse('2026-12-24T20:00:00Z'),
    });
    expect(datedBounds({ from: '2026-12-24T18:00', to: '2026-12-24T20:00', location: 'Europe/Berlin' }).from).toBe(Date.parse('2026-12-24T17:00:00Z'));
  });

  it('refuses unparsable bounds, naming which, and an empty window', () => {
    expect(refusal(() => datedBounds({ from: 'christmas', to: '2026-12-24T20:00' }))).toBe(
      'from "christmas" is not an ISO date-time. Fix: e.g. 2026-12-24T18:00 (read in UTC) or 2026-12-24T18:00:00Z',
    );
    expect(refusal(() => datedBounds({ from: '2026-12-24T18:00', to: 'later' }))).toBe(
      'to "later" is not an ISO date-time. Fix: e.g. 2026-12-24T18:00 (read in UTC) or 2026-12-24T18:00:00Z',
    );
    expect(refusal(() => datedBounds({ from: '2026-12-24T18:00', to: '2026-12-24T18:00' }))).toBe(
      'window 2026-12-24T18:00 .. 2026-12-24T18:00: "from" must be before "to". Fix: swap them',
    );
  });

  it("a holiday is the whole local day in the calendar's zone, not in UTC", () => {
    const dates = new Set(['2026-12-25']);
    expect(onDate(dates, 'Pacific/Auckland', new Date('2026-12-24T12:00:00Z'))).toBe(true);
    expect(onDate(dates, 'UTC', new Date('2026-12-24T12:00:00Z'))).toBe(false);
  });
});

describe('survivors of the 2026-12-03 re-run', () => {
  it('a range with two colons names its field: days_of_month, months, years', () => {
    expect(compileError({ days_of_month: ['1:2:3'] })).toBe('days_of_month "1:2:3" is not a range. Fix: write one value or begin:end');
    expect(compileError({ months: ['1:2:3'] })).toBe('months "1:2:3" is not a range. Fix: write one value or begin:end');
    expect(compileError({ years: ['2026:2027:2028'] })).toBe('years "2026:2027:2028" is not a range. Fix: write one value or begin:end');
  });

  it('several days_of_month ranges match a day in any of them', () => {
    const spec: TimeIntervalSpec = { days_of_month: ['1:5', '10:15'] };
    expect(contains(spec, '2026-12-03T12:00:00Z')).toBe(true);
    expect(contains(spec, '2026-12-12T12:00:00Z')).toBe(true);
    expect(contains(spec, '2026-12-07T12:00:00Z')).toBe(false);
  });

  it('a negative end day other than -1 counts back from the month end: -5:-3 in December is the 27th to the 29th', () => {
    const spec: TimeIntervalSpec = { days_of_month: ['-5:-3'] };
    expect(contains(spec, '2026-12-26T12:00:00Z')).toBe(false);
    expect(contains(spec, '2026-12-27T12:00:00Z')).toBe(true);
    expect(contains(spec, '2026-12-29T12:00:00Z')).toBe(true);
    expect(contains(spec, '2026-12-30T12:00:00Z')).toBe(false);
    expect(contains(spec, '2026-12-31T12:00:00Z')).toBe(false);
  });
});
