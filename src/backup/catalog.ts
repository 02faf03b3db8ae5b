// The backups of a cluster as stored: list, show, verify, delete and the retention plan.
// A backup is complete when its manifest exists; anything else is incomplete and never used
// for restore. Listing reads one HEAD per backup (the manifest's metadata carries its summary).
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { BackupEnv } from './env.js';
import type { BackupBlobStore } from '../adapters/blob-store.js';
import type { BackupsConfig } from '../config/backup-schema.js';
import { backupIdTime, backupPrefix, isBackupId, paths, type Manifest, type ManifestItem } from './manifest.js';
import { backupDataKey, readPartRecord } from './engine.js';
import { readManifest } from './manifest-write.js';
import { decryptStream } from './crypto.js';
import { evaluateRetention } from './retention.js';
import { parseDuration } from '../domain/duration.js';
import { deleteSnapshotsOf } from './snapshots.js';
import type { DeleteBackupInput, DeleteBackupOutput, RetentionInput, RetentionPlanOutput } from '../domain/retention-types.js';

export interface BackupListing {
  backupId: string;
  cluster: string;
  startedAt: string;
  complete: boolean;
  status: 'complete' | 'partial' | 'incomplete';
  objects?: number;
  bytes?: number;
  items?: number;
}

/** Backups of a cluster, newest first. */
export async function listBackups(env: BackupEnv, cluster: string): Promise<BackupListing[]> {
  const container = env.backups.containers.objects;
  const dirs = await env.blobs.listPrefixes(container, `${cluster}/`);
  const out: BackupListing[] = [];
  for (const dir of dirs) {
    const id = dir.slice(cluster.length + 1).replace(/\/$/, '');
    const time = backupIdTime(id);
    if (!time) continue;
    const props = await env.blobs.properties(container, paths.manifest(cluster, id));
    const m = props?.metadata ?? {};
    const status = props ? (m['aksopsstatus'] === 'partial' ? 'partial' : 'complete') : 'incomplete';
    out.push({
      backupId: id,
      cluster,
      startedAt: m['aksopsstarted'] ?? time.toISOString(),
      complete: props !== null,
      status,
      ...(props ? { objects: Number(m['aksopsobjects'] ?? 0), bytes: Number(m['aksopsbytes'] ?? 0), items: Number(m['aksopsitems'] ?? 0) } : {}),
    });
  }
  return out.sort((a, b) => (a.backupId < b.backupId ? 1 : a.backupId > b.backupId ? -1 : 0));
}

/** The newest complete backup, optionally one that holds objects of `namespace`. */
export async function latestComplete(env: BackupEnv, cluster: string, namespace?: string): Promise<Manifest | null> {
  for (const b of await listBackups(env, cluster)) {
    if (!b.complete) continue;
    const m = await readManifest(env, cluster, b.backupId);
    if (!m) continue;
    if (namespace === undefined || m.items.some((i) => i.namespace === namespace)) return m;
  }
  return null;
}

export interface VerifyReport {
  backupId: string;
  cluster: string;
  ok: boolean;
  checked: number;
  bytes: number;
  mismatches: Array<{ path: string; expected: string; actual: string; expectedSize: number; actualSize: number }>;
  missing: string[];
  /** In the archive tier: cannot be read without rehydration, not verified. */
  archived: string[];
  /** Encrypted items whose GCM tag did not verify (or whose key could not be unwrapped). */
  undecryptable: Array<{ path: string; error: string }>;
  error?: string;
}

async function digestOf(env: BackupEnv, it: ManifestItem, dataKey: Buffer | undefined): Promise<{ sha: string; size: number; decryptError?: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = await env.blobs.read(it.container, it.path);
  const decrypt = it.encrypted && dataKey ? decryptStream(dataKey, `${it.container}/${it.path}`) : undefined;
  let decryptError: string | undefined;
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  if (decrypt) {
    decrypt.on('error', (e) => (decryptError = e.message));
    decrypt.pipe(sink);
  }
  for await (const chunk of stream) {
    const c = chunk as Buffer;
    hash.update(c);
    size += c.length;
    if (decrypt && !decryptError && !decrypt.write(c)) {
      await new Promise((r) => {
        decrypt.once('drain', r);
        decrypt.once('error', r);
      });
    }
  }
  if (decrypt && !decryptError) {
    await new Promise<void>((resolve) => {
      decrypt.once('finish', resolve);
      decrypt.once('error', () => resolve());
      decrypt.end();
    });
  }
  return { sha: hash.digest('hex'), size, ...(decryptError ? { decryptError } : {}) };
}

/**
 * Re-reads every item of the backup and checks size, SHA-256 and (encrypted items) the GCM tag.
 * `manifest`: check against this one (the primary's, for a copy on the secondary) instead of the stored one.
 */
export async function verifyBackup(env: BackupEnv, cluster: string, backupId: string, manifest?: Manifest): Promise<VerifyReport> {
  const report: VerifyReport = { backupId, cluster, ok: false, checked: 0, bytes: 0, mismatches: [], missing: [], archived: [], undecryptable: [] };
  const m = manifest ?? (await readManifest(env, cluster, backupId));
  if (!m) return { ...report, error: `backup ${cluster}/${backupId} has no manifest: it is incomplete and cannot be restored` };
  let dataKey: Buffer | undefined;
  if (m.items.some((i) => i.encrypted)) {
    try {
      dataKey = (await backupDataKey(env, cluster, backupId, false)).key;
    } catch (e) {
      for (const it of m.items.filter((i) => i.encrypted)) report.undecryptable.push({ path: `${it.container}/${it.path}`, error: (e as Error).message });
    }
  }
  for (const it of m.items) {
    const props = await env.blobs.properties(it.container, it.path);
    if (!props) {
      report.missing.push(`${it.container}/${it.path}`);
      continue;
    }
    if (props.accessTier === 'Archive') {
      report.archived.push(`${it.container}/${it.path}`);
      continue;
    }
    const d = await digestOf(env, it, dataKey);
    report.checked += 1;
    report.bytes += d.size;
    if (d.sha !== it.sha256 || d.size !== it.size) {
      report.mismatches.push({ path: `${it.container}/${it.path}`, expected: it.sha256, actual: d.sha, expectedSize: it.size, actualSize: d.size });
    } else if (d.decryptError) {
      report.undecryptable.push({ path: `${it.container}/${it.path}`, error: d.decryptError });
    }
  }
  report.ok = report.mismatches.length === 0 && report.missing.length === 0 && report.undecryptable.length === 0;
  return report;
}

export async function retentionPlan(env: BackupEnv, input: RetentionInput): Promise<RetentionPlanOutput> {
  const r = env.backups.retention;
  const backups = await listBackups(env, input.cluster);
  const decision = evaluateRetention(
    backups.map((b) => ({ backupId: b.backupId, startedAt: backupIdTime(b.backupId)!.toISOString(), complete: b.complete })),
    { keepLast: r.keepLast, daily: r.daily, weekly: r.weekly, monthly: r.monthly, yearly: r.yearly, incompleteAfterSeconds: parseDuration(r.incompleteAfter)! },
    new Date(input.now),
  );
  // Oldest first: a deletion interrupted half-way leaves the newest backups untouched.
  return { expire: [...decision.expire].reverse(), keep: decision.keep };
}

/**
 * Deletes a backup: the manifest first (from then on it is incomplete and never used), then its
 * VolumeSnapshots, then every blob under its prefix in every container. Idempotent.
 */
export async function deleteBackup(env: BackupEnv, input: DeleteBackupInput): Promise<DeleteBackupOutput> {
  if (!isBackupId(input.backupId)) throw new Error(`"${input.backupId}" is not a backup ID`);
  // The manifest first: from then on the backup is incomplete and never used.
  const manifestGone = Number(await env.blobs.delete(env.backups.containers.objects, paths.manifest(input.cluster, input.backupId)));
  let snapshots = 0;
  const snapshotRecord = await readPartRecord(env, input.cluster, input.backupId, 'snapshots');
  const recorded = snapshotRecord?.snapshots ?? [];
  if (recorded.length > 0 || env.backups.clusters.find((c) => c.cluster === input.cluster)?.snapshots.length) {
    const { rest } = await env.kube(input.cluster);
    snapshots = await deleteSnapshotsOf(rest, input.cluster, input.backupId);
  }
  const blobs = manifestGone + (await deleteBackupBlobs(env.blobs, env.backups.containers, input.cluster, input.backupId));
  // The same retention on the copy in the secondary region.
  const secondary = env.secondaryBlobs
    ? { secondaryBlobs: await deleteBackupBlobs(env.secondaryBlobs, env.backups.containers, input.cluster, input.backupId) }
    : {};
  return { backupId: input.backupId, blobs, snapshots, ...secondary };
}

/** The manifest first (from then on the backup is incomplete and never used), then every blob under its prefix. */
async function deleteBackupBlobs(store: BackupBlobStore, containers: BackupsConfig['containers'], cluster: string, backupId: string): Promise<number> {
  let blobs = 0;
  if (await store.delete(containers.objects, paths.manifest(cluster, backupId))) blobs += 1;
  const prefix = backupPrefix(cluster, backupId);
  // Every container of the section (objects last: its manifest went first, key.json goes last).
  for (const c of [...new Set(Object.values(containers))].sort((x, y) => Number(x === containers.objects) - Number(y === containers.objects))) {
    for (const b of await store.list(c, prefix)) if (await store.delete(c, b.name)) blobs += 1;
  }
  return blobs;
}
