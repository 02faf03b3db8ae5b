// scale-workload through the real client-node against the strict fake API server: merge patch of
// spec.replicas, the bounds, the owning HPA, dry-run.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scaleWorkload } from '../../src/runbooks/scale-workload.js';
import { hpaObject, rolloutDeployment } from '../fakes/kube-controllers.js';
import { planArgs, runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture();
});
afterEach(async () => {
  await f.stop();
});

const DEP = target('Deployment', 'shop', 'api');

describe('scale-workload', () => {
  it('scales up with a merge patch of spec.replicas and waits for the replicas', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'worker', replicas: 2 });
    f.kube.clearRequests();
    const t = target('Deployment', 'shop', 'worker');
    const plan = await scaleWorkload.plan(f.ctx, planArgs(t, { kind: 'Deployment', name: 'worker', replicas: '4' }));
    expect(plan).toMatchObject({ summary: 'scale deployment shop/worker from 2 to 4 replicas', fixed: { replicas: 4 } });
    expect(plan.requiresApproval).toBeUndefined();
    const r0 = await scaleWorkload.run(f.ctx, runArgs(t, {}, plan.fixed));
    expect(f.writeRequests()).toEqual([
      expect.objectContaining({ method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { replicas: 4 } } }),
    ]);
    expect(r0.pending).toBeDefined();
    rolloutDeployment(f.kube, 'shop', 'worker', 'complete');
    const r1 = await scaleWorkload.run(f.ctx, runArgs(t, {}, plan.fixed, { iteration: 1 }));
    expect(r1).toMatchObject({ outcome: 'done', detail: '4 replicas available' });
    expect(f.writes()).toHaveLength(1);
  });

  it('never goes above maxReplicas, never to zero, and a scale-down needs approval', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'worker', replicas: 6 });
    const t = target('Deployment', 'shop', 'worker');
    const big = await scaleWorkload.plan(f.ctx, planArgs(t, { name: 'worker', replicas: '500' }));
    expect(big.fixed).toEqual({ replicas: 20 });
    expect(big.summary).toMatch(/asked for 500; bounded by maxReplicas 20/);
    const zero = await scaleWorkload.plan(f.ctx, planArgs(t, { name: 'worker', replicas: '0' }));
    expect(zero.refusal).toMatch(/to zero is not allowed/);
    const down = await scaleWorkload.plan(f.ctx, planArgs(t, { name: 'worker', by: '-2' }));
    expect(down).toMatchObject({ fixed: { replicas: 4 }, requiresApproval: 'scaling deployment shop/worker down from 6 to 4 replicas' });
  });

  it('raises the bounds of the HPA that owns the workload instead, and says so', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 10 });
    f.kube.seed('horizontalpodautoscalers', hpaObject('shop', 'api-hpa', { target: { kind: 'Deployment', name: 'api' }, min: 2, max: 10 }));
    f.kube.clearRequests();
    const hpa = target('HorizontalPodAutoscaler', 'shop', 'api-hpa');
    // KubeHpaMaxedOut: {hpa, by: 4} raises the ceiling only.
    const plan = await scaleWorkload.plan(f.ctx, planArgs(hpa, { hpa: 'api-hpa', by: '4' }));
    expect(plan).toMatchObject({ target: hpa, fixed: { hpaMin: 2, hpaMax: 14, viaHpa: true } });
    expect(plan.summary).toMatch(/^raise horizontalpodautoscaler shop\/api-hpa bounds to min 2, max 14 \(it owns deployment shop\/api/);
    const r = await scaleWorkload.run(f.ctx, runArgs(hpa, {}, plan.fixed));
    expect(f.writeRequests()).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        path: '/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/api-hpa',
        contentType: 'application/merge-patch+json',
        body: { spec: { minReplicas: 2, maxReplicas: 14 } },
      }),
    ]);
    expect(r.outcome).toBe('done');
    expect(f.kube.get('horizontalpodautoscalers', 'shop', 'api-hpa')!.spec).toMatchObject({ minReplicas: 2, maxReplicas: 14 });
    expect(f.kube.get('deployments', 'shop', 'api')!.spec!['replicas']).toBe(10);

    // An absolute count on the Deployment finds the HPA too and raises its floor.
    const abs = await scaleWorkload.plan(f.ctx, planArgs(DEP, { name: 'api', replicas: '12' }));
    expect(abs.fixed).toMatchObject({ hpaMin: 12, hpaMax: 14 });
    // Lowering what an HPA owns is for humans.
    const down = await scaleWorkload.plan(f.ctx, planArgs(DEP, { name: 'api', replicas: '3' }));
    expect(down.refusal).toMatch(/only raises an HPA's bounds/);
  });

  it('dry-run sends dryRun=All and changes nothing', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'worker', replicas: 2 });
    f.kube.clearRequests();
    const t = target('Deployment', 'shop', 'worker');
    const r = await scaleWorkload.run(f.ctx, runArgs(t, {}, { replicas: 3 }, { dryRun: true }));
    expect(r).toMatchObject({ outcome: 'done', action: 'would scale deployment shop/worker to 3 replicas' });
    expect(f.writes()).toEqual(['PATCH /apis/apps/v1/namespaces/shop/deployments/worker?dryRun=All&fieldManager=aksops']);
    expect(f.kube.get('deployments', 'shop', 'worker')!.spec!['replicas']).toBe(2);
  });
});
