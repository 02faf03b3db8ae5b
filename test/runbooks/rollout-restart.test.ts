// rollout-restart through the real client-node against the strict fake API server: what reached
// the server, what is stored, refusals, dry-runs, retries (at-least-once) and the rollout followed
// to its end (the controllers' steps are test/fakes/kube-controllers.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rolloutRestart, RESTARTED_AT_ANNOTATION } from '../../src/runbooks/rollout-restart.js';
import { rolloutDeployment, syncWorkload } from '../fakes/kube-controllers.js';
import { AT, planArgs, runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture();
});
afterEach(async () => {
  await f.stop();
});

const DEP = target('Deployment', 'shop', 'api');

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
      expect.objectContaining({
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/shop/deployments/api',
        contentType: 'application/strategic-merge-patch+json',
        query: { fieldManager: 'aksops' },
        body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: AT } } } } },
      }),
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
    await expect(rolloutRestart.health!(f.ctx, { params: {}, target: DEP, fixed: {}, instanceId: 'x' })).resolves.toEqual({
      healthy: true,
      detail: 'deployment "api" successfully rolled out',
    });
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
    f.kube.seed('statefulsets', {
      metadata: { name: 'redis', namespace: 'data' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'redis' } }, serviceName: 'redis', template: tpl('redis') },
      status: { replicas: 3, readyReplicas: 3, observedGeneration: 1, currentRevision: 'a', updateRevision: 'a' },
    });
    f.kube.seed('daemonsets', {
      metadata: { name: 'fluent-bit', namespace: 'logging' },
      spec: { selector: { matchLabels: { app: 'fluent-bit' } }, template: tpl('fluent-bit') },
      status: { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberAvailable: 4, observedGeneration: 1 },
    });
    f.kube.clearRequests();
    const sts = target('StatefulSet', 'data', 'redis');
    const ds = target('DaemonSet', 'logging', 'fluent-bit');
    expect((await rolloutRestart.run(f.ctx, runArgs(sts, {}, {}))).pending).toBeDefined();
    expect((await rolloutRestart.run(f.ctx, runArgs(ds, {}, {}))).pending).toBeDefined();
    expect(f.writes()).toEqual([
      'PATCH /apis/apps/v1/namespaces/data/statefulsets/redis?fieldManager=aksops',
      'PATCH /apis/apps/v1/namespaces/logging/daemonsets/fluent-bit?fieldManager=aksops',
    ]);
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
