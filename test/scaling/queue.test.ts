// Issue #17: queue-driven pre-warming. A generated Celery workload (9 days, 5 minutes: a trickle of
// tasks and a daily burst at the same time each day) is backfilled into a real Prometheus as
// celery-exporter's celery_queue_length; the pool's demand is the workers that queue needs
// (src/scaling/queue.ts, in PromQL); the live forecast, 15 minutes before the next burst, asks for
// the burst's nodes, and the orchestration, replayed with a crash after every step, raises the
// spot pool's minCount once, before the burst.
import { windowGateActivity } from '../support/window-gate.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPoolDemand, PrometheusClient } from '../../src/adapters/prometheus.js';
import type { ForecastPoolOutput } from '../../src/scaling/activities.js';
import { nodesNeeded, type PoolState } from '../../src/scaling/decide.js';
import { effectiveMode } from '../../src/scaling/mode.js';
import type { PoolPlan } from '../../src/scaling/plan.js';
import { forecastPool } from '../../src/scaling/pool-forecast.js';
import { queueRequestsQuery } from '../../src/scaling/queue.js';
import { predictiveScalingOrchestrator, SCALING_ACTIVITY, type PredictiveScalingOutput } from '../../orchestrations/predictive-scaling.js';
import { line, startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';
import { createReplayHarness, forEachCrashPoint } from '../support/replay-harness.js';
import { gaussian, rng } from './synthetic.js';

const STEP = 300;
const DAY = 288;
const N = 9 * DAY;
const END = Math.floor(Date.now() / 300_000) * 300 - 3600;
const START = END - (N - 1) * STEP;
// The burst starts 3 steps (15 minutes) after the last sample and lasts an hour.
const BURST_AT = (N - 1 + 3) % DAY;
const QUEUE = { query: 'celery_queue_length{queue_name="analysis"}', tasksPerWorker: 4, workerRequests: 0.5 };
const ALLOCATABLE = 4;
const policy = { minCount: 1, maxCount: 30, maxStepUp: 10, maxStepDown: 10, cooldownMs: 600_000, lowerAfterMs: 600_000 };

/** Tasks waiting: ~6 (Poisson-like noise) most of the day, ramping to ~240 for an hour each day. */
function workload(): Float64Array {
  const g = gaussian(rng(42));
  return Float64Array.from({ length: N }, (_, i) => {
    const k = (((i - BURST_AT) % DAY) + DAY) % DAY;
    const burst = k < 12 ? 240 * Math.sin((Math.PI * (k + 1)) / 13) : 0;
    return Math.max(0, Math.round(6 + 2.5 * g() + burst * (1 + 0.1 * g())));
  });
}

const tasks = workload();
let prom: PrometheusInstance;
beforeAll(async () => {
  const om = ['# TYPE celery_queue_length gauge'];
  tasks.forEach((v, i) => om.push(line('celery_queue_length', { queue_name: 'analysis', job: 'celery-exporter' }, v, START + i * STEP)));
  om.push('# EOF');
  prom = await startPrometheusWith(`${om.join('\n')}\n`);
}, 180_000);
afterAll(async () => prom?.stop());

describe('queue signal', () => {
  it('turns tasks into worker requests in PromQL and refuses nonsense', () => {
    expect(queueRequestsQuery(QUEUE)).toBe('ceil(sum(celery_queue_length{queue_name="analysis"}) / 4) * 0.5');
    expect(() => queueRequestsQuery({ ...QUEUE, tasksPerWorker: 0 })).toThrow(/queue.tasksPerWorker must be >= 1/);
    expect(() => queueRequestsQuery({ ...QUEUE, workerRequests: 0 })).toThrow(/queue.workerRequests must be > 0/);
  });
});

describe('queue-driven pre-warming against a real Prometheus', () => {
  let out: ForecastPoolOutput;
  const plan: PoolPlan = {
    key: 'packamal/spot',
    cluster: 'packamal',
    pool: 'spot',
    azure: { subscriptionId: '00000000-0000-0000-0000-0000000000aa', resourceGroup: 'rg', clusterName: 'aks-packamal' },
    prometheus: { url: 'http://prometheus:9090', auth: 'none' },
    mode: 'enforce',
    protected: false,
    resource: 'cpu',
    allocatablePerNode: ALLOCATABLE,
    headroom: 0.1,
    policy,
    leadMs: 600_000,
    horizonMs: 3_600_000,
    stepMs: 300_000,
    historyMs: 9 * 86_400_000,
    coverage: 0.95,
    underCost: 2,
    queries: { requests: queueRequestsQuery(QUEUE) },
  };
  const state: PoolState = { minCount: 1, maxCount: 30, nodeCount: 1, enableAutoScaling: true, poolMode: 'User', lastChangeAtMs: null };

  it("the forecast 15 minutes before the burst asks for the burst's nodes, not the trickle's", async () => {
    const d = await fetchPoolDemand(new PrometheusClient({ baseUrl: prom.url, retries: 0 }), {
      pool: 'spot',
      resource: 'cpu',
      startMs: START * 1000,
      endMs: END * 1000,
      stepMs: 300_000,
      requestsQuery: plan.queries.requests!,
    });
    // Demand = ceil(tasks / 4) x 0.5 cores, step for step.
    expect(d.requests.values.length).toBe(N);
    for (const i of [0, 100, N - 1]) expect(d.requests.values[i]).toBe(Math.ceil(tasks[i]! / 4) * 0.5);
    const f = forecastPool(d.requests, {
      horizonMs: plan.horizonMs,
      leadMs: plan.leadMs,
      decisionWindowMs: policy.cooldownMs,
      coverage: 0.95,
      underCost: 2,
      pool: { allocatable: ALLOCATABLE, headroom: plan.headroom, policy },
    });
    expect(f.periodicity?.daily.detected).toBe(true);
    const nowNodes = nodesNeeded(d.requests.values[N - 1]!, ALLOCATABLE, plan.headroom)!;
    const desired = nodesNeeded(f.decisionUpper!, ALLOCATABLE, plan.headroom)!;
    // The decision covers lead + cooldown = steps 2-3 ahead; step 3 is the burst's first (~58 tasks:
    // ceil(ceil(58 / 4) x 0.5 / 3.6) = 3 nodes); the trickle needs one.
    const burstNeed = nodesNeeded(Math.ceil((240 * Math.sin(Math.PI / 13)) / 4) * 0.5, ALLOCATABLE, plan.headroom)!;
    expect(nowNodes).toBe(1);
    expect(burstNeed).toBe(3);
    expect(desired).toBeGreaterThanOrEqual(burstNeed);
    const verdict = effectiveMode({
      configured: 'enforce',
      historyDays: f.historyDays,
      periods: f.periodicity!.periods.length ? ['daily'] : [],
      maseVsSeasonalNaive: f.quality.maseVsSeasonalNaive,
      maseVsPersistence: f.quality.maseVsPersistence,
      coverage: f.quality.coverage,
      coverageTarget: 0.95,
      cost: f.cost!,
    });
    out = {
      key: plan.key,
      ok: true,
      originAt: new Date(f.originMs).toISOString(),
      desiredNodes: desired,
      effectiveMode: verdict.mode,
      modeReasons: verdict.reasons,
      state,
      model: f.model,
      decisionUpper: f.decisionUpper,
      allocatable: ALLOCATABLE,
    };
    expect(verdict).toMatchObject({ mode: 'enforce' });
  });

  it('the orchestration raises minCount once, before the burst, crash after every step', async () => {
    expect(out).toBeDefined();
    const startTime = new Date(END * 1000);
    let changes = 0;
    let pool = { ...state };
    const make = () => {
      changes = 0;
      pool = { ...state };
      return createReplayHarness({
        orchestrator: predictiveScalingOrchestrator,
        name: 'predictiveScaling',
        instanceId: `scaling-${startTime.toISOString()}`,
        input: { pools: [plan] },
        startTime: startTime.toISOString(),
        activities: {
          ...windowGateActivity(),
          [SCALING_ACTIVITY.forecast]: () => ({ ...out, state: { ...pool } }),
          [SCALING_ACTIVITY.apply]: (i: { toMinCount: number; fromMinCount: number }) => {
            if (pool.minCount === i.toMinCount) return { outcome: 'already', detail: 'already', minCount: i.toMinCount };
            pool = { ...pool, minCount: i.toMinCount, nodeCount: Math.max(pool.nodeCount, i.toMinCount) };
            changes++;
            return { outcome: 'applied', detail: `minCount ${i.fromMinCount} -> ${i.toMinCount}`, minCount: i.toMinCount };
          },
          [SCALING_ACTIVITY.record]: () => null,
        },
      });
    };
    const { cleanResult, points } = await forEachCrashPoint(make, (_h, r) => {
      expect(r.status).toBe('completed');
      const res = (r.output as PredictiveScalingOutput).pools[0]!;
      expect(res.action).toBe('raise');
      expect(res.toMinCount).toBe(Math.min(out.desiredNodes!, 1 + policy.maxStepUp));
      expect(pool.minCount).toBe(res.toMinCount);
      expect(changes).toBe(1);
    });
    expect(points).toBeGreaterThan(5);
    // Decided at the history's end: nodes ordered then are ready after the 10-minute lead, 5 minutes
    // before the burst's first step (15 minutes after the last sample).
    const at = Date.parse((cleanResult.output as PredictiveScalingOutput).at);
    expect(at + plan.leadMs).toBeLessThan(END * 1000 + 3 * STEP * 1000);
    expect(pool.minCount).toBeGreaterThan(1);
  });
});
