// rollback-deployment through the real client-node against the strict fake API server: the
// previous ReplicaSet template restored with a JSON patch (as kubectl rollout undo), refusals, dry-run.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rollbackDeployment } from '../../src/runbooks/rollback-deployment.js';
import { newRevision, rolloutDeployment } from '../fakes/kube-controllers.js';
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
    expect((await rollbackDeployment.plan(f.ctx, planArgs(DEP, { deployment: 'api' }))).refusal).toMatch(
      /started rolling out 180 minutes ago, outside the 120-minute window/,
    );
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
