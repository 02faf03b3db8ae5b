// expand-pvc, delete-failed-jobs and run-job through the real client-node against the strict
// fake API server (PVC resize admission and validation, Job defaults, propagationPolicy).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { expandPvc } from '../../src/runbooks/expand-pvc.js';
import { deleteFailedJobs, runJob, runJobName } from '../../src/runbooks/jobs.js';
import { finishJob, jobObject, pvcObject, resizePvc, seedJobPods, storageClassObject } from '../fakes/kube-controllers.js';
import { AT, planArgs, runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture({
    runbooks: {
      'expand-pvc': { step: '20%', max: '100Gi' },
      'run-job': { templates: { 'diag-dns': { namespace: 'ops', image: 'contoso.azurecr.io/netshoot:1.0', command: ['/bin/sh', '-c', 'nslookup $ALERT_LABEL_SERVICE'], env: { MODE: 'quick' }, ttlAfterFinished: '1h', activeDeadline: '10m' } } },
    },
  });
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
    expect(plan).toMatchObject({ summary: 'expand persistentvolumeclaim data/pg-data from 50Gi to 60Gi (storage class managed-csi-premium, cap 100Gi)', fixed: { size: '60Gi' } });
    const r0 = await expandPvc.run(f.ctx, runArgs(PVC, {}, plan.fixed));
    expect(f.writeRequests()).toEqual([expect.objectContaining({ method: 'PATCH', path: '/api/v1/namespaces/data/persistentvolumeclaims/pg-data', contentType: 'application/merge-patch+json', status: 200, body: { spec: { resources: { requests: { storage: '60Gi' } } } } })]);
    expect(r0.pending?.reason).toMatch(/waiting for the resize to start/);
    resizePvc(f.kube, 'data', 'pg-data', 'controller');
    expect((await expandPvc.run(f.ctx, runArgs(PVC, {}, plan.fixed, { iteration: 1 }))).pending?.reason).toMatch(/external resizer is expanding the volume \(Resizing\)/);
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
      core.patchNamespacedPersistentVolumeClaim({ name: 'pg-data', namespace: 'data', body: { spec: { resources: { requests: { storage: '60Gi' } } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    ).rejects.toMatchObject({ code: 403, body: expect.stringContaining('only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize') });
  });

  it('stops at the cap, and a dry-run changes nothing', async () => {
    f.kube.seed('storageclasses', storageClassObject('managed-csi', true));
    f.kube.seed('persistentvolumeclaims', pvcObject('data', 'full', { storageClassName: 'managed-csi', size: '100Gi' }));
    f.kube.seed('persistentvolumeclaims', pvcObject('data', 'pg-data', { storageClassName: 'managed-csi', size: '95Gi' }));
    expect((await expandPvc.plan(f.ctx, planArgs(target('PersistentVolumeClaim', 'data', 'full'), {}))).refusal).toMatch(/already at the cap runbooks.expand-pvc.max \(100Gi\)/);
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
    expect(await expandPvc.run(f.ctx, runArgs(PVC, {}, { size: '12Gi' }, { iteration: 1 }))).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('ControllerResizeFailed') });
  });
});

describe('delete-failed-jobs', () => {
  const JOBS = target('Job', 'analysis', 'app=packamal-analysis');
  function seedJobs() {
    const labels = { app: 'packamal-analysis' };
    const failedA = f.kube.seed('jobs', jobObject('analysis', 'scan-a', { labels, failed: true, startTime: '2025-03-01T08:00:00Z' }));
    const failedB = f.kube.seed('jobs', jobObject('analysis', 'scan-b', { labels, failed: true, startTime: '2025-03-01T10:10:00Z' }));
    f.kube.seed('jobs', jobObject('analysis', 'scan-ok', { labels, succeeded: true }));
    f.kube.seed('jobs', jobObject('analysis', 'other-failed', { labels: { app: 'other' }, failed: true }));
    seedJobPods(f.kube, failedA, 2);
    seedJobPods(f.kube, failedB, 1);
    f.kube.clearRequests();
  }

  it('deletes the failed jobs matching the selector with their pods (propagationPolicy Background)', async () => {
    seedJobs();
    const plan = await deleteFailedJobs.plan(f.ctx, planArgs(JOBS, { namespace: 'analysis', selector: 'app=packamal-analysis' }));
    expect(plan.summary).toBe('delete 2 failed jobs in analysis matching app=packamal-analysis and their pods');
    const r = await deleteFailedJobs.run(f.ctx, runArgs(JOBS, {}, plan.fixed));
    expect(r.outcome).toBe('done');
    const deletes = f.writeRequests();
    expect(deletes.map((d) => `${d.method} ${d.path}`)).toEqual(['DELETE /apis/batch/v1/namespaces/analysis/jobs/scan-a', 'DELETE /apis/batch/v1/namespaces/analysis/jobs/scan-b']);
    for (const d of deletes) expect(d).toMatchObject({ query: { propagationPolicy: 'Background' }, body: { preconditions: { uid: expect.any(String) } }, status: 200 });
    expect(f.kube.list('jobs', 'analysis').map((j) => j.metadata.name).sort()).toEqual(['other-failed', 'scan-ok']);
    expect(f.kube.list('pods', 'analysis')).toEqual([]);
    // At-least-once: a second run of the same action finds them gone.
    f.kube.clearRequests();
    expect((await deleteFailedJobs.run(f.ctx, runArgs(JOBS, {}, plan.fixed))).outcome).toBe('already-done');
    await expect(deleteFailedJobs.health!(f.ctx, { params: { selector: 'app=packamal-analysis' }, target: JOBS, fixed: {}, instanceId: 'x' })).resolves.toMatchObject({ healthy: true });
  });

  it('olderThan and a named job narrow the choice; dry-run deletes nothing', async () => {
    seedJobs();
    const older = await deleteFailedJobs.plan(f.ctx, planArgs(JOBS, { selector: 'app=packamal-analysis', olderThan: '1h' }, { at: AT }));
    expect(older.fixed).toEqual({ jobs: expect.stringMatching(/^scan-a:/) });
    const named = await deleteFailedJobs.plan(f.ctx, planArgs(target('Job', 'analysis', 'other-failed'), { job: 'other-failed' }));
    expect(named.fixed['jobs']).toMatch(/^other-failed:/);
    const r = await deleteFailedJobs.run(f.ctx, runArgs(JOBS, {}, older.fixed, { dryRun: true }));
    expect(r.action).toBe('would delete 1 failed jobs in analysis: scan-a');
    expect(f.writes()).toEqual(['DELETE /apis/batch/v1/namespaces/analysis/jobs/scan-a?dryRun=All&propagationPolicy=Background']);
    expect(f.kube.list('jobs', 'analysis')).toHaveLength(4);
  });

  it('the fake orphans pods when a Job is deleted without a policy, as the real API does', async () => {
    seedJobs();
    const batch = f.ctx.apis.batch;
    await batch.deleteNamespacedJob({ name: 'scan-a', namespace: 'analysis' });
    expect(f.kube.list('pods', 'analysis').filter((p) => p.metadata.name!.startsWith('scan-a'))).toHaveLength(2);
  });
});

describe('run-job', () => {
  const JOB = target('Job', '', 'diag-dns');
  const labels = { alertname: 'KubeDNSDown', service: 'kube-dns', cluster: 'ms5-prod' };

  it('creates the Job from the template with alert labels as env, waits for it, never twice', async () => {
    f.kube.seed('namespaces', { metadata: { name: 'ops' } });
    const plan = await runJob.plan(f.ctx, planArgs(JOB, { template: 'diag-dns' }, { labels }));
    const name = runJobName('diag-dns', 'rem-test-0001');
    expect(plan).toMatchObject({ target: { namespace: 'ops', kind: 'Job', name }, fixed: { job: name, namespace: 'ops' } });
    f.kube.clearRequests();
    const r0 = await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed, { labels }));
    expect(r0.pending?.reason).toMatch(/0 active/);
    const [create] = f.writeRequests();
    expect(create).toMatchObject({ method: 'POST', path: '/apis/batch/v1/namespaces/ops/jobs', status: 201 });
    const job = f.kube.get('jobs', 'ops', name)!;
    const container = (job.spec as { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }>; command: string[] }>; restartPolicy: string } } }).template.spec;
    expect(container.restartPolicy).toBe('Never');
    expect(container.containers[0]!.env).toEqual([
      { name: 'MODE', value: 'quick' },
      { name: 'ALERT_LABEL_ALERTNAME', value: 'KubeDNSDown' },
      { name: 'ALERT_LABEL_CLUSTER', value: 'ms5-prod' },
      { name: 'ALERT_LABEL_SERVICE', value: 'kube-dns' },
    ]);
    expect(job.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 3600, activeDeadlineSeconds: 600 });

    // A retried action (crash after create) finds the Job: 409, no second Job.
    const again = await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed, { labels }));
    expect(again.outcome).toBe('already-done');
    expect(f.kube.list('jobs', 'ops')).toHaveLength(1);

    finishJob(f.kube, 'ops', name, 'Complete');
    expect(await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed, { iteration: 1 }))).toMatchObject({ outcome: 'done', detail: 'the job completed (1 succeeded)' });
    await expect(runJob.health!(f.ctx, { params: {}, target: JOB, fixed: plan.fixed, instanceId: 'x' })).resolves.toMatchObject({ healthy: true });
  });

  it('a failed Job fails the run; an unknown template is refused; dry-run creates nothing', async () => {
    f.kube.seed('namespaces', { metadata: { name: 'ops' } });
    const plan = await runJob.plan(f.ctx, planArgs(JOB, { template: 'diag-dns' }));
    await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed));
    finishJob(f.kube, 'ops', String(plan.fixed['job']), 'Failed');
    expect(await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed, { iteration: 1 }))).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/BackoffLimitExceeded.*kubectl logs -n ops job\//) });
    expect((await runJob.plan(f.ctx, planArgs(target('Job', '', 'nope'), { template: 'nope' }))).refusal).toMatch(/no Job template "nope"/);
    f.kube.clearRequests();
    const dry = await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed, { dryRun: true, instanceId: 'rem-other' }));
    expect(dry.outcome).toBe('done');
    expect(f.writes()).toEqual(['POST /apis/batch/v1/namespaces/ops/jobs?dryRun=All&fieldManager=aksops']);
    expect(f.kube.list('jobs', 'ops')).toHaveLength(1);
  });
});
