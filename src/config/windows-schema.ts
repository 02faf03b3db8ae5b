// The `windows` section of ops.yaml (docs/windows.md): named time intervals with Alertmanager's
// `time_intervals` semantics plus dated one-off windows, holiday calendars, the maintenance and
// freeze policies that use them, and business hours. Errors name the path and the fix.
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { compileInterval, datedBounds, IntervalError, validZone } from '../windows/interval.js';

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, {
  message: 'is not a duration. Fix: write it like 30m, 2h, 1d',
});
const zone = z.string().refine(validZone, { message: 'is not an IANA time zone. Fix: e.g. Europe/London or UTC' });
const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and "-". Fix: e.g. tsdb-upgrade' });

/** The jobs a window can apply to. */
export const WINDOW_JOBS = ['remediation', 'runbooks', 'budgets', 'scaling', 'rotation', 'backups'] as const;
export type WindowJob = (typeof WINDOW_JOBS)[number];

const intervalEntry = z.strictObject({
  times: z.array(z.strictObject({ start_time: z.string(), end_time: z.string() })).optional(),
  weekdays: z.array(z.string()).optional(),
  days_of_month: z.array(z.union([z.string(), z.number().int()]).transform(String)).optional(),
  months: z.array(z.union([z.string(), z.number().int()]).transform(String)).optional(),
  years: z.array(z.union([z.string(), z.number().int()]).transform(String)).optional(),
  location: zone.optional(),
});

const timeIntervalSchema = z.strictObject({
  name,
  /** Alertmanager time_intervals entries (any one matching is enough). */
  time_intervals: z.array(intervalEntry).default([]),
  /** Dated one-off windows [from, to); local date-times are read in `location` (default UTC). */
  dated: z.array(z.strictObject({ from: z.string(), to: z.string(), location: zone.optional() })).default([]),
  /** Holiday calendars (windows.holidays[].name): the whole local day of each holiday matches. */
  holidays: z.array(z.string()).default([]),
});

const holidaySchema = z.strictObject({
  name,
  /** The zone a holiday's day is read in. */
  location: zone.default('UTC'),
  /** Dates YYYY-MM-DD. */
  dates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'is not a date. Fix: write YYYY-MM-DD, e.g. 2026-12-25' })).default([]),
  /** An iCalendar (.ics) file, relative to the config file, or an https URL (fetched by an activity, cached for a day). */
  ical: z.string().min(1).optional(),
});

const scopeSchema = z.strictObject({
  clusters: z.array(z.string()).optional(),
  namespaces: z.array(z.string()).optional(),
  nodePools: z.array(z.string()).optional(),
  jobs: z.array(z.enum(WINDOW_JOBS)).optional(),
});

const policySchema = z.strictObject({
  name,
  /** maintenance: no automated action; freeze: automated actions need an approval. */
  kind: z.enum(['maintenance', 'freeze']),
  /** windows.timeIntervals[].name: the policy is active while any of them matches. */
  intervals: z.array(z.string()).min(1, { message: 'is empty. Fix: name at least one windows.timeIntervals entry' }),
  scope: scopeSchema.default({}),
  /** An action blocked by this maintenance waits for its end (durable timer), or is skipped. */
  whenBlocked: z.enum(['wait', 'skip']).default('wait'),
  /** A blocked action that would wait longer than this is skipped instead (expires). */
  maxWait: duration.default('6h'),
  /** Predictive scaling: no scale-down this long before the window starts either (pre-warm). */
  prewarm: duration.optional(),
});

export const windowsSchema = z.strictObject({
  timeIntervals: z.array(timeIntervalSchema).default([]),
  holidays: z.array(holidaySchema).default([]),
  policies: z.array(policySchema).default([]),
  /** Inside these intervals (minus holidays) is "in hours" for notification routing. */
  businessHours: z.strictObject({ intervals: z.array(z.string()).min(1), holidays: z.array(z.string()).default([]) }).optional(),
});

export type WindowsConfig = z.output<typeof windowsSchema>;
export type WindowPolicyConfig = WindowsConfig['policies'][number];

interface Issue {
  path: (string | number)[];
  message: string;
}

/** Cross-checks: interval entries parse (Alertmanager's rules), names are unique and resolve. */
export function checkWindows(w: WindowsConfig, clusters: ReadonlySet<string>): Issue[] {
  const issues: Issue[] = [];
  const at = (...p: (string | number)[]) => ['windows', ...p];
  const unique = (list: { name: string }[], key: string) => {
    const seen = new Set<string>();
    list.forEach((x, i) => {
      if (seen.has(x.name)) issues.push({ path: at(key, i, 'name'), message: `"${x.name}" is used twice. Fix: give each its own name` });
      seen.add(x.name);
    });
    return seen;
  };
  const intervals = unique(w.timeIntervals, 'timeIntervals');
  const holidays = unique(w.holidays, 'holidays');
  unique(w.policies, 'policies');
  const known = (set: Set<string>, n: string, p: (string | number)[], what: string) => {
    if (!set.has(n)) issues.push({ path: p, message: `"${n}" is not a ${what}. Fix: use one of ${[...set].join(', ') || '(none defined)'}` });
  };
  w.timeIntervals.forEach((ti, i) => {
    ti.time_intervals.forEach((e, j) => {
      try {
        compileInterval(e);
      } catch (err) {
        if (!(err instanceof IntervalError)) throw err;
        issues.push({ path: at('timeIntervals', i, 'time_intervals', j), message: err.message });
      }
    });
    ti.dated.forEach((d, j) => {
      try {
        datedBounds(d);
      } catch (err) {
        if (!(err instanceof IntervalError)) throw err;
        issues.push({ path: at('timeIntervals', i, 'dated', j), message: err.message });
      }
    });
    ti.holidays.forEach((h, j) => known(holidays, h, at('timeIntervals', i, 'holidays', j), 'holiday calendar (windows.holidays)'));
    if (ti.time_intervals.length + ti.dated.length + ti.holidays.length === 0)
      issues.push({ path: at('timeIntervals', i), message: 'matches nothing. Fix: give time_intervals, dated or holidays' });
  });
  w.holidays.forEach((h, i) => {
    if (h.ical && !/^https:\/\//.test(h.ical) && /^[a-z]+:\/\//i.test(h.ical))
      issues.push({ path: at('holidays', i, 'ical'), message: 'is a URL that is not https. Fix: use an https URL or a file path' });
  });
  w.policies.forEach((p, i) => {
    p.intervals.forEach((n, j) => known(intervals, n, at('policies', i, 'intervals', j), 'time interval (windows.timeIntervals)'));
    (p.scope.clusters ?? []).forEach((c, j) => known(new Set(clusters), c, at('policies', i, 'scope', 'clusters', j), 'configured cluster'));
    if (p.kind === 'freeze' && p.prewarm) issues.push({ path: at('policies', i, 'prewarm'), message: 'applies to maintenance only. Fix: remove it' });
  });
  w.businessHours?.intervals.forEach((n, j) => known(intervals, n, at('businessHours', 'intervals', j), 'time interval (windows.timeIntervals)'));
  w.businessHours?.holidays.forEach((n, j) => known(holidays, n, at('businessHours', 'holidays', j), 'holiday calendar (windows.holidays)'));
  return issues;
}
