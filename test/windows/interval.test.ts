// Alertmanager time-interval semantics, DST nights, 29 February, and property-style checks of
// the evaluation against an oracle built on Intl.DateTimeFormat (independent of luxon).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileInterval, intervalContains, IntervalError, type TimeIntervalSpec } from '../../src/windows/interval.js';
import { activeWindows, evaluateGate, type AdhocWindow } from '../../src/windows/policy.js';
import { windowsSchema } from '../../src/config/windows-schema.js';

// Under mutation testing every mutant re-runs this file: vitest.mutation.config.ts sets
// MUTATION_PROPERTY_RUNS to run fewer cases per property there; the suite runs them all.
const runs = (n: number): number => Number(process.env['MUTATION_PROPERTY_RUNS'] ?? n);

const contains = (spec: TimeIntervalSpec, iso: string) => intervalContains(compileInterval(spec), new Date(iso));

/** Minutes in [from, to) where the interval matches, stepping a minute. */
function matchedMinutes(spec: TimeIntervalSpec, fromIso: string, toIso: string): number {
  const c = compileInterval(spec);
  let n = 0;
  for (let t = Date.parse(fromIso); t < Date.parse(toIso); t += 60_000) if (intervalContains(c, new Date(t))) n++;
  return n;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(zone: string, at: Date) {
  const f =
    formatters.get(zone) ??
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'long',
    });
  formatters.set(zone, f);
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return {
    year: Number(p['year']),
    month: Number(p['month']),
    day: Number(p['day']),
    hour: Number(p['hour']),
    minute: Number(p['minute']),
    weekday: String(p['weekday']).toLowerCase(),
  };
}

describe('Alertmanager time_intervals semantics', () => {
  it('times are start-inclusive and end-exclusive, 24:00 allowed', () => {
    const s = { times: [{ start_time: '02:00', end_time: '04:00' }] };
    expect(contains(s, '2026-06-06T01:59:59Z')).toBe(false);
    expect(contains(s, '2026-06-06T02:00:00Z')).toBe(true);
    expect(contains(s, '2026-06-06T03:59:59Z')).toBe(true);
    expect(contains(s, '2026-06-06T04:00:00Z')).toBe(false);
    expect(contains({ times: [{ start_time: '23:00', end_time: '24:00' }] }, '2026-06-06T23:59:00Z')).toBe(true);
  });

  it('weekdays, months and years are inclusive ranges, names case-insensitive', () => {
    const s = { weekdays: ['Monday:Friday'], months: ['october:december'], years: ['2026'] };
    expect(contains(s, '2026-12-04T12:00:00Z')).toBe(true); // Friday
    expect(contains(s, '2026-12-05T12:00:00Z')).toBe(false); // Saturday
    expect(contains(s, '2026-09-30T12:00:00Z')).toBe(false);
    expect(contains(s, '2027-12-03T12:00:00Z')).toBe(false);
    expect(contains({ months: ['1:2'] }, '2026-02-10T00:00:00Z')).toBe(true);
  });

  it('rejects what Alertmanager rejects, naming the field and the fix', () => {
    const bad: [TimeIntervalSpec, RegExp][] = [
      [{ times: [{ start_time: '04:00', end_time: '02:00' }] }, /start must be before end.*Fix/],
      [{ times: [{ start_time: '25:00', end_time: '26:00' }] }, /start_time "25:00" is not a time/],
      [{ weekdays: ['saturday:sunday'] }, /start day is after the end day.*\[saturday, sunday\]/],
      [{ weekdays: ['funday'] }, /funday is not a weekday/],
      [{ days_of_month: ['0'] }, /0 is out of range/],
      [{ days_of_month: ['-3:5'] }, /end day must be negative/],
      [{ days_of_month: ['10:2'] }, /always before the start day/],
      [{ months: ['december:january'] }, /end month is before/],
      [{ years: ['2027:2026'] }, /end year is before/],
      [{ location: 'Mars/Olympus' }, /not an IANA time zone/],
      [{ location: 'Local' }, /not an IANA time zone/],
    ];
    for (const [spec, msg] of bad) {
      expect(() => compileInterval(spec), JSON.stringify(spec)).toThrow(IntervalError);
      expect(() => compileInterval(spec)).toThrow(msg);
    }
  });

  it('29 February: -1 is the 29th in a leap year, the 28th otherwise; 29 does not exist in 2027; 1:31 is clamped', () => {
    expect(contains({ days_of_month: ['-1'] }, '2028-02-29T12:00:00Z')).toBe(true);
    expect(contains({ days_of_month: ['-1'] }, '2028-02-28T12:00:00Z')).toBe(false);
    expect(contains({ days_of_month: ['-1'] }, '2027-02-28T12:00:00Z')).toBe(true);
    expect(contains({ days_of_month: ['29'] }, '2028-02-29T12:00:00Z')).toBe(true);
    expect(matchedMinutes({ days_of_month: ['29'], months: ['february'] }, '2027-02-01T00:00:00Z', '2027-03-01T00:00:00Z')).toBe(0);
    expect(matchedMinutes({ days_of_month: ['29:31'] }, '2028-02-28T00:00:00Z', '2028-03-01T00:00:00Z')).toBe(1440);
    expect(contains({ days_of_month: ['1:31'] }, '2028-02-29T23:59:00Z')).toBe(true);
    expect(contains({ days_of_month: ['-7:-1'], location: 'Europe/London' }, '2028-02-23T00:00:00Z')).toBe(true);
    expect(contains({ days_of_month: ['-7:-1'], location: 'Europe/London' }, '2028-02-22T23:59:00Z')).toBe(false);
  });

  it('-1 in March in Europe/London is the 31st (calendar days, not hours/24 as Alertmanager computes)', () => {
    expect(contains({ days_of_month: ['-1'], location: 'Europe/London' }, '2026-03-31T12:00:00Z')).toBe(true);
    expect(contains({ days_of_month: ['-1'], location: 'Europe/London' }, '2026-03-30T12:00:00Z')).toBe(false);
  });
});

describe('DST in Europe/London', () => {
  const night = { times: [{ start_time: '00:30', end_time: '02:30' }], weekdays: ['sunday'], location: 'Europe/London' };

  it('spring forward (29 March 2026, 01:00 GMT -> 02:00 BST): a 00:30-02:30 window lasts one real hour', () => {
    expect(matchedMinutes(night, '2026-03-28T22:00:00Z', '2026-03-29T04:00:00Z')).toBe(60);
    expect(contains(night, '2026-03-29T00:59:00Z')).toBe(true); // 00:59 GMT
    expect(contains(night, '2026-03-29T01:00:00Z')).toBe(true); // 02:00 BST
    expect(contains(night, '2026-03-29T01:30:00Z')).toBe(false); // 02:30 BST
  });

  it('fall back (25 October 2026, 02:00 BST -> 01:00 GMT): the same window lasts three real hours, the repeated hour counted twice', () => {
    expect(matchedMinutes(night, '2026-10-24T22:00:00Z', '2026-10-25T04:00:00Z')).toBe(180);
    expect(contains(night, '2026-10-24T23:30:00Z')).toBe(true); // 00:30 BST
    expect(contains(night, '2026-10-25T00:30:00Z')).toBe(true); // 01:30 BST
    expect(contains(night, '2026-10-25T01:30:00Z')).toBe(true); // 01:30 GMT
    expect(contains(night, '2026-10-25T02:30:00Z')).toBe(false); // 02:30 GMT
  });

  it('the Saturday 02:00-04:00 upgrade window is 02:00 local on both sides of a change (01:00Z in summer, 02:00Z in winter)', () => {
    const w = { times: [{ start_time: '02:00', end_time: '04:00' }], weekdays: ['saturday'], location: 'Europe/London' };
    expect(contains(w, '2026-10-24T01:00:00Z')).toBe(true);
    expect(contains(w, '2026-10-24T03:00:00Z')).toBe(false);
    expect(contains(w, '2026-10-31T02:00:00Z')).toBe(true);
    expect(contains(w, '2026-10-31T01:59:00Z')).toBe(false);
  });

  it('a dated window ends at its local end time across the change (America/New_York too)', () => {
    const cfg = windowsSchema.parse({
      timeIntervals: [{ name: 'cutover', dated: [{ from: '2026-11-01T00:00', to: '2026-11-01T03:00', location: 'America/New_York' }] }],
      policies: [{ name: 'cutover', kind: 'maintenance', intervals: ['cutover'] }],
    });
    const [a] = activeWindows(cfg, [], { cluster: 'c', job: 'remediation' }, new Date('2026-11-01T05:00:00Z'));
    // 00:00 EDT = 04:00Z; 03:00 EST = 08:00Z: four real hours on the night New York falls back.
    expect(a?.endsAt).toBe('2026-11-01T08:00:00.000Z');
  });
});

describe('property-style: evaluation agrees with an Intl oracle', () => {
  const zones = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'];
  const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 11, 31) }).map((ms) => new Date(Math.floor(ms / 60_000) * 60_000));
  const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

  it('times x weekdays x months in any zone match the local wall clock', () => {
    fc.assert(
      fc.property(
        instant,
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 12 }),
        (at, zone, start, len, d1, d2, m) => {
          const end = Math.min(1440, start + len);
          const hhmm = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
          const [wa, wb] = d1 <= d2 ? [d1, d2] : [d2, d1];
          const spec = {
            times: [{ start_time: hhmm(start), end_time: hhmm(end) }],
            weekdays: [`${days[wa]}:${days[wb]}`],
            months: [`${m}:12`],
            location: zone,
          };
          const p = localParts(zone, at);
          const minute = p.hour * 60 + p.minute;
          const wd = days.indexOf(p.weekday);
          const expected = minute >= start && minute < end && wd >= wa && wd <= wb && p.month >= m;
          expect(intervalContains(compileInterval(spec), at)).toBe(expected);
        },
      ),
      { numRuns: runs(600) },
    );
  });

  it('days_of_month -k:-1 matches exactly the last k local days of every month (month boundaries in any zone)', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), fc.integer({ min: 1, max: 10 }), (at, zone, k) => {
        const p = localParts(zone, at);
        const dim = new Date(Date.UTC(p.year, p.month, 0)).getUTCDate();
        expect(intervalContains(compileInterval({ days_of_month: [`-${k}:-1`], location: zone }), at)).toBe(p.day > dim - k);
      }),
      { numRuns: runs(600) },
    );
  });

  it('a reported window end is the first minute outside the window, and the minute before it is inside', () => {
    const cfg = windowsSchema.parse({
      timeIntervals: [
        {
          name: 'night',
          time_intervals: [
            { times: [{ start_time: '00:30', end_time: '02:30' }], location: 'Europe/London' },
            { days_of_month: ['-1'], location: 'Europe/London' },
          ],
        },
      ],
      policies: [{ name: 'm', kind: 'maintenance', intervals: ['night'], maxWait: '2d' }],
    });
    const night = compileInterval(cfg.timeIntervals[0]!.time_intervals[0]!);
    const last = compileInterval(cfg.timeIntervals[0]!.time_intervals[1]!);
    const inside = (t: Date) => intervalContains(night, t) || intervalContains(last, t);
    fc.assert(
      fc.property(instant, (at) => {
        const [a] = activeWindows(cfg, [], { cluster: 'c', job: 'remediation' }, at);
        expect(a !== undefined).toBe(inside(at));
        if (a) {
          const end = Date.parse(a.endsAt!);
          expect(inside(new Date(end))).toBe(false);
          expect(inside(new Date(end - 60_000))).toBe(true);
        }
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('ad-hoc windows', () => {
  const w: AdhocWindow = {
    id: 'a1',
    scope: { cluster: 'prod', namespace: 'timescaledb' },
    from: '2026-12-05T10:00:00Z',
    to: '2026-12-05T12:00:00Z',
    by: 'alice',
    reason: 'vacuum',
  };
  it('block their scope until they end or are closed early', () => {
    const req = (at: string) => ({ scope: { cluster: 'prod', namespace: 'timescaledb', job: 'remediation' as const }, at });
    expect(evaluateGate(undefined, [w], req('2026-12-05T11:00:00Z'))).toMatchObject({ decision: 'wait', retryAt: '2026-12-05T12:00:00.000Z' });
    expect(evaluateGate(undefined, [{ ...w, closedAt: '2026-12-05T10:30:00Z' }], req('2026-12-05T11:00:00Z')).decision).toBe('proceed');
    expect(evaluateGate(undefined, [w], req('2026-12-05T12:00:00Z')).decision).toBe('proceed');
    expect(
      evaluateGate(undefined, [w], { ...req('2026-12-05T11:00:00Z'), scope: { cluster: 'prod', namespace: 'backend', job: 'remediation' } }).decision,
    ).toBe('proceed');
  });
});
