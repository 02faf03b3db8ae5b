// CSI VolumeSnapshots of selected PVCs (snapshot.storage.k8s.io/v1, kubernetes-csi
// external-snapshotter: VolumeSnapshot spec.source.persistentVolumeClaimName +
// spec.volumeSnapshotClassName; the snapshot controller fills status.readyToUse,
// status.boundVolumeSnapshotContentName, status.restoreSize, status.creationTime and
// status.error {message, time}). The snapshot lives in the cluster (its data in the CSI driver's
// storage, e.g. Azure Disk incremental snapshots); the backup records it in its manifest, and
// retention deletes it with the backup.
//
// Names are derived from the backup and the PVC, so creating twice (at-least-once activities)
// finds the first one (409 AlreadyExists is success). Each carries the labels
// aksops.io/backup-id and aksops.io/cluster, so retention finds them even if the backup crashed
// before recording them.
import { createHash } from 'node:crypto';
import type { BackupEnv } from './env.js';
import { isKubeRestStatus, type KubeRest } from '../adapters/kube-rest.js';
import type { ResourceTypeRef } from './objects.js';
import { partIds, PART_FORMAT, type SnapshotRecord } from './manifest.js';
import { readPartRecord, summarize, writePartRecord } from './engine.js';
import type { CheckSnapshotsInput, CreateSnapshotsInput, PartSummary, RecordSnapshotsInput, SnapshotState } from '../domain/backup-types.js';

export const VOLUME_SNAPSHOT: ResourceTypeRef = {
  group: 'snapshot.storage.k8s.io',
  version: 'v1',
  resource: 'volumesnapshots',
  kind: 'VolumeSnapshot',
  namespaced: true,
};
export const LABEL_BACKUP = 'aksops.io/backup-id';
export const LABEL_CLUSTER = 'aksops.io/cluster';

/** A DNS-1123 subdomain name unique per backup and PVC. */
export function snapshotName(backupId: string, pvc: string): string {
  const id = backupId.toLowerCase();
  const hash = createHash('sha256').update(`${backupId}/${pvc}`).digest('hex').slice(0, 8);
  const base = `${pvc}-${id}`;
  return base.length <= 240 ? `${base}-${hash}` : `${base.slice(0, 240).replace(/[-.]+$/, '')}-${hash}`;
}

export async function createSnapshots(env: BackupEnv, input: CreateSnapshotsInput): Promise<SnapshotState[]> {
  const { rest } = await env.kube(input.cluster);
  const out: SnapshotState[] = [];
  for (const t of input.targets) {
    const name = snapshotName(input.backupId, t.pvc);
    const state: SnapshotState = { namespace: t.namespace, pvc: t.pvc, name, volumeSnapshotClass: t.volumeSnapshotClass };
    try {
      await rest.create(
        VOLUME_SNAPSHOT,
        t.namespace,
        {
          apiVersion: 'snapshot.storage.k8s.io/v1',
          kind: 'VolumeSnapshot',
          metadata: {
            name,
            namespace: t.namespace,
            labels: { [LABEL_BACKUP]: input.backupId, [LABEL_CLUSTER]: input.cluster, 'app.kubernetes.io/managed-by': 'aksops' },
          },
          spec: { volumeSnapshotClassName: t.volumeSnapshotClass, source: { persistentVolumeClaimName: t.pvc } },
        },
        false,
      );
    } catch (e) {
      if (!isKubeRestStatus(e, 409)) state.error = (e as Error).message;
    }
    out.push(state);
  }
  return out;
}

function record(s: SnapshotState, obj: Record<string, unknown> | undefined): SnapshotRecord {
  const status = (obj?.['status'] ?? {}) as Record<string, unknown>;
  const r: SnapshotRecord = {
    namespace: s.namespace,
    pvc: s.pvc,
    name: s.name,
    volumeSnapshotClassName: s.volumeSnapshotClass,
    readyToUse: status['readyToUse'] === true,
  };
  if (typeof status['restoreSize'] === 'string') r.restoreSize = status['restoreSize'];
  if (typeof status['boundVolumeSnapshotContentName'] === 'string') r.boundVolumeSnapshotContentName = status['boundVolumeSnapshotContentName'];
  if (typeof status['creationTime'] === 'string') r.creationTime = status['creationTime'];
  const err = status['error'] as { message?: unknown } | undefined;
  if (s.error) r.error = s.error;
  else if (err && typeof err.message === 'string') r.error = err.message;
  return r;
}

/** The current state of each snapshot (readyToUse, or an error from the snapshot controller). */
export async function checkSnapshots(env: BackupEnv, input: CheckSnapshotsInput): Promise<SnapshotRecord[]> {
  const { rest } = await env.kube(input.cluster);
  const out: SnapshotRecord[] = [];
  for (const s of input.snapshots) {
    if (s.error) {
      out.push(record(s, undefined));
      continue;
    }
    try {
      out.push(record(s, await rest.get(VOLUME_SNAPSHOT, s.namespace, s.name)));
    } catch (e) {
      out.push({ ...record(s, undefined), error: (e as Error).message });
    }
  }
  return out;
}

export async function recordSnapshots(env: BackupEnv, input: RecordSnapshotsInput): Promise<PartSummary> {
  const part = partIds.snapshots;
  const existing = await readPartRecord(env, input.cluster, input.backupId, part);
  if (existing) return summarize(existing, true);
  const warnings = input.records
    .filter((r) => !r.readyToUse)
    .map((r) => `VolumeSnapshot ${r.namespace}/${r.name} of PVC ${r.pvc} is not ready: ${r.error ?? 'not readyToUse'}`);
  const rec = await writePartRecord(env, {
    format: PART_FORMAT,
    backupId: input.backupId,
    cluster: input.cluster,
    part,
    items: [],
    snapshots: input.records,
    warnings,
  });
  return summarize(rec, false);
}

/** Deletes the VolumeSnapshots of a backup, found by label; returns how many were deleted. */
export async function deleteSnapshotsOf(rest: KubeRest, cluster: string, backupId: string): Promise<number> {
  const all: VolumeSnapshotRef[] = [];
  try {
    const t = { ...VOLUME_SNAPSHOT, namespaced: false }; // all namespaces: /apis/.../volumesnapshots
    for await (const page of rest.listPages(t, null, { labelSelector: `${LABEL_BACKUP}=${backupId},${LABEL_CLUSTER}=${cluster}`, limit: 500 })) {
      for (const o of page) all.push({ namespace: String(o.metadata?.['namespace']), name: String(o.metadata?.['name']) });
    }
  } catch (e) {
    if (isKubeRestStatus(e, 404)) return 0; // the snapshot CRDs are not installed
    throw e;
  }
  let n = 0;
  for (const s of all) {
    try {
      await rest.delete(VOLUME_SNAPSHOT, s.namespace, s.name);
      n += 1;
    } catch (e) {
      if (!isKubeRestStatus(e, 404)) throw e;
    }
  }
  return n;
}

interface VolumeSnapshotRef {
  namespace: string;
  name: string;
}
