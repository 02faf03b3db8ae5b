// Runbook restart-pod: restart a crash-looping pod the way an operator would.
// - Pod owned by ReplicaSet <- Deployment: `kubectl rollout restart` semantics, i.e. a
//   strategic merge patch of spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]
//   (kubectl/pkg/polymorphichelpers/objectrestarter.go), so the Deployment replaces its pods
//   under its own rollout strategy and PodDisruption rules.
// - Any other pod: delete it (with a uid precondition, so a newer pod that took the same
//   name is never hit); its controller, if any, recreates it.
// restartedAt comes from the orchestration, so a retried activity sends the same value and
// finds it already applied. dryRun sends dryRun=All so the API server validates (admission,
// RBAC) without persisting. kube-system is refused here too (defence in depth).
//
// Errors: a definitive API answer (4xx) becomes outcome 'failed' with the reason; transport
// errors, 429 and 5xx are thrown so the activity retry policy can try again.
import type { AppsV1Api, CoreV1Api, V1Deployment, V1ObjectMeta, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import type { RunbookResult, Target } from '../domain/types.js';
import { describeKubeError, isKubeStatus, isRetryableKubeError, kubeFailureOf } from '../adapters/kube-errors.js';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/** Recorded by the API server in managedFields as the writer of the annotation. */
export const FIELD_MANAGER = 'aksops';
const RUNBOOK = 'restart-pod';
const PROTECTED_NAMESPACES = new Set(['kube-system']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The clients the runbook needs; KubeApis from src/adapters/kube.ts satisfies it. */
export interface RestartPodApis {
  core: CoreV1Api;
  apps: AppsV1Api;
}

export interface RestartPodInput {
  /** The pod from the alert, or the Deployment resolveRestartTarget returned for it. */
  target: Target;
  dryRun: boolean;
  /** RFC 3339 time chosen once by the orchestration; the same on every retry. */
  restartedAt: string;
}

/** A failed Kubernetes call, with the object and verb it was about. */
class KubeCallError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly target: Target,
    readonly what: string,
    readonly original: unknown,
  ) {
    super(`cluster ${target.cluster}: ${what} failed: ${describeKubeError(original)}${fixFor(original)}`, { cause: original });
    this.retryable = isRetryableKubeError(original);
  }
}

function fixFor(err: unknown): string {
  const code = kubeFailureOf(err)?.code;
  if (code === 401) return '. Fix: the cluster rejected the credentials; check the identity has access to the cluster (AKS-managed Entra ID integration)';
  return '';
}

const label = (t: Target) => `${t.kind.toLowerCase()} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;

/** The object, or undefined when the API server answers 404. */
async function readOrMissing<T>(target: Target, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (isKubeStatus(e, 404)) return undefined;
    throw new KubeCallError(target, what, e);
  }
}

function controllerOf(meta: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return (meta?.ownerReferences ?? []).find((o) => o.controller === true);
}

interface OwningDeployment {
  target: Target;
  uid: string;
  replicaSet: string;
}

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
  const pod = await readOrMissing(target, `get ${label(target)}`, () => apis.core.readNamespacedPod({ name: target.name, namespace: target.namespace }));
  if (!pod) return target;
  return (await owningDeployment(apis, target, pod))?.target ?? target;
}

/** Runs restart-pod once. Safe to retry with the same input. */
export async function restartPod(apis: RestartPodApis, input: RestartPodInput): Promise<RunbookResult> {
  const { target, dryRun } = input;
  const result = (r: Pick<RunbookResult, 'action' | 'actedOn' | 'outcome'> & { detail?: string }): RunbookResult => ({ runbook: RUNBOOK, dryRun, ...r });

  if (PROTECTED_NAMESPACES.has(target.namespace)) {
    return result({ action: `refused to restart ${label(target)}`, actedOn: target, outcome: 'skipped', detail: `namespace ${target.namespace} is protected: restart-pod never acts there` });
  }
  if (!RFC3339.test(input.restartedAt)) {
    return result({ action: `restart ${label(target)}`, actedOn: target, outcome: 'failed', detail: `restartedAt "${input.restartedAt}" is not an RFC 3339 time (the orchestration must pass e.g. 2024-05-01T10:00:00Z)` });
  }
  try {
    if (target.kind === 'Deployment') return await rolloutRestart(apis, target, input, undefined, undefined);
    if (target.kind !== 'Pod') {
      return result({ action: `restart ${label(target)}`, actedOn: target, outcome: 'skipped', detail: `restart-pod acts on a Pod or its Deployment, not on a ${target.kind}` });
    }
    const pod = await readOrMissing(target, `get ${label(target)}`, () => apis.core.readNamespacedPod({ name: target.name, namespace: target.namespace }));
    if (!pod) return result({ action: `restart ${label(target)}`, actedOn: target, outcome: 'already-done', detail: 'the pod no longer exists (already restarted or removed)' });
    if (pod.metadata?.deletionTimestamp) {
      return result({ action: `restart ${label(target)}`, actedOn: target, outcome: 'already-done', detail: 'the pod is already terminating' });
    }
    const owner = await owningDeployment(apis, target, pod);
    if (owner) {
      const deployment = await readOrMissing(owner.target, `get ${label(owner.target)}`, () =>
        apis.apps.readNamespacedDeployment({ name: owner.target.name, namespace: owner.target.namespace }),
      );
      // A Deployment deleted or re-created since the ReplicaSet was made no longer owns the pod.
      if (deployment && deployment.metadata?.uid === owner.uid) {
        return await rolloutRestart(apis, owner.target, input, deployment, `pod ${target.namespace}/${target.name} belongs to replicaset ${owner.replicaSet} of this deployment`);
      }
    }
    return await deletePod(apis, target, pod, dryRun);
  } catch (e) {
    if (e instanceof KubeCallError && !e.retryable) {
      return result({ action: `restart ${label(target)}`, actedOn: target, outcome: 'failed', detail: e.message });
    }
    throw e;
  }
}

async function rolloutRestart(
  apis: RestartPodApis,
  target: Target,
  input: RestartPodInput,
  known: V1Deployment | undefined,
  why: string | undefined,
): Promise<RunbookResult> {
  const { dryRun, restartedAt } = input;
  const result = (r: Pick<RunbookResult, 'action' | 'outcome'> & { detail?: string }): RunbookResult => ({ runbook: RUNBOOK, dryRun, actedOn: target, ...r });
  const restart = `rollout-restart ${label(target)} (${RESTARTED_AT_ANNOTATION}=${restartedAt})`;
  const deployment =
    known ?? (await readOrMissing(target, `get ${label(target)}`, () => apis.apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace })));
  if (!deployment) return result({ action: restart, outcome: 'skipped', detail: 'the deployment does not exist' });
  if (deployment.spec?.paused) {
    return result({
      action: restart,
      outcome: 'skipped',
      detail: `the deployment is paused (spec.paused=true): a restart would not roll out until it is resumed. Fix: resume it (kubectl rollout resume deployment/${target.name} -n ${target.namespace}) or restart by hand`,
    });
  }
  if (deployment.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt) {
    return result({ action: restart, outcome: 'already-done', detail: `the deployment already carries ${RESTARTED_AT_ANNOTATION}=${restartedAt}` });
  }
  // client-node 1.x sends JSON Patch unless told otherwise; this body is a strategic merge
  // patch (the same kubectl rollout restart sends). Imported here, not at the top: the
  // adapter has already loaded client-node, and cold start should not pay for it twice.
  const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } };
  try {
    await apis.apps.patchNamespacedDeployment(
      { name: target.name, namespace: target.namespace, body, fieldManager: FIELD_MANAGER, ...(dryRun ? { dryRun: 'All' } : {}) },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  } catch (e) {
    if (isKubeStatus(e, 404)) return result({ action: restart, outcome: 'skipped', detail: 'the deployment was deleted while restarting it' });
    throw new KubeCallError(target, `patch ${label(target)}`, e);
  }
  return result({ action: dryRun ? `would ${restart}` : `${restart.replace('rollout-restart', 'rollout-restarted')}`, outcome: 'done', ...(why ? { detail: why } : {}) });
}

async function deletePod(apis: RestartPodApis, target: Target, pod: V1Pod, dryRun: boolean): Promise<RunbookResult> {
  const result = (r: Pick<RunbookResult, 'action' | 'outcome'> & { detail?: string }): RunbookResult => ({ runbook: RUNBOOK, dryRun, actedOn: target, ...r });
  const controller = controllerOf(pod.metadata);
  const consequence = controller
    ? `its ${controller.kind} ${controller.name} creates a replacement`
    : 'the pod has no controller: nothing will recreate it';
  try {
    await apis.core.deleteNamespacedPod({
      name: target.name,
      namespace: target.namespace,
      // Only the pod that was read: a newer pod with the same name (StatefulSet) is left alone.
      body: { preconditions: { uid: pod.metadata?.uid } },
      ...(dryRun ? { dryRun: 'All' } : {}),
    });
  } catch (e) {
    if (isKubeStatus(e, 404)) return result({ action: `delete ${label(target)}`, outcome: 'already-done', detail: 'the pod was already gone' });
    if (isKubeStatus(e, 409)) return result({ action: `delete ${label(target)}`, outcome: 'already-done', detail: 'the pod was replaced by a new one since it was read' });
    throw new KubeCallError(target, `delete ${label(target)}`, e);
  }
  return result({ action: dryRun ? `would delete ${label(target)}` : `deleted ${label(target)}`, outcome: 'done', detail: consequence });
}
