// PostgreSQL dumps and restores through the Kubernetes exec API: `pg_dump -Fc` runs inside the
// database pod, its stdout is streamed (back-pressured, src/adapters/kube-exec.ts) through
// SHA-256 into a block blob whose block list is committed only when pg_dump exited 0
// (src/adapters/blob-store.ts); `pg_restore` reads the dump streamed from Blob on its stdin.
// Memory stays at a few blocks whatever the database size. The password never leaves the pod:
// the config names the container's environment variable that holds it (passwordEnv), and the
// command reads it there (PGPASSWORD="$VAR").
//
// pg_dump -Fc: the custom archive format (compressed, restorable selectively with pg_restore);
// --no-password: never prompt (a prompt would hang the exec).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import { blockSizeFor } from '../adapters/blob-store.js';
import { execStream, type ExecOptions } from '../adapters/kube-exec.js';
import { parseSize, type DatabaseBackupConfig } from '../config/backup-schema.js';
import { paths, partIds, PART_FORMAT, type ManifestItem } from './manifest.js';
import { readManifest, readPartRecord, summarize, writePartRecord } from './engine.js';
import type { ResourceTypeRef } from './objects.js';
import type { BackupDatabaseInput, PartSummary, RestoreDatabaseInput } from '../domain/backup-types.js';

const PODS: ResourceTypeRef = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
/** Memory for blocks in flight: at most ~64 MiB however large the blocks get. */
const STAGING_BUDGET = 64 * 1024 * 1024;

/** Connection flags shared by pg_dump and pg_restore. */
function connectionArgs(db: Pick<DatabaseBackupConfig, 'user' | 'host' | 'port'>): string[] {
  return ['--no-password', '-U', db.user, ...(db.host ? ['-h', db.host] : []), ...(db.port ? ['-p', String(db.port)] : [])];
}

/** The command run in the container: pg_dump, with PGPASSWORD taken from the container's env when configured. */
export function pgDumpCommand(db: DatabaseBackupConfig): string[] {
  const args = ['-Fc', ...connectionArgs(db), '-d', db.database];
  if (!db.passwordEnv) return ['pg_dump', ...args];
  return ['sh', '-c', `PGPASSWORD="$${db.passwordEnv}" exec pg_dump "$@"`, 'pg_dump', ...args];
}

/**
 * pg_restore reading exactly `size` bytes from stdin (head -c), so it finishes without the
 * client half-closing stdin (impossible on the v4 channel protocol); --exit-on-error stops at
 * the first failed statement and exits non-zero.
 */
export function pgRestoreCommand(db: DatabaseBackupConfig, target: string, size: number): string[] {
  const args = [...connectionArgs(db), '--exit-on-error', '--no-owner', '-d', target];
  const env = db.passwordEnv ? `PGPASSWORD="$${db.passwordEnv}" ` : '';
  return ['sh', '-c', `head -c "$0" | ${env}pg_restore "$@"`, String(size), ...args];
}

/** The Running pod the selector picks (first by name), and the container to exec in. */
export async function databasePod(env: BackupEnv, cluster: string, db: DatabaseBackupConfig): Promise<{ pod: string; container: string }> {
  const { rest } = await env.kube(cluster);
  const pods: Array<{ name: string; containers: string[] }> = [];
  for await (const page of rest.listPages(PODS, db.namespace, { labelSelector: db.podSelector, limit: 100 })) {
    for (const p of page) {
      const phase = (p['status'] as { phase?: string } | undefined)?.phase;
      const deleting = (p.metadata ?? {})['deletionTimestamp'] !== undefined;
      if (phase !== 'Running' || deleting) continue;
      const cs = ((p['spec'] as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map((c) => c.name);
      pods.push({ name: String(p.metadata?.['name']), containers: cs });
    }
  }
  pods.sort((a, b) => (a.name < b.name ? -1 : 1));
  const pod = pods[0];
  if (!pod) throw new Error(`no Running pod in ${db.namespace} matches ${db.podSelector} (database ${db.name}). Fix: check podSelector, or that the database is up`);
  const container = db.container ?? pod.containers[0];
  if (!container || !pod.containers.includes(container)) {
    throw new Error(`pod ${db.namespace}/${pod.name} has no container "${db.container}" (it has ${pod.containers.join(', ')}). Fix: set container of database ${db.name}`);
  }
  return { pod: pod.name, container };
}

function dbConfig(env: BackupEnv, cluster: string, name: string): DatabaseBackupConfig {
  const db = clusterBackupConfig(env, cluster).databases.find((d) => d.name === name);
  if (!db) throw new Error(`database ${name} is not configured for cluster ${cluster}`);
  return db;
}

export async function backupDatabase(env: BackupEnv, input: BackupDatabaseInput, execOptions: Pick<ExecOptions, 'protocols'> = {}): Promise<PartSummary> {
  const part = partIds.database(input.database);
  const existing = await readPartRecord(env, input.cluster, input.backupId, part);
  if (existing) return summarize(existing, true);
  const db = dbConfig(env, input.cluster, input.database);
  const container = env.backups.containers.databases;
  const path = paths.database(input.cluster, input.backupId, db.name);
  const warnings: string[] = [];
  // A dump committed by an attempt whose result was lost is kept, not redone (write-once).
  let stored = await env.blobs.properties(container, path).then((p) => (p ? env.blobs.existing(container, path) : null));
  if (!stored) {
    const { kubeConfig } = await env.kube(input.cluster);
    const { pod, container: c } = await databasePod(env, input.cluster, db);
    const sizes = blockSizeFor(parseSize(db.expectedSize)!);
    const handle = await execStream(kubeConfig, db.namespace, pod, c, pgDumpCommand(db), { stdoutBuffer: 1024 * 1024, ...execOptions });
    async function* output(): AsyncGenerator<Buffer> {
      for await (const chunk of handle.stdout) yield chunk as Buffer;
      // Commit only after pg_dump reported success.
      const r = await handle.done;
      if (r.exitCode !== 0) {
        throw new Error(`pg_dump of ${db.database} in ${db.namespace}/${pod} failed (exit ${r.exitCode}): ${(r.stderr.trim() || r.status.message || '').slice(-600)}`);
      }
      if (r.stderr.trim() !== '') warnings.push(`pg_dump: ${r.stderr.trim().slice(-300)}`);
    }
    try {
      stored = await env.blobs.writeOnce(container, path, output(), {
        blockSize: sizes.at,
        concurrency: Math.max(1, Math.min(4, Math.floor(STAGING_BUDGET / sizes.base))),
        metadata: { aksopsdatabase: db.database, aksopsformat: 'pg_dump-custom', aksopspod: pod },
        contentType: 'application/octet-stream',
      });
    } catch (e) {
      handle.abort();
      throw e;
    }
  }
  const item: ManifestItem = { part, type: 'database', container, path, size: stored.size, sha256: stored.sha256, database: db.name, format: 'pg_dump-custom' };
  const record = await writePartRecord(env, { format: PART_FORMAT, backupId: input.backupId, cluster: input.cluster, part, items: [item], warnings });
  return summarize(record, false);
}

export interface DatabaseRestoreResult {
  database: string;
  target: string;
  bytes: number;
  sha256: string;
}

/** Streams a dump from Blob into pg_restore in the database pod. Checks the checksum on the way. */
export async function restoreDatabase(env: BackupEnv, input: RestoreDatabaseInput, execOptions: Pick<ExecOptions, 'protocols'> = {}): Promise<DatabaseRestoreResult> {
  const manifest = await readManifest(env, input.sourceCluster, input.backupId);
  if (!manifest) throw new Error(`backup ${input.sourceCluster}/${input.backupId} has no manifest: it is incomplete and is never restored`);
  const item = manifest.items.find((i) => i.type === 'database' && i.database === input.database);
  if (!item) throw new Error(`backup ${input.backupId} holds no dump of database ${input.database}`);
  const db = dbConfig(env, input.cluster, input.database);
  if (input.dryRun) return { database: input.database, target: input.target, bytes: item.size, sha256: item.sha256 };
  const { kubeConfig } = await env.kube(input.cluster);
  const { pod, container } = await databasePod(env, input.cluster, db);
  const hash = createHash('sha256');
  let bytes = 0;
  const source = (await env.blobs.read(item.container, item.path)) as Readable;
  source.on('data', (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
  });
  const handle = await execStream(kubeConfig, db.namespace, pod, container, pgRestoreCommand(db, input.target, item.size), { ...execOptions, stdin: source });
  handle.stdout.resume();
  const r = await handle.done;
  const sha = hash.digest('hex');
  if (r.exitCode !== 0) throw new Error(`pg_restore into ${input.target} in ${db.namespace}/${pod} failed (exit ${r.exitCode}): ${(r.stderr.trim() || r.status.message || '').slice(-600)}`);
  if (bytes !== item.size || sha !== item.sha256) {
    throw new Error(`the dump read from ${item.container}/${item.path} does not match the manifest (${bytes} bytes, sha256 ${sha}; expected ${item.size}, ${item.sha256}): the restored database may be incomplete`);
  }
  return { database: input.database, target: input.target, bytes, sha256: sha };
}
