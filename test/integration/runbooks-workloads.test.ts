// rollout-restart, scale-workload and rollback-deployment through the real client-node against
// the strict fake API server: what reached the server, what is stored, refusals, dry-runs,
// retries (at-least-once) and the rollout followed to its end (the controllers' steps are
// test/fakes/kube-controllers.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rolloutRestart, RESTARTED_AT_ANNOTATION } from '../../src/runbooks/rollout-restart.js';
import { scaleWorkload } from '../../src/runbooks/scale-workload.js';
import { rollbackDeployment } from '../../src/runbooks/rollback-deployment.js';
import { hpaObject, newRevision, rolloutDeployment, syncWorkload } from '../fakes/kube-controllers.js';
import { AT, planArgs, runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture();
});
afterEach(async () => {
  await f.stop();
});

const DEP = target('Deployment', 'shop', 'api');
type Template = { metadata: { annotations?: Record<string, string> }; spec: { containers: Array<{ image: string }> } };
const templateOf = (o: { spec?: Record<string, unknown> } | undefined) => o!.spec!['template'] as Template;

describe('rollout-restart', () => {
  it('patches restartedAt once, then follows the rollout to the end', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 3 });
    f.kube.clearRequests();
    const plan = await rolloutRestart.plan(f.ctx, planArgs(DEP, { kind: 'Deployment', name: 'api', namespace: 'shop' }));
    expect(plan).toMatchObject({ summary: 'rollout-restart deployment shop/api (3 replicas)', fixed: {} });
    expect(plan.refusal).toBeUndefined();

    const r0 = await rolloutRestart.run(f.ctx, runArgs(DEP, {}, plan.fixed));
    expect(r0).toMatchObject({ outcome: 'done', pending: { reason: 'Waiting for deployment spec update to be observed...' } });
    expect(f.writeRequests()).toEqual([
      expect.objectContaining({ method: 'PATCH', path: '/apis/apps/v1/namespaces/shop/deployments/api', contentType: 'application/strategic-merge-patch+json', query: { fieldManager: 'aksops' }, body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: AT } } } } } }),
    ]);

    rolloutDeployment(f.kube, 'shop', 'api', 'partial');
    const r1 = await rolloutRestart.run(f.ctx, runArgs(DEP, {}, plan.fixed, { iteration: 1 }));
    expect(r1.pending?.reason).toBe('Waiting for deployment "api" rollout to finish: 1 out of 3 new replicas have been updated...');
    expect(r1.progress).toEqual({ done: 1, total: 3 });

    rolloutDeployment(f.kube, 'shop', 'api', 'complete');
    const r2 = await rolloutRestart.run(f.ctx, runArgs(DEP, {}, plan.fixed, { iteration: 2 }));
    expect(r2.pending).toBeUndefined();
    expect(r2).toMatchObject({ outcome: 'done', detail: 'deployment "api" successfully rolled out' });
    expect(f.writes()).toHaveLength(1);
    await expect(rolloutRestart.health!(f.ctx, { params: {}, target: DEP, fixed: {}, instanceId: 'x' })).resolves.toEqual({ healthy: true, detail: 'deployment "api" successfully rolled out' });
  });

  it('a retried action (same restartedAt) does not patch again', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'api' });
    await rolloutRestart.run(f.ctx, runArgs(DEP, {}, {}));
    f.kube.clearRequests();
    const again = await rolloutRestart.run(f.ctx, runArgs(DEP, {}, {}));
    expect(again.outcome).toBe('already-done');
    expect(f.writes()).toEqual([]);
  });

  it('dry-run sends dryRun=All, stores nothing and does not wait', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'api' });
    const before = f.kube.get('deployments', 'shop', 'api');
    f.kube.clearRequests();
    const r = await rolloutRestart.run(f.ctx, runArgs(DEP, {}, {}, { dryRun: true }));
    expect(r).toMatchObject({ outcome: 'done', dryRun: true });
    expect(r.pending).toBeUndefined();
    expect(f.writes()).toEqual(['PATCH /apis/apps/v1/namespaces/shop/deployments/api?dryRun=All&fieldManager=aksops']);
    expect(f.kube.get('deployments', 'shop', 'api')).toEqual(before);
  });

  it('refuses a paused Deployment in the plan and in the action, with no write', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'api', paused: true });
    f.kube.clearRequests();
    const plan = await rolloutRestart.plan(f.ctx, planArgs(DEP, {}));
    expect(plan.refusal).toMatch(/paused.*kubectl rollout resume deployment\/api -n shop/);
    const r = await rolloutRestart.run(f.ctx, runArgs(DEP, {}, {}));
    expect(r.outcome).toBe('skipped');
    expect(f.writes()).toEqual([]);
  });

  it('restarts a StatefulSet and a DaemonSet through their own endpoints', async () => {
    const tpl = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: app, image: `img/${app}:1` }] } });
    f.kube.seed('statefulsets', { metadata: { name: 'redis', namespace: 'data' }, spec: { replicas: 3, selector: { matchLabels: { app: 'redis' } }, serviceName: 'redis', template: tpl('redis') }, status: { replicas: 3, readyReplicas: 3, observedGeneration: 1, currentRevision: 'a', updateRevision: 'a' } });
    f.kube.seed('daemonsets', { metadata: { name: 'fluent-bit', namespace: 'logging' }, spec: { selector: { matchLabels: { app: 'fluent-bit' } }, template: tpl('fluent-bit') }, status: { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberAvailable: 4, observedGeneration: 1 } });
    f.kube.clearRequests();
    const sts = target('StatefulSet', 'data', 'redis');
    const ds = target('DaemonSet', 'logging', 'fluent-bit');
    expect((await rolloutRestart.run(f.ctx, runArgs(sts, {}, {}))).pending).toBeDefined();
    expect((await rolloutRestart.run(f.ctx, runArgs(ds, {}, {}))).pending).toBeDefined();
    expect(f.writes()).toEqual(['PATCH /apis/apps/v1/namespaces/data/statefulsets/redis?fieldManager=aksops', 'PATCH /apis/apps/v1/namespaces/logging/daemonsets/fluent-bit?fieldManager=aksops']);
    syncWorkload(f.kube, 'statefulsets', 'data', 'redis', false);
    expect((await rolloutRestart.run(f.ctx, runArgs(sts, {}, {}, { iteration: 1 }))).pending?.reason).toMatch(/Waiting for 1 pods to be ready/);
    syncWorkload(f.kube, 'statefulsets', 'data', 'redis');
    syncWorkload(f.kube, 'daemonsets', 'logging', 'fluent-bit');
    expect((await rolloutRestart.run(f.ctx, runArgs(sts, {}, {}, { iteration: 2 }))).detail).toMatch(/statefulset rolling update complete 3 pods/);
    expect((await rolloutRestart.run(f.ctx, runArgs(ds, {}, {}, { iteration: 1 }))).detail).toBe('daemon set "fluent-bit" successfully rolled out');
  });

  it('a rollout past its progress deadline fails the run', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'api' });
    await rolloutRestart.run(f.ctx, runArgs(DEP, {}, {}));
    rolloutDeployment(f.kube, 'shop', 'api', 'stuck');
    const r = await rolloutRestart.run(f.ctx, runArgs(DEP, {}, {}, { iteration: 1 }));
    expect(r).toMatchObject({ outcome: 'failed', detail: 'deployment "api" exceeded its progress deadline' });
  });

  it('reports a missing workload as a refusal, not an error', async () => {
    f.kube.seed('namespaces', { metadata: { name: 'shop' } });
    expect((await rolloutRestart.plan(f.ctx, planArgs(DEP, {}))).refusal).toBe('deployment shop/api does not exist');
  });
});

describe('scale-workload', () => {
  it('scales up with a merge patch of spec.replicas and waits for the replicas', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'worker', replicas: 2 });
    f.kube.clearRequests();
    const t = target('Deployment', 'shop', 'worker');
    const plan = await scaleWorkload.plan(f.ctx, planArgs(t, { kind: 'Deployment', name: 'worker', replicas: '4' }));
    expect(plan).toMatchObject({ summary: 'scale deployment shop/worker from 2 to 4 replicas', fixed: { replicas: 4 } });
    expect(plan.requiresApproval).toBeUndefined();
    const r0 = await scaleWorkload.run(f.ctx, runArgs(t, {}, plan.fixed));
    expect(f.writeRequests()).toEqual([expect.objectContaining({ method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { replicas: 4 } } })]);
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
    expect(f.writeRequests()).toEqual([expect.objectContaining({ method: 'PATCH', path: '/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/api-hpa', contentType: 'application/merge-patch+json', body: { spec: { minReplicas: 2, maxReplicas: 14 } } })]);
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

describe('rollback-deployment', () => {
  const NOW = Date.parse(AT);

  function twoRevisions(minutesAgo: number) {
    f.kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 2, image: 'contoso.azurecr.io/api:1.0.0' });
    newRevision(f.kube, 'shop', 'api', 'contoso.azurecr.io/api:2.0.0', new Date(NOW - minutesAgo * 60_000));
    f.kube.clearRequests();
  }

  it('restores the previous ReplicaSet template with a JSON patch, as kubectl rollout undo', async () => {
    twoRevisions(20);
    const plan = await rollbackDeployment.plan(f.ctx, planArgs(DEP, { deployment: 'api', namespace: 'shop' }));
    expect(plan.refusal).toBeUndefined();
    expect(plan.summary).toBe('roll back deployment shop/api from revision 2 (contoso.azurecr.io/api:2.0.0) to revision 1 (contoso.azurecr.io/api:1.0.0)');
    const r = await rollbackDeployment.run(f.ctx, runArgs(DEP, {}, plan.fixed));
    expect(r).toMatchObject({ outcome: 'done', pending: { reason: 'Waiting for deployment spec update to be observed...' } });
    const [patch] = f.writeRequests();
    expect(patch).toMatchObject({ method: 'PATCH', contentType: 'application/json-patch+json', query: { fieldManager: 'aksops' } });
    const ops = patch!.body as Array<{ op: string; path: string; value: Template & { metadata: { labels: Record<string, string> } } }>;
    expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual(['replace /spec/template', 'replace /metadata/annotations']);
    expect(ops[0]!.value.metadata.labels).toEqual({ app: 'api' });
    expect(templateOf(f.kube.get('deployments', 'shop', 'api')).spec.containers[0]!.image).toBe('contoso.azurecr.io/api:1.0.0');

    // At-least-once: the same action again finds the template in place.
    f.kube.clearRequests();
    expect((await rollbackDeployment.run(f.ctx, runArgs(DEP, {}, plan.fixed))).outcome).toBe('already-done');
    expect(f.writes()).toEqual([]);
    rolloutDeployment(f.kube, 'shop', 'api', 'complete');
    expect((await rollbackDeployment.run(f.ctx, runArgs(DEP, {}, plan.fixed, { iteration: 1 }))).detail).toBe('deployment "api" successfully rolled out');
    expect(f.kube.get('deployments', 'shop', 'api')!.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('refuses without a previous ReplicaSet, outside the window, and when paused', async () => {
    f.kube.seedDeployment({ namespace: 'shop', name: 'api' });
    expect((await rollbackDeployment.plan(f.ctx, planArgs(DEP, { deployment: 'api' }))).refusal).toMatch(/no rollout history found for deployment shop\/api/);
    await f.stop();
    f = await runbookFixture();
    twoRevisions(180);
    expect((await rollbackDeployment.plan(f.ctx, planArgs(DEP, { deployment: 'api' }))).refusal).toMatch(/started rolling out 180 minutes ago, outside the 120-minute window/);
    f.kube.modify('deployments', 'shop', 'api', (d) => ((d.spec as Record<string, unknown>)['paused'] = true));
    expect((await rollbackDeployment.plan(f.ctx, planArgs(DEP, { deployment: 'api' }))).refusal).toMatch(/cannot roll back a paused deployment/);
    expect(f.writes()).toEqual([]);
  });

  it('dry-run sends the patch with dryRun=All and the template stays', async () => {
    twoRevisions(5);
    const plan = await rollbackDeployment.plan(f.ctx, planArgs(DEP, { deployment: 'api' }));
    const r = await rollbackDeployment.run(f.ctx, runArgs(DEP, {}, plan.fixed, { dryRun: true }));
    expect(r.action).toMatch(/^would roll back deployment shop\/api to revision 1/);
    expect(f.writes()).toEqual(['PATCH /apis/apps/v1/namespaces/shop/deployments/api?dryRun=All&fieldManager=aksops']);
    expect(templateOf(f.kube.get('deployments', 'shop', 'api')).spec.containers[0]!.image).toBe('contoso.azurecr.io/api:2.0.0');
  });
});
