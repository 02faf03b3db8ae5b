// Runbook rollout-restart: `kubectl rollout restart` for a Deployment, StatefulSet or DaemonSet
// (kubectl/pkg/polymorphichelpers/objectrestarter.go): a strategic merge patch of
// spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"], so the controller
// replaces the pods under its own rollout strategy. Then the rollout is followed the way
// `kubectl rollout status` does (rollout-status.ts); each check is one short call, the waiting
// between checks is the orchestration's durable timer.
//
// Idempotent: restartedAt is chosen once by the orchestration; a retry finds the annotation
// already there and does not patch again. Paused Deployments are refused (the restart would not
// roll out until someone resumes them), as are OnDelete update strategies.
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { RunbookResult, Target } from '../domain/types.js';
import {
  FIELD_MANAGER,
  RFC3339,
  dryRunQuery,
  isKubeStatus,
  kube,
  label,
  planFor,
  readOrMissing,
  resultFor,
  strategicMerge,
  type Health,
  type HealthArgs,
  type PlanArgs,
  type RunArgs,
  type RunbookApis,
  type RunbookModule,
} from './module.js';
import { daemonSetStatus, deploymentStatus, statefulSetStatus, type RolloutStatus } from './rollout-status.js';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
const RUNBOOK = 'rollout-restart';

type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

export function isWorkloadKind(k: string): k is WorkloadKind {
  return k === 'Deployment' || k === 'StatefulSet' || k === 'DaemonSet';
}

export async function readWorkload(apis: Pick<RunbookApis, 'apps'>, target: Target): Promise<Workload | undefined> {
  const q = { name: target.name, namespace: target.namespace };
  const what = `get ${label(target)}`;
  switch (target.kind) {
    case 'Deployment':
      return readOrMissing(target, what, () => apis.apps.readNamespacedDeployment(q));
    case 'StatefulSet':
      return readOrMissing(target, what, () => apis.apps.readNamespacedStatefulSet(q));
    case 'DaemonSet':
      return readOrMissing(target, what, () => apis.apps.readNamespacedDaemonSet(q));
    default:
      throw new Error(`rollout-restart acts on a Deployment, StatefulSet or DaemonSet, not a ${target.kind}`);
  }
}

export function rolloutStatusOf(kind: WorkloadKind, w: Workload): RolloutStatus {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it: Workload is a union; the rule misreads client-node's classes as one type
  if (kind === 'Deployment') return deploymentStatus(w as V1Deployment);
  if (kind === 'StatefulSet') return statefulSetStatus(w as V1StatefulSet);
  return daemonSetStatus(w as V1DaemonSet);
}

/** Why restarting a paused Deployment does nothing (rollout-restart and restart-pod, plan and run). */
export function pausedDeploymentRefusal(target: Target): string {
  return `the deployment is paused (spec.paused=true): a restart would not roll out until it is resumed. Fix: resume it (kubectl rollout resume deployment/${target.name} -n ${target.namespace}) or restart by hand`;
}

/** Why a restart of this workload cannot roll out, or undefined. */
export function restartRefusal(kind: WorkloadKind, w: Workload, target: Target): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it: Workload is a union; the rule misreads client-node's classes as one type
  if (kind === 'Deployment' && (w as V1Deployment).spec?.paused) return pausedDeploymentRefusal(target);
  if (kind !== 'Deployment') {
    const type = (w as V1StatefulSet | V1DaemonSet).spec?.updateStrategy?.type;
    if (type === 'OnDelete')
      return `the ${kind.toLowerCase()} uses updateStrategy OnDelete: a template change does not restart its pods. Fix: delete the pods one by one (restart-pod)`;
  }
  return undefined;
}

async function patchWorkload(apis: Pick<RunbookApis, 'apps'>, target: Target, body: object, dryRun: boolean): Promise<void> {
  const q = { name: target.name, namespace: target.namespace, body, fieldManager: FIELD_MANAGER, ...dryRunQuery(dryRun) };
  const opts = await strategicMerge();
  const what = `patch ${label(target)}`;
  if (target.kind === 'Deployment') await kube(target, what, () => apis.apps.patchNamespacedDeployment(q, opts));
  else if (target.kind === 'StatefulSet') await kube(target, what, () => apis.apps.patchNamespacedStatefulSet(q, opts));
  else await kube(target, what, () => apis.apps.patchNamespacedDaemonSet(q, opts));
}

/** The restart itself: the strategic merge patch `kubectl rollout restart` sends. Throws KubeCallError. */
export function patchRestartedAt(apis: Pick<RunbookApis, 'apps'>, target: Target, restartedAt: string, dryRun: boolean): Promise<void> {
  return patchWorkload(apis, target, { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } }, dryRun);
}

/** One check of a rollout: done, failed, or pending with kubectl's message. */
export function rolloutResult(kind: WorkloadKind, w: Workload, base: Omit<RunbookResult, 'pending' | 'progress'>, retryAfterSeconds: number): RunbookResult {
  const status = rolloutStatusOf(kind, w);
  if (status.failed) return { ...base, outcome: 'failed', detail: `${base.detail ? `${base.detail}; ` : ''}${status.message}`, progress: status.progress };
  if (status.done) return { ...base, detail: `${base.detail ? `${base.detail}; ` : ''}${status.message}`, progress: status.progress };
  return { ...base, pending: { reason: status.message, retryAfterSeconds }, progress: status.progress };
}

export const rolloutRestart: RunbookModule = {
  async plan(ctx, args: PlanArgs) {
    const { target } = args;
    if (!isWorkloadKind(target.kind))
      return planFor(RUNBOOK, target, `rollout-restart ${label(target)}`, [], {
        refusal: `rollout-restart acts on a Deployment, StatefulSet or DaemonSet, not a ${target.kind}`,
      });
    const w = await readWorkload(ctx.apis, target);
    const summary = `rollout-restart ${label(target)}`;
    if (!w) return planFor(RUNBOOK, target, summary, [], { refusal: `${label(target)} does not exist` });
    const refusal = restartRefusal(target.kind, w, target);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it: Workload is a union; the rule misreads client-node's classes as one type
    const replicas = target.kind === 'DaemonSet' ? ((w as V1DaemonSet).status?.desiredNumberScheduled ?? 0) : ((w as V1Deployment).spec?.replicas ?? 1);
    return planFor(
      RUNBOOK,
      target,
      `${summary} (${replicas} ${target.kind === 'DaemonSet' ? 'pods' : 'replicas'})`,
      [
        `strategic-merge-patch ${label(target)}: spec.template.metadata.annotations["${RESTARTED_AT_ANNOTATION}"] = <run start time>`,
        `the ${target.kind} controller replaces its pods under its rollout strategy`,
        'wait until `kubectl rollout status` would report success (observedGeneration, updated and available replicas)',
      ],
      { refusal },
    );
  },

  async run(ctx, args: RunArgs) {
    const { target, dryRun } = args;
    const restartedAt = args.at;
    const result = resultFor(RUNBOOK, dryRun, target);
    const restart = `rollout-restart ${label(target)} (${RESTARTED_AT_ANNOTATION}=${restartedAt})`;
    if (!isWorkloadKind(target.kind))
      return result({ action: restart, outcome: 'skipped', detail: `rollout-restart acts on a Deployment, StatefulSet or DaemonSet, not a ${target.kind}` });
    if (!RFC3339.test(restartedAt)) return result({ action: restart, outcome: 'failed', detail: `restartedAt "${restartedAt}" is not an RFC 3339 time` });
    const w = await readWorkload(ctx.apis, target);
    if (!w) return result({ action: restart, outcome: 'skipped', detail: `${label(target)} does not exist` });
    const retry = ctx.settings.progressIntervalSeconds;
    const applied = w.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt;
    if (args.iteration > 0 || applied) {
      // Already restarted by this run (a retry, or a follow-up check): only watch the rollout.
      const base = {
        runbook: RUNBOOK,
        dryRun,
        actedOn: target,
        action: restart,
        outcome: (args.iteration > 0 ? 'done' : 'already-done') as RunbookResult['outcome'],
        ...(applied && args.iteration === 0 ? { detail: `the ${target.kind.toLowerCase()} already carries ${RESTARTED_AT_ANNOTATION}=${restartedAt}` } : {}),
      };
      return dryRun ? base : rolloutResult(target.kind, w, base, retry);
    }
    const refusal = restartRefusal(target.kind, w, target);
    if (refusal) return result({ action: restart, outcome: 'skipped', detail: refusal });
    try {
      await patchRestartedAt(ctx.apis, target, restartedAt, dryRun);
    } catch (e) {
      if (isKubeStatus((e as { original?: unknown }).original, 404))
        return result({ action: restart, outcome: 'skipped', detail: `${label(target)} was deleted while restarting it` });
      throw e;
    }
    if (dryRun) return result({ action: `would ${restart}`, outcome: 'done' });
    // The patch bumped metadata.generation; the controller has not observed it yet.
    return result({
      action: restart.replace('rollout-restart', 'rollout-restarted'),
      outcome: 'done',
      pending: { reason: `Waiting for ${target.kind.toLowerCase()} spec update to be observed...`, retryAfterSeconds: retry },
    });
  },

  async health(ctx, args: HealthArgs): Promise<Health> {
    return workloadHealth(ctx.apis, args.target);
  },
};

/** A workload is healthy when its rollout is complete. */
export async function workloadHealth(apis: Pick<RunbookApis, 'apps'>, target: Target): Promise<Health> {
  if (!isWorkloadKind(target.kind)) return { healthy: false, detail: `${target.kind} is not a workload` };
  const w = await readWorkload(apis, target);
  if (!w) return { healthy: false, detail: `${label(target)} does not exist` };
  const s = rolloutStatusOf(target.kind, w);
  return { healthy: s.done, detail: s.message };
}
