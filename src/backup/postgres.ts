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
//
// TimescaleDB: before the dump, the extension is looked up (pg_extension) and its version recorded
// in the manifest item. A restore of such a dump runs, in one exec and in this order,
// `CREATE EXTENSION IF NOT EXISTS timescaledb; SELECT timescaledb_pre_restore()`, pg_restore, then
// `SELECT timescaledb_post_restore()` (also after a failed pg_restore, so background workers come
// back), as TimescaleDB's "Migrate with pg_dump and pg_restore" documents.
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import type { ExecOptions } from '../adapters/kube-exec.js';
import { parseSize, type DatabaseBackupConfig } from '../config/backup-schema.js';
import { paths, partIds } from './manifest.js';
import { backupExecPart } from './exec-part.js';
import { readManifest } from './manifest-write.js';
import { blobToExec, execText, findPod, type PodTarget } from './exec-stream.js';
import type { BackupDatabaseInput, PartSummary, RestoreDatabaseInput } from '../domain/backup-types.js';

/** Connection flags shared by pg_dump, pg_restore and psql. */
function connectionArgs(db: Pick<DatabaseBackupConfig, 'user' | 'host' | 'port'>): string[] {
  return ['--no-password', '-U', db.user, ...(db.host ? ['-h', db.host] : []), ...(db.port ? ['-p', String(db.port)] : [])];
}

/** The command run in the container: pg_dump, with PGPASSWORD taken from the container's env when configured. */
export function pgDumpCommand(db: DatabaseBackupConfig): string[] {
  const args = ['-Fc', ...connectionArgs(db), '-d', db.database];
  if (!db.passwordEnv) return ['pg_dump', ...args];
  return ['sh', '-c', `PGPASSWORD="$${db.passwordEnv}" exec pg_dump "$@"`, 'pg_dump', ...args];
}

/** The installed TimescaleDB version: one psql query (empty output: not installed). */
export function timescaleDetectCommand(db: DatabaseBackupConfig): string[] {
  const args = [...connectionArgs(db), '-d', db.database, '-Atc', "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"];
  if (!db.passwordEnv) return ['psql', ...args];
  return ['sh', '-c', `PGPASSWORD="$${db.passwordEnv}" exec psql "$@"`, 'psql', ...args];
}

/** A word for sh: single-quoted. */
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * pg_restore reading exactly `size` bytes from stdin (head -c), so it finishes without the
 * client half-closing stdin (impossible on the v4 channel protocol); --exit-on-error stops at
 * the first failed statement and exits non-zero. With `timescale`, wrapped in the pre/post
 * restore functions.
 */
export function pgRestoreCommand(db: DatabaseBackupConfig, target: string, size: number, timescale = false): string[] {
  const args = [...connectionArgs(db), '--exit-on-error', '--no-owner', '-d', target];
  const env = db.passwordEnv ? `PGPASSWORD="$${db.passwordEnv}" ` : '';
  if (!timescale) return ['sh', '-c', `head -c "$0" | ${env}pg_restore "$@"`, String(size), ...args];
  const psql = `${env}psql ${[...connectionArgs(db), '-d', target, '-v', 'ON_ERROR_STOP=1', '-q'].map(shq).join(' ')}`;
  const script = [
    `${psql} -c 'CREATE EXTENSION IF NOT EXISTS timescaledb' -c 'SELECT timescaledb_pre_restore()' >/dev/null || exit $?`,
    `head -c "$0" | ${env}pg_restore "$@"; rc=$?`,
    `${psql} -c 'SELECT timescaledb_post_restore()' >/dev/null || exit $?`,
    'exit $rc',
  ].join('\n');
  return ['sh', '-c', script, String(size), ...args];
}

function dbConfig(env: BackupEnv, cluster: string, name: string): DatabaseBackupConfig {
  const db = clusterBackupConfig(env, cluster).databases.find((d) => d.name === name);
  if (!db) throw new Error(`database ${name} is not configured for cluster ${cluster}`);
  return db;
}

/** The database's primary pod. */
export function databasePod(env: BackupEnv, cluster: string, db: DatabaseBackupConfig): Promise<PodTarget> {
  return findPod(env, cluster, db, `database ${db.name}`);
}

export async function backupDatabase(env: BackupEnv, input: BackupDatabaseInput, execOptions: Pick<ExecOptions, 'protocols'> = {}): Promise<PartSummary> {
  const db = dbConfig(env, input.cluster, input.database);
  return backupExecPart(
    env,
    input,
    {
      part: partIds.database(db.name),
      type: 'database',
      container: env.backups.containers.databases,
      path: paths.database(input.cluster, input.backupId, db.name),
      where: db,
      command: pgDumpCommand(db),
      expectedBytes: parseSize(db.expectedSize)!,
      metadata: { aksopsdatabase: db.database, aksopsformat: 'pg_dump-custom' },
      what: `pg_dump of ${db.database}`,
      // After the dump (so a database that cannot be dumped reports pg_dump's error): is it TimescaleDB?
      fields: async (pod) => {
        const detect = await execText(env, input.cluster, pod, timescaleDetectCommand(db), execOptions);
        if (detect.exitCode !== 0)
          throw new Error(
            `looking up extensions of ${db.database} in ${db.namespace}/${pod.pod} failed (exit ${detect.exitCode}): ${detect.stderr.trim().slice(-600)}`,
          );
        const timescale = detect.stdout.trim();
        return { database: db.name, format: 'pg_dump-custom', ...(timescale ? { extensions: { timescaledb: timescale } } : {}) };
      },
    },
    execOptions,
  );
}

export interface DatabaseRestoreResult {
  database: string;
  target: string;
  bytes: number;
  sha256: string;
  /** TimescaleDB version of the dump, when it had the extension (pre/post restore ran). */
  timescaledb?: string;
}

/** Streams a dump from Blob into pg_restore in the database pod. Checks the checksum on the way. */
export async function restoreDatabase(
  env: BackupEnv,
  input: RestoreDatabaseInput,
  execOptions: Pick<ExecOptions, 'protocols'> = {},
): Promise<DatabaseRestoreResult> {
  const manifest = await readManifest(env, input.sourceCluster, input.backupId);
  if (!manifest) throw new Error(`backup ${input.sourceCluster}/${input.backupId} has no manifest: it is incomplete and is never restored`);
  const item = manifest.items.find((i) => i.type === 'database' && i.database === input.database);
  if (!item) throw new Error(`backup ${input.backupId} holds no dump of database ${input.database}`);
  const db = dbConfig(env, input.cluster, input.database);
  const timescale = item.extensions?.['timescaledb'];
  const ts = timescale ? { timescaledb: timescale } : {};
  if (input.dryRun) return { database: input.database, target: input.target, bytes: item.size, sha256: item.sha256, ...ts };
  const pod = await databasePod(env, input.cluster, db);
  const r = await blobToExec(
    env,
    input.cluster,
    pod,
    item,
    (size) => pgRestoreCommand(db, input.target, size, timescale !== undefined),
    `pg_restore into ${input.target}`,
    execOptions,
  );
  return { database: input.database, target: input.target, bytes: r.bytes, sha256: r.sha256, ...ts };
}
