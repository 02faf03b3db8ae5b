// Runbook restart-pod: restart a crash-looping pod the way an operator would.
// - Pod owned by ReplicaSet <- Deployment: `kubectl rollout restart` semantics, i.e. a
//   strategic merge patch of spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]
//   (kubectl/pkg/polymorphichelpers/objectrestarter.go), so the Deployment replaces its pods
//   under its own rollout strategy and PodDisruption rules.
// - Any other pod: delete it (with a uid precondition, so a newer pod that took the same
//   name is never hit); its controller, if any, recreates it.
// restartedAt comes from the orchestration, so a retried activity sends the same value and
// finds it already applied. dryRun sends dryRun=All so the API server validates (admission,
// RBAC) without persisting. Always-protected namespaces are refused here too (defence in depth).
//
// Errors: a definitive API answer (4xx) becomes outcome 'failed' with the reason; transport
// errors, 429 and 5xx are thrown so the activity retry policy can try again.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { RunbookResult, Target } from '../domain/types.js';
import { isAlwaysProtectedNamespace } from '../domain/protection.js';
import {
  KubeCallError,
  RFC3339,
  controllerOf,
  isKubeStatus,
  kube,
  label,
  planFor,
  readOrMissing,
  resultFor,
  type Health,
  type RunbookApis,
  type RunbookModule,
} from './module.js';
import { RESTARTED_AT_ANNOTATION, patchRestartedAt, pausedDeploymentRefusal, workloadHealth } from './rollout-restart.js';

export { RESTARTED_AT_ANNOTATION };
const RUNBOOK = 'restart-pod';

/** The clients the runbook needs; KubeApis from src/adapters/kube.ts satisfies it. */
export type RestartPodApis = Pick<RunbookApis, 'core' | 'apps'>;

export interface RestartPodInput {
  /** The pod from the alert, or the Deployment resolveRestartTarget returned for it. */
  target: Target;
  dryRun: boolean;
  /** RFC 3339 time chosen once by the orchestration; the same on every retry. */
  restartedAt: string;
}

interface OwningDeployment {
  target: Target;
  uid: string;
  replicaSet: string;
}

const readPod = (apis: RestartPodApis, target: Target): Promise<V1Pod | undefined> =>
  readOrMissing(target, `get ${label(target)}`, () => apis.core.readNamespacedPod({ name: target.name, namespace: target.namespace }));
const readDeployment = (apis: RestartPodApis, target: Target): Promise<V1Deployment | undefined> =>
  readOrMissing(target, `get ${label(target)}`, () => apis.apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace }));

/** Pod -> controlling ReplicaSet -> controlling Deployment, checking uids so a same-named newcomer is not mistaken for the owner. */
async function owningDeployment(apis: RestartPodApis, podTarget: Target, pod: V1Pod): Promise<OwningDeployment | undefined> {
  const rsRef = controllerOf(pod.metadata);
  if (!rsRef || rsRef.kind !== 'ReplicaSet' || !rsRef.apiVersion.startsWith('apps/')) return undefined;
  const rs = await readOrMissing(podTarget, `get replicaset ${podTarget.namespace}/${rsRef.name}`, () =>
    apis.apps.readNamespacedReplicaSet({ name: rsRef.name, namespace: podTarget.namespace }),
  );
  if (!rs || rs.metadata?.uid !== rsRef.uid) return undefined;
  const depRef = controllerOf(rs.metadata);
  if (!depRef || depRef.kind !== 'Deployment' || !depRef.apiVersion.startsWith('apps/')) return undefined;
  return { target: { ...podTarget, kind: 'Deployment', name: depRef.name }, uid: depRef.uid, replicaSet: rsRef.name };
}

/**
 * What restart-pod acts on for `target`: the Deployment that owns the pod (through its
 * ReplicaSet), otherwise the pod itself. A pod that no longer exists resolves to itself
 * (restartPod then reports already-done). Non-pod targets are returned unchanged.
 */
export async function resolveRestartTarget(apis: RestartPodApis, target: Target): Promise<Target> {
  if (target.kind !== 'Pod') return target;
  const pod = await readPod(apis, target);
  if (!pod) return target;
  return (await owningDeployment(apis, target, pod))?.target ?? target;
}

/** Runs restart-pod once. Safe to retry with the same input. */
export async function restartPod(apis: RestartPodApis, input: RestartPodInput): Promise<RunbookResult> {
  const { target, dryRun } = input;
  const result = resultFor(RUNBOOK, dryRun, target);

  if (isAlwaysProtectedNamespace(target.namespace)) {
    return result({
      action: `refused to restart ${label(target)}`,
      outcome: 'skipped',
      detail: `namespace ${target.namespace} is protected: restart-pod never acts there`,
    });
  }
  if (!RFC3339.test(input.restartedAt)) {
    return result({
      action: `restart ${label(target)}`,
      outcome: 'failed',
      detail: `restartedAt "${input.restartedAt}" is not an RFC 3339 time (the orchestration must pass e.g. 2024-05-01T10:00:00Z)`,
    });
  }
  try {
    if (target.kind === 'Deployment') return await restartDeployment(apis, target, input, undefined, undefined);
    if (target.kind !== 'Pod') {
      return result({ action: `restart ${label(target)}`, outcome: 'skipped', detail: `restart-pod acts on a Pod or its Deployment, not on a ${target.kind}` });
    }
    const pod = await readPod(apis, target);
    if (!pod) return result({ action: `restart ${label(target)}`, outcome: 'already-done', detail: 'the pod no longer exists (already restarted or removed)' });
    if (pod.metadata?.deletionTimestamp) {
      return result({ action: `restart ${label(target)}`, outcome: 'already-done', detail: 'the pod is already terminating' });
    }
    const owner = await owningDeployment(apis, target, pod);
    if (owner) {
      const deployment = await readDeployment(apis, owner.target);
      // A Deployment deleted or re-created since the ReplicaSet was made no longer owns the pod.
      if (deployment && deployment.metadata?.uid === owner.uid) {
        return await restartDeployment(
          apis,
          owner.target,
          input,
          deployment,
          `pod ${target.namespace}/${target.name} belongs to replicaset ${owner.replicaSet} of this deployment`,
        );
      }
    }
    return await deletePod(apis, target, pod, dryRun);
  } catch (e) {
    if (e instanceof KubeCallError && !e.retryable) {
      return result({ action: `restart ${label(target)}`, outcome: 'failed', detail: e.message });
    }
    throw e;
  }
}

/** rollout-restart's patch, without following the rollout (closed-loop verification does that). */
async function restartDeployment(
  apis: RestartPodApis,
  target: Target,
  input: RestartPodInput,
  known: V1Deployment | undefined,
  why: string | undefined,
): Promise<RunbookResult> {
  const { dryRun, restartedAt } = input;
  const result = resultFor(RUNBOOK, dryRun, target);
  const restart = `rollout-restart ${label(target)} (${RESTARTED_AT_ANNOTATION}=${restartedAt})`;
  const deployment = known ?? (await readDeployment(apis, target));
  if (!deployment) return result({ action: restart, outcome: 'skipped', detail: 'the deployment does not exist' });
  if (deployment.spec?.paused) return result({ action: restart, outcome: 'skipped', detail: pausedDeploymentRefusal(target) });
  if (deployment.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt) {
    return result({ action: restart, outcome: 'already-done', detail: `the deployment already carries ${RESTARTED_AT_ANNOTATION}=${restartedAt}` });
  }
  try {
    await patchRestartedAt(apis, target, restartedAt, dryRun);
  } catch (e) {
    if (e instanceof KubeCallError && isKubeStatus(e.original, 404))
      return result({ action: restart, outcome: 'skipped', detail: 'the deployment was deleted while restarting it' });
    throw e;
  }
  return result({
    action: dryRun ? `would ${restart}` : restart.replace('rollout-restart', 'rollout-restarted'),
    outcome: 'done',
    ...(why ? { detail: why } : {}),
  });
}

async function deletePod(apis: RestartPodApis, target: Target, pod: V1Pod, dryRun: boolean): Promise<RunbookResult> {
  const result = resultFor(RUNBOOK, dryRun, target);
  const controller = controllerOf(pod.metadata);
  const consequence = controller ? `its ${controller.kind} ${controller.name} creates a replacement` : 'the pod has no controller: nothing will recreate it';
  try {
    await kube(target, `delete ${label(target)}`, () =>
      apis.core.deleteNamespacedPod({
        name: target.name,
        namespace: target.namespace,
        // Only the pod that was read: a newer pod with the same name (StatefulSet) is left alone.
        body: { preconditions: { uid: pod.metadata?.uid } },
        ...(dryRun ? { dryRun: 'All' } : {}),
      }),
    );
  } catch (e) {
    if (e instanceof KubeCallError && isKubeStatus(e.original, 404))
      return result({ action: `delete ${label(target)}`, outcome: 'already-done', detail: 'the pod was already gone' });
    if (e instanceof KubeCallError && isKubeStatus(e.original, 409))
      return result({ action: `delete ${label(target)}`, outcome: 'already-done', detail: 'the pod was replaced by a new one since it was read' });
    throw e;
  }
  return result({ action: dryRun ? `would delete ${label(target)}` : `deleted ${label(target)}`, outcome: 'done', detail: consequence });
}

/** restart-pod as a runbook module: plan and health read the same objects the action does. */
export const restartPodModule: RunbookModule = {
  async plan(ctx, { target }) {
    const resolved = await resolveRestartTarget(ctx.apis, target);
    if (resolved.kind === 'Deployment') {
      const dep = await readDeployment(ctx.apis, resolved);
      return planFor(
        RUNBOOK,
        resolved,
        `rollout-restart ${label(resolved)} (owner of pod ${target.namespace}/${target.name})`,
        [
          `strategic-merge-patch ${label(resolved)}: spec.template.metadata.annotations["${RESTARTED_AT_ANNOTATION}"] = <run start time>`,
          'the Deployment replaces its pods under its rollout strategy',
        ],
        { refusal: dep?.spec?.paused ? pausedDeploymentRefusal(resolved) : undefined },
      );
    }
    const pod = await readPod(ctx.apis, target);
    if (!pod) return planFor(RUNBOOK, target, `restart ${label(target)}: the pod no longer exists`, ['nothing to do']);
    const owner = controllerOf(pod.metadata);
    return planFor(RUNBOOK, target, `delete ${label(target)}`, [
      `delete ${label(target)} with a uid precondition`,
      owner ? `its ${owner.kind} ${owner.name} creates a replacement` : 'the pod has no controller: nothing will recreate it',
    ]);
  },
  run: (ctx, a) => restartPod(ctx.apis, { target: a.target, dryRun: a.dryRun, restartedAt: a.at }),
  async health(ctx, { target }): Promise<Health> {
    if (target.kind === 'Deployment') return workloadHealth(ctx.apis, target);
    const pod = await readPod(ctx.apis, target);
    if (!pod) return { healthy: true, detail: 'the pod was replaced' };
    const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    return {
      healthy: ready && !pod.metadata?.deletionTimestamp,
      detail: ready ? 'the pod is Ready' : `the pod is not Ready (phase ${pod.status?.phase ?? 'unknown'})`,
    };
  },
};
