// Time intervals with the semantics of Alertmanager's `time_intervals` (prometheus/alertmanager,
// package timeinterval: ContainsTime and the YAML parsers), plus dated one-off windows and
// holiday dates. Pure; time zones through luxon (IANA database of the platform's ICU).
//
// One interval entry matches an instant when EVERY field it gives matches (a missing field
// matches everything); a named interval matches when ANY of its entries does. Field rules, as
// in Alertmanager:
//   times          [{start_time: 'HH:MM', end_time: 'HH:MM'}], start inclusive, end exclusive, 24:00 allowed
//   weekdays       'monday' or 'monday:friday' (inclusive, sunday=0 .. saturday=6, no wrap)
//   days_of_month  '1', '1:5', '-1' (last day), '-3:-1'; negatives count from the month's end;
//                  ranges past the month's end are clamped (1:31 in February ends on the 28th/29th)
//   months         'january:march' or '1:3'
//   years          '2026' or '2026:2027'
//   location       an IANA zone (default UTC); every field is read on the local wall clock
// One deliberate difference: Alertmanager computes the days in a month from the month's length
// in hours, so March in Europe/London counts 30 days and '-1' is March 30th there. We count
// calendar days, so '-1' is always the last day.
import { DateTime, IANAZone } from 'luxon';

export interface TimeRangeSpec {
  start_time: string;
  end_time: string;
}

/** One Alertmanager time interval entry, as written in YAML. */
export interface TimeIntervalSpec {
  times?: TimeRangeSpec[];
  weekdays?: string[];
  days_of_month?: string[];
  months?: string[];
  years?: string[];
  location?: string;
}

export interface Range {
  begin: number;
  end: number;
}

export interface CompiledInterval {
  times: Range[] | null;
  weekdays: Range[] | null;
  daysOfMonth: Range[] | null;
  months: Range[] | null;
  years: Range[] | null;
  zone: string;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Thrown with the field and the fix; the config schema turns it into a path-named error. */
export class IntervalError extends Error {}

function parseHHMM(s: string, field: string): number {
  if (!/^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)/.test(s))
    throw new IntervalError(`${field} "${s}" is not a time. Fix: write HH:MM between 00:00 and 24:00, e.g. 02:00`);
  const [h, m] = s.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function parseRange(text: string, member: (s: string) => number, field: string): Range {
  const s = String(text).toLowerCase();
  const parts = s.split(':');
  if (parts.length > 2) throw new IntervalError(`${field} "${text}" is not a range. Fix: write one value or begin:end`);
  const begin = member(parts[0]!);
  const end = parts.length === 2 ? member(parts[1]!) : begin;
  return { begin, end };
}

function intMember(field: string) {
  return (s: string): number => {
    if (!/^-?\d+$/.test(s)) throw new IntervalError(`${field} "${s}" is not a number. Fix: e.g. 1, -1 or 1:5`);
    return Number(s);
  };
}

export function validZone(zone: string): boolean {
  return zone !== 'Local' && IANAZone.isValidZone(zone);
}

/** Parses one entry; throws IntervalError naming the field and the fix (Alertmanager's checks). */
export function compileInterval(spec: TimeIntervalSpec): CompiledInterval {
  const zone = spec.location ?? 'UTC';
  if (!validZone(zone)) throw new IntervalError(`location "${zone}" is not an IANA time zone. Fix: e.g. Europe/London or UTC`);
  const times = spec.times?.map((t) => {
    if (!t.start_time || !t.end_time)
      throw new IntervalError('times: both start_time and end_time must be given. Fix: e.g. {start_time: "02:00", end_time: "04:00"}');
    const r = { begin: parseHHMM(t.start_time, 'start_time'), end: parseHHMM(t.end_time, 'end_time') };
    if (r.begin >= r.end)
      throw new IntervalError(
        `times ${t.start_time}-${t.end_time}: start must be before end. Fix: split a range over midnight into two entries (22:00-24:00 and 00:00-02:00 on the next weekday)`,
      );
    return r;
  });
  const weekdays = spec.weekdays?.map((w) => {
    const r = parseRange(
      w,
      (s) => {
        const i = WEEKDAYS.indexOf(s);
        if (i < 0) throw new IntervalError(`weekdays "${w}": ${s} is not a weekday. Fix: use monday..sunday, e.g. monday:friday`);
        return i;
      },
      'weekdays',
    );
    if (r.begin > r.end)
      throw new IntervalError(
        `weekdays "${w}": the start day is after the end day (ranges run sunday..saturday). Fix: write two ranges, e.g. [saturday, sunday]`,
      );
    return r;
  });
  const daysOfMonth = spec.days_of_month?.map((d) => {
    const r = parseRange(d, intMember('days_of_month'), 'days_of_month');
    for (const v of [r.begin, r.end])
      if (v === 0 || v < -31 || v > 31) throw new IntervalError(`days_of_month "${d}": ${v} is out of range. Fix: use 1..31 or -31..-1 (-1 is the last day)`);
    if (r.begin < 0 && r.end > 0) throw new IntervalError(`days_of_month "${d}": the end day must be negative when the start day is. Fix: e.g. -3:-1`);
    const cb = r.begin < 0 ? 28 + r.begin : r.begin;
    const ce = r.end < 0 ? 28 + r.end : r.end;
    if (cb > ce) throw new IntervalError(`days_of_month "${d}": the end day is always before the start day. Fix: swap them`);
    return r;
  });
  const months = spec.months?.map((m) => {
    const r = parseRange(
      m,
      (s) => {
        const i = MONTHS.indexOf(s);
        if (i >= 0) return i + 1;
        const n = Number(s);
        if (!/^\d+$/.test(s) || n < 1 || n > 12) throw new IntervalError(`months "${m}": ${s} is not a month. Fix: use january..december or 1..12`);
        return n;
      },
      'months',
    );
    if (r.begin > r.end) throw new IntervalError(`months "${m}": the end month is before the start month. Fix: write two ranges, e.g. [december, january]`);
    return r;
  });
  const years = spec.years?.map((y) => {
    const r = parseRange(y, intMember('years'), 'years');
    if (r.begin > r.end) throw new IntervalError(`years "${y}": the end year is before the start year. Fix: swap them`);
    return r;
  });
  return { times: times ?? null, weekdays: weekdays ?? null, daysOfMonth: daysOfMonth ?? null, months: months ?? null, years: years ?? null, zone };
}

const within = (rs: Range[] | null, v: number) => rs === null || rs.some((r) => v >= r.begin && v <= r.end);

/** Alertmanager's ContainsTime for one entry. */
export function intervalContains(c: CompiledInterval, at: Date): boolean {
  const t = DateTime.fromJSDate(at, { zone: c.zone });
  const minute = t.hour * 60 + t.minute;
  if (c.times && !c.times.some((r) => minute >= r.begin && minute < r.end)) return false;
  if (c.daysOfMonth) {
    const dim = t.daysInMonth!;
    const ok = c.daysOfMonth.some((r) => {
      let begin = r.begin < 0 ? dim + r.begin + 1 : r.begin;
      let end = r.end < 0 ? dim + r.end + 1 : r.end;
      if (begin > dim) return false;
      begin = Math.max(Math.min(begin, dim), -dim);
      end = Math.max(Math.min(end, dim), -dim);
      return t.day >= begin && t.day <= end;
    });
    if (!ok) return false;
  }
  if (!within(c.months, t.month)) return false;
  if (!within(c.weekdays, t.weekday % 7)) return false; // luxon: Monday 1 .. Sunday 7
  return within(c.years, t.year);
}

/** A dated one-off window: [from, to). Local date-times are read in `location`. */
export interface DatedWindow {
  from: string;
  to: string;
  location?: string;
}

export function datedBounds(w: DatedWindow): { from: number; to: number } {
  const zone = w.location ?? 'UTC';
  const parse = (s: string, field: string) => {
    const d = DateTime.fromISO(s, { zone, setZone: false });
    if (!d.isValid) throw new IntervalError(`${field} "${s}" is not an ISO date-time. Fix: e.g. 2026-12-24T18:00 (read in ${zone}) or 2026-12-24T18:00:00Z`);
    return d.toMillis();
  };
  const from = parse(w.from, 'from');
  const to = parse(w.to, 'to');
  if (from >= to) throw new IntervalError(`window ${w.from} .. ${w.to}: "from" must be before "to". Fix: swap them`);
  return { from, to };
}

/** Whether `at` falls on one of `dates` (YYYY-MM-DD) on the wall clock of `zone`: the whole local day, 00:00 to 24:00, whatever its length. */
export function onDate(dates: ReadonlySet<string>, zone: string, at: Date): boolean {
  return dates.has(DateTime.fromJSDate(at, { zone }).toISODate()!);
}
