// Pure budget logic: periods, stage evaluation with hysteresis, the escalate-only state, action
// planning around protected scopes and the autoscaler rules, restore order, allocation, payloads.
import { describe, expect, it } from 'vitest';
import { elapsedShare, periodAt, periodsBefore, previousPeriod } from '../../src/budget/period.js';
import {
  acquireLease,
  checkStages,
  decide,
  evaluate,
  initialBudgetState,
  markApplied,
  markRestored,
  markStageFired,
  markStageRestored,
  recordApproval,
  recordIntent,
  releaseLease,
  restorePlan,
  stoppedClusters,
  type BudgetState,
} from '../../src/budget/state.js';
import { planStage } from '../../src/budget/plan.js';
import { allocateByRequests, nodeCosts, poolOfScaleSet } from '../../src/budget/allocation.js';
import { BudgetPayloadError, matchBudgets, parseBudgetNotification } from '../../src/budget/alert-payload.js';
import type { EstateSnapshot, PoolSnapshot, Step } from '../../src/budget/types.js';
import { fixtureBudget, loadFixture, SUB } from './fixtures.js';

const CAL = { type: 'calendar-month', startDay: 1 } as const;

describe('periods', () => {
  it('calendar months, UTC, end exclusive', () => {
    expect(periodAt(CAL, '2025-03-31T23:59:59.999Z')).toEqual({ key: '2025-03-01', start: '2025-03-01T00:00:00.000Z', end: '2025-04-01T00:00:00.000Z' });
    expect(periodAt(CAL, '2025-04-01T00:00:00.000Z').key).toBe('2025-04-01');
    expect(periodAt(CAL, '2025-12-15T00:00:00Z').end).toBe('2026-01-01T00:00:00.000Z');
  });

  it('billing months start on their day, clamped to short months', () => {
    const b15 = { type: 'billing-month', startDay: 15 } as const;
    expect(periodAt(b15, '2025-03-14T23:59:59Z')).toMatchObject({ key: '2025-02-15', end: '2025-03-15T00:00:00.000Z' });
    expect(periodAt(b15, '2025-03-15T00:00:00Z')).toMatchObject({ key: '2025-03-15', end: '2025-04-15T00:00:00.000Z' });
    const b31 = { type: 'billing-month', startDay: 31 } as const;
    expect(periodAt(b31, '2025-02-28T12:00:00Z')).toMatchObject({ key: '2025-02-28', end: '2025-03-31T00:00:00.000Z' });
    expect(periodAt(b31, '2024-02-29T00:00:00Z')).toMatchObject({ key: '2024-02-29' });
    expect(periodAt(b31, '2025-02-27T00:00:00Z')).toMatchObject({ key: '2025-01-31', end: '2025-02-28T00:00:00.000Z' });
    expect(periodAt(b31, '2025-05-01T00:00:00Z')).toMatchObject({ key: '2025-04-30', end: '2025-05-31T00:00:00.000Z' });
  });

  it('previous periods chain back without gaps', () => {
    const b31 = { type: 'billing-month', startDay: 31 } as const;
    const p = periodAt(b31, '2025-03-31T00:00:00Z');
    const back = periodsBefore(b31, p, 3);
    expect(back.map((x) => x.key)).toEqual(['2025-02-28', '2025-01-31', '2024-12-31']);
    for (const [later, earlier] of [
      [p, back[0]!],
      [back[0]!, back[1]!],
      [back[1]!, back[2]!],
    ] as const)
      expect(earlier.end).toBe(later.start);
    expect(previousPeriod(CAL, periodAt(CAL, '2025-01-10T00:00:00Z')).key).toBe('2024-12-01');
    expect(elapsedShare(periodAt(CAL, '2025-04-16T00:00:00Z'), '2025-04-16T00:00:00Z')).toBe(0.5);
  });
});

describe('stage evaluation and the escalate-only state', () => {
  const spec = fixtureBudget();
  const NOW = '2025-03-10T10:00:00.000Z';
  const m = (actual: number | null, forecast: number | null) => ({ actual, forecast, currency: 'EUR', asOf: NOW, notes: [] });

  it('computes each stage against its basis; the level is the highest stage that holds', () => {
    const r = checkStages(spec, m(2400, 2900));
    expect(r.checks.map((c) => [c.name, c.percent, c.holds])).toEqual([
      ['warn', 80, true],
      ['slow-down', 96.67, false],
      ['stop', 80, false],
    ]);
    expect(r.level).toBe(0);
    expect(checkStages(spec, m(1000, 3100)).level).toBe(1);
    expect(checkStages(spec, m(null, null)).level).toBe(-1);
  });

  it('reaching a stage fires every lower stage not fired yet, in order, once per period', () => {
    let s = initialBudgetState('dev-estate', '2025-03-01');
    let d = decide(s, { mode: 'enforce', spec, measurement: m(1000, 3100) });
    expect(d.fire).toEqual([0, 1]); // the forecast stage is reached before the 80 % actual one
    for (const i of d.fire) s = markStageFired(s, { index: i, name: spec.stages[i]!.name, mode: 'enforce', now: NOW, percent: 0 }).state;
    expect(decide(s, { mode: 'enforce', spec, measurement: m(1000, 3100) }).fire).toEqual([]);
    d = decide(s, { mode: 'enforce', spec, measurement: m(3000, 3300) });
    expect(d.fire).toEqual([2]);
    expect(markStageFired(s, { index: 1, name: 'slow-down', mode: 'enforce', now: NOW, percent: 0 }).result.recorded).toBe(false);
  });

  it('dry-run stages are reported once and do not count as fired for enforce', () => {
    let s = initialBudgetState();
    s = markStageFired(s, { index: 0, name: 'warn', mode: 'dry-run', now: NOW, percent: 80 }).state;
    expect(decide(s, { mode: 'dry-run', spec, measurement: m(2500, 2600) }).fire).toEqual([]);
    expect(decide(s, { mode: 'enforce', spec, measurement: m(2500, 2600) }).fire).toEqual([0]);
    expect(decide(s, { mode: 'dry-run', spec, measurement: m(2500, 2600) }).release).toEqual([]);
  });

  it('restores within the period below threshold - hysteresis, highest first, and never re-fires a restored stage', () => {
    let s = initialBudgetState();
    for (const i of [0, 1, 2]) s = markStageFired(s, { index: i, name: spec.stages[i]!.name, mode: 'enforce', now: NOW, percent: 100 }).state;
    // stop (actual 100, hysteresis 5): 96 % is inside the band, 94 % is below it.
    expect(decide(s, { mode: 'enforce', spec, measurement: m(2880, 2900) }).release).toEqual([]);
    expect(decide(s, { mode: 'enforce', spec, measurement: m(2820, 2900) }).release).toEqual([2]);
    // slow-down is a forecast stage: not restored within the period by default (its own effect lowers the forecast).
    expect(decide(s, { mode: 'enforce', spec, measurement: m(100, 100) }).release).toEqual([2]);
    s = markStageRestored(s, { index: 2, now: NOW, reason: 'hysteresis' }).state;
    expect(decide(s, { mode: 'enforce', spec, measurement: m(3500, 3600) }).fire).toEqual([]);
    expect(markStageRestored(s, { index: 2, now: NOW, reason: 'hysteresis' }).result.recorded).toBe(false);
  });

  it('a stage a human rejected holds back itself and the stages above it for the period', () => {
    let s = initialBudgetState();
    s = markStageFired(s, { index: 0, name: 'warn', mode: 'enforce', now: NOW, percent: 80 }).state;
    s = recordApproval(s, { stage: 1, status: 'rejected', at: NOW, by: 'user:alice', instanceId: 'i1' }).state;
    const d = decide(s, { mode: 'enforce', spec, measurement: m(3100, 3300) });
    expect(d.fire).toEqual([]);
    expect(d.rejected).toEqual([1]);
  });

  it('evaluate records the measurement as percentages', () => {
    const r = evaluate(initialBudgetState(), { instanceId: 'i1', now: NOW, mode: 'enforce', spec, measurement: m(1500, 3150) });
    expect(r.state.last).toMatchObject({ actualPercent: 50, forecastPercent: 105, level: 1, instanceId: 'i1' });
  });

  it('one evaluation at a time: a lease, renewed by its holder, taken over after it expires', () => {
    let s: BudgetState = initialBudgetState();
    const a = acquireLease(s, { instanceId: 'a', now: NOW, leaseSeconds: 3600, budget: 'b', period: 'p' });
    expect(a.result).toEqual({ granted: true });
    s = a.state;
    expect(s.budget).toBe('b');
    expect(acquireLease(s, { instanceId: 'b', now: '2025-03-10T10:30:00Z', leaseSeconds: 3600, budget: 'b', period: 'p' }).result).toMatchObject({
      granted: false,
      holder: 'a',
    });
    expect(acquireLease(s, { instanceId: 'a', now: '2025-03-10T10:30:00Z', leaseSeconds: 3600, budget: 'b', period: 'p' }).result).toEqual({ granted: true });
    expect(acquireLease(s, { instanceId: 'b', now: '2025-03-10T11:00:00Z', leaseSeconds: 3600, budget: 'b', period: 'p' }).result).toEqual({
      granted: true,
      takeoverFrom: 'a',
    });
    expect(releaseLease(s, { instanceId: 'b', now: NOW }).result.released).toBe(false);
    expect(releaseLease(s, { instanceId: 'a', now: NOW }).state.lease).toBeNull();
  });
});

describe('action records and the restore plan', () => {
  const NOW = '2025-03-20T00:00:00.000Z';
  const stepOf = (stage: number, target: string, after: Step['after']): Step => ({
    id: `${stage}:${target}`,
    stage,
    kind: 'pool-autoscaler',
    target,
    cluster: 'c',
    pool: 'p',
    after,
    description: target,
  });

  it('records a change once, before it is made, and restores newest first to the recorded values', () => {
    let s = initialBudgetState();
    const a = stepOf(1, 'pool/c/spot/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 1 });
    const b = stepOf(2, 'pool/c/spot/autoscaler', { enableAutoScaling: false, minCount: null, maxCount: null });
    const c: Step = { ...stepOf(2, 'pool/c/spot/count', { count: 0 }), kind: 'pool-count' };
    s = recordIntent(s, { step: a, before: { enableAutoScaling: true, minCount: 1, maxCount: 10 }, now: NOW }).state;
    const again = recordIntent(s, { step: a, before: { enableAutoScaling: true, minCount: 1, maxCount: 1 }, now: NOW });
    expect(again.result).toMatchObject({ accepted: false, existing: { before: { maxCount: 10 } } });
    s = recordIntent(s, { step: b, before: a.after, now: NOW }).state;
    s = recordIntent(s, { step: c, before: { count: 4 }, now: NOW }).state;
    s = markApplied(s, { id: a.id, outcome: 'applied', now: NOW }).state;
    s = markApplied(s, { id: b.id, outcome: 'applied', now: NOW }).state;
    // c stays 'intended' (a crash between the change and its record): it is restored too.
    expect(restorePlan(s).map((x) => [x.id, x.before])).toEqual([
      ['2:pool/c/spot/count', { count: 4 }],
      ['2:pool/c/spot/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 1 }],
      ['1:pool/c/spot/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 10 }],
    ]);
    expect(restorePlan(s, [1]).map((x) => x.id)).toEqual(['1:pool/c/spot/autoscaler']);
    s = markRestored(s, { id: c.id, outcome: 'restored', now: NOW }).state;
    s = markRestored(s, { id: b.id, outcome: 'drifted', now: NOW, detail: 'changed by someone else' }).state;
    expect(restorePlan(s).map((x) => x.id)).toEqual(['1:pool/c/spot/autoscaler']);
    expect(markRestored(s, { id: c.id, outcome: 'restored', now: NOW }).result.recorded).toBe(false);
  });

  it('knows which clusters it stopped', () => {
    let s = initialBudgetState();
    const stop: Step = {
      id: '2:cluster/dev/power',
      stage: 2,
      kind: 'cluster-power',
      target: 'cluster/dev/power',
      cluster: 'dev',
      after: { power: 'Stopped' },
      description: 'stop dev',
    };
    s = recordIntent(s, { step: stop, before: { power: 'Running' }, now: NOW }).state;
    expect(stoppedClusters(s)).toEqual(['dev']);
    s = markRestored(s, { id: stop.id, outcome: 'restored', now: NOW }).state;
    expect(stoppedClusters(s)).toEqual([]);
  });
});

describe('planning a stage', () => {
  const { budgets, protection } = loadFixture();
  const spec = budgets[0]!;
  const pool = (cluster: string, name: string, p: Partial<PoolSnapshot> = {}): PoolSnapshot => ({
    cluster,
    name,
    mode: 'User',
    enableAutoScaling: true,
    minCount: 1,
    maxCount: 10,
    count: 4,
    provisioningState: 'Succeeded',
    spot: name === 'spot',
    ...p,
  });
  const snapshot = (over: Partial<EstateSnapshot> = {}): EstateSnapshot => ({
    pools: [
      pool('ms5-dev', 'spot', { minCount: 0, maxCount: 20 }),
      pool('ms5-dev', 'compute'),
      pool('ms5-prod', 'spot'),
      pool('ms5-dev', 'system', { mode: 'System' }),
    ],
    clusters: [
      { name: 'ms5-dev', power: 'Running', provisioningState: 'Succeeded' },
      { name: 'ms5-prod', power: 'Running', provisioningState: 'Succeeded' },
    ],
    workloads: [
      { cluster: 'ms5-prod', namespace: 'preview', kind: 'Deployment', name: 'web', replicas: 3 },
      { cluster: 'ms5-prod', namespace: 'preview', kind: 'Deployment', name: 'api', replicas: 2 },
      { cluster: 'ms5-prod', namespace: 'preview', kind: 'Deployment', name: 'idle', replicas: 0 },
      { cluster: 'ms5-prod', namespace: 'shop', kind: 'Deployment', name: 'api', replicas: 5 },
    ],
    errors: [],
    ...over,
  });
  const base = { spec, protection, existing: [], stoppedClusters: [] };

  it('scale-down lowers autoscaler maxCount to minCount, or to the configured value', () => {
    const plan = planStage({ ...base, stage: 1, snapshot: snapshot() });
    expect(plan.steps.map((s) => [s.id, s.after])).toEqual([
      ['1:pool/ms5-dev/compute/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 1 }],
      ['1:pool/ms5-prod/spot/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 2 }],
    ]);
    // spot on ms5-dev has minCount 0: its maxCount cannot go to 0 through the autoscaler.
    expect(plan.skipped).toEqual([{ target: 'pool/ms5-dev/spot', reason: expect.stringContaining('scalePoolsToZero') }]);
  });

  it('to zero: an autoscaled pool takes two updates (autoscaler off, then count 0); a stopped cluster accepts nothing else; workloads first', () => {
    const plan = planStage({ ...base, stage: 2, snapshot: snapshot() });
    expect(plan.steps.map((s) => s.id)).toEqual([
      '2:deployment/ms5-prod/preview/api/replicas',
      '2:deployment/ms5-prod/preview/web/replicas',
      '2:pool/ms5-prod/spot/autoscaler',
      '2:pool/ms5-prod/spot/count',
      '2:cluster/ms5-dev/power',
    ]);
    expect(plan.steps[2]!.after).toEqual({ enableAutoScaling: false, minCount: null, maxCount: null });
    expect(plan.skipped).toContainEqual({ target: 'deployment/ms5-prod/preview/idle/replicas', reason: 'already at 0 replicas' });
  });

  it('never touches protected scopes, whatever the config names: system pools, protected pools and namespaces, production clusters', () => {
    const spec2 = {
      stages: [
        {
          ...spec.stages[2]!,
          actions: [
            { type: 'scalePoolsToZero' as const, cluster: 'ms5-dev', pools: ['system', 'database'] },
            { type: 'scaleNamespacesToZero' as const, cluster: 'ms5-prod', namespaces: ['kube-system', 'monitoring'] },
            { type: 'stopClusters' as const, clusters: ['ms5-prod'] },
          ],
        },
      ],
    };
    const plan = planStage({ ...base, spec: spec2, stage: 0, snapshot: snapshot({ pools: [...snapshot().pools, pool('ms5-dev', 'database')] }) });
    expect(plan.steps).toEqual([]);
    expect(plan.skipped.map((s) => s.target)).toEqual([
      'pool/ms5-dev/system',
      'pool/ms5-dev/database',
      'namespace/ms5-prod/kube-system',
      'namespace/ms5-prod/monitoring',
      'cluster/ms5-prod/power',
    ]);
    // A pool ARM reports as System is skipped even when the config thinks it is a user pool.
    const p2 = planStage({ ...base, stage: 1, snapshot: snapshot({ pools: [pool('ms5-dev', 'compute', { mode: 'System' })] }) });
    expect(p2.skipped).toContainEqual({ target: 'pool/ms5-dev/compute', reason: expect.stringContaining('system pools') });
  });

  it('skips what this stage already changed this period, and what is in a stopped cluster', () => {
    const plan = planStage({ ...base, stage: 1, snapshot: snapshot(), existing: ['1:pool/ms5-dev/compute/autoscaler'], stoppedClusters: ['ms5-prod'] });
    expect(plan.steps).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual([
      expect.stringContaining('scalePoolsToZero'),
      'already changed by this stage in this period',
      'cluster ms5-prod is stopped',
    ]);
  });
});

describe('namespace allocation (OpenCost model, by requests)', () => {
  it('splits node cost by CPU and RAM requests and reports idle apart', () => {
    const nodes = nodeCosts({ 'dev/user': 200 }, [
      { cluster: 'dev', name: 'n1', pool: 'user', cpuCores: 4, memoryBytes: 16 * 1024 ** 3 },
      { cluster: 'dev', name: 'n2', pool: 'user', cpuCores: 4, memoryBytes: 16 * 1024 ** 3 },
    ]);
    expect(nodes.map((n) => n.cost)).toEqual([100, 100]);
    const a = allocateByRequests(nodes, [
      { cluster: 'dev', namespace: 'backend', node: 'n1', cpuCores: 2, memoryBytes: 8 * 1024 ** 3 },
      { cluster: 'dev', namespace: 'workers', node: 'n1', cpuCores: 1, memoryBytes: 4 * 1024 ** 3 },
      { cluster: 'dev', namespace: 'backend', node: 'n2', cpuCores: 4, memoryBytes: 16 * 1024 ** 3 },
    ]);
    // n1: backend half, workers a quarter, idle a quarter; n2: all backend.
    expect(a.namespaces).toEqual([
      { cluster: 'dev', namespace: 'backend', cost: 150 },
      { cluster: 'dev', namespace: 'workers', cost: 25 },
    ]);
    expect(a.idle).toEqual([{ cluster: 'dev', cost: 25 }]);
    expect(a.total).toBe(200);
  });

  it('weighs CPU and RAM by the default list prices when requests are unbalanced', () => {
    const [n] = nodeCosts({ 'c/p': 100 }, [{ cluster: 'c', name: 'n', pool: 'p', cpuCores: 4, memoryBytes: 16 * 1024 ** 3 }]);
    const a = allocateByRequests([n!], [{ cluster: 'c', namespace: 'cpu-heavy', node: 'n', cpuCores: 4, memoryBytes: 0 }]);
    const cpuShare = (4 * 0.031611) / (4 * 0.031611 + 16 * 0.004237);
    expect(a.namespaces[0]!.cost).toBeCloseTo(100 * cpuShare, 1);
    expect(a.idle[0]!.cost).toBeCloseTo(100 * (1 - cpuShare), 1);
  });

  it('maps AKS scale sets to their pools', () => {
    expect(poolOfScaleSet('/subscriptions/x/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot-12345678-vmss')).toBe('spot');
    expect(poolOfScaleSet('/subscriptions/x/resourcegroups/mc_rg/providers/microsoft.compute/virtualmachinescalesets/aks-system-3141-vmss')).toBe('system');
    expect(poolOfScaleSet('/subscriptions/x/providers/Microsoft.Compute/disks/pvc-1')).toBeNull();
  });
});

describe('budget notification payload (schemaId "AIP Budget Notification")', () => {
  // The Azure Monitor docs sample (all values are strings).
  const sample = {
    schemaId: 'AIP Budget Notification',
    data: {
      SubscriptionName: 'test-subscription',
      SubscriptionId: SUB,
      EnrollmentNumber: '',
      DepartmentName: 'test-budgetDepartmentName',
      AccountName: 'test-budgetAccountName',
      BillingAccountId: '',
      BillingProfileId: '',
      InvoiceSectionId: '',
      ResourceGroup: 'MC_rg-ms5-dev_aks-ms5-dev_westeurope',
      SpendingAmount: '1111.32',
      BudgetStartDate: '2023-01-20T23:49:40.216Z',
      Budget: '10000',
      Unit: 'USD',
      BudgetCreator: 'email@domain.com',
      BudgetName: 'budget-dev-aks-nodes',
      BudgetType: 'Cost',
      NotificationThresholdAmount: '8000.0',
    },
  };

  it('parses the published sample and accepts unknown fields', () => {
    const n = parseBudgetNotification({ ...sample, extra: 1, data: { ...sample.data, NewField: 'x' } });
    expect(n).toMatchObject({
      budgetName: 'budget-dev-aks-nodes',
      subscriptionId: SUB,
      spendingAmount: 1111.32,
      budgetAmount: 10000,
      unit: 'USD',
      notificationThreshold: '8000.0',
    });
  });

  it('refuses other schemas and bad fields, naming the field', () => {
    expect(() => parseBudgetNotification({ schemaId: 'azureMonitorCommonAlertSchema', data: {} })).toThrow(/schemaId/);
    expect(() => parseBudgetNotification([])).toThrow(BudgetPayloadError);
    expect(() => parseBudgetNotification({ ...sample, data: { ...sample.data, SubscriptionId: '../x' } })).toThrow(/data.SubscriptionId/);
    expect(() => parseBudgetNotification({ ...sample, data: { ...sample.data, SpendingAmount: '12,5' } })).toThrow(/data.SpendingAmount/);
    expect(() => parseBudgetNotification({ ...sample, data: { ...sample.data, BudgetName: { a: 1 } } })).toThrow(/data.BudgetName/);
  });

  it('finds the configured budgets it is about: by name, else by scope', () => {
    const budgets = [fixtureBudget()];
    expect(matchBudgets(parseBudgetNotification(sample), budgets).map((b) => b.name)).toEqual(['dev-estate']);
    expect(matchBudgets(parseBudgetNotification({ ...sample, data: { ...sample.data, ResourceGroup: 'other' } }), budgets)).toEqual([]);
    expect(matchBudgets(parseBudgetNotification({ ...sample, data: { ...sample.data, BudgetName: 'dev-estate', ResourceGroup: '' } }), budgets)).toHaveLength(
      1,
    );
  });
});
