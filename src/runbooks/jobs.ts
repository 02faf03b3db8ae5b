// Runbooks on batch/v1 Jobs.
//
// delete-failed-jobs: delete the Jobs that failed (condition Failed=True, as the job controller
// sets it when backoffLimit or activeDeadlineSeconds is exceeded) among those matching a label
// selector, or one named Job, in one namespace, with propagationPolicy Background so their pods
// go too (a DELETE of a batch/v1 Job without a policy orphans its pods). At most
// runbooks.delete-failed-jobs.maxJobs per run. The Jobs are chosen at plan time (names and
// uids); a retry deletes what is left of that list, with a uid precondition, and 404 counts as
// already deleted. Useful for the ephemeral analysis Jobs of an estate like Packamal, and for
// KubeJobFailed ("Removing failed job after investigation should clear this alert").
//
// run-job: start a Job from a template in runbooks.run-job.templates (a cleanup or a diagnostic)
// with the alert's labels as ALERT_LABEL_<NAME> environment variables, and follow it until it
// completes or fails. The Job's name is derived from the run's instance ID, so a retry finds it
// (409 AlreadyExists) instead of starting a second one.
import { createHash } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import type { RunbookResult, Target } from '../domain/types.js';
import { parseDuration } from '../domain/duration.js';
import {
  FIELD_MANAGER,
  KubeCallError,
  dryRunQuery,
  isKubeStatus,
  kube,
  label,
  planFor,
  readOrMissing,
  resultFor,
  type Health,
  type RunbookContext,
  type RunbookModule,
} from './module.js';

const DELETE = 'delete-failed-jobs';
const RUN = 'run-job';

export function jobFailed(job: V1Job): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True');
}

export function jobComplete(job: V1Job): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');
}

async function failedJobs(ctx: RunbookContext, target: Target, params: Record<string, string>, at: string): Promise<V1Job[]> {
  const ns = target.namespace;
  const items: V1Job[] = [];
  if (params['job']) {
    const job = await readOrMissing(target, `get job ${ns}/${params['job']}`, () => ctx.apis.batch.readNamespacedJob({ name: params['job']!, namespace: ns }));
    if (job) items.push(job);
  } else {
    let cont: string | undefined;
    do {
      const page = await kube(target, `list jobs in ${ns}`, () =>
        ctx.apis.batch.listNamespacedJob({ namespace: ns, labelSelector: params['selector']!, limit: 500, ...(cont ? { _continue: cont } : {}) }),
      );
      items.push(...page.items);
      cont = page.metadata?._continue || undefined;
    } while (cont);
  }
  const olderThan = params['olderThan'] ? parseDuration(params['olderThan'])! * 1000 : 0;
  const now = Date.parse(at);
  return items
    .filter(jobFailed)
    .filter((j) => {
      if (!olderThan) return true;
      const started = j.status?.startTime ?? j.metadata?.creationTimestamp;
      return started !== undefined && now - new Date(started).getTime() >= olderThan;
    })
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

export const deleteFailedJobs: RunbookModule = {
  async plan(ctx, { target, params, at }) {
    const jobs = await failedJobs(ctx, target, params, at);
    const max = ctx.settings.deleteFailedJobs.maxJobs;
    const chosen = jobs.slice(0, max);
    const what = params['job'] ? `job ${target.namespace}/${params['job']}` : `jobs in ${target.namespace} matching ${params['selector']}`;
    if (chosen.length === 0) {
      return planFor(DELETE, target, `no failed ${what}${params['olderThan'] ? ` older than ${params['olderThan']}` : ''}`, ['nothing to delete'], {
        fixed: { jobs: '' },
      });
    }
    return planFor(
      DELETE,
      target,
      `delete ${chosen.length} failed ${what} and their pods${jobs.length > max ? ` (${jobs.length - max} more left for the next run: maxJobs ${max})` : ''}`,
      [
        ...chosen.map(
          (j) =>
            `delete job ${target.namespace}/${j.metadata?.name} (${(j.status?.conditions ?? []).find((c) => c.type === 'Failed')?.reason ?? 'Failed'}) with propagationPolicy Background`,
        ),
      ],
      { fixed: { jobs: chosen.map((j) => `${j.metadata?.name}:${j.metadata?.uid}`).join(',') } },
    );
  },

  async run(ctx, { target, dryRun, fixed }): Promise<RunbookResult> {
    const result = resultFor(DELETE, dryRun, target);
    const list = String(fixed['jobs'] ?? '')
      .split(',')
      .filter(Boolean)
      .map((e) => {
        const [name, uid] = e.split(':');
        return { name: name!, uid: uid! };
      });
    if (list.length === 0) return result({ action: `delete failed jobs in ${target.namespace}`, outcome: 'already-done', detail: 'no failed jobs to delete' });
    let deleted = 0;
    let gone = 0;
    for (const j of list) {
      try {
        await ctx.apis.batch.deleteNamespacedJob({
          name: j.name,
          namespace: target.namespace,
          propagationPolicy: 'Background',
          body: { preconditions: { uid: j.uid } },
          ...dryRunQuery(dryRun),
        });
        deleted++;
      } catch (e) {
        if (isKubeStatus(e, 404) || isKubeStatus(e, 409)) gone++;
        else throw new KubeCallError(target, `delete job ${target.namespace}/${j.name}`, e);
      }
    }
    const names = list.map((j) => j.name).join(', ');
    if (dryRun) return result({ action: `would delete ${list.length} failed jobs in ${target.namespace}: ${names}`, outcome: 'done' });
    return result({
      action: `deleted ${deleted} failed jobs in ${target.namespace}: ${names}`,
      outcome: deleted === 0 ? 'already-done' : 'done',
      detail: `${gone ? `${gone} already gone; ` : ''}their pods are removed by the garbage collector (propagationPolicy Background)`,
    });
  },

  async health(ctx, { target, params }): Promise<Health> {
    const left = await failedJobs(ctx, target, params, new Date(8.64e15).toISOString());
    return { healthy: left.length === 0, detail: `${left.length} failed jobs left` };
  },
};

/** The Job's name for this run: template + a hash of the instance ID (stable across retries, at most 63 characters). */
export function runJobName(template: string, instanceId: string): string {
  const h = createHash('sha256').update(instanceId).digest('hex').slice(0, 10);
  return `${template.slice(0, 40)}-${h}`;
}

/** ALERT_LABEL_<NAME>: upper case, anything but letters and digits as '_'. Values are passed as they are. */
export function alertLabelEnv(labels: Record<string, string>): Array<{ name: string; value: string }> {
  return Object.keys(labels)
    .sort()
    .map((k) => ({ name: `ALERT_LABEL_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`, value: labels[k]! }));
}

function jobBody(ctx: RunbookContext, template: string, namespace: string, name: string, instanceId: string, labels: Record<string, string>): V1Job {
  const t = ctx.settings.jobTemplates[template]!;
  const env = [...Object.entries(t.env).map(([k, v]) => ({ name: k, value: v })), ...(t.alertLabelsAsEnv ? alertLabelEnv(labels) : [])];
  const meta = { 'app.kubernetes.io/managed-by': 'aksops', 'aksops/template': template };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels: meta, annotations: { 'aksops/instance-id': instanceId } },
    spec: {
      backoffLimit: t.backoffLimit,
      ...(t.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: t.activeDeadlineSeconds } : {}),
      ...(t.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: t.ttlSecondsAfterFinished } : {}),
      template: {
        metadata: { labels: meta },
        spec: {
          restartPolicy: 'Never',
          ...(t.serviceAccountName ? { serviceAccountName: t.serviceAccountName } : {}),
          containers: [{ name: template.slice(0, 63), image: t.image, ...(t.command ? { command: t.command } : {}), ...(t.args ? { args: t.args } : {}), env }],
        },
      },
    },
  };
}

export const runJob: RunbookModule = {
  async plan(ctx, { target, params, instanceId }) {
    const template = params['template']!;
    const t = ctx.settings.jobTemplates[template];
    if (!t)
      return planFor(RUN, target, `run job template ${template}`, [], {
        refusal: `no Job template "${template}" in runbooks.run-job.templates (it has: ${Object.keys(ctx.settings.jobTemplates).join(', ') || 'none'})`,
      });
    if (params['namespace'] && params['namespace'] !== t.namespace) {
      return planFor(RUN, target, `run job template ${template}`, [], {
        refusal: `template ${template} runs in namespace ${t.namespace}, not ${params['namespace']}`,
      });
    }
    const name = runJobName(template, instanceId);
    const jobTarget: Target = { ...target, namespace: t.namespace, kind: 'Job', name };
    if (ctx.isProtectedNamespace?.(t.namespace))
      return planFor(RUN, jobTarget, `run job ${t.namespace}/${name}`, [], { refusal: `namespace ${t.namespace} is protected` });
    return planFor(
      RUN,
      jobTarget,
      `run job ${t.namespace}/${name} from template ${template} (image ${t.image})`,
      [
        `create job ${t.namespace}/${name}: image ${t.image}${t.command ? `, command ${JSON.stringify(t.command)}` : ''}${t.args ? `, args ${JSON.stringify(t.args)}` : ''}${t.alertLabelsAsEnv ? ', alert labels as ALERT_LABEL_* variables' : ''}`,
        'wait until the job completes (condition Complete) or fails (condition Failed)',
      ],
      { fixed: { job: name, namespace: t.namespace } },
    );
  },

  async run(ctx, args): Promise<RunbookResult> {
    const { params, dryRun, fixed, instanceId } = args;
    const template = params['template']!;
    const name = String(fixed['job'] ?? runJobName(template, instanceId));
    const namespace = String(fixed['namespace'] ?? ctx.settings.jobTemplates[template]?.namespace ?? '');
    const target: Target = { ...args.target, namespace, kind: 'Job', name };
    const result = resultFor(RUN, dryRun, target);
    if (!ctx.settings.jobTemplates[template])
      return result({ action: `run job template ${template}`, outcome: 'skipped', detail: `no Job template "${template}" in runbooks.run-job.templates` });
    const action = `run job ${namespace}/${name} (template ${template})`;
    let outcome: RunbookResult['outcome'] = 'done';
    if (args.iteration === 0) {
      try {
        await ctx.apis.batch.createNamespacedJob({
          namespace,
          body: jobBody(ctx, template, namespace, name, instanceId, args.labels ?? {}),
          fieldManager: FIELD_MANAGER,
          ...dryRunQuery(dryRun),
        });
      } catch (e) {
        if (!isKubeStatus(e, 409)) throw new KubeCallError(target, `create ${label(target)}`, e);
        outcome = 'already-done';
      }
      if (dryRun) return result({ action: `would ${action}`, outcome: 'done' });
    }
    const job = await readOrMissing(target, `get ${label(target)}`, () => ctx.apis.batch.readNamespacedJob({ name, namespace }));
    if (!job) return result({ action, outcome: 'failed', detail: 'the job disappeared before it finished (deleted, or removed by ttlSecondsAfterFinished)' });
    if (jobComplete(job)) return result({ action, outcome, detail: `the job completed (${job.status?.succeeded ?? 1} succeeded)` });
    if (jobFailed(job)) {
      const c = (job.status?.conditions ?? []).find((x) => x.type === 'Failed');
      return result({
        action,
        outcome: 'failed',
        detail: `the job failed: ${c?.reason ?? ''}${c?.message ? ` (${c.message})` : ''}. Fix: kubectl logs -n ${namespace} job/${name}`,
      });
    }
    return result({
      action,
      outcome,
      pending: {
        reason: `job ${namespace}/${name}: ${job.status?.active ?? 0} active, ${job.status?.failed ?? 0} failed`,
        retryAfterSeconds: ctx.settings.progressIntervalSeconds,
      },
    });
  },

  async health(ctx, { fixed, target }): Promise<Health> {
    const name = String(fixed['job'] ?? '');
    const namespace = String(fixed['namespace'] ?? target.namespace);
    const job = await readOrMissing(target, `get job ${namespace}/${name}`, () => ctx.apis.batch.readNamespacedJob({ name, namespace }));
    if (!job) return { healthy: false, detail: `job ${namespace}/${name} does not exist` };
    return { healthy: jobComplete(job), detail: jobComplete(job) ? 'the job completed' : jobFailed(job) ? 'the job failed' : 'the job has not finished' };
  },
};
