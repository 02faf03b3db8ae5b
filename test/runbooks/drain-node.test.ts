// drain-node through the real client-node against the strict fake API server, whose eviction
// subresource answers as kube-apiserver does (201, or 429 when a PodDisruptionBudget does not
// allow the disruption).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { drainNode } from '../../src/runbooks/drain-node.js';
import { finishTerminatingPods, pdbObject, seedDaemonSetPod, seedMirrorPod, seedNode } from '../fakes/kube-controllers.js';
import { planArgs, runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture({
    runbooks: { 'drain-node': { pools: { compute: { maxUnavailable: 1 }, database: { minHealthy: 2 } } } },
    protectedPools: ['system'],
  });
});
afterEach(async () => {
  await f.stop();
});

const N1 = 'aks-compute-12345678-vmss000001';
const N2 = 'aks-compute-12345678-vmss000002';
const NODE = target('Node', '', N1);

function estate() {
  seedNode(f.kube, N1, { pool: 'compute' });
  seedNode(f.kube, N2, { pool: 'compute' });
  const { pods } = f.kube.seedDeployment({ namespace: 'backend', name: 'api', replicas: 2, nodeName: N1 });
  for (const p of pods) f.kube.modify('pods', 'backend', p.metadata.name!, (o) => ((o.status ??= {})['conditions'] = [{ type: 'Ready', status: 'True' }]));
  seedDaemonSetPod(f.kube, 'kube-system', 'kube-proxy', N1);
  seedMirrorPod(f.kube, 'kube-system', `etcd-${N1}`, N1);
  f.kube.seedPod({ namespace: 'backend', name: 'other-node-pod', nodeName: N2 });
  f.kube.clearRequests();
  return pods.map((p) => p.metadata.name!);
}

describe('drain-node', () => {
  it('cordons, evicts through the Eviction API, skips DaemonSet and mirror pods, and waits for termination', async () => {
    const apiPods = estate();
    const plan = await drainNode.plan(f.ctx, planArgs(NODE, { node: N1 }));
    expect(plan.refusal).toBeUndefined();
    expect(plan.fixed).toEqual({ total: 2 });
    expect(plan.steps.join('\n')).toMatch(/evict 2 pods through the Eviction API/);
    expect(plan.steps.join('\n')).toMatch(/skip 1 DaemonSet pods: kube-system\/kube-proxy/);
    expect(plan.steps.join('\n')).toMatch(/skip 1 mirror \(static\) pods/);

    const r0 = await drainNode.run(f.ctx, runArgs(NODE, { node: N1 }, plan.fixed));
    expect(r0.pending?.reason).toMatch(/2 pods terminating/);
    expect(r0.progress).toEqual({ done: 0, total: 2 });
    const writes = f.writeRequests();
    expect(writes[0]).toMatchObject({ method: 'PATCH', path: `/api/v1/nodes/${N1}`, body: { spec: { unschedulable: true } } });
    const evictions = writes.filter((w) => w.path.endsWith('/eviction'));
    expect(evictions.map((w) => w.path).sort()).toEqual(apiPods.map((p) => `/api/v1/namespaces/backend/pods/${p}/eviction`).sort());
    for (const e of evictions) {
      expect(e).toMatchObject({
        method: 'POST',
        status: 201,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { namespace: 'backend' }, deleteOptions: { preconditions: { uid: expect.any(String) } } },
      });
    }
    expect(writes.some((w) => w.method === 'DELETE')).toBe(false);

    f.kube.clearRequests();
    const r1 = await drainNode.run(f.ctx, runArgs(NODE, { node: N1 }, plan.fixed, { iteration: 1 }));
    expect(r1.pending).toBeDefined();
    expect(f.writes()).toEqual([]); // terminating pods are waited for, not evicted again
    finishTerminatingPods(f.kube);
    const r2 = await drainNode.run(f.ctx, runArgs(NODE, { node: N1 }, plan.fixed, { iteration: 2 }));
    expect(r2.pending).toBeUndefined();
    expect(r2).toMatchObject({ outcome: 'done', progress: { done: 2, total: 2 } });
    expect(
      f.kube
        .list('pods', 'kube-system')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['etcd-' + N1, 'kube-proxy-000001'].sort());
    expect(f.kube.get('pods', 'backend', 'other-node-pod')).toBeDefined();
    await expect(drainNode.health!(f.ctx, { params: {}, target: NODE, fixed: {}, instanceId: 'x' })).resolves.toMatchObject({ healthy: true });
  });

  it('a PodDisruptionBudget that allows no disruption gets 429: waited on and retried, never forced', async () => {
    const apiPods = estate();
    f.kube.seed(
      'poddisruptionbudgets',
      pdbObject('backend', 'api-pdb', {
        matchLabels: { app: 'api' },
        minAvailable: 2,
        status: { currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0 },
      }),
    );
    f.kube.clearRequests();
    const r0 = await drainNode.run(f.ctx, runArgs(NODE, { node: N1 }, { total: 2 }));
    expect(r0.pending?.reason).toMatch(/2 pods blocked by a PodDisruptionBudget \(429, retried\)/);
    expect(r0.pending?.reason).toContain('The disruption budget api-pdb needs 2 healthy pods and has 2 currently');
    expect(
      f
        .writeRequests()
        .filter((w) => w.path.endsWith('/eviction'))
        .map((w) => w.status),
    ).toEqual([429, 429]);
    expect(f.writeRequests().some((w) => w.method === 'DELETE')).toBe(false);
    expect(f.kube.list('pods', 'backend').filter((p) => p.metadata.deletionTimestamp)).toEqual([]);

    // The budget allows one disruption: one pod goes, the other is still refused.
    f.kube.modify('poddisruptionbudgets', 'backend', 'api-pdb', (p) => (p.status = { ...p.status, disruptionsAllowed: 1 }));
    f.kube.clearRequests();
    const r1 = await drainNode.run(f.ctx, runArgs(NODE, { node: N1 }, { total: 2 }, { iteration: 1 }));
    expect(
      f
        .writeRequests()
        .filter((w) => w.path.endsWith('/eviction'))
        .map((w) => w.status)
        .sort(),
    ).toEqual([201, 429]);
    expect(r1.pending?.reason).toMatch(/1 pods blocked.*1 pods terminating/);
    expect(f.kube.get('poddisruptionbudgets', 'backend', 'api-pdb')!.status).toMatchObject({ disruptionsAllowed: 0, disruptedPods: expect.any(Object) });
    expect(apiPods).toHaveLength(2);
  });

  it('never drains more nodes of a pool than its budget: refused in the plan, nothing written', async () => {
    estate();
    f.kube.modify('nodes', undefined, N2, (n) => (n.spec = { unschedulable: true }));
    f.kube.clearRequests();
    const plan = await drainNode.plan(f.ctx, planArgs(NODE, { node: N1 }));
    expect(plan.refusal).toMatch(
      /pool compute would have 2 nodes unavailable \(budget maxUnavailable 1; already unavailable: aks-compute-12345678-vmss000002\)/,
    );
    const r = await drainNode.run(f.ctx, runArgs(NODE, { node: N1 }, {}));
    expect(r.outcome).toBe('skipped');
    expect(f.writes()).toEqual([]);
  });

  it('dry-run: the cordon and every eviction with dryRun=All; nothing changes', async () => {
    estate();
    const before = f.kube.list('pods');
    const r = await drainNode.run(f.ctx, runArgs(NODE, { node: N1 }, { total: 2 }, { dryRun: true }));
    expect(r.pending).toBeUndefined();
    expect(r.action).toBe(`would drain node ${N1} (evict 2 pods)`);
    expect(f.writeRequests().every((w) => w.query['dryRun'] === 'All')).toBe(true);
    expect(f.writeRequests()).toHaveLength(3);
    expect(f.kube.list('pods')).toEqual(before);
    expect(f.kube.get('nodes', undefined, N1)!.spec!['unschedulable']).toBeUndefined();
  });

  it('leaves pods with emptyDir data and unreplicated pods, and says so', async () => {
    seedNode(f.kube, N1, { pool: 'compute' });
    f.kube.seedPod({ namespace: 'backend', name: 'debug', nodeName: N1 });
    const owned = f.kube.seedDeployment({ namespace: 'workers', name: 'celery', replicas: 1, nodeName: N1 }).pods[0]!;
    f.kube.modify('pods', 'workers', owned.metadata.name!, (p) => ((p.spec as Record<string, unknown>)['volumes'] = [{ name: 'tmp', emptyDir: {} }]));
    f.kube.clearRequests();
    const plan = await drainNode.plan(f.ctx, planArgs(NODE, {}));
    expect(plan.steps.join('\n')).toMatch(/leave 1 pods with emptyDir data .*workers\/celery-/);
    expect(plan.steps.join('\n')).toMatch(/leave 1 pods no controller would recreate .*backend\/debug/);
    const r = await drainNode.run(f.ctx, runArgs(NODE, {}, plan.fixed));
    expect(r.outcome).toBe('done');
    expect(r.detail).toMatch(/1 pods with emptyDir left/);
    expect(f.writes().filter((w) => w.includes('eviction'))).toEqual([]);
  });

  it('the real eviction endpoint: 404 for a missing pod, 400 for a mismatched name', async () => {
    const core = f.kube.kubeConfig().makeApiClient(CoreV1Api);
    f.kube.seedPod({ namespace: 'backend', name: 'p1' });
    await expect(
      core.createNamespacedPodEviction({ name: 'nope', namespace: 'backend', body: { metadata: { name: 'nope', namespace: 'backend' } } }),
    ).rejects.toMatchObject({ code: 404 });
    await expect(
      core.createNamespacedPodEviction({ name: 'p1', namespace: 'backend', body: { metadata: { name: 'other', namespace: 'backend' } } }),
    ).rejects.toMatchObject({ code: 400 });
  });
});
