// The second region: every complete backup is copied server-side to the secondary backup account
// (bicep/modules/storage-backup.bicep, secondary: UK West for UK South), verified there against
// the manifest, and restorable from there (`aksops restore --from secondary`, the drill).
//
// Order (manifest-last, as on the primary): every blob under the backup's prefix in every
// container (items, part records, the wrapped data key), then the verification of every manifest
// item on the secondary (size and SHA-256 re-read from the secondary, GCM tags: verifyBackup), and
// only then the manifest. A secondary without a manifest is an incomplete copy: never restored,
// and the next run completes it (copies are write-once, already-copied blobs are kept).
// Decision (Copy Blob with a SAS vs object replication): docs/decisions/0010-secondary-copy.md.
import type { BackupBlobStore } from '../adapters/blob-store.js';
import { ReadSasIssuer, copyBlobFromUrl } from '../adapters/blob-copy.js';
import type { BackupEnv } from './env.js';
import type { SecondaryCopyReport } from '../domain/backup-types.js';
import { backupIdTime, backupPrefix, paths } from './manifest.js';
import { readManifest } from './manifest-write.js';
import { listBackups, verifyBackup } from './catalog.js';

/** The environment of the secondary account: the same config, the secondary's blobs. */
export function secondaryEnv(env: BackupEnv): BackupEnv {
  if (!env.secondaryBlobs) {
    throw new Error(
      'no secondary backup account is configured. Fix: set BACKUP_SECONDARY_BLOB_SERVICE_URI (Azure: the secondaryBlobEndpoint output of bicep/main.bicep) or BACKUP_SECONDARY_STORAGE_CONNECTION (a connection string)',
    );
  }
  return { ...env, blobs: env.secondaryBlobs };
}

/** Copies one complete backup to the secondary account and verifies it there. Idempotent. */
export async function copyToSecondary(env: BackupEnv, cluster: string, backupId: string): Promise<SecondaryCopyReport> {
  const target = secondaryEnv(env);
  const manifest = await readManifest(env, cluster, backupId);
  if (!manifest) throw new Error(`backup ${cluster}/${backupId} has no manifest on the primary: it is incomplete and is not copied`);
  const objects = env.backups.containers.objects;
  const manifestPath = paths.manifest(cluster, backupId);
  const sas = new ReadSasIssuer(env.blobs);
  const report: SecondaryCopyReport = { cluster, backupId, copied: 0, alreadyThere: 0, bytes: 0, verified: 0, lagSeconds: 0, finishedAt: '' };
  const copy = async (container: string, path: string, size: number, store: BackupBlobStore) => {
    if (await copyBlobFromUrl(store, container, path, await sas.url(container, path))) report.copied += 1;
    else report.alreadyThere += 1;
    report.bytes += size;
  };
  for (const container of [...new Set(Object.values(env.backups.containers))].sort()) {
    for (const b of await env.blobs.list(container, backupPrefix(cluster, backupId))) {
      if (container === objects && b.name === manifestPath) continue;
      await copy(container, b.name, b.size, target.blobs);
    }
  }
  // Verify on the secondary against the primary's manifest, before the secondary gets its own.
  const check = await verifyBackup(target, cluster, backupId, manifest);
  if (!check.ok) {
    const bad = [
      ...check.missing.map((p) => `${p} missing`),
      ...check.mismatches.map((m) => `${m.path} sha256 ${m.actual} (expected ${m.expected})`),
      ...check.undecryptable.map((u) => `${u.path}: ${u.error}`),
    ];
    throw new Error(
      `the copy of ${cluster}/${backupId} on the secondary does not match the manifest (${bad.join('; ') || check.error}); the secondary manifest is not written, the next run retries`,
    );
  }
  report.verified = check.checked;
  const manifestSize = (await env.blobs.properties(objects, manifestPath))?.size ?? 0;
  await copy(objects, manifestPath, manifestSize, target.blobs);
  const done = env.now();
  report.finishedAt = done.toISOString();
  report.lagSeconds = Math.max(0, Math.round((done.getTime() - new Date(manifest.finishedAt).getTime()) / 1000));
  return report;
}

export interface SecondaryLag {
  cluster: string;
  newestPrimary: string | null;
  newestSecondary: string | null;
  /** Complete backups on the primary that the secondary does not have yet. */
  behind: string[];
  /** Seconds since the oldest backup in `behind` was taken (0: in step). */
  lagSeconds: number;
}

/** How far the secondary is behind the primary for one cluster (complete backups only). */
export async function secondaryLag(env: BackupEnv, cluster: string): Promise<SecondaryLag> {
  const complete = async (e: BackupEnv) => (await listBackups(e, cluster)).filter((b) => b.complete).map((b) => b.backupId);
  const primary = await complete(env); // newest first
  const secondary = await complete(secondaryEnv(env));
  const behind = primary.filter((id) => !secondary.includes(id));
  const oldestBehind = behind.at(-1);
  // How long the oldest backup missing on the secondary has existed: data at risk if the region fails.
  const lagSeconds = oldestBehind ? Math.max(0, Math.round((env.now().getTime() - backupIdTime(oldestBehind)!.getTime()) / 1000)) : 0;
  return { cluster, newestPrimary: primary[0] ?? null, newestSecondary: secondary[0] ?? null, behind, lagSeconds };
}
