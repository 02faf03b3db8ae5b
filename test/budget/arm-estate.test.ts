// Budget actions on a real-SDK estate: AKS agent pools and cluster stop/start through
// @azure/arm-containerservice against the strict fake ARM (HTTPS, bearer, api-version, long-running
// operations polled through their status URLs, 409/429), Deployments through @kubernetes/client-node
// against the strict fake Kubernetes API. The activities (compare-and-set, polling) are the real
// ones; at the end a whole evaluation runs through the replay harness on this estate.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppsV1Api, AutoscalingV2Api, BatchV1Api, CoreV1Api, PolicyV1Api, StorageV1Api } from '@kubernetes/client-node';
import { AgentPools } from '../../src/adapters/arm-agent-pools.js';
import { ManagedClusters } from '../../src/adapters/arm-managed-clusters.js';
import { ArmOperations } from '../../src/adapters/arm-operations.js';
import { AksEstate } from '../../src/adapters/aks-estate.js';
import type { KubeAccess, KubeApis } from '../../src/adapters/kube.js';
import { budgetApplyStep, budgetCheckStep, budgetGate, budgetMeasure, budgetPlan, budgetReadStep, type BudgetEnv } from '../../src/budget/activities.js';
import type { BudgetState } from '../../src/budget/state.js';
import type { Step, StepOutcome } from '../../src/budget/types.js';
import { budgetEnforcementOrchestrator } from '../../orchestrations/budget-enforcement.js';
import { budgetEntity, budgetEntityId } from '../../orchestrations/budget-entity.js';
import { FakeArm, fakeArmCredential } from '../fakes/arm/server.js';
import { installAgentPools, type AgentPoolsFake } from '../fakes/arm/agent-pools.js';
import { installManagedClusters, type ManagedClustersFake } from '../fakes/arm/managed-clusters.js';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { createReplayHarness } from '../support/replay-harness.js';
import { windowGateActivity } from '../support/window-gate.js';
import { FIXTURE, measurementOf } from './replay-support.js';
import { SUB } from './fixtures.js';

const BUDGET = FIXTURE.budgets[0]!;
let arm: FakeArm;
let pools: AgentPoolsFake;
let clusters: ManagedClustersFake;
let kube: FakeKubeApiServer;
let forgotten: string[];
let env: BudgetEnv;

function seed(): void {
  clusters.addCluster({
    subscriptionId: SUB,
    resourceGroup: 'rg-ms5-dev',
    name: 'aks-ms5-dev',
    pools: [
      { name: 'system', mode: 'System', count: 2, enableAutoScaling: true, minCount: 1, maxCount: 3 },
      { name: 'compute', count: 4, enableAutoScaling: true, minCount: 1, maxCount: 10 },
      { name: 'spot', count: 6, enableAutoScaling: true, minCount: 0, maxCount: 20 },
      { name: 'database', count: 2 },
    ],
  });
  clusters.addCluster({
    subscriptionId: SUB,
    resourceGroup: 'rg-ms5-prod',
    name: 'aks-ms5-prod',
    pools: [
      { name: 'system', mode: 'System', count: 3, enableAutoScaling: true, minCount: 2, maxCount: 5 },
      { name: 'spot', count: 5, enableAutoScaling: true, minCount: 1, maxCount: 10 },
      { name: 'database', count: 3 },
    ],
  });
  kube.seedDeployment({ namespace: 'preview', name: 'web', replicas: 3 });
  kube.seedDeployment({ namespace: 'preview', name: 'api', replicas: 2 });
  kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 5 });
}

function kubeAccess(): KubeAccess {
  const kc = kube.kubeConfig();
  const apis = (cluster: string): KubeApis => ({
    cluster,
    via: 'kubeconfig',
    kubeConfig: kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV2Api),
    storage: kc.makeApiClient(StorageV1Api),
  });
  return { forCluster: async (c) => apis(c.name), forget: (name) => void forgotten.push(name) };
}

beforeEach(async () => {
  arm = await FakeArm.start();
  pools = installAgentPools(arm, { pollsUntilDone: 2 });
  clusters = installManagedClusters(arm, pools, { pollsUntilDone: 2 });
  kube = await startFakeKubeApiServer({ token: 'kube-token' });
  forgotten = [];
  seed();
  const credential = fakeArmCredential();
  const clientOptions = { endpoint: arm.url, tlsOptions: { ca: arm.caPem } };
  const estate = new AksEstate({
    config: () => FIXTURE.cfg,
    kube: kubeAccess(),
    pools: new AgentPools({ credential, clientOptions }),
    clusters: new ManagedClusters({ credential, clientOptions }),
    operations: new ArmOperations({ credential: async () => credential, endpoint: arm.url, ca: arm.caPem }),
  });
  env = {
    config: FIXTURE.cfg,
    estate,
    cost: {
      measure: async () => {
        throw new Error('not used');
      },
    },
    isPaused: async () => ({ paused: false, reason: null }),
  };
});

afterEach(async () => {
  await arm.stop();
  await kube.stop();
});

const poolState = (rg: string, c: string, p: string) => {
  const x = pools.pool(SUB, rg, c, p)!.properties;
  return {
    count: x.count,
    enableAutoScaling: x.enableAutoScaling,
    minCount: x.minCount ?? null,
    maxCount: x.maxCount ?? null,
    provisioningState: x.provisioningState,
  };
};

/** apply (or restore) then poll until done, like the orchestration does on its timers. */
async function change(step: Step, before: Step['after'], direction: 'apply' | 'restore'): Promise<{ first: StepOutcome; last: StepOutcome; checks: number }> {
  const first = await budgetApplyStep(env, { step, before, direction, dryRun: false, instanceId: 'test' });
  let last = first;
  let checks = 0;
  while (last.outcome === 'pending' && checks < 10) {
    checks++;
    const input = { step, target: direction === 'apply' ? step.after : before, ...(last.statusUrl ? { statusUrl: last.statusUrl } : {}) };
    last = await budgetCheckStep(env, input);
  }
  return { first, last, checks };
}

describe('agent pools through @azure/arm-containerservice (fake ARM)', () => {
  it("plans from what ARM reports and lowers an autoscaled pool's maxCount as a polled long-running operation", async () => {
    const plan = await budgetPlan(env, { budget: BUDGET, stage: 1, existing: [], stoppedClusters: [] });
    expect(plan.steps.map((s) => [s.target, s.after])).toEqual([
      ['pool/ms5-dev/compute/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 1 }],
      ['pool/ms5-prod/spot/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 2 }],
    ]);
    const step = plan.steps[0]!;
    const before = await budgetReadStep(env, { step });
    expect(before).toEqual({ enableAutoScaling: true, minCount: 1, maxCount: 10 });
    arm.requests.length = 0;
    const r = await change(step, before, 'apply');
    expect(r.first).toMatchObject({
      outcome: 'pending',
      statusUrl: expect.stringMatching(/\/providers\/Microsoft\.ContainerService\/locations\/westeurope\/operations\//),
    });
    expect(r.last).toEqual({ outcome: 'done', values: { enableAutoScaling: true, minCount: 1, maxCount: 1 } });
    expect(poolState('rg-ms5-dev', 'aks-ms5-dev', 'compute')).toEqual({
      count: 4,
      enableAutoScaling: true,
      minCount: 1,
      maxCount: 1,
      provisioningState: 'Succeeded',
    });
    // GET (compare), GET + PUT (read-modify-write, If-Match), status polls until Succeeded, GET (verify).
    const methods = arm.requests.map(
      (q) => `${q.method} ${q.path.replace(/.*managedClusters\//, 'mc/').replace(/.*\/operations\/.*/, 'operation-status')} ${q.status}`,
    );
    expect(methods).toEqual([
      'GET mc/aks-ms5-dev/agentPools/compute 200',
      'GET mc/aks-ms5-dev/agentPools/compute 200',
      'PUT mc/aks-ms5-dev/agentPools/compute 200',
      'GET operation-status 200',
      'GET operation-status 200',
      'GET mc/aks-ms5-dev/agentPools/compute 200',
    ]);
    expect(arm.requests.every((q) => q.authorized && q.apiVersion !== null)).toBe(true);
    // Applying again finds it done: nothing is sent but a read.
    arm.requests.length = 0;
    expect((await change(step, before, 'apply')).first).toEqual({ outcome: 'already', values: step.after });
    expect(arm.requests.map((q) => q.method)).toEqual(['GET']);
    // Restore puts the recorded values back.
    expect((await change(step, before, 'restore')).last.outcome).toBe('done');
    expect(poolState('rg-ms5-dev', 'aks-ms5-dev', 'compute')).toMatchObject({ minCount: 1, maxCount: 10 });
  });

  it('AKS refuses a manual count change on an autoscaled pool and zero nodes on a system pool; to zero is two updates', async () => {
    await expect(env.estate.updatePool('ms5-prod', 'spot', { count: 0 })).rejects.toThrow(
      /Cannot manually scale agent pool 'spot' while the cluster autoscaler is enabled/,
    );
    await expect(env.estate.updatePool('ms5-prod', 'system', { enableAutoScaling: false, minCount: null, maxCount: null, count: 0 })).rejects.toThrow(
      /system pool must have at least 1 node/,
    );
    await expect(env.estate.updatePool('ms5-prod', 'spot', { enableAutoScaling: true, minCount: 5, maxCount: 2 })).rejects.toThrow(
      /must be less than or equal to agentPoolProfile.maxCount/,
    );

    const plan = await budgetPlan(env, { budget: BUDGET, stage: 2, existing: [], stoppedClusters: [] });
    const spot = plan.steps.filter((s) => s.cluster === 'ms5-prod' && s.pool === 'spot');
    expect(spot.map((s) => s.kind)).toEqual(['pool-autoscaler', 'pool-count']);
    const initial = poolState('rg-ms5-prod', 'aks-ms5-prod', 'spot');
    const befores: Array<Step['after']> = [];
    for (const s of spot) {
      const before = await budgetReadStep(env, { step: s });
      befores.push(before);
      expect((await change(s, before, 'apply')).last.outcome).toBe('done');
    }
    expect(befores).toEqual([{ enableAutoScaling: true, minCount: 1, maxCount: 10 }, { count: 5 }]);
    expect(poolState('rg-ms5-prod', 'aks-ms5-prod', 'spot')).toMatchObject({ count: 0, enableAutoScaling: false, minCount: null, maxCount: null });
    for (let i = spot.length - 1; i >= 0; i--) expect((await change(spot[i]!, befores[i]!, 'restore')).last.outcome).toBe('done');
    expect(poolState('rg-ms5-prod', 'aks-ms5-prod', 'spot')).toEqual(initial);
  });

  it('a pool someone changed since is not overwritten (drift), and ARM throttling is retried later', async () => {
    const plan = await budgetPlan(env, { budget: BUDGET, stage: 1, existing: [], stoppedClusters: [] });
    const step = plan.steps[1]!; // ms5-prod spot maxCount 10 -> 2
    const before = await budgetReadStep(env, { step });
    pools.pool(SUB, 'rg-ms5-prod', 'aks-ms5-prod', 'spot')!.properties.maxCount = 7; // a human changed it
    const r = await budgetApplyStep(env, { step, before, direction: 'apply', dryRun: false, instanceId: 't' });
    expect(r).toMatchObject({ outcome: 'drifted', values: { maxCount: 7 } });
    expect(poolState('rg-ms5-prod', 'aks-ms5-prod', 'spot').maxCount).toBe(7);

    arm.throttleNext(4, 0); // the SDK retries 3 times, then gives up
    const t = await budgetApplyStep(env, { step, before: { ...before, maxCount: 7 }, direction: 'apply', dryRun: false, instanceId: 't' });
    expect(t).toMatchObject({ outcome: 'throttled', retryAfterSeconds: 60 });
  });
});

describe('managed clusters: stop and start (fake ARM)', () => {
  it('stops a non-production cluster as a long-running operation; a stopped cluster refuses pool updates; start gives it back, with a new API server address', async () => {
    const plan = await budgetPlan(env, { budget: BUDGET, stage: 2, existing: [], stoppedClusters: [] });
    const stop = plan.steps.find((s) => s.kind === 'cluster-power')!;
    expect(stop).toMatchObject({ cluster: 'ms5-dev', after: { power: 'Stopped' } });
    const before = await budgetReadStep(env, { step: stop });
    expect(before).toEqual({ power: 'Running' });
    const fqdn = clusters.cluster(SUB, 'rg-ms5-dev', 'aks-ms5-dev')!.properties.fqdn;
    const r = await change(stop, before, 'apply');
    expect(r.first).toMatchObject({ outcome: 'pending', statusUrl: expect.any(String) });
    expect(r.last).toEqual({ outcome: 'done', values: { power: 'Stopped' } });
    expect(clusters.cluster(SUB, 'rg-ms5-dev', 'aks-ms5-dev')!.properties).toMatchObject({ powerState: { code: 'Stopped' }, provisioningState: 'Succeeded' });
    await expect(env.estate.updatePool('ms5-dev', 'compute', { enableAutoScaling: true, minCount: 1, maxCount: 2 })).rejects.toMatchObject({
      name: 'BusyError',
    });
    // Stopping again is refused by AKS; the activity never asks (compare-and-set answers 'already').
    expect((await budgetApplyStep(env, { step: stop, before, direction: 'apply', dryRun: false, instanceId: 't' })).outcome).toBe('already');
    const back = await change(stop, before, 'restore');
    expect(back.last).toEqual({ outcome: 'done', values: { power: 'Running' } });
    expect(clusters.cluster(SUB, 'rg-ms5-dev', 'aks-ms5-dev')!.properties.fqdn).not.toBe(fqdn);
    // The cached Kubernetes endpoint of the cluster is dropped when its power changes.
    expect(forgotten.filter((c) => c === 'ms5-dev').length).toBeGreaterThanOrEqual(2);
  });
});

describe('deployments through @kubernetes/client-node (fake Kubernetes API)', () => {
  it("scales a namespace's Deployments to zero with a merge patch of spec.replicas and back, leaving other namespaces alone", async () => {
    const plan = await budgetPlan(env, { budget: BUDGET, stage: 2, existing: [], stoppedClusters: [] });
    const ds = plan.steps.filter((s) => s.kind === 'workload-replicas');
    expect(ds.map((s) => s.target)).toEqual(['deployment/ms5-prod/preview/api/replicas', 'deployment/ms5-prod/preview/web/replicas']);
    kube.clearRequests();
    const befores = [];
    for (const s of ds) {
      const b = await budgetReadStep(env, { step: s });
      befores.push(b);
      expect(await budgetApplyStep(env, { step: s, before: b, direction: 'apply', dryRun: false, instanceId: 't' })).toEqual({
        outcome: 'done',
        values: { replicas: 0 },
      });
    }
    const patches = kube.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => [p.path, p.contentType, p.body])).toEqual([
      ['/apis/apps/v1/namespaces/preview/deployments/api', 'application/merge-patch+json', { spec: { replicas: 0 } }],
      ['/apis/apps/v1/namespaces/preview/deployments/web', 'application/merge-patch+json', { spec: { replicas: 0 } }],
    ]);
    expect(kube.get('deployments', 'preview', 'web')!['spec']).toMatchObject({ replicas: 0 });
    for (let i = ds.length - 1; i >= 0; i--)
      await budgetApplyStep(env, { step: ds[i]!, before: befores[i]!, direction: 'restore', dryRun: false, instanceId: 't' });
    expect((kube.get('deployments', 'preview', 'web')!['spec'] as { replicas: number }).replicas).toBe(3);
    expect((kube.get('deployments', 'preview', 'api')!['spec'] as { replicas: number }).replicas).toBe(2);
    expect((kube.get('deployments', 'shop', 'api')!['spec'] as { replicas: number }).replicas).toBe(5);
    expect(kube.requests.some((r) => r.path.includes('/namespaces/shop/') && r.method !== 'GET')).toBe(false);
  });
});

describe('one evaluation end to end on the SDK estate (replay harness)', () => {
  it('fires every stage on day 29 and the new period restores the estate exactly', { timeout: 120_000 }, async () => {
    const curve = { '2025-03-29': [3010, 3080], '2025-04-01': [15, null] } as Record<string, [number | null, number | null]>;
    const snapshot = () => ({
      pools: ['compute', 'spot', 'system', 'database']
        .map((p) => poolState('rg-ms5-dev', 'aks-ms5-dev', p))
        .concat(['spot', 'system', 'database'].map((p) => poolState('rg-ms5-prod', 'aks-ms5-prod', p))),
      power: clusters.cluster(SUB, 'rg-ms5-dev', 'aks-ms5-dev')!.properties.powerState.code,
      replicas: ['web', 'api'].map((n) => (kube.get('deployments', 'preview', n)!['spec'] as { replicas: number }).replicas),
    });
    const initial = snapshot();
    let entities: Record<string, string> = {};
    for (const day of ['2025-03-29', '2025-04-01']) {
      const at = `${day}T06:00:00.000Z`;
      const runEnv: BudgetEnv = { ...env, cost: { measure: async (i) => measurementOf(curve, BUDGET, i.now) } };
      const h = createReplayHarness({
        orchestrator: budgetEnforcementOrchestrator,
        instanceId: `budget-e2e-${day}`,
        input: {
          budget: BUDGET,
          period: {
            key: day.slice(0, 8) + '01',
            start: `${day.slice(0, 8)}01T00:00:00.000Z`,
            end: day.startsWith('2025-03') ? '2025-04-01T00:00:00.000Z' : '2025-05-01T00:00:00.000Z',
          },
          trigger: 'timer',
          refresh: false,
          forceDryRun: false,
        },
        startTime: at,
        activities: {
          budgetGate: () => budgetGate(runEnv),
          ...windowGateActivity(),
          budgetMeasure: (i: never) => budgetMeasure(runEnv, i),
          budgetPlan: (i: never) => budgetPlan(runEnv, i),
          budgetReadStep: (i: never) => budgetReadStep(runEnv, i),
          budgetApplyStep: (i: never) => budgetApplyStep(runEnv, i),
          budgetCheckStep: (i: never) => budgetCheckStep(runEnv, i),
          budgetReport: () => ({ namespaces: [], idle: [], notes: [] }),
          budgetNotify: () => undefined,
          budgetAudit: () => undefined,
        },
        entities: { budget: budgetEntity },
      });
      Object.assign(h.store.entities, entities);
      const res = await h.run();
      expect(res.status, day).toBe('completed');
      entities = h.store.entities;
      if (day === '2025-03-29') {
        expect(res.output).toMatchObject({ fired: ['warn', 'slow-down', 'stop'], applied: 7, failed: 0 });
        expect(snapshot()).toMatchObject({ power: 'Stopped', replicas: [0, 0] });
      } else {
        expect(res.output).toMatchObject({ restored: 7, failed: 0 });
      }
    }
    expect(snapshot()).toEqual(initial);
    const march = JSON.parse(entities[`@budget@${budgetEntityId(BUDGET.name, '2025-03-01').key}`]!) as BudgetState;
    expect(march.actions.every((a) => a.status === 'restored')).toBe(true);
    expect(arm.operationsInProgress).toBe(0);
  });
});
