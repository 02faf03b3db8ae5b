// expand-pvc through the real client-node against the strict fake API server (PVC resize
// admission and validation).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { expandPvc } from '../../src/runbooks/expand-pvc.js';
import { pvcObject, resizePvc, storageClassObject } from '../fakes/kube-controllers.js';
import { planArgs, runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture({ runbooks: { 'expand-pvc': { step: '20%', max: '100Gi' } } });
});
afterEach(async () => {
  await f.stop();
});

const PVC = target('PersistentVolumeClaim', 'data', 'pg-data');

describe('expand-pvc', () => {
  it('grows by the step when the class allows expansion, and follows the resize conditions', async () => {
    f.kube.seed('storageclasses', storageClassObject('managed-csi-premium', true));
    f.kube.seed('persistentvolumeclaims', pvcObject('data', 'pg-data', { storageClassName: 'managed-csi-premium', size: '50Gi' }));
    f.kube.clearRequests();
    const plan = await expandPvc.plan(f.ctx, planArgs(PVC, { namespace: 'data', pvc: 'pg-data' }));
    expect(plan).toMatchObject({
      summary: 'expand persistentvolumeclaim data/pg-data from 50Gi to 60Gi (storage class managed-csi-premium, cap 100Gi)',
      fixed: { size: '60Gi' },
    });
    const r0 = await expandPvc.run(f.ctx, runArgs(PVC, {}, plan.fixed));
    expect(f.writeRequests()).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        path: '/api/v1/namespaces/data/persistentvolumeclaims/pg-data',
        contentType: 'application/merge-patch+json',
        status: 200,
        body: { spec: { resources: { requests: { storage: '60Gi' } } } },
      }),
    ]);
    expect(r0.pending?.reason).toMatch(/waiting for the resize to start/);
    resizePvc(f.kube, 'data', 'pg-data', 'controller');
    expect((await expandPvc.run(f.ctx, runArgs(PVC, {}, plan.fixed, { iteration: 1 }))).pending?.reason).toMatch(
      /external resizer is expanding the volume \(Resizing\)/,
    );
    resizePvc(f.kube, 'data', 'pg-data', 'node');
    expect((await expandPvc.run(f.ctx, runArgs(PVC, {}, plan.fixed, { iteration: 2 }))).pending?.reason).toMatch(/FileSystemResizePending/);
    resizePvc(f.kube, 'data', 'pg-data', 'done');
    const r3 = await expandPvc.run(f.ctx, runArgs(PVC, {}, plan.fixed, { iteration: 3 }));
    expect(r3).toMatchObject({ outcome: 'done', detail: 'status.capacity.storage is 60Gi' });
    expect(r3.pending).toBeUndefined();
    // At-least-once: the same action again patches nothing.
    f.kube.clearRequests();
    expect((await expandPvc.run(f.ctx, runArgs(PVC, {}, plan.fixed))).outcome).toBe('already-done');
    expect(f.writes()).toEqual([]);
  });

  it('refuses a class without allowVolumeExpansion (and the API server would answer 403)', async () => {
    f.kube.seed('storageclasses', storageClassObject('azurefile-legacy', false));
    f.kube.seed('persistentvolumeclaims', pvcObject('data', 'pg-data', { storageClassName: 'azurefile-legacy', size: '50Gi' }));
    f.kube.clearRequests();
    const plan = await expandPvc.plan(f.ctx, planArgs(PVC, {}));
    expect(plan.refusal).toMatch(/storage class azurefile-legacy does not allow volume expansion/);
    expect(f.writes()).toEqual([]);
    const core = f.kube.kubeConfig().makeApiClient(CoreV1Api);
    await expect(
      core.patchNamespacedPersistentVolumeClaim(
        { name: 'pg-data', namespace: 'data', body: { spec: { resources: { requests: { storage: '60Gi' } } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    ).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining('only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize'),
    });
  });

  it('stops at the cap, and a dry-run changes nothing', async () => {
    f.kube.seed('storageclasses', storageClassObject('managed-csi', true));
    f.kube.seed('persistentvolumeclaims', pvcObject('data', 'full', { storageClassName: 'managed-csi', size: '100Gi' }));
    f.kube.seed('persistentvolumeclaims', pvcObject('data', 'pg-data', { storageClassName: 'managed-csi', size: '95Gi' }));
    expect((await expandPvc.plan(f.ctx, planArgs(target('PersistentVolumeClaim', 'data', 'full'), {}))).refusal).toMatch(
      /already at the cap runbooks.expand-pvc.max \(100Gi\)/,
    );
    const plan = await expandPvc.plan(f.ctx, planArgs(PVC, {}));
    expect(plan.fixed).toEqual({ size: '100Gi' });
    f.kube.clearRequests();
    const before = f.kube.get('persistentvolumeclaims', 'data', 'pg-data');
    const r = await expandPvc.run(f.ctx, runArgs(PVC, {}, plan.fixed, { dryRun: true }));
    expect(r.action).toBe('would expand persistentvolumeclaim data/pg-data to 100Gi');
    expect(f.writes()).toEqual(['PATCH /api/v1/namespaces/data/persistentvolumeclaims/pg-data?dryRun=All&fieldManager=aksops']);
    expect(f.kube.get('persistentvolumeclaims', 'data', 'pg-data')).toEqual(before);
  });

  it('reports a failed resize', async () => {
    f.kube.seed('storageclasses', storageClassObject('managed-csi', true));
    f.kube.seed('persistentvolumeclaims', pvcObject('data', 'pg-data', { storageClassName: 'managed-csi', size: '10Gi' }));
    await expandPvc.run(f.ctx, runArgs(PVC, {}, { size: '12Gi' }));
    f.kube.modify('persistentvolumeclaims', 'data', 'pg-data', (p) => ((p.status ??= {})['allocatedResourceStatuses'] = { storage: 'ControllerResizeFailed' }));
    expect(await expandPvc.run(f.ctx, runArgs(PVC, {}, { size: '12Gi' }, { iteration: 1 }))).toMatchObject({
      outcome: 'failed',
      detail: expect.stringContaining('ControllerResizeFailed'),
    });
  });
});
