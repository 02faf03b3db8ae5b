// Budget periods, UTC: calendar months, or billing months that start on a given day (Azure budgets
// offer both time grains: Monthly and BillingMonth). A billing month starting on the 31st starts on
// the last day of shorter months (Feb 28/29, Apr 30). Pure: time is always passed in.
import type { Period, PeriodSpec } from './types.js';

const DAY_MS = 86_400_000;

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

/** The start of the period that begins in (year, month0). */
function startIn(spec: PeriodSpec, year: number, month0: number): Date {
  const y = year + Math.floor(month0 / 12);
  const m = ((month0 % 12) + 12) % 12;
  const day = spec.type === 'calendar-month' ? 1 : Math.min(spec.startDay, daysInMonth(y, m));
  return new Date(Date.UTC(y, m, day));
}

function iso(d: Date): string {
  return d.toISOString();
}

function key(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The period containing `at`. */
export function periodAt(spec: PeriodSpec, at: Date | string): Period {
  const t = typeof at === 'string' ? new Date(at) : at;
  if (!Number.isFinite(t.getTime())) throw new RangeError(`not a time: ${String(at)}`);
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth();
  let start = startIn(spec, y, m);
  if (start.getTime() > t.getTime()) start = startIn(spec, y, m - 1);
  const next = startIn(spec, start.getUTCFullYear(), start.getUTCMonth() + 1);
  return { key: key(start), start: iso(start), end: iso(next) };
}

/** The period before `p`. */
export function previousPeriod(spec: PeriodSpec, p: Period): Period {
  return periodAt(spec, new Date(Date.parse(p.start) - 1));
}

/** The `n` periods before `p`, newest first. */
export function periodsBefore(spec: PeriodSpec, p: Period, n: number): Period[] {
  const out: Period[] = [];
  let cur = p;
  for (let i = 0; i < n; i++) {
    cur = previousPeriod(spec, cur);
    out.push(cur);
  }
  return out;
}

/** Share of the period elapsed at `at` (0..1). */
export function elapsedShare(p: Period, at: Date | string): number {
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  const s = Date.parse(p.start);
  const e = Date.parse(p.end);
  return Math.min(1, Math.max(0, (t - s) / (e - s)));
}

/** Length of the period in days. */
export function periodDays(p: Period): number {
  return Math.round((Date.parse(p.end) - Date.parse(p.start)) / DAY_MS);
}
