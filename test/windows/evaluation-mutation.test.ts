// The window gate's evaluation (src/windows/policy.ts), edge by edge, with the exact verdicts and
// reasons the audit records: mutation testing (issue #19) found most of it guarded only by the
// end-to-end replays. All times are UTC; 2026-12-05 is a Saturday, 2026-12-25 a Friday.
import { describe, expect, it } from 'vitest';
import { windowsSchema } from '../../src/config/windows-schema.js';
import { scopeText, WINDOW_GATE_ACTIVITY, windowGate, type WindowGateInput } from '../../src/windows/gate-activity.js';
import type { AuditRecord } from '../../src/domain/types.js';
import {
  activeWindows,
  businessHours,
  endOf,
  evaluateGate,
  intervalMatches,
  type AdhocWindow,
  type GateRequest,
  type WindowScope,
} from '../../src/windows/policy.js';

const MIN = 60_000;
const w = windowsSchema.parse({
  timeIntervals: [
    { name: 'nightly', time_intervals: [{ times: [{ start_time: '02:00', end_time: '04:00' }] }] },
    { name: 'upgrade', dated: [{ from: '2026-12-05T10:00:00Z', to: '2026-12-05T12:00:00Z' }] },
    { name: 'migration', dated: [{ from: '2026-12-10T00:00:00Z', to: '2026-12-20T00:00:00Z' }] },
    { name: 'xmas', holidays: ['uk'] },
    { name: 'office', time_intervals: [{ weekdays: ['monday:friday'], times: [{ start_time: '09:00', end_time: '17:00' }] }] },
  ],
  holidays: [{ name: 'uk', dates: ['2026-12-25'] }],
  policies: [
    {
      name: 'nightly-maint',
      kind: 'maintenance',
      intervals: ['nightly'],
      scope: { clusters: ['prod'], namespaces: ['backend'], nodePools: ['database'], jobs: ['remediation', 'scaling'] },
      maxWait: '3h',
      prewarm: '30m',
    },
    { name: 'upgrade-skip', kind: 'maintenance', intervals: ['upgrade'], scope: { clusters: ['prod'] }, whenBlocked: 'skip' },
    { name: 'long-migration', kind: 'maintenance', intervals: ['migration'], scope: { clusters: ['dr'] } },
    { name: 'holiday-freeze', kind: 'freeze', intervals: ['xmas'], prewarm: '1d' },
  ],
  businessHours: { intervals: ['office'], holidays: ['uk'] },
});
const at = (iso: string) => new Date(iso);
const backend: WindowScope = { cluster: 'prod', namespace: 'backend', job: 'remediation' };
const req = (iso: string, over: Partial<GateRequest> = {}): GateRequest => ({ scope: backend, at: iso, ...over });

describe('intervalMatches', () => {
  it('dated windows are from-inclusive and to-exclusive; holidays match their whole day; unknown names match nothing', () => {
    expect(intervalMatches(w, 'upgrade', at('2026-12-05T09:59:59Z'))).toBe(false);
    expect(intervalMatches(w, 'upgrade', at('2026-12-05T10:00:00Z'))).toBe(true);
    expect(intervalMatches(w, 'upgrade', at('2026-12-05T11:59:59Z'))).toBe(true);
    expect(intervalMatches(w, 'upgrade', at('2026-12-05T12:00:00Z'))).toBe(false);
    expect(intervalMatches(w, 'xmas', at('2026-12-25T00:00:00Z'))).toBe(true);
    expect(intervalMatches(w, 'xmas', at('2026-12-24T23:59:59Z'))).toBe(false);
    expect(intervalMatches(w, 'nightly', at('2026-12-05T03:00:00Z'))).toBe(true);
    expect(intervalMatches(w, 'no-such-interval', at('2026-12-05T03:00:00Z'))).toBe(false);
  });

  it("extra holiday dates (an iCalendar's) join their own calendar only", () => {
    expect(intervalMatches(w, 'xmas', at('2026-12-26T12:00:00Z'))).toBe(false);
    expect(intervalMatches(w, 'xmas', at('2026-12-26T12:00:00Z'), { uk: ['2026-12-26'] })).toBe(true);
    expect(intervalMatches(w, 'xmas', at('2026-12-26T12:00:00Z'), { us: ['2026-12-26'] })).toBe(false);
  });
});

describe('endOf', () => {
  const start = Date.parse('2026-12-05T10:00:00Z');
  it('steps minute by minute, and stops at a dated bound between minutes when the predicate ends there', () => {
    expect(endOf((t) => t.getTime() < start + 3 * MIN, new Date(start))?.toISOString()).toBe('2026-12-05T10:03:00.000Z');
    const stop = start + 30_000;
    expect(endOf((t) => t.getTime() < stop, new Date(start), [stop])?.getTime()).toBe(stop);
    // A dated bound where the predicate still holds is passed over.
    expect(endOf((t) => t.getTime() < start + 2 * MIN, new Date(start), [start + 30_000])?.getTime()).toBe(start + 2 * MIN);
  });

  it('looks up to the horizon inclusive, and answers null beyond it', () => {
    expect(endOf((t) => t.getTime() < start + 5 * MIN, new Date(start), [], 5 * MIN)?.getTime()).toBe(start + 5 * MIN);
    expect(endOf(() => true, new Date(start), [], 5 * MIN)).toBeNull();
    expect(endOf((t) => t.getTime() < start + 6 * MIN, new Date(start), [start + 6 * MIN], 5 * MIN)).toBeNull();
  });

  it('ignores dated bounds at or before the start', () => {
    const pred = (t: Date) => t.getTime() > start && t.getTime() < start + 2 * MIN;
    expect(endOf(pred, new Date(start), [start, start - MIN])?.getTime()).toBe(start + 2 * MIN);
  });
});

describe('activeWindows: which policies apply to an action', () => {
  const t = at('2026-12-05T03:00:00Z');
  const names = (scope: WindowScope, when = t) => activeWindows(w, [], scope, when).map((a) => a.policy);

  it('reports the window with the interval that matched and when it ends', () => {
    expect(activeWindows(w, [], backend, t)).toEqual([
      { policy: 'nightly-maint', kind: 'maintenance', interval: 'nightly', endsAt: '2026-12-05T04:00:00.000Z' },
    ]);
    expect(activeWindows(w, [], { cluster: 'prod', job: 'runbooks' }, at('2026-12-05T11:00:00Z'))).toEqual([
      { policy: 'upgrade-skip', kind: 'maintenance', interval: 'upgrade', endsAt: '2026-12-05T12:00:00.000Z' },
    ]);
  });

  it('a window longer than the look-ahead has no known end', () => {
    expect(activeWindows(w, [], { cluster: 'dr', job: 'budgets' }, at('2026-12-10T01:00:00Z'))).toEqual([
      { policy: 'long-migration', kind: 'maintenance', interval: 'migration', endsAt: null },
    ]);
  });

  it('scope: jobs and clusters must match; the namespace or the pool must be named; a cluster-wide action is always in scope', () => {
    expect(names({ cluster: 'prod', namespace: 'backend', job: 'budgets' })).toEqual([]);
    expect(names({ cluster: 'dev', namespace: 'backend', job: 'remediation' })).toEqual([]);
    expect(names({ cluster: 'prod', namespace: 'frontend', job: 'remediation' })).toEqual([]);
    expect(names({ cluster: 'prod', namespace: 'frontend', nodePool: 'database', job: 'remediation' })).toEqual(['nightly-maint']);
    expect(names({ cluster: 'prod', nodePool: 'database', job: 'scaling' })).toEqual(['nightly-maint']);
    expect(names({ cluster: 'prod', nodePool: 'spot', job: 'scaling' })).toEqual([]);
    expect(names({ cluster: 'prod', job: 'remediation' })).toEqual(['nightly-maint']);
    // A policy that names no namespace or pool covers every namespace of its clusters.
    expect(names({ cluster: 'prod', namespace: 'frontend', job: 'rotation' }, at('2026-12-05T11:00:00Z'))).toEqual(['upgrade-skip']);
  });

  it('ad-hoc windows: from-inclusive, to-exclusive, cut short by closedAt, scoped to their namespace, pool and jobs', () => {
    const a: AdhocWindow = {
      id: 'w1',
      scope: { cluster: 'prod', namespace: 'shop', jobs: ['runbooks'] },
      from: '2026-12-06T10:00:00Z',
      to: '2026-12-06T12:00:00Z',
      by: 'user:x',
      reason: 'upgrade',
    };
    const shop: WindowScope = { cluster: 'prod', namespace: 'shop', job: 'runbooks' };
    expect(activeWindows(w, [a], shop, at('2026-12-06T09:59:59Z'))).toEqual([]);
    expect(activeWindows(w, [a], shop, at('2026-12-06T10:00:00Z'))).toEqual([
      { policy: 'adhoc-w1', kind: 'maintenance', interval: 'adhoc', endsAt: '2026-12-06T12:00:00.000Z' },
    ]);
    expect(activeWindows(w, [a], shop, at('2026-12-06T12:00:00Z'))).toEqual([]);
    expect(activeWindows(w, [{ ...a, closedAt: '2026-12-06T11:00:00Z' }], shop, at('2026-12-06T10:30:00Z'))[0]?.endsAt).toBe('2026-12-06T11:00:00.000Z');
    expect(activeWindows(w, [{ ...a, closedAt: '2026-12-06T11:00:00Z' }], shop, at('2026-12-06T11:00:00Z'))).toEqual([]);
    expect(activeWindows(w, [a], { ...shop, namespace: 'other' }, at('2026-12-06T10:30:00Z'))).toEqual([]);
    expect(activeWindows(w, [a], { ...shop, job: 'remediation' }, at('2026-12-06T10:30:00Z'))).toEqual([]);
    const pool: AdhocWindow = { ...a, scope: { cluster: 'prod', nodePool: 'spot' } };
    expect(activeWindows(w, [pool], { cluster: 'prod', nodePool: 'spot', job: 'scaling' }, at('2026-12-06T10:30:00Z'))).toHaveLength(1);
    expect(activeWindows(w, [pool], { cluster: 'prod', nodePool: 'database', job: 'scaling' }, at('2026-12-06T10:30:00Z'))).toEqual([]);
    expect(activeWindows(undefined, [pool], { cluster: 'prod', nodePool: 'spot', job: 'scaling' }, at('2026-12-06T10:30:00Z'))).toHaveLength(1);
  });
});

describe('evaluateGate: the verdicts', () => {
  const nightly = { policy: 'nightly-maint', kind: 'maintenance', interval: 'nightly', endsAt: '2026-12-05T04:00:00.000Z' };

  it('no window: proceed, and says so', () => {
    expect(evaluateGate(w, [], req('2026-12-05T05:00:00Z'))).toEqual({ decision: 'proceed', reason: 'no window applies', active: [] });
    expect(evaluateGate(undefined, [], req('2026-12-05T03:00:00Z'))).toEqual({ decision: 'proceed', reason: 'no window applies', active: [] });
  });

  it('maintenance: waits until the end when that is within maxWait of the first block', () => {
    expect(evaluateGate(w, [], req('2026-12-05T03:00:00Z'))).toEqual({
      decision: 'wait',
      reason: 'suppressed (maintenance nightly-maint): waiting until 2026-12-05T04:00:00.000Z',
      retryAt: '2026-12-05T04:00:00.000Z',
      window: nightly,
      active: [nightly],
    });
    // The deadline exactly at the window's end still waits.
    expect(evaluateGate(w, [], req('2026-12-05T03:00:00Z', { since: '2026-12-05T01:00:00Z' })).decision).toBe('wait');
  });

  it('maintenance: skipped as expired when the window outlasts maxWait counted from the first block', () => {
    expect(evaluateGate(w, [], req('2026-12-05T03:00:00Z', { since: '2026-12-05T00:59:00Z' }))).toEqual({
      decision: 'skip',
      reason: 'suppressed (maintenance nightly-maint): the window outlasts maxWait 3h, the action expired',
      window: nightly,
      active: [nightly],
    });
  });

  it('maintenance with no known end (longer than the look-ahead) expires at once', () => {
    expect(evaluateGate(w, [], { scope: { cluster: 'dr', job: 'budgets' }, at: '2026-12-10T01:00:00Z' })).toMatchObject({
      decision: 'skip',
      reason: 'suppressed (maintenance long-migration): the window outlasts maxWait 6h, the action expired',
    });
  });

  it('an ad-hoc window waits up to 6 hours, then expires', () => {
    const a: AdhocWindow = { id: 'w2', scope: { cluster: 'prod' }, from: '2026-12-06T00:00:00Z', to: '2026-12-06T06:00:00Z', by: 'user:x', reason: 'r' };
    expect(evaluateGate(w, [a], req('2026-12-06T00:00:00Z'))).toMatchObject({ decision: 'wait', retryAt: '2026-12-06T06:00:00.000Z' });
    expect(evaluateGate(w, [{ ...a, to: '2026-12-06T06:01:00Z' }], req('2026-12-06T00:00:00Z'))).toMatchObject({
      decision: 'skip',
      reason: 'suppressed (maintenance adhoc-w2): the window outlasts maxWait 6h, the action expired',
    });
  });

  it('whenBlocked skip skips at once; an on-call override proceeds, naming the window', () => {
    const upgrade = { policy: 'upgrade-skip', kind: 'maintenance', interval: 'upgrade', endsAt: '2026-12-05T12:00:00.000Z' };
    expect(evaluateGate(w, [], req('2026-12-05T11:00:00Z'))).toEqual({
      decision: 'skip',
      reason: 'suppressed (maintenance upgrade-skip)',
      window: upgrade,
      active: [upgrade],
    });
    expect(evaluateGate(w, [], req('2026-12-05T03:00:00Z', { override: true }))).toEqual({
      decision: 'proceed',
      reason: 'maintenance nightly-maint overridden by on-call',
      window: nightly,
      active: [nightly],
    });
    expect(evaluateGate(w, [], req('2026-12-05T05:00:00Z', { override: true }))).toEqual({ decision: 'proceed', reason: 'no window applies', active: [] });
  });

  it('a freeze asks for an approval; maintenance wins over a freeze; an override does not lift a freeze', () => {
    const freeze = { policy: 'holiday-freeze', kind: 'freeze', interval: 'xmas', endsAt: '2026-12-26T00:00:00.000Z' };
    expect(evaluateGate(w, [], req('2026-12-25T10:00:00Z'))).toEqual({
      decision: 'approval',
      reason: 'freeze holiday-freeze: automated actions need an approval',
      window: freeze,
      active: [freeze],
    });
    expect(evaluateGate(w, [], req('2026-12-25T10:00:00Z', { override: true })).decision).toBe('approval');
    expect(evaluateGate(w, [], req('2026-12-25T03:00:00Z'))).toMatchObject({ decision: 'wait', window: { policy: 'nightly-maint' } });
  });
});

describe('evaluateGate: predictive scaling never waits', () => {
  const pool: WindowScope = { cluster: 'prod', nodePool: 'database', job: 'scaling' };
  const scaling = (iso: string, scaleDown: boolean) => evaluateGate(w, [], { scope: pool, at: iso, scaleDown });

  it('raising capacity proceeds, inside a window (naming it) or not', () => {
    expect(scaling('2026-12-05T03:00:00Z', false)).toMatchObject({
      decision: 'proceed',
      reason: 'maintenance nightly-maint: raising capacity is allowed',
      window: { policy: 'nightly-maint' },
    });
    expect(scaling('2026-12-05T05:00:00Z', false)).toEqual({ decision: 'proceed', reason: 'no window applies', active: [] });
    expect(scaling('2026-12-25T10:00:00Z', false)).toMatchObject({ decision: 'proceed', reason: 'freeze holiday-freeze: raising capacity is allowed' });
  });

  it('a scale-down is skipped in a maintenance (preferred over a freeze) and in a freeze', () => {
    expect(scaling('2026-12-05T03:00:00Z', true)).toMatchObject({
      decision: 'skip',
      reason: 'suppressed (maintenance nightly-maint): no scale-down in a window',
    });
    expect(scaling('2026-12-25T03:00:00Z', true)).toMatchObject({
      decision: 'skip',
      reason: 'suppressed (maintenance nightly-maint): no scale-down in a window',
    });
    expect(scaling('2026-12-25T10:00:00Z', true)).toMatchObject({
      decision: 'skip',
      reason: 'freeze holiday-freeze: no automated scale-down',
      window: { policy: 'holiday-freeze' },
    });
  });

  it("a scale-down within a maintenance's prewarm lead is skipped; before the lead it proceeds; a freeze's prewarm is ignored", () => {
    expect(scaling('2026-12-05T01:40:00Z', true)).toEqual({
      decision: 'skip',
      reason: 'suppressed (maintenance nightly-maint): no scale-down within its prewarm lead',
      window: { policy: 'nightly-maint', kind: 'maintenance', interval: 'prewarm 30m before nightly', endsAt: null },
      active: [],
    });
    expect(scaling('2026-12-05T01:20:00Z', true)).toEqual({ decision: 'proceed', reason: 'no window applies', active: [] });
    // 2026-12-24 12:00 is within the freeze's 1d "prewarm" of Christmas: not a maintenance, no effect.
    expect(scaling('2026-12-24T12:00:00Z', true)).toEqual({ decision: 'proceed', reason: 'no window applies', active: [] });
    // Out of the maintenance's scope, its prewarm does not apply either.
    expect(evaluateGate(w, [], { scope: { cluster: 'prod', nodePool: 'spot', job: 'scaling' }, at: '2026-12-05T01:40:00Z', scaleDown: true }).decision).toBe(
      'proceed',
    );
  });
});

describe('businessHours', () => {
  it('no businessHours config: always in hours', () => {
    expect(businessHours(undefined, at('2026-12-05T03:00:00Z'))).toEqual({ inHours: true, nextStart: null });
    expect(businessHours(windowsSchema.parse({}), at('2026-12-05T03:00:00Z'))).toEqual({ inHours: true, nextStart: null });
  });

  it('inside the interval: in hours; outside: the next start; a holiday is out of hours', () => {
    expect(businessHours(w, at('2026-12-22T10:00:00Z'))).toEqual({ inHours: true, nextStart: null });
    expect(businessHours(w, at('2026-12-22T17:00:00Z'))).toEqual({ inHours: false, nextStart: '2026-12-23T09:00:00.000Z' });
    expect(businessHours(w, at('2026-12-25T10:00:00Z'))).toEqual({ inHours: false, nextStart: '2026-12-28T09:00:00.000Z' });
    expect(businessHours(w, at('2026-12-23T10:00:00Z'), { uk: ['2026-12-23'] })).toEqual({ inHours: false, nextStart: '2026-12-24T09:00:00.000Z' });
  });
});

describe('windowGate activity: audits every verdict but a plain proceed, returns a small verdict', () => {
  const run = async (input: Omit<WindowGateInput, 'instanceId' | 'action'> & { target?: string }) => {
    const audits: AuditRecord[][] = [];
    const env = { windows: () => w, adhoc: async () => [], holidays: async () => ({}), audit: async (r: AuditRecord[]) => void audits.push(r) };
    const verdict = await windowGate(env, { instanceId: 'rem-1', action: 'restart-pod', ...input });
    return { verdict, audits };
  };

  it('a wait is audited with the window, and returned without the active list', async () => {
    const { verdict, audits } = await run({ ...req('2026-12-05T03:00:00Z'), target: 'prod/backend/Deployment/api' });
    expect(verdict).toEqual({
      decision: 'wait',
      reason: 'suppressed (maintenance nightly-maint): waiting until 2026-12-05T04:00:00.000Z',
      retryAt: '2026-12-05T04:00:00.000Z',
      window: { policy: 'nightly-maint', kind: 'maintenance', interval: 'nightly', endsAt: '2026-12-05T04:00:00.000Z' },
      active: [],
    });
    expect(audits).toEqual([
      [
        {
          id: 'window:rem-1:restart-pod:2026-12-05T03:00:00Z',
          at: '2026-12-05T03:00:00Z',
          kind: 'decision',
          actor: 'orchestration',
          instanceId: 'rem-1',
          target: 'prod/backend/Deployment/api',
          decision: 'window-wait',
          result: 'suppressed (maintenance nightly-maint): waiting until 2026-12-05T04:00:00.000Z',
          detail:
            'remediation restart-pod on prod namespace backend: suppressed (maintenance nightly-maint): waiting until 2026-12-05T04:00:00.000Z (window nightly-maint, interval nightly, ends 2026-12-05T04:00:00.000Z)',
        },
      ],
    ]);
  });

  it('a plain proceed is not audited; a proceed inside a window (a scaling raise) is', async () => {
    const plain = await run(req('2026-12-05T05:00:00Z'));
    expect(plain.audits).toEqual([]);
    expect(plain.verdict).toEqual({ decision: 'proceed', reason: 'no window applies', active: [] });
    const raise = await run({ scope: { cluster: 'prod', nodePool: 'database', job: 'scaling' }, at: '2026-12-05T03:00:00Z', scaleDown: false });
    expect(raise.audits).toHaveLength(1);
    expect(raise.audits[0]![0]).not.toHaveProperty('target');
    expect(raise.audits[0]![0]!.detail).toBe(
      'scaling restart-pod on prod pool database: maintenance nightly-maint: raising capacity is allowed (window nightly-maint, interval nightly, ends 2026-12-05T04:00:00.000Z)',
    );
  });

  it('a window without a known end is audited as ending beyond the look-ahead; a skip has no retryAt', async () => {
    const { verdict, audits } = await run({ scope: { cluster: 'dr', job: 'budgets' }, at: '2026-12-10T01:00:00Z' });
    expect(verdict).not.toHaveProperty('retryAt');
    expect(audits[0]![0]!.detail).toMatch(/\(window long-migration, interval migration, ends beyond the look-ahead\)$/);
  });

  it('keeps its activity name: orchestration histories in flight refer to it', () => {
    expect(WINDOW_GATE_ACTIVITY).toBe('windowGate');
  });

  it('scopeText names the cluster, then the namespace and the pool when given', () => {
    expect(scopeText({ scope: { cluster: 'prod', job: 'budgets' } })).toBe('prod');
    expect(scopeText({ scope: { cluster: 'prod', namespace: 'shop', nodePool: 'spot', job: 'budgets' } })).toBe('prod namespace shop pool spot');
  });
});

describe('window ends between minutes, several intervals, and windows without config', () => {
  const w2 = windowsSchema.parse({
    timeIntervals: [
      {
        name: 'cutover',
        dated: [
          { from: '2026-12-07T10:00:00Z', to: '2026-12-07T10:20:30Z' },
          { from: '2026-12-07T09:00:00Z', to: '2026-12-07T09:30:15Z' },
        ],
      },
      { name: 'nights', time_intervals: [{ times: [{ start_time: '01:00', end_time: '02:00' }] }] },
      { name: 'in-2030', time_intervals: [{ years: ['2030'] }] },
    ],
    policies: [{ name: 'cutover-or-nights', kind: 'maintenance', intervals: ['nights', 'cutover'], prewarm: '30m' }],
    businessHours: { intervals: ['in-2030'] },
  });
  const any: WindowScope = { cluster: 'prod', job: 'remediation' };

  it('a dated window that ends between minutes ends at its exact bound, whichever listed first', () => {
    expect(activeWindows(w2, [], any, at('2026-12-07T10:05:00Z'))).toEqual([
      { policy: 'cutover-or-nights', kind: 'maintenance', interval: 'cutover', endsAt: '2026-12-07T10:20:30.000Z' },
    ]);
    expect(activeWindows(w2, [], any, at('2026-12-07T09:10:00Z'))[0]?.endsAt).toBe('2026-12-07T09:30:15.000Z');
  });

  it('a policy with several intervals is active while any matches, and names the prewarm of all of them', () => {
    expect(activeWindows(w2, [], any, at('2026-12-07T01:30:00Z'))).toEqual([
      { policy: 'cutover-or-nights', kind: 'maintenance', interval: 'nights', endsAt: '2026-12-07T02:00:00.000Z' },
    ]);
    expect(evaluateGate(w2, [], { scope: { cluster: 'prod', job: 'scaling' }, at: '2026-12-07T00:40:00Z', scaleDown: true }).window).toEqual({
      policy: 'cutover-or-nights',
      kind: 'maintenance',
      interval: 'prewarm 30m before nights, cutover',
      endsAt: null,
    });
  });

  it('business hours that never start within the look-ahead have no next start', () => {
    expect(businessHours(w2, at('2026-12-07T12:00:00Z'))).toEqual({ inHours: false, nextStart: null });
  });

  it('a scale-down with no windows config at all proceeds', () => {
    expect(evaluateGate(undefined, [], { scope: { cluster: 'prod', nodePool: 'spot', job: 'scaling' }, at: '2026-12-07T12:00:00Z', scaleDown: true })).toEqual({
      decision: 'proceed',
      reason: 'no window applies',
      active: [],
    });
  });

  it('predictive scaling prefers a maintenance over a freeze listed before it', () => {
    const adhoc: AdhocWindow = { id: 'm1', scope: { cluster: 'prod' }, from: '2026-12-25T09:00:00Z', to: '2026-12-25T11:00:00Z', by: 'user:x', reason: 'r' };
    const v = evaluateGate(w, [adhoc], { scope: { cluster: 'prod', nodePool: 'spot', job: 'scaling' }, at: '2026-12-25T10:00:00Z', scaleDown: true });
    expect(v.active.map((a) => a.kind)).toEqual(['freeze', 'maintenance']);
    expect(v.reason).toBe('suppressed (maintenance adhoc-m1): no scale-down in a window');
  });
});
