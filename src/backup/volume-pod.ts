// The ephemeral pod of a file-level volume copy (volumes.ts): it mounts one PVC (read-only for a
// backup, read-write for a restore into a new PVC) and runs `sleep` until the copy has been
// streamed through exec, then it is deleted, also when the copy fails.
//
// - Deterministic name from (backup or restore id, namespace, PVC): a retried activity finds its
//   own pod (reused when Running, awaited when still terminating) instead of creating a second.
//   A pod of that name that is not ours (annotation aksops.io/copy-of) is never touched.
// - On the node the PVC is attached to when it is ReadWriteOnce and mounted by a running pod
//   (nodeAffinity on metadata.name, the way the DaemonSet controller pins pods), with that pod's
//   tolerations so a tainted pool (database, monitoring) admits it. ReadWriteOncePod volumes
//   cannot get a second pod: the error says to use a CSI snapshot.
// - Meets the Pod Security "restricted" profile: non-root, no privilege escalation, all
//   capabilities dropped, RuntimeDefault seccomp, read-only root filesystem; no service account
//   token; resource requests and limits from the config; activeDeadlineSeconds as a backstop if the
//   function dies before it deletes the pod. Labels app.kubernetes.io/managed-by=aksops and
//   aksops.io/copy-id find leftovers.
import { createHash } from 'node:crypto';
import { isKubeRestStatus, type KubeRest } from '../adapters/kube-rest.js';
import type { KubeJson, ResourceTypeRef } from './objects.js';
import type { PodTarget } from './exec-stream.js';
import type { VolumePodConfig } from '../config/volume-backup-schema.js';
import { parseDuration } from '../domain/duration.js';

export const PODS: ResourceTypeRef = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
export const PVCS: ResourceTypeRef = { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true };
/** Where the PVC is mounted in the copy pod. */
export const VOLUME_MOUNT = '/aksops/volume';
export const COPY_CONTAINER = 'copy';
const COPY_OF = 'aksops.io/copy-of';
/** Container waiting reasons that never resolve by waiting longer. */
const FATAL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

export type CopyPurpose = 'backup' | 'restore';

export function volumePodName(purpose: CopyPurpose, id: string, namespace: string, pvc: string): string {
  const hash = createHash('sha256').update(`${purpose}/${id}/${namespace}/${pvc}`).digest('hex').slice(0, 10);
  const stem = pvc.slice(0, 30).replace(/[^a-z0-9]+$/, '');
  return `aksops-${purpose === 'backup' ? 'vb' : 'vr'}-${stem}-${hash}`;
}

/** The node a running pod mounting the PVC is on, with its tolerations; none when it is not mounted. */
export interface Attachment {
  node?: string;
  tolerations: unknown[];
  mountedBy: string[];
}

export async function findAttachment(rest: KubeRest, namespace: string, pvc: string): Promise<Attachment> {
  const out: Attachment = { tolerations: [], mountedBy: [] };
  for await (const page of rest.listPages(PODS, namespace, { limit: 500 })) {
    for (const p of page) {
      const spec = (p['spec'] ?? {}) as { nodeName?: string; tolerations?: unknown[]; volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> };
      const phase = (p['status'] as { phase?: string } | undefined)?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      if (!(spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc)) continue;
      const labels = (p.metadata?.['labels'] ?? {}) as Record<string, string>;
      if (labels['app.kubernetes.io/managed-by'] === 'aksops') continue;
      out.mountedBy.push(String(p.metadata?.['name']));
      if (spec.nodeName && !out.node) {
        out.node = spec.nodeName;
        out.tolerations = spec.tolerations ?? [];
      }
    }
  }
  return out;
}

export interface VolumePodSpec {
  purpose: CopyPurpose;
  /** Backup or restore id. */
  id: string;
  namespace: string;
  pvc: string;
  pod: VolumePodConfig;
  attachment: Attachment;
}

export function volumePodManifest(s: VolumePodSpec): KubeJson {
  const name = volumePodName(s.purpose, s.id, s.namespace, s.pvc);
  const readOnly = s.purpose === 'backup';
  const deadline = parseDuration(s.pod.deadline)!;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: s.namespace,
      labels: {
        'app.kubernetes.io/managed-by': 'aksops',
        'app.kubernetes.io/component': `volume-${s.purpose}`,
        'aksops.io/copy-id': createHash('sha256').update(s.id).digest('hex').slice(0, 16),
      },
      annotations: { [COPY_OF]: `${s.purpose}/${s.id}/${s.namespace}/${s.pvc}` },
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 1,
      activeDeadlineSeconds: deadline,
      ...(s.attachment.node
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [s.attachment.node] }] }],
                },
              },
            },
          }
        : {}),
      ...(s.attachment.tolerations.length > 0 ? { tolerations: s.attachment.tolerations } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: s.pod.runAsUser,
        ...(s.pod.runAsGroup !== undefined ? { runAsGroup: s.pod.runAsGroup } : {}),
        ...(s.pod.fsGroup !== undefined && !readOnly ? { fsGroup: s.pod.fsGroup } : {}),
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: COPY_CONTAINER,
          image: s.pod.image,
          command: ['sleep', String(deadline)],
          resources: s.pod.resources,
          securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          volumeMounts: [{ name: 'data', mountPath: VOLUME_MOUNT, readOnly }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: s.pvc, readOnly } }],
    },
  };
}

export interface PodWait {
  /** Poll interval (ms) while the pod starts or terminates. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function getPod(rest: KubeRest, namespace: string, name: string): Promise<KubeJson | null> {
  try {
    return await rest.get(PODS, namespace, name);
  } catch (e) {
    if (isKubeRestStatus(e, 404)) return null;
    throw e;
  }
}

/** Why a pod will never become Running, or null while it may. */
function startFailure(pod: KubeJson, image: string): string | null {
  const st = (pod['status'] ?? {}) as {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string } } }>;
  };
  if (st.phase === 'Failed' || st.phase === 'Succeeded') return `it ended (${st.phase}${st.reason ? `: ${st.reason}` : ''})`;
  for (const c of st.containerStatuses ?? []) {
    const w = c.state?.waiting;
    if (w?.reason && FATAL_WAITING.has(w.reason))
      return `${w.reason}: ${(w.message ?? '').slice(0, 300)}. Fix: check pod.image (${image}) is reachable from the node (mirror it in your registry for private clusters)`;
  }
  return null;
}

function pendingReason(pod: KubeJson): string {
  const conds = (pod['status'] as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } | undefined)?.conditions ?? [];
  const c = conds.find((x) => x.status === 'False' && x.message);
  return c ? `${c.type} ${c.reason ?? ''}: ${c.message}` : 'Pending';
}

/**
 * Creates the copy pod (or finds the one an earlier attempt created) and waits until it is
 * Running. Throws, after deleting a pod that cannot start, naming the reason.
 */
export async function startVolumePod(rest: KubeRest, manifest: KubeJson, pod: VolumePodConfig, wait: PodWait = {}): Promise<PodTarget> {
  const ns = String(manifest.metadata!['namespace']);
  const name = String(manifest.metadata!['name']);
  const ours = (manifest.metadata!['annotations'] as Record<string, string>)[COPY_OF];
  const sleep = wait.sleep ?? delay;
  const pollMs = wait.pollMs ?? 2000;
  const deadline = Date.now() + parseDuration(pod.startTimeout)! * 1000;
  for (;;) {
    let live = await getPod(rest, ns, name);
    if (live) {
      const annotation = ((live.metadata?.['annotations'] ?? {}) as Record<string, string>)[COPY_OF];
      if (annotation !== ours) throw new Error(`pod ${ns}/${name} exists and is not aksops' copy pod for ${ours}: it is not touched. Fix: delete or rename it`);
      const ended = ['Failed', 'Succeeded'].includes(String((live['status'] as { phase?: string } | undefined)?.phase));
      if (live.metadata?.['deletionTimestamp'] === undefined && ended) {
        await deleteVolumePod(rest, ns, name); // past its deadline: start afresh
        live = null;
      }
    }
    if (!live) {
      try {
        live = await rest.create(PODS, ns, manifest, false);
      } catch (e) {
        if (!isKubeRestStatus(e, 409)) throw e;
        continue; // another attempt created it meanwhile: look again
      }
    }
    if (live.metadata?.['deletionTimestamp'] === undefined) {
      if ((live['status'] as { phase?: string } | undefined)?.phase === 'Running') return { namespace: ns, pod: name, container: COPY_CONTAINER };
      const failure = startFailure(live, pod.image);
      if (failure) {
        await deleteVolumePod(rest, ns, name);
        throw new Error(`copy pod ${ns}/${name} cannot start: ${failure}`);
      }
    }
    if (Date.now() > deadline) {
      await deleteVolumePod(rest, ns, name);
      throw new Error(
        `copy pod ${ns}/${name} was not Running within ${pod.startTimeout} (${pendingReason(live)}). Fix: check the node has room for the pod's requests, or raise pod.startTimeout`,
      );
    }
    await sleep(pollMs);
  }
}

export async function deleteVolumePod(rest: KubeRest, namespace: string, name: string): Promise<void> {
  try {
    await rest.delete(PODS, namespace, name);
  } catch (e) {
    if (!isKubeRestStatus(e, 404)) throw e;
  }
}

/** Runs `fn` in a started copy pod and deletes the pod afterwards, whatever happened. */
export async function withVolumePod<T>(rest: KubeRest, s: VolumePodSpec, wait: PodWait, fn: (target: PodTarget) => Promise<T>): Promise<T> {
  const manifest = volumePodManifest(s);
  const target = await startVolumePod(rest, manifest, s.pod, wait);
  try {
    return await fn(target);
  } finally {
    await deleteVolumePod(rest, target.namespace, target.pod);
  }
}
