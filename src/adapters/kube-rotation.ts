// Kubernetes operations of secret rotation, on the clients of src/adapters/kube.ts:
// - Secret targets: read one key, write keys (merge patch of data + an annotation naming the Key
//   Vault version, so a human sees which version a Secret holds); create the Secret if missing.
// - Consumers: `kubectl rollout restart` (strategic merge patch of the pod template's
//   kubectl.kubernetes.io/restartedAt, as src/runbooks/restart-pod.ts does) for Deployments,
//   StatefulSets and DaemonSets, and their rollout state as `kubectl rollout status` judges it
//   (kubectl/pkg/polymorphichelpers/rollout_status.go: observedGeneration, updated/available
//   replicas, ProgressDeadlineExceeded; StatefulSet revisions; DaemonSet updatedNumberScheduled).
// - Secrets Store CSI driver: SecretProviderClassPodStatus objects (secrets-store.csi.x-k8s.io/v1,
//   status {podName, secretProviderClassName, mounted, objects[{id, version}]}) of a consumer's pods.
// Values never appear in errors: callers scrub them; this module only names objects.
import type { KubeApis } from './kube.js';
import { describeKubeError, isKubeStatus } from './kube-errors.js';
import type { Consumer } from '../rotation/model.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
export const VERSION_ANNOTATION = 'aksops.io/keyvault-version';
export const FIELD_MANAGER = 'aksops-rotation';
export const CSI_GROUP = 'secrets-store.csi.x-k8s.io';

type ClientNode = typeof import('@kubernetes/client-node');
let k8s: Promise<ClientNode> | undefined;
function clientNode(): Promise<ClientNode> {
  k8s ??= import('@kubernetes/client-node');
  return k8s;
}

export class KubeRotationError extends Error {
  override name = 'KubeRotationError';
}

function fail(what: string, e: unknown): KubeRotationError {
  return new KubeRotationError(`${what} failed: ${describeKubeError(e)}`);
}

/** The decoded value of data[key] of a Secret; undefined when the Secret or key does not exist. */
export async function readSecretKey(apis: KubeApis, namespace: string, name: string, key: string): Promise<string | undefined> {
  try {
    const s = await apis.core.readNamespacedSecret({ name, namespace });
    const b64 = s.data?.[key];
    return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
  } catch (e) {
    if (isKubeStatus(e, 404)) return undefined;
    throw fail(`get secret ${namespace}/${name}`, e);
  }
}

/** Writes keys of a Secret (creating it when missing). Returns false when every key already held the value. */
export async function writeSecretKeys(
  apis: KubeApis,
  namespace: string,
  name: string,
  values: Record<string, string>,
  version: string,
  dryRun: boolean,
): Promise<boolean> {
  const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
  let current: { data?: Record<string, string>; metadata?: { annotations?: Record<string, string> } } | undefined;
  try {
    current = await apis.core.readNamespacedSecret({ name, namespace });
  } catch (e) {
    if (!isKubeStatus(e, 404)) throw fail(`get secret ${namespace}/${name}`, e);
  }
  if (!current) {
    try {
      await apis.core.createNamespacedSecret({
        namespace,
        body: { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace, annotations: { [VERSION_ANNOTATION]: version } }, data },
        fieldManager: FIELD_MANAGER,
        ...(dryRun ? { dryRun: 'All' } : {}),
      });
      return true;
    } catch (e) {
      throw fail(`create secret ${namespace}/${name}`, e);
    }
  }
  const same = Object.entries(data).every(([k, v]) => current.data?.[k] === v) && current.metadata?.annotations?.[VERSION_ANNOTATION] === version;
  if (same) return false;
  const { PatchStrategy, setHeaderOptions } = await clientNode();
  try {
    await apis.core.patchNamespacedSecret(
      {
        name,
        namespace,
        body: { metadata: { annotations: { [VERSION_ANNOTATION]: version } }, data },
        fieldManager: FIELD_MANAGER,
        ...(dryRun ? { dryRun: 'All' } : {}),
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  } catch (e) {
    throw fail(`patch secret ${namespace}/${name}`, e);
  }
  return true;
}

interface Workload {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  spec?: {
    replicas?: number;
    paused?: boolean;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { annotations?: Record<string, string> } };
    updateStrategy?: { type?: string };
  };
  status?: Record<string, unknown> & { conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }> };
}

async function readWorkload(apis: KubeApis, c: Consumer): Promise<Workload | undefined> {
  try {
    const args = { name: c.name, namespace: c.namespace };
    if (c.kind === 'Deployment') return (await apis.apps.readNamespacedDeployment(args)) as Workload;
    if (c.kind === 'StatefulSet') return (await apis.apps.readNamespacedStatefulSet(args)) as Workload;
    return (await apis.apps.readNamespacedDaemonSet(args)) as Workload;
  } catch (e) {
    if (isKubeStatus(e, 404)) return undefined;
    throw fail(`get ${c.kind.toLowerCase()} ${c.namespace}/${c.name}`, e);
  }
}

export type RestartResult = 'done' | 'already-done' | 'missing' | 'paused';

/** rollout restart with a given restartedAt (the same value on a retry finds it applied). */
export async function restartWorkload(apis: KubeApis, c: Consumer, restartedAt: string, dryRun: boolean): Promise<RestartResult> {
  const w = await readWorkload(apis, c);
  if (!w) return 'missing';
  if (w.spec?.paused) return 'paused';
  if (w.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === restartedAt) return 'already-done';
  const { PatchStrategy, setHeaderOptions } = await clientNode();
  const args = {
    name: c.name,
    namespace: c.namespace,
    body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } },
    fieldManager: FIELD_MANAGER,
    ...(dryRun ? { dryRun: 'All' } : {}),
  };
  const opts = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  try {
    if (c.kind === 'Deployment') await apis.apps.patchNamespacedDeployment(args, opts);
    else if (c.kind === 'StatefulSet') await apis.apps.patchNamespacedStatefulSet(args, opts);
    else await apis.apps.patchNamespacedDaemonSet(args, opts);
  } catch (e) {
    if (isKubeStatus(e, 404)) return 'missing';
    throw fail(`patch ${c.kind.toLowerCase()} ${c.namespace}/${c.name}`, e);
  }
  return 'done';
}

export interface RolloutState {
  state: 'done' | 'progressing' | 'failed';
  detail: string;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** `kubectl rollout status` for one consumer, requiring the template to carry our restartedAt. */
export async function rolloutState(apis: KubeApis, c: Consumer, restartedAt: string): Promise<RolloutState> {
  const label = `${c.kind.toLowerCase()} ${c.namespace}/${c.name}`;
  const w = await readWorkload(apis, c);
  if (!w) return { state: 'failed', detail: `${label} does not exist` };
  const at = w.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
  if (at !== restartedAt)
    return {
      state: 'failed',
      detail: `${label} does not carry ${RESTARTED_AT}=${restartedAt} (it has ${at ?? 'none'}): restarted by someone else, or the restart was lost`,
    };
  const s = w.status ?? {};
  const generation = w.metadata?.generation ?? 0;
  if (num(s['observedGeneration']) < generation) return { state: 'progressing', detail: `${label}: waiting for the rollout to be observed` };
  const replicas = w.spec?.replicas ?? 1;
  if (c.kind === 'Deployment') {
    const progressing = (s.conditions ?? []).find((x) => x.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded')
      return { state: 'failed', detail: `${label} exceeded its progress deadline: ${progressing.message ?? ''}`.trim() };
    const updated = num(s['updatedReplicas']);
    if (updated < replicas) return { state: 'progressing', detail: `${label}: ${updated} of ${replicas} new replicas updated` };
    if (num(s['replicas']) > updated) return { state: 'progressing', detail: `${label}: ${num(s['replicas']) - updated} old replicas pending termination` };
    if (num(s['availableReplicas']) < updated)
      return { state: 'progressing', detail: `${label}: ${num(s['availableReplicas'])} of ${updated} updated replicas available` };
    return { state: 'done', detail: `${label} rolled out (${replicas} available)` };
  }
  if (c.kind === 'StatefulSet') {
    if (w.spec?.updateStrategy?.type === 'OnDelete') return { state: 'failed', detail: `${label} uses updateStrategy OnDelete: a restart does not roll it` };
    if (num(s['readyReplicas']) < replicas) return { state: 'progressing', detail: `${label}: ${num(s['readyReplicas'])} of ${replicas} pods ready` };
    if (s['updateRevision'] !== s['currentRevision'])
      return { state: 'progressing', detail: `${label}: waiting for pods to update to revision ${String(s['updateRevision'])}` };
    return { state: 'done', detail: `${label} rolled out` };
  }
  const desired = num(s['desiredNumberScheduled']);
  if (num(s['updatedNumberScheduled']) < desired)
    return { state: 'progressing', detail: `${label}: ${num(s['updatedNumberScheduled'])} of ${desired} pods updated` };
  if (num(s['numberAvailable']) < desired) return { state: 'progressing', detail: `${label}: ${num(s['numberAvailable'])} of ${desired} pods available` };
  return { state: 'done', detail: `${label} rolled out` };
}

export interface CsiPodStatus {
  podName: string;
  secretProviderClassName: string;
  mounted: boolean;
  objects: Array<{ id: string; version: string }>;
}

/** Running (not terminating) pods of a consumer, by its selector's matchLabels. */
export async function consumerPods(apis: KubeApis, c: Consumer): Promise<string[]> {
  const w = await readWorkload(apis, c);
  const labels = w?.spec?.selector?.matchLabels;
  if (!labels) return [];
  const labelSelector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  try {
    const list = await apis.core.listNamespacedPod({ namespace: c.namespace, labelSelector });
    return list.items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.name ?? '')
      .filter((n) => n !== '');
  } catch (e) {
    throw fail(`list pods of ${c.kind.toLowerCase()} ${c.namespace}/${c.name}`, e);
  }
}

/** SecretProviderClassPodStatus objects of a SecretProviderClass in a namespace. */
export async function csiPodStatuses(apis: KubeApis, namespace: string, secretProviderClass: string): Promise<CsiPodStatus[]> {
  const { CustomObjectsApi } = await clientNode();
  const custom = apis.kubeConfig.makeApiClient(CustomObjectsApi);
  let list: { items?: Array<{ status?: Partial<CsiPodStatus> }> };
  try {
    list = (await custom.listNamespacedCustomObject({ group: CSI_GROUP, version: 'v1', namespace, plural: 'secretproviderclasspodstatuses' })) as typeof list;
  } catch (e) {
    throw fail(`list secretproviderclasspodstatuses in ${namespace}`, e);
  }
  return (list.items ?? [])
    .map((i) => i.status ?? {})
    .filter((s) => s.secretProviderClassName === secretProviderClass)
    .map((s) => ({
      podName: s.podName ?? '',
      secretProviderClassName: s.secretProviderClassName ?? '',
      mounted: s.mounted === true,
      objects: (s.objects ?? []).map((o) => ({ id: o.id ?? '', version: o.version ?? '' })),
    }));
}
