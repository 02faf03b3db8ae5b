// File-level copies of PVCs that no application-aware method covers (Velero's file-system backup,
// done the durable way): an ephemeral pod mounts the PVC read-only (volume-pod.ts), `tar` of the
// mount streams out through exec into a write-once blob (exec-stream.ts: back-pressured, SHA-256
// while streaming, committed only when tar exited 0), and the tar's entries are counted on the way
// (tar-entries.ts reads the headers; the data is skipped, not parsed or buffered). Size, SHA-256
// and entry count go into the manifest item with the PVC's storage class, size, access and volume
// modes.
//
// Consistency: crash-consistent (what a power cut would leave) unless the application is quiesced;
// tar reads a live file system file by file. A database on a PVC must use its own method
// (databases, redis, prometheus): PVCs mounted by the pods those entries select are left out.
//
// Restore: into a NEW PVC (never over an existing one: a conflict is reported), created from the
// manifest's storage class and size, then a pod mounts it read-write and untars the blob from
// stdin (`head -c SIZE | tar -x`, checksum checked), and the entries found are compared with the
// manifest's count.
import { countTarEntries } from './tar-entries.js';
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import { isKubeRestStatus } from '../adapters/kube-rest.js';
import type { ExecOptions } from '../adapters/kube-exec.js';
import { parseSize, type VolumeBackupConfig } from '../config/backup-schema.js';
import { volumePodSchema } from '../config/volume-backup-schema.js';
import { checkName } from '../domain/k8s-names.js';
import { paths, partIds, PART_FORMAT, type Manifest, type ManifestItem } from './manifest.js';
import { readPartRecord, summarize, writePartRecord } from './engine.js';
import { blobToExec, execToBlob, storedBlob, type PodTarget } from './exec-stream.js';
import { findAttachment, PVCS, VOLUME_MOUNT, withVolumePod, type PodWait } from './volume-pod.js';
import type { BackupVolumeInput, BackupVolumeInputRef, PartSummary, RestoreVolumeInput } from '../domain/backup-types.js';
import { readManifest } from './manifest-write.js';
import type { KubeJson } from './objects.js';

export type VolumeRef = BackupVolumeInputRef;

/** `tar -cf -` of the mount, lost+found left out (root-only, recreated by mkfs). */
export const TAR_OUT = ['sh', '-c', 'cd "$0" && exec tar --exclude=./lost+found -cf - .', VOLUME_MOUNT];

/** Unpacks exactly `size` bytes of tar from stdin into the mount, then prints how many entries it holds. */
export function untarAndCount(size: number): string[] {
  return [
    'sh',
    '-c',
    'cd "$1" && head -c "$0" | tar -xf - && find . -mindepth 1 ! -path ./lost+found ! -path "./lost+found/*" | wc -l',
    String(size),
    VOLUME_MOUNT,
  ];
}

/** Counts the entries of a tar stream as it passes (the root "./" excluded), headers only (tar-entries.ts). */
export function tarEntryCounter(): { write(chunk: Buffer): Promise<void>; end(): Promise<void>; readonly entries: number } {
  const counter = countTarEntries();
  const checked = (f: () => void) => {
    try {
      f();
    } catch (e) {
      throw new Error(
        `the copy pod's tar output is not a readable tar archive (${(e as Error).message}); nothing was committed. Fix: check the copy pod image's tar (GNU tar or busybox), then run the backup again`,
      );
    }
  };
  return {
    async write(chunk) {
      checked(() => counter.write(chunk));
    },
    async end() {
      checked(() => counter.end());
    },
    get entries() {
      return counter.entries;
    },
  };
}

function pvcFacts(pvc: KubeJson): NonNullable<ManifestItem['pvc']> {
  const spec = (pvc['spec'] ?? {}) as {
    storageClassName?: string;
    accessModes?: string[];
    volumeMode?: string;
    resources?: { requests?: { storage?: string } };
  };
  const status = (pvc['status'] ?? {}) as { capacity?: { storage?: string } };
  return {
    name: String(pvc.metadata?.['name']),
    storageClassName: spec.storageClassName ?? null,
    storage: status.capacity?.storage ?? spec.resources?.requests?.storage ?? '1Gi',
    accessModes: spec.accessModes ?? ['ReadWriteOnce'],
    volumeMode: spec.volumeMode ?? 'Filesystem',
  };
}

function volumeConfig(env: BackupEnv, cluster: string, v: VolumeRef): VolumeBackupConfig {
  const c = clusterBackupConfig(env, cluster).volumes.find(
    (x) => x.namespace === v.namespace && (x.pvcs === undefined || x.pvcs.includes(v.pvc)) && !x.exclude.includes(v.pvc),
  );
  if (!c) throw new Error(`PVC ${v.namespace}/${v.pvc} is not configured for a volume backup in cluster ${cluster}. Fix: add it to backups.clusters[].volumes`);
  return c;
}

export interface VolumeStreamTarget {
  container: string;
  path: string;
  expectedBytes: number;
  metadata?: Record<string, string>;
}

/**
 * Streams `tar` of the copy pod's mount into a write-once blob, counting entries on the way. The
 * whole data path of a volume backup without the pod's lifecycle: what a benchmark measures.
 */
export async function streamVolume(env: BackupEnv, cluster: string, pod: PodTarget, to: VolumeStreamTarget, execOptions: Pick<ExecOptions, 'protocols'> = {}) {
  const counter = tarEntryCounter();
  const r = await execToBlob(
    env,
    cluster,
    pod,
    TAR_OUT,
    {
      container: to.container,
      path: to.path,
      expectedBytes: to.expectedBytes,
      metadata: () => ({ ...(to.metadata ?? {}), aksopsformat: 'tar', aksopsentries: String(counter.entries) }),
      observe: counter,
      what: `tar of ${pod.namespace}/${to.path.split('/').pop()}`,
    },
    execOptions,
  );
  return { ...r, entries: counter.entries };
}

export async function backupVolume(env: BackupEnv, input: BackupVolumeInput, wait: PodWait = env.podWait ?? {}): Promise<PartSummary> {
  const part = partIds.volume(input.namespace, input.pvc);
  const existing = await readPartRecord(env, input.cluster, input.backupId, part);
  if (existing) return summarize(existing, true);
  const cfg = volumeConfig(env, input.cluster, input);
  const { rest } = await env.kube(input.cluster);
  let pvc: KubeJson;
  try {
    pvc = await rest.get(PVCS, input.namespace, input.pvc);
  } catch (e) {
    if (isKubeRestStatus(e, 404)) throw new Error(`PVC ${input.namespace}/${input.pvc} no longer exists: nothing to copy`);
    throw e;
  }
  const facts = pvcFacts(pvc);
  const container = env.backups.containers.appData;
  const path = paths.volume(input.cluster, input.backupId, input.namespace, input.pvc);
  const warnings: string[] = [];
  // A blob committed by an attempt whose result was lost is kept, not copied again.
  let stored = await storedBlob(env, container, path);
  let entries = Number(stored?.metadata['aksopsentries'] ?? 0);
  if (!stored) {
    const attachment = await findAttachment(rest, input.namespace, input.pvc);
    if (facts.accessModes.includes('ReadWriteOncePod') && attachment.mountedBy.length > 0) {
      throw new Error(
        `PVC ${input.namespace}/${input.pvc} is ReadWriteOncePod and mounted by ${attachment.mountedBy.join(', ')}: no second pod can mount it. Fix: back it up with a CSI snapshot (backups.clusters[].snapshots)`,
      );
    }
    const expectedBytes = Math.max(parseSize(facts.storage) ?? 0, parseSize(cfg.expectedSize)!);
    const r = await withVolumePod(
      rest,
      { purpose: 'backup', id: input.backupId, namespace: input.namespace, pvc: input.pvc, pod: cfg.pod, attachment },
      wait,
      (pod) => streamVolume(env, input.cluster, pod, { container, path, expectedBytes, metadata: { aksopsvolume: `${input.namespace}/${input.pvc}` } }),
    );
    stored = r.stored;
    entries = r.entries;
    warnings.push(...r.warnings);
  }
  const item: ManifestItem = {
    part,
    type: 'volume',
    container,
    path,
    size: stored.size,
    sha256: stored.sha256,
    namespace: input.namespace,
    format: 'tar',
    pvc: facts,
    entries,
  };
  const record = await writePartRecord(env, { format: PART_FORMAT, backupId: input.backupId, cluster: input.cluster, part, items: [item], warnings });
  return summarize(record, false);
}

// ---------------------------------------------------------------------------- restore

/** A restore of one backed-up PVC into a new PVC. */
export type VolumeRestore = RestoreVolumeInput['volume'];

/**
 * Checks a restore request's volumes ({"ns/pvc": "new-name"}) against the manifest and the
 * protection rules; the target namespace follows the namespace mapping.
 */
export function planVolumeRestores(
  m: Manifest,
  requested: Record<string, string> | undefined,
  mapNs: (ns: string) => string,
  isProtected: (ns: string) => boolean,
): VolumeRestore[] {
  return Object.entries(requested ?? {}).map(([source, name]) => {
    const [namespace, pvc] = source.split('/') as [string, string | undefined];
    const item = m.items.find((i) => i.type === 'volume' && i.namespace === namespace && i.pvc?.name === pvc);
    if (!pvc || !item)
      throw new Error(
        `volumes: backup ${m.backupId} holds no copy of PVC ${source} (it has ${
          m.items
            .filter((i) => i.type === 'volume')
            .map((i) => `${i.namespace}/${i.pvc?.name}`)
            .join(', ') || 'none'
        })`,
      );
    const bad = checkName('name', name);
    if (bad) throw new Error(`volumes: "${source}" -> "${name}": ${bad}. Fix: a new PVC name`);
    const target = mapNs(namespace);
    if (isProtected(target))
      throw new Error(`volumes: namespace ${target} is protected: no PVC is restored into it. Fix: map ${namespace} to another namespace (namespaceMap)`);
    return { namespace, pvc, target: { namespace: target, name } };
  });
}

/** A drill's volumes: every PVC copy of `namespaces` in the backup -> `<pvc>-drill`. */
export function drillVolumeMap(m: Manifest, namespaces: string[]): Record<string, string> {
  const copies = m.items.filter((i) => i.type === 'volume' && namespaces.includes(i.namespace ?? '') && i.pvc);
  return Object.fromEntries(copies.map((i) => [`${i.namespace}/${i.pvc!.name}`, `${i.pvc!.name}-drill`]));
}

export interface RestoreVolumeResult {
  source: string;
  target: string;
  /** created: PVC made and data restored; planned: dry-run. */
  outcome: 'created' | 'planned';
  storageClassName: string | null;
  storage: string;
  bytes: number;
  entries: number;
}

const RESTORED_FROM = 'aksops.io/restored-from';

/** The restoreVolume activity: the manifest (only complete backups), then restoreVolume. */
export async function restoreVolumeStep(env: BackupEnv, input: RestoreVolumeInput): Promise<RestoreVolumeResult> {
  const m = await readManifest(env, input.sourceCluster, input.backupId);
  if (!m) throw new Error(`backup ${input.sourceCluster}/${input.backupId} has no manifest: it is incomplete and is never restored`);
  return restoreVolume(env, input, m);
}

/** Creates the new PVC (or finds the one this restore created before) and untars the copy into it. */
export async function restoreVolume(env: BackupEnv, input: RestoreVolumeInput, m: Manifest, wait: PodWait = env.podWait ?? {}): Promise<RestoreVolumeResult> {
  const v = input.volume;
  const item = m.items.find((i) => i.type === 'volume' && i.namespace === v.namespace && i.pvc?.name === v.pvc)!;
  const facts = item.pvc!;
  const { rest } = await env.kube(input.cluster);
  const marker = `${input.restoreId}:${input.sourceCluster}/${input.backupId}/${v.namespace}/${v.pvc}`;
  const result: RestoreVolumeResult = {
    source: `${v.namespace}/${v.pvc}`,
    target: `${v.target.namespace}/${v.target.name}`,
    outcome: input.dryRun ? 'planned' : 'created',
    storageClassName: facts.storageClassName,
    storage: facts.storage,
    bytes: item.size,
    entries: item.entries ?? 0,
  };
  let live: KubeJson | null = null;
  try {
    live = await rest.get(PVCS, v.target.namespace, v.target.name);
  } catch (e) {
    if (!isKubeRestStatus(e, 404)) throw e;
  }
  if (live && ((live.metadata?.['annotations'] ?? {}) as Record<string, string>)[RESTORED_FROM] !== marker) {
    throw new Error(
      `PVC ${result.target} already exists: a restore never writes into an existing PVC. Fix: choose another name in volumes, or delete that PVC first`,
    );
  }
  if (!live) {
    const body: KubeJson = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: v.target.name, namespace: v.target.namespace, annotations: { [RESTORED_FROM]: marker } },
      spec: {
        accessModes: facts.accessModes,
        resources: { requests: { storage: facts.storage } },
        volumeMode: facts.volumeMode,
        ...(facts.storageClassName !== null ? { storageClassName: facts.storageClassName } : {}),
      },
    };
    try {
      await rest.create(PVCS, v.target.namespace, body, input.dryRun);
    } catch (e) {
      // Two attempts raced: the other one created it; the marker check above runs on the next attempt.
      if (isKubeRestStatus(e, 409)) throw new Error(`PVC ${result.target} was created concurrently: retry the restore`);
      throw e;
    }
  }
  if (input.dryRun) return result;
  // The pod settings (image, user) of the source namespace's entry in the target cluster's config, else the defaults.
  const podCfg =
    env.backups.clusters.find((c) => c.cluster === input.cluster)?.volumes.find((x) => x.namespace === v.namespace)?.pod ?? volumePodSchema.parse({});
  const found = await withVolumePod(
    rest,
    { purpose: 'restore', id: input.restoreId, namespace: v.target.namespace, pvc: v.target.name, pod: podCfg, attachment: { tolerations: [], mountedBy: [] } },
    wait,
    async (pod) => {
      const r = await blobToExec(env, input.cluster, pod, item, untarAndCount, `unpacking into PVC ${result.target}`);
      return Number(r.stdout.trim());
    },
  );
  if (found !== result.entries)
    throw new Error(`PVC ${result.target} holds ${found} entries after the restore, the backup has ${result.entries}: the restore is incomplete`);
  return result;
}
