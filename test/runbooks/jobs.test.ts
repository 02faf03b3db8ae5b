// delete-failed-jobs and run-job through the real client-node against the strict fake API
// server (Job defaults, propagationPolicy).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteFailedJobs, runJob, runJobName } from '../../src/runbooks/jobs.js';
import { finishJob, jobObject, seedJobPods } from '../fakes/kube-controllers.js';
import { AT, planArgs, runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture({
    runbooks: {
      'run-job': {
        templates: {
          'diag-dns': {
            namespace: 'ops',
            image: 'contoso.azurecr.io/netshoot:1.0',
            command: ['/bin/sh', '-c', 'nslookup $ALERT_LABEL_SERVICE'],
            env: { MODE: 'quick' },
            ttlAfterFinished: '1h',
            activeDeadline: '10m',
          },
        },
      },
    },
  });
});
afterEach(async () => {
  await f.stop();
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
    expect(deletes.map((d) => `${d.method} ${d.path}`)).toEqual([
      'DELETE /apis/batch/v1/namespaces/analysis/jobs/scan-a',
      'DELETE /apis/batch/v1/namespaces/analysis/jobs/scan-b',
    ]);
    for (const d of deletes)
      expect(d).toMatchObject({ query: { propagationPolicy: 'Background' }, body: { preconditions: { uid: expect.any(String) } }, status: 200 });
    expect(
      f.kube
        .list('jobs', 'analysis')
        .map((j) => j.metadata.name)
        .sort(),
    ).toEqual(['other-failed', 'scan-ok']);
    expect(f.kube.list('pods', 'analysis')).toEqual([]);
    // At-least-once: a second run of the same action finds them gone.
    f.kube.clearRequests();
    expect((await deleteFailedJobs.run(f.ctx, runArgs(JOBS, {}, plan.fixed))).outcome).toBe('already-done');
    await expect(
      deleteFailedJobs.health!(f.ctx, { params: { selector: 'app=packamal-analysis' }, target: JOBS, fixed: {}, instanceId: 'x' }),
    ).resolves.toMatchObject({ healthy: true });
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
    const container = (
      job.spec as { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }>; command: string[] }>; restartPolicy: string } } }
    ).template.spec;
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
    expect(await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed, { iteration: 1 }))).toMatchObject({
      outcome: 'done',
      detail: 'the job completed (1 succeeded)',
    });
    await expect(runJob.health!(f.ctx, { params: {}, target: JOB, fixed: plan.fixed, instanceId: 'x' })).resolves.toMatchObject({ healthy: true });
  });

  it('a failed Job fails the run; an unknown template is refused; dry-run creates nothing', async () => {
    f.kube.seed('namespaces', { metadata: { name: 'ops' } });
    const plan = await runJob.plan(f.ctx, planArgs(JOB, { template: 'diag-dns' }));
    await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed));
    finishJob(f.kube, 'ops', String(plan.fixed['job']), 'Failed');
    expect(await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed, { iteration: 1 }))).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(/BackoffLimitExceeded.*kubectl logs -n ops job\//),
    });
    expect((await runJob.plan(f.ctx, planArgs(target('Job', '', 'nope'), { template: 'nope' }))).refusal).toMatch(/no Job template "nope"/);
    f.kube.clearRequests();
    const dry = await runJob.run(f.ctx, runArgs(JOB, { template: 'diag-dns' }, plan.fixed, { dryRun: true, instanceId: 'rem-other' }));
    expect(dry.outcome).toBe('done');
    expect(f.writes()).toEqual(['POST /apis/batch/v1/namespaces/ops/jobs?dryRun=All&fieldManager=aksops']);
    expect(f.kube.list('jobs', 'ops')).toHaveLength(1);
  });
});
