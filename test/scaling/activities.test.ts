// The predictive-scaling activities with real parts: a real Prometheus backfilled from a shared
// trace, the strict fake ARM through the real SDK, Azurite for the scaling table; then the report
// endpoint over what they stored.
import { readFileSync } from 'node:fs';
import { tracePath } from '../support/traces.js';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AgentPools } from '../../src/adapters/arm-agent-pools.js';
import { PrometheusClient } from '../../src/adapters/prometheus.js';
import { ScalingStore } from '../../src/adapters/scaling-store.js';
import { readSettings } from '../../src/config/settings.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { parseCsvSeries } from '../../src/forecast/csv.js';
import { applyMinCountActivity, forecastPoolActivity, type ScalingDeps } from '../../src/scaling/activities.js';
import type { PoolPlan } from '../../src/scaling/plan.js';
import { decideForPool } from '../../orchestrations/predictive-scaling.js';
import { createScalingReportHandler, scalingInstanceId } from '../../functions/scaling.js';
import { installAgentPools, type AgentPoolsFake } from '../fakes/arm/agent-pools.js';
import { FakeArm, fakeArmCredential } from '../fakes/arm/server.js';
import { clusterOpenMetrics, COMPUTE_ALLOCATABLE, startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';

const SUB = '6f8b3a2e-1c4d-4e5f-9a7b-2c3d4e5f6a7b';
const trace = parseCsvSeries(readFileSync(tracePath('crane-input9.csv'), 'utf8')).series;
const n = trace.values.length; // 16 days at 1 minute
const END_SEC = Math.floor(Date.now() / 60_000) * 60 - 3600;
const START_SEC = END_SEC - (n - 1) * 60;
const cores = Float64Array.from(trace.values, (v) => v / 20); // about 4-50 cores

let prom: PrometheusInstance;
let arm: FakeArm;
let pools: AgentPoolsFake;
let store: ScalingStore;
let deps: ScalingDeps;
const audit: AuditRecord[] = [];
let paused = false;

const plan: PoolPlan = {
  key: 'ms5-prod/compute',
  cluster: 'ms5-prod',
  pool: 'compute',
  azure: { subscriptionId: SUB, resourceGroup: 'rg-ms5', clusterName: 'aks-ms5-prod' },
  prometheus: { url: 'set in beforeAll', auth: 'none' },
  mode: 'enforce',
  protected: false,
  resource: 'cpu',
  allocatablePerNode: null, // read from Prometheus
  headroom: 0.1,
  policy: { minCount: 1, maxCount: 20, maxStepUp: 5, maxStepDown: 2, cooldownMs: 600_000, lowerAfterMs: 1_800_000 },
  leadMs: 8 * 60_000,
  horizonMs: 3_600_000,
  stepMs: 300_000,
  historyMs: 14 * 86_400_000,
  coverage: 0.95,
  underCost: 2,
  queries: {},
};

beforeAll(async () => {
  // Only every 5th minute is needed at a 5-minute step: keeps the TSDB small.
  const sparse = Float64Array.from(cores, (v, i) => (i % 5 === 0 ? v : NaN));
  prom = await startPrometheusWith(clusterOpenMetrics({ values: sparse, startSec: START_SEC, stepSec: 60 }));
  plan.prometheus.url = prom.url;
  arm = await FakeArm.start();
  pools = installAgentPools(arm);
  pools.addCluster({
    subscriptionId: SUB,
    resourceGroup: 'rg-ms5',
    name: 'aks-ms5-prod',
    pools: [{ name: 'compute', count: 2, enableAutoScaling: true, minCount: 1, maxCount: 20 }],
  });
  const settings = readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, SCALING_TABLE_NAME: `scaling${Date.now()}` });
  store = ScalingStore.fromSettings(settings);
  deps = {
    store,
    prometheus: (p) => new PrometheusClient({ baseUrl: p.prometheus.url, retries: 0 }),
    agentPools: new AgentPools({ credential: fakeArmCredential(), clientOptions: { endpoint: arm.url, tlsOptions: { ca: arm.caPem } }, pollIntervalMs: 5 }),
    audit: { write: async (r: AuditRecord[]) => void audit.push(...r) },
    isPaused: async () => paused,
    forceDryRun: false,
  };
}, 240_000);

afterAll(async () => {
  await prom?.stop();
  await arm?.stop();
});

describe('predictive-scaling activities against real Prometheus, fake ARM and Azurite', () => {
  const earlier = new Date((END_SEC - 2 * 3600) * 1000).toISOString();
  const end = new Date(END_SEC * 1000).toISOString();

  it('forecasts a pool, qualifies it for enforce, reads its ARM state and stores the forecast', async () => {
    const out = await forecastPoolActivity({ plan, at: earlier }, deps);
    expect(out.ok).toBe(true);
    expect(out.allocatable).toBeCloseTo(COMPUTE_ALLOCATABLE, 9);
    expect(out.model).toMatch(/holt-winters|seasonal-naive/);
    expect(out.effectiveMode).toBe('enforce');
    expect(out.state).toMatchObject({ minCount: 1, maxCount: 20, nodeCount: 2, enableAutoScaling: true, poolMode: 'User', lastChangeAtMs: null });
    expect(out.desiredNodes).toBeGreaterThan(0);
    const rows = await store.listForecasts('ms5-prod', 'compute', '2000-01-01');
    expect(rows).toHaveLength(1);
    // The origin is the last sample on the 5-minute grid the range query is aligned to.
    const origin = new Date(Math.floor(Date.parse(earlier) / 300_000) * 300_000).toISOString();
    expect(rows[0]).toMatchObject({ at: origin, mode: 'enforce', nodes: 2, actual: null });
    expect(rows[0]!.upper!).toBeGreaterThanOrEqual(rows[0]!.forecast!);
  });

  it('a later run stores the actual that followed the earlier forecast', async () => {
    const out = await forecastPoolActivity({ plan, at: end }, deps);
    expect(out.ok).toBe(true);
    const rows = await store.listForecasts('ms5-prod', 'compute', '2000-01-01');
    expect(rows).toHaveLength(2);
    const first = rows[0]!;
    const targetIndex = (Date.parse(first.targetAt) / 1000 - START_SEC) / 60;
    // What Prometheus holds at that time: the last (every-5th-minute) sample at or before it.
    expect(first.actual).toBeCloseTo(cores[Math.floor(targetIndex / 5) * 5]!, 6);
    expect(rows[1]!.actual).toBeNull(); // its target is still ahead
  });

  it('decides and applies a minCount change as an ARM long-running operation, once', async () => {
    const out = await forecastPoolActivity({ plan, at: end }, deps);
    const decision = decideForPool(plan, out, Date.parse(end));
    expect(decision.action).toBe('raise');
    expect(decision.apply).toBe(true);
    const input = { plan, toMinCount: decision.toMinCount, fromMinCount: decision.fromMinCount, at: end, instanceId: 'scaling-test' };
    const applied = await applyMinCountActivity(input, deps);
    expect(applied.outcome).toBe('applied');
    expect(pools.pool(SUB, 'rg-ms5', 'aks-ms5-prod', 'compute')!.properties).toMatchObject({ minCount: decision.toMinCount, provisioningState: 'Succeeded' });
    // Run again (Durable's at-least-once): nothing more changes, the cooldown still starts.
    expect((await applyMinCountActivity(input, deps)).outcome).toBe('already');
    expect(arm.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(await store.getState('ms5-prod', 'compute')).toEqual({ lastChangeAt: end, minCount: decision.toMinCount });
    expect(audit.map((a) => a.id)).toEqual(['scaling:scaling-test:ms5-prod/compute:apply', 'scaling:scaling-test:ms5-prod/compute:apply']);
    // The next run sees the change (its time starts the cooldown) and holds.
    const next = await forecastPoolActivity({ plan, at: end }, deps);
    expect(next.state).toMatchObject({ minCount: decision.toMinCount, lastChangeAtMs: Date.parse(end) });
    expect(decideForPool(plan, { ...next, desiredNodes: decision.toMinCount + 3 }, Date.parse(end) + 5 * 60_000).reasons.join()).toMatch(
      /cooldown: last change 5 min ago/,
    );
  });

  it('changes nothing while paused', async () => {
    paused = true;
    try {
      const r = await applyMinCountActivity({ plan, toMinCount: 3, fromMinCount: 1, at: end, instanceId: 'scaling-paused' }, deps);
      expect(r.outcome).toBe('skipped-paused');
    } finally {
      paused = false;
    }
  });

  it('reports a pool that cannot be read as a failed forecast instead of throwing', async () => {
    const out = await forecastPoolActivity({ plan: { ...plan, prometheus: { url: 'http://127.0.0.1:9', auth: 'none' } }, at: end }, deps);
    expect(out).toMatchObject({ ok: false, effectiveMode: 'forecast-only' });
    expect(out.error).toMatch(/^Prometheus: /);
  });

  it('GET /api/scaling/report gives per-pool quality and provisioning figures', async () => {
    const handler = createScalingReportHandler({ plans: async () => [plan], store: async () => store, now: () => new Date((END_SEC + 60) * 1000) });
    const ctx = new InvocationContext({ functionName: 'scalingReport', invocationId: 'test' });
    const res = await handler(new HttpRequest({ url: 'http://localhost/api/scaling/report?cluster=ms5-prod', method: 'GET' }), ctx);
    expect(res.status).toBe(200);
    const body = res.jsonBody as {
      pools: {
        pool: string;
        intervals: number;
        forecast: { targets: number; maseVsPersistence: number | null };
        provisioning: { observedUnderProvisionedShare: number | null };
        lastDecision: unknown;
      }[];
    };
    expect(body.pools).toHaveLength(1);
    expect(body.pools[0]).toMatchObject({ pool: 'compute', intervals: 2, forecast: { targets: 1 } });
    expect(body.pools[0]!.forecast.maseVsPersistence).not.toBeNull();
    expect(body.pools[0]!.provisioning.observedUnderProvisionedShare).not.toBeNull();
    // Issue #17: accuracy (1 - WAPE) next to MASE, and the bound's cost and what it buys.
    const figures = res.jsonBody as { pools: { forecast: { wape: number; accuracy: number }; provisioning: Record<string, unknown> }[] };
    expect(figures.pools[0]!.forecast.accuracy).toBeCloseTo(1 - figures.pools[0]!.forecast.wape, 3);
    expect(figures.pools[0]!.provisioning).toHaveProperty('waitingDemandMinutesAvoided');
    expect(figures.pools[0]!.provisioning).toHaveProperty('extraNodeHoursVsReactive');
    const bad = await handler(new HttpRequest({ url: 'http://localhost/api/scaling/report?days=99', method: 'GET' }), ctx);
    expect(bad).toMatchObject({ status: 400, jsonBody: { parameter: 'days' } });
    const unknown = await handler(new HttpRequest({ url: 'http://localhost/api/scaling/report?pool=gpu', method: 'GET' }), ctx);
    expect(unknown.status).toBe(404);
    expect((unknown.jsonBody as { error: string }).error).toMatch(/Configured: ms5-prod\/compute/);
  });

  it('starts one run per 5-minute slot (the slot is the instance ID)', () => {
    expect(scalingInstanceId(new Date('2025-03-01T10:07:59.999Z'))).toBe('scaling-2025-03-01T10:05:00.000Z');
    expect(scalingInstanceId(new Date('2025-03-01T10:05:00.000Z'))).toBe('scaling-2025-03-01T10:05:00.000Z');
    expect(scalingInstanceId(new Date('2025-03-01T10:10:00.000Z'))).toBe('scaling-2025-03-01T10:10:00.000Z');
  });
});
