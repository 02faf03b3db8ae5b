// The one window gate: given the windows config, the ad-hoc windows open now, the scope an
// automated action touches and the instant it acts, say whether it may proceed, must wait, is
// skipped or needs an approval, and why. Pure: every orchestration (through the windowGate
// activity, with orchestration time), the intake, the CLI and the simulated-week test call it.
//
// Rules (docs/windows.md):
// - maintenance beats freeze; an explicit on-call override lets a maintenance pass (audited).
// - maintenance: whenBlocked "wait" waits until the window ends (re-checked then), unless that
//   is after since + maxWait: then the action is skipped (expired). "skip" skips at once.
// - freeze: the action proceeds only with a human approval.
// - predictive scaling: a scale-down is also blocked during a maintenance's `prewarm` lead.
import type { WindowJob, WindowPolicyConfig, WindowsConfig } from '../config/windows-schema.js';
import { parseDuration } from '../domain/duration.js';
import { compileInterval, datedBounds, intervalContains, onDate, type CompiledInterval } from './interval.js';

export interface WindowScope {
  cluster: string;
  namespace?: string;
  nodePool?: string;
  job: WindowJob;
}

/** An ad-hoc maintenance window opened by POST /api/windows (stored, audited). */
export interface AdhocWindow {
  id: string;
  scope: { cluster: string; namespace?: string; nodePool?: string; jobs?: WindowJob[] };
  from: string;
  to: string;
  /** Set when closed early. */
  closedAt?: string;
  by: string;
  reason: string;
}

export interface ActiveWindow {
  policy: string;
  kind: 'maintenance' | 'freeze';
  /** Which interval matched ("adhoc" for ad-hoc windows). */
  interval: string;
  /** When it stops matching (within the look-ahead), ISO. */
  endsAt: string | null;
}

export type GateDecision = 'proceed' | 'wait' | 'skip' | 'approval';

export interface GateVerdict {
  decision: GateDecision;
  /** For the audit: "suppressed (maintenance tsdb-upgrade)", "freeze december-freeze: approval required", ... */
  reason: string;
  /** wait: check again at this instant (the window's end). */
  retryAt?: string;
  window?: ActiveWindow;
  /** Every window active for this scope at that instant. */
  active: ActiveWindow[];
}

export interface GateRequest {
  scope: WindowScope;
  at: string;
  /** When the action was first blocked (expiry counts from here); default `at`. */
  since?: string;
  /** On-call's explicit override of maintenance windows. */
  override?: boolean;
  /** Scaling: the action lowers capacity. */
  scaleDown?: boolean;
}

/** Extra holiday dates per calendar (from its iCalendar file or URL, read by an adapter). */
export type HolidayDates = Record<string, string[]>;

interface Compiled {
  intervals: Map<string, { entries: CompiledInterval[]; dated: { from: number; to: number }[]; holidays: string[] }>;
  holidays: Map<string, { zone: string; dates: Set<string> }>;
}

const cache = new WeakMap<WindowsConfig, WeakMap<HolidayDates, Compiled>>();
const NO_EXTRA: HolidayDates = {};

function compiled(w: WindowsConfig, extra: HolidayDates): Compiled {
  let byExtra = cache.get(w);
  if (!byExtra) cache.set(w, (byExtra = new WeakMap()));
  let c = byExtra.get(extra);
  if (c) return c;
  c = {
    intervals: new Map(
      w.timeIntervals.map((t) => [t.name, { entries: t.time_intervals.map(compileInterval), dated: t.dated.map(datedBounds), holidays: t.holidays }]),
    ),
    holidays: new Map(w.holidays.map((h) => [h.name, { zone: h.location, dates: new Set([...h.dates, ...(extra[h.name] ?? [])]) }])),
  };
  byExtra.set(extra, c);
  return c;
}

/** Whether the named interval matches `at`. Unknown names match nothing (the schema rejects them). */
export function intervalMatches(w: WindowsConfig, name: string, at: Date, extra: HolidayDates = NO_EXTRA): boolean {
  const c = compiled(w, extra);
  const ti = c.intervals.get(name);
  if (!ti) return false;
  const ms = at.getTime();
  if (ti.dated.some((d) => ms >= d.from && ms < d.to)) return true;
  if (ti.entries.some((e) => intervalContains(e, at))) return true;
  return ti.holidays.some((h) => {
    const cal = c.holidays.get(h);
    return cal !== undefined && onDate(cal.dates, cal.zone, at);
  });
}

const MINUTE = 60_000;
/** How far ahead window ends are looked for (a longer window reports endsAt null). */
export const LOOKAHEAD_MS = 8 * 86_400_000;

/** The first instant after `at` when `pred` stops holding, stepping minute by minute (every interval field is minute-granular) and through dated bounds. */
export function endOf(pred: (t: Date) => boolean, at: Date, dated: number[] = [], horizonMs = LOOKAHEAD_MS): Date | null {
  const start = at.getTime();
  const stops = dated.filter((d) => d > start && d <= start + horizonMs).sort((a, b) => a - b);
  let t = Math.floor(start / MINUTE) * MINUTE + MINUTE;
  let k = 0;
  while (t <= start + horizonMs) {
    while (k < stops.length && stops[k]! < t) {
      if (!pred(new Date(stops[k]!))) return new Date(stops[k]!);
      k++;
    }
    if (!pred(new Date(t))) return new Date(t);
    t += MINUTE;
  }
  return null;
}

function datedStops(w: WindowsConfig, names: string[], extra: HolidayDates): number[] {
  const c = compiled(w, extra);
  return names.flatMap((n) => c.intervals.get(n)?.dated.flatMap((d) => [d.from, d.to]) ?? []);
}

function applies(scope: WindowScope, s: { clusters?: string[]; namespaces?: string[]; nodePools?: string[]; jobs?: WindowJob[] }): boolean {
  if (s.jobs && !s.jobs.includes(scope.job)) return false;
  if (s.clusters && !s.clusters.includes(scope.cluster)) return false;
  if (!s.namespaces && !s.nodePools) return true;
  // A cluster-wide action (no namespace, no pool) touches every namespace and pool of the cluster;
  // otherwise the action's namespace OR its pool must be one the policy names.
  if (!scope.namespace && !scope.nodePool) return true;
  return (
    (scope.namespace !== undefined && (s.namespaces ?? []).includes(scope.namespace)) ||
    (scope.nodePool !== undefined && (s.nodePools ?? []).includes(scope.nodePool))
  );
}

function adhocPolicy(a: AdhocWindow): { policy: WindowPolicyConfig; bounds: { from: number; to: number } } {
  const to = Math.min(Date.parse(a.to), a.closedAt ? Date.parse(a.closedAt) : Infinity);
  return {
    policy: {
      name: `adhoc-${a.id}`,
      kind: 'maintenance',
      intervals: [],
      scope: {
        clusters: [a.scope.cluster],
        ...(a.scope.namespace ? { namespaces: [a.scope.namespace] } : {}),
        ...(a.scope.nodePool ? { nodePools: [a.scope.nodePool] } : {}),
        ...(a.scope.jobs ? { jobs: a.scope.jobs } : {}),
      },
      whenBlocked: 'wait',
      maxWait: '6h',
    },
    bounds: { from: Date.parse(a.from), to },
  };
}

/** Every window (config policy or ad-hoc) active for `scope` at `at`, with when it ends. */
export function activeWindows(
  w: WindowsConfig | undefined,
  adhoc: AdhocWindow[],
  scope: WindowScope,
  at: Date,
  extra: HolidayDates = NO_EXTRA,
): ActiveWindow[] {
  const out: ActiveWindow[] = [];
  for (const p of w?.policies ?? []) {
    if (!applies(scope, p.scope)) continue;
    const hit = p.intervals.find((n) => intervalMatches(w!, n, at, extra));
    if (!hit) continue;
    const end = endOf((t) => p.intervals.some((n) => intervalMatches(w!, n, t, extra)), at, datedStops(w!, p.intervals, extra));
    out.push({ policy: p.name, kind: p.kind, interval: hit, endsAt: end?.toISOString() ?? null });
  }
  for (const a of adhoc) {
    const { policy, bounds } = adhocPolicy(a);
    const ms = at.getTime();
    if (applies(scope, policy.scope) && ms >= bounds.from && ms < bounds.to)
      out.push({ policy: policy.name, kind: 'maintenance', interval: 'adhoc', endsAt: new Date(bounds.to).toISOString() });
  }
  return out;
}

/** A maintenance with a prewarm lead that starts within that lead after `at` (scaling keeps capacity up before it). */
function upcomingPrewarm(w: WindowsConfig | undefined, scope: WindowScope, at: Date, extra: HolidayDates): ActiveWindow | null {
  for (const p of w?.policies ?? []) {
    if (p.kind !== 'maintenance' || !p.prewarm || !applies(scope, p.scope)) continue;
    const lead = parseDuration(p.prewarm)! * 1000;
    const starts = endOf((t) => !p.intervals.some((n) => intervalMatches(w!, n, t, extra)), at, datedStops(w!, p.intervals, extra), lead);
    if (starts) return { policy: p.name, kind: 'maintenance', interval: `prewarm ${p.prewarm} before ${p.intervals.join(', ')}`, endsAt: null };
  }
  return null;
}

/** THE gate. */
export function evaluateGate(w: WindowsConfig | undefined, adhoc: AdhocWindow[], req: GateRequest, extra: HolidayDates = NO_EXTRA): GateVerdict {
  const at = new Date(req.at);
  const active = activeWindows(w, adhoc, req.scope, at, extra);
  const maint = active.find((a) => a.kind === 'maintenance');
  if (req.scope.job === 'scaling') return scalingGate(w, req, at, active, extra);
  if (maint && req.override) return { decision: 'proceed', reason: `maintenance ${maint.policy} overridden by on-call`, window: maint, active };
  if (maint) {
    const policy = w?.policies.find((p) => p.name === maint.policy);
    const reason = `suppressed (maintenance ${maint.policy})`;
    if (policy?.whenBlocked === 'skip') return { decision: 'skip', reason, window: maint, active };
    const maxWaitMs = (policy ? parseDuration(policy.maxWait)! : 6 * 3600) * 1000;
    const deadline = Date.parse(req.since ?? req.at) + maxWaitMs;
    if (maint.endsAt === null || Date.parse(maint.endsAt) > deadline) {
      return { decision: 'skip', reason: `${reason}: the window outlasts maxWait ${policy?.maxWait ?? '6h'}, the action expired`, window: maint, active };
    }
    return { decision: 'wait', reason: `${reason}: waiting until ${maint.endsAt}`, retryAt: maint.endsAt, window: maint, active };
  }
  const freeze = active.find((a) => a.kind === 'freeze');
  if (freeze) return { decision: 'approval', reason: `freeze ${freeze.policy}: automated actions need an approval`, window: freeze, active };
  return { decision: 'proceed', reason: 'no window applies', active };
}

/** Predictive scaling runs again soon by itself: a window never makes it wait. Raising minCount (pre-warm) is always allowed; lowering it is skipped in a maintenance, within its prewarm lead, and in a freeze (no approval path in a periodic job). */
function scalingGate(w: WindowsConfig | undefined, req: GateRequest, at: Date, active: ActiveWindow[], extra: HolidayDates): GateVerdict {
  const win = active.find((a) => a.kind === 'maintenance') ?? active.find((a) => a.kind === 'freeze');
  if (!req.scaleDown)
    return {
      decision: 'proceed',
      reason: win ? `${win.kind} ${win.policy}: raising capacity is allowed` : 'no window applies',
      ...(win ? { window: win } : {}),
      active,
    };
  if (win)
    return {
      decision: 'skip',
      reason:
        win.kind === 'maintenance' ? `suppressed (maintenance ${win.policy}): no scale-down in a window` : `freeze ${win.policy}: no automated scale-down`,
      window: win,
      active,
    };
  const pre = upcomingPrewarm(w, req.scope, at, extra);
  if (pre) return { decision: 'skip', reason: `suppressed (maintenance ${pre.policy}): no scale-down within its prewarm lead`, window: pre, active };
  return { decision: 'proceed', reason: 'no window applies', active };
}

export interface HoursVerdict {
  inHours: boolean;
  /** Out of hours: when business hours start next (the morning digest), ISO, or null when none within the look-ahead. */
  nextStart: string | null;
}

/** Business hours at `at`: inside businessHours.intervals and not on one of its holidays. No businessHours config: always in hours. */
export function businessHours(w: WindowsConfig | undefined, at: Date, extra: HolidayDates = NO_EXTRA): HoursVerdict {
  const bh = w?.businessHours;
  if (!bh) return { inHours: true, nextStart: null };
  const c = compiled(w, extra);
  const inside = (t: Date) =>
    bh.intervals.some((n) => intervalMatches(w, n, t, extra)) &&
    !bh.holidays.some((h) => {
      const cal = c.holidays.get(h);
      return cal !== undefined && onDate(cal.dates, cal.zone, t);
    });
  if (inside(at)) return { inHours: true, nextStart: null };
  const start = endOf((t) => !inside(t), at, datedStops(w, bh.intervals, extra));
  return { inHours: false, nextStart: start?.toISOString() ?? null };
}
