// The manifest: written once, last, as the completion marker of a backup (after checking every
// item's blob against its part record), and read back for restores, verification and listings.
import type { BackupEnv } from './env.js';
import { buildManifest, paths, parseManifest, type Manifest, type ManifestItem, type PartRecord } from './manifest.js';
import { encryptionInfo, readPartRecord } from './engine.js';
import type { KeyDocument } from './crypto.js';
import type { ManifestSummary, WriteManifestInput } from '../domain/backup-types.js';

export async function readManifest(env: BackupEnv, cluster: string, backupId: string): Promise<Manifest | null> {
  const container = env.backups.containers.objects;
  const path = paths.manifest(cluster, backupId);
  const raw = await env.blobs.readJson<unknown>(container, path);
  return raw === null ? null : parseManifest(JSON.stringify(raw), `${container}/${path}`);
}

export function manifestSummary(m: Manifest, path: string): ManifestSummary {
  return {
    backupId: m.backupId,
    cluster: m.cluster,
    status: m.status,
    items: m.totals.items,
    bytes: m.totals.bytes,
    objects: m.totals.objects,
    warnings: m.warnings.length,
    path,
  };
}

export async function writeManifest(env: BackupEnv, input: WriteManifestInput): Promise<ManifestSummary> {
  const container = env.backups.containers.objects;
  const path = paths.manifest(input.cluster, input.backupId);
  const existing = await readManifest(env, input.cluster, input.backupId);
  if (existing) return manifestSummary(existing, path);
  const records: PartRecord[] = [];
  const failed = [...input.failed];
  for (const part of input.parts) {
    const r = await readPartRecord(env, input.cluster, input.backupId, part);
    if (r) records.push(r);
    else failed.push({ part, error: 'reported done but its record is missing' });
  }
  const keyDoc = await env.blobs.readJson<KeyDocument>(container, paths.key(input.cluster, input.backupId));
  const manifest = buildManifest(
    {
      backupId: input.backupId,
      cluster: input.cluster,
      tool: env.tool,
      trigger: input.trigger,
      requestedBy: input.requestedBy,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
      encryption: keyDoc ? encryptionInfo(input.cluster, input.backupId, keyDoc) : null,
    },
    records,
    failed,
  );
  manifest.warnings.unshift(...input.warnings);
  // Verify every item exists with the recorded size before declaring the backup complete.
  for (const it of manifest.items) {
    const p = await env.blobs.properties(it.container, it.path);
    if (!p || p.size !== it.size || p.metadata['aksopssha256'] !== it.sha256) {
      throw new Error(`${it.container}/${it.path} is missing or differs from its part record; the backup is not marked complete`);
    }
  }
  const stored = await env.blobs.writeOnceBuffer(container, path, JSON.stringify(manifest, null, 1), {
    aksopsstatus: manifest.status,
    aksopsobjects: String(manifest.totals.objects),
    aksopsbytes: String(manifest.totals.bytes),
    aksopsitems: String(manifest.totals.items),
    aksopsstarted: manifest.startedAt,
  });
  if (stored.existed) return manifestSummary((await readManifest(env, input.cluster, input.backupId))!, path);
  return manifestSummary(manifest, path);
}

/**
 * Items of one kind a service restore asks for by name (["*"]: all): only from a complete backup,
 * and every name asked for must be in it.
 */
export async function requestedItems(
  env: BackupEnv,
  input: { sourceCluster: string; backupId: string; names: string[] },
  type: ManifestItem['type'],
  nameOf: (i: ManifestItem) => string | undefined,
  what: string,
): Promise<ManifestItem[]> {
  const m = await readManifest(env, input.sourceCluster, input.backupId);
  if (!m) throw new Error(`backup ${input.sourceCluster}/${input.backupId} has no manifest: it is incomplete and is never restored`);
  const all = m.items.filter((i) => i.type === type);
  const missing = input.names.filter((n) => n !== '*' && !all.some((i) => nameOf(i) === n));
  if (missing.length > 0) throw new Error(`backup ${input.backupId} holds no ${what} ${missing.join(', ')}`);
  return input.names.includes('*') ? all : all.filter((i) => input.names.includes(nameOf(i) ?? ''));
}
