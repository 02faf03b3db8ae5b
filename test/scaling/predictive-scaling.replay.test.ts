// The predictive-scaling orchestration replayed through durable-functions' own executor
// (test/support/replay-harness.ts), crashing after every step and resuming from the stored
// history: cooldown, clamping, step limits, protected pools, mode fallback and the pause switch,
// each ending the same way with every change applied once.
import { describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../src/adapters/scaling-store.js';
import { windowGateActivity } from '../support/window-gate.js';
import type { WindowsConfig } from '../../src/config/windows-schema.js';
import type { ApplyMinCountInput, ApplyMinCountOutput, ForecastPoolInput, ForecastPoolOutput } from '../../src/scaling/activities.js';
import type { PoolState } from '../../src/scaling/decide.js';
import type { PoolPlan } from '../../src/scaling/plan.js';
import { predictiveScalingOrchestrator, SCALING_ACTIVITY, type PredictiveScalingOutput } from '../../orchestrations/predictive-scaling.js';
import { createReplayHarness, forEachCrashPoint, type ReplayHarness } from '../support/replay-harness.js';
import { errorBudgetGateActivityFor, policyDecisions, type BudgetHealth, type ErrorBudgetWorld } from '../support/error-budget.js';
import type { AuditRecord } from '../../src/domain/types.js';

const START = Date.parse('2025-01-01T00:00:00.000Z'); // the harness's default start
const MIN = 60_000;

function plan(pool: string, extra: Partial<PoolPlan> = {}): PoolPlan {
  return {
    key: `ms5-prod/${pool}`,
    cluster: 'ms5-prod',
    pool,
    azure: { subscriptionId: '00000000-0000-0000-0000-0000000000aa', resourceGroup: 'rg', clusterName: 'aks-ms5-prod' },
    prometheus: { url: 'http://prometheus:9090', auth: 'none' },
    mode: 'enforce',
    protected: false,
    resource: 'cpu',
    allocatablePerNode: 4,
    headroom: 0.1,
    policy: { minCount: 1, maxCount: 20, maxStepUp: 5, maxStepDown: 2, cooldownMs: 10 * MIN, lowerAfterMs: 30 * MIN },
    leadMs: 8 * MIN,
    horizonMs: 60 * MIN,
    stepMs: 5 * MIN,
    historyMs: 14 * 86_400_000,
    coverage: 0.95,
    underCost: 2,
    queries: {},
    ...extra,
  };
}

interface PoolWorld {
  state: PoolState;
  desired: number | null;
  mode?: 'enforce' | 'forecast-only';
  modeReasons?: string[];
  fails?: string;
}

interface World {
  pools: Map<string, PoolWorld>;
  /** minCount changes that really reached ARM (a repeated identical set is not one). */
  changes: number;
  paused: boolean;
  decisions: Map<string, DecisionRecord>;
  decisionWrites: number;
  windows?: WindowsConfig;
  errorBudget?: ErrorBudgetWorld;
}

function world(pools: Record<string, PoolWorld>, paused = false): World {
  return { pools: new Map(Object.entries(pools).map(([k, v]) => [`ms5-prod/${k}`, v])), changes: 0, paused, decisions: new Map(), decisionWrites: 0 };
}

function activities(w: World) {
  return {
    ...windowGateActivity(w.windows),
    ...(w.errorBudget ? errorBudgetGateActivityFor(w.errorBudget) : {}),
    [SCALING_ACTIVITY.forecast]: ({ plan: p }: ForecastPoolInput): ForecastPoolOutput => {
      const pw = w.pools.get(p.key)!;
      if (pw.fails)
        return {
          key: p.key,
          ok: false,
          error: pw.fails,
          originAt: null,
          desiredNodes: null,
          effectiveMode: 'forecast-only',
          modeReasons: ['no forecast this round'],
          state: null,
          model: null,
          decisionUpper: null,
          allocatable: null,
        };
      return {
        key: p.key,
        ok: true,
        originAt: new Date(START).toISOString(),
        desiredNodes: pw.desired,
        effectiveMode: pw.mode ?? p.mode,
        modeReasons: pw.modeReasons ?? ['configured enforce; history, periodicity, forecast quality and coverage all qualify'],
        state: { ...pw.state },
        model: 'holt-winters(1d)',
        decisionUpper: pw.desired === null ? null : pw.desired * 3.6,
        allocatable: 4,
      };
    },
    [SCALING_ACTIVITY.apply]: (input: ApplyMinCountInput): ApplyMinCountOutput => {
      if (w.paused) return { outcome: 'skipped-paused', detail: 'automation is paused: decision recorded, nothing changed', minCount: null };
      const pw = w.pools.get(input.plan.key)!;
      if (pw.state.minCount === input.toMinCount) return { outcome: 'already', detail: `minCount already ${input.toMinCount}`, minCount: input.toMinCount };
      pw.state = { ...pw.state, minCount: input.toMinCount, nodeCount: Math.max(pw.state.nodeCount, input.toMinCount), lastChangeAtMs: Date.parse(input.at) };
      w.changes++;
      return { outcome: 'applied', detail: `minCount ${input.fromMinCount} -> ${input.toMinCount}`, minCount: input.toMinCount };
    },
    [SCALING_ACTIVITY.record]: (d: DecisionRecord): null => {
      w.decisionWrites++;
      w.decisions.set(`${d.cluster}/${d.pool}@${d.at}`, d); // upsert by key, like the table
      return null;
    },
  };
}

const base: PoolState = { minCount: 2, maxCount: 30, nodeCount: 3, enableAutoScaling: true, poolMode: 'User', lastChangeAtMs: null };

function harness(w: World, plans: PoolPlan[]): ReplayHarness {
  return createReplayHarness({
    orchestrator: predictiveScalingOrchestrator,
    name: 'predictiveScaling',
    instanceId: 'scaling-2025-01-01T00:00:00.000Z',
    input: { pools: plans },
    activities: activities(w),
  });
}

function byKey(out: unknown, key: string) {
  return (out as PredictiveScalingOutput).pools.find((p) => p.key === key)!;
}

interface Scenario {
  name: string;
  pools: Record<string, PoolWorld>;
  plans?: PoolPlan[];
  paused?: boolean;
  expect: Record<string, { action: string; to?: number; outcome: string; reason?: RegExp; minCountAfter: number }>;
  changes: number;
}

const scenarios: Scenario[] = [
  {
    name: 'raises minCount ahead of demand (counting from the nodes already running)',
    pools: { compute: { state: base, desired: 8 } },
    expect: { compute: { action: 'raise', to: 8, outcome: 'applied', minCountAfter: 8 } },
    changes: 1,
  },
  {
    name: 'bounds the step per action',
    pools: { compute: { state: base, desired: 14 } },
    expect: { compute: { action: 'raise', to: 8, outcome: 'applied', reason: /step limited to \+5 node\(s\) over the 3 held/, minCountAfter: 8 } },
    changes: 1,
  },
  {
    name: "clamps to the configured maxCount (below the pool's own)",
    pools: { compute: { state: { ...base, minCount: 10, nodeCount: 18 }, desired: 50 } },
    expect: { compute: { action: 'raise', to: 20, outcome: 'applied', reason: /clamped to 20 \(the configured maxCount\)/, minCountAfter: 20 } },
    changes: 1,
  },
  {
    name: 'holds during the cooldown',
    pools: { compute: { state: { ...base, lastChangeAtMs: START - 5 * MIN }, desired: 8 } },
    expect: { compute: { action: 'hold', outcome: 'not-applied', reason: /cooldown: last change 5 min ago \(< 10 min\)/, minCountAfter: 2 } },
    changes: 0,
  },
  {
    name: 'lowers slowly: -2 per change, only 30 min after the last one',
    pools: { compute: { state: { ...base, minCount: 9, nodeCount: 9, lastChangeAtMs: START - 40 * MIN }, desired: 2 } },
    expect: { compute: { action: 'lower', to: 7, outcome: 'applied', reason: /lowering limited to -2/, minCountAfter: 7 } },
    changes: 1,
  },
  {
    name: 'never touches a protected pool',
    pools: { system: { state: { ...base, poolMode: 'System' }, desired: 8 } },
    plans: [plan('system', { protected: true })],
    expect: { system: { action: 'hold', outcome: 'not-applied', reason: /protected pool: never changed/, minCountAfter: 2 } },
    changes: 0,
  },
  {
    name: 'falls back to forecast-only and says why: records what it would do, changes nothing',
    pools: {
      compute: {
        state: base,
        desired: 8,
        mode: 'forecast-only',
        modeReasons: [
          'configured enforce, falling back to forecast-only',
          'no daily or weekly period detected: the series is not predictable enough to act on',
        ],
      },
    },
    expect: { compute: { action: 'raise', to: 8, outcome: 'not-applied', reason: /no daily or weekly period detected/, minCountAfter: 2 } },
    changes: 0,
  },
  {
    name: 'falls back to forecast-only on cost (the bound spends more node-hours than allowed) and says why',
    pools: {
      compute: {
        state: base,
        desired: 8,
        mode: 'forecast-only',
        modeReasons: [
          'configured enforce, falling back to forecast-only',
          'pre-warming with this bound costs +31.0 % node-hours against the reactive autoscaler (limit +15.0 %, maxExtraNodeHours)',
        ],
      },
    },
    expect: { compute: { action: 'raise', to: 8, outcome: 'not-applied', reason: /costs \+31.0 % node-hours .*maxExtraNodeHours/, minCountAfter: 2 } },
    changes: 0,
  },
  {
    name: 'paused: the decision is recorded, the pool is not changed',
    pools: { compute: { state: base, desired: 8 } },
    paused: true,
    expect: { compute: { action: 'raise', to: 8, outcome: 'skipped-paused', minCountAfter: 2 } },
    changes: 0,
  },
  {
    name: 'one pool failing to forecast does not stop the others',
    pools: { compute: { state: base, desired: 8 }, batch: { state: base, desired: 8, fails: 'Prometheus: ECONNREFUSED' } },
    plans: [plan('batch'), plan('compute')],
    expect: {
      batch: { action: 'hold', outcome: 'not-applied', reason: /no forecast: Prometheus: ECONNREFUSED/, minCountAfter: 2 },
      compute: { action: 'raise', to: 8, outcome: 'applied', minCountAfter: 8 },
    },
    changes: 1,
  },
];

describe('predictive-scaling orchestration (replayed, crash after every step)', () => {
  it.each(scenarios)('$name', async (sc) => {
    const plans = sc.plans ?? Object.keys(sc.pools).map((p) => plan(p));
    let lastWorld: World | undefined;
    const make = () => {
      lastWorld = world(structuredClone(sc.pools), sc.paused);
      return harness(lastWorld, plans);
    };
    // rerun: the crash came after the apply activity ran but before its result was durable, so
    // Durable runs it again (at least once); the second run finds the value set and says so.
    const check = (r: { status: string; output?: unknown }, w: World, rerun = false) => {
      expect(r.status).toBe('completed');
      for (const [pool, e] of Object.entries(sc.expect)) {
        const res = byKey(r.output, `ms5-prod/${pool}`);
        expect(res.action, pool).toBe(e.action);
        if (e.to !== undefined) expect(res.toMinCount, pool).toBe(e.to);
        expect(res.outcome, pool).toBe(rerun && e.outcome === 'applied' ? 'already' : e.outcome);
        if (e.reason) expect(res.reasons.join(' | '), pool).toMatch(e.reason);
        expect(w.pools.get(`ms5-prod/${pool}`)!.state.minCount, pool).toBe(e.minCountAfter);
        // Every decision is stored exactly once per pool and run (upserts make re-runs harmless).
        const stored = [...w.decisions.values()].filter((d) => d.pool === pool);
        expect(stored, pool).toHaveLength(1);
        expect(stored[0]).toMatchObject({ action: e.action, outcome: rerun && e.outcome === 'applied' ? 'already' : e.outcome });
      }
      expect(w.changes).toBe(sc.changes);
    };
    let reruns = 0;
    const { cleanResult, points } = await forEachCrashPoint(make, (h, r, at) => {
      const rerun = at.kind === 'ran' && at.what.startsWith(`ran ${SCALING_ACTIVITY.apply}`);
      reruns += rerun ? 1 : 0;
      check(r, lastWorld!, rerun);
    });
    expect(points).toBeGreaterThan(5);
    // One at-least-once point per apply activity the run schedules.
    expect(reruns).toBe(Object.values(sc.expect).filter((e) => e.outcome !== 'not-applied').length);
    // The clean run (checked on a fresh world) and a replay of its finished history agree.
    const w = world(structuredClone(sc.pools), sc.paused);
    const h = harness(w, plans);
    const clean = await h.run();
    check(clean, w);
    expect(clean.output).toEqual(cleanResult.output);
    expect((await h.replay()).newActions).toEqual([]);
  });

  it('reports progress in its custom status', async () => {
    const w = world({ compute: { state: base, desired: 8 } });
    const h = harness(w, [plan('compute')]);
    await h.run();
    const phases = h.store.customStatusLog.map((s) => (s as { phase: string }).phase);
    expect(phases[0]).toBe('forecasting');
    expect(phases).toContain('applying');
    expect(phases.at(-1)).toBe('done');
  });
});

describe('error-budget policy on scale-downs (replayed, crash after every step)', () => {
  const lowering: PoolWorld = { state: { ...base, minCount: 9, nodeCount: 9, lastChangeAtMs: START - 40 * MIN }, desired: 2 };
  const raising: PoolWorld = { state: base, desired: 8 };
  const cases: {
    name: string;
    pool: PoolWorld;
    health: BudgetHealth;
    outcome: string;
    minCountAfter: number;
    reason?: RegExp;
    audit: string[];
    gateCalls: number;
  }[] = [
    { name: 'healthy budget: the scale-down acts', pool: lowering, health: 'healthy', outcome: 'applied', minCountAfter: 7, audit: [], gateCalls: 1 },
    {
      name: 'spent budget: the scale-down holds (the next run asks again)',
      pool: lowering,
      health: 'spent',
      outcome: 'not-applied',
      minCountAfter: 9,
      reason: /error budget of SLO api-availability is spent .*change-freeze holds disruptive actions; the next run asks again/,
      audit: ['held'],
      gateCalls: 1,
    },
    {
      name: 'unreadable budget: fails closed, not applied',
      pool: lowering,
      health: 'unreadable',
      outcome: 'not-applied',
      minCountAfter: 9,
      reason: /error budget could not be read \(control table unavailable \(503\)\): a human decides/,
      audit: [],
      gateCalls: 1,
    },
    {
      name: 'spent budget: a scale-up (restores headroom) still acts, without asking',
      pool: raising,
      health: 'spent',
      outcome: 'applied',
      minCountAfter: 8,
      audit: [],
      gateCalls: 0,
    },
  ];
  it.each(cases)('$name', async (c) => {
    let w: World | undefined;
    let rows: AuditRecord[] = [];
    const make = () => {
      rows = [];
      w = { ...world({ compute: structuredClone(c.pool) }), errorBudget: { health: () => c.health, rows } };
      return harness(w, [plan('compute')]);
    };
    const { cleanResult, clean } = await forEachCrashPoint(make, (h, r, at) => {
      expect(r.status).toBe('completed');
      const res = byKey(r.output, 'ms5-prod/compute');
      const rerun = at.kind === 'ran' && at.what.startsWith(`ran ${SCALING_ACTIVITY.apply}`);
      expect(res.outcome).toBe(rerun && c.outcome === 'applied' ? 'already' : c.outcome);
      expect(w!.pools.get('ms5-prod/compute')!.state.minCount).toBe(c.minCountAfter);
      expect(w!.changes).toBe(c.outcome === 'applied' ? 1 : 0); // never twice
      expect(policyDecisions(rows)).toEqual(c.audit);
    });
    const res = byKey(cleanResult.output, 'ms5-prod/compute');
    if (c.reason) expect(res.reasons.join(' | ')).toMatch(c.reason);
    expect(clean.store.invocations['errorBudgetGate'] ?? 0).toBe(c.gateCalls);
  });
});
