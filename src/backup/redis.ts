// Redis: `redis-cli --rdb -` run in the Redis pod asks the server for a replication snapshot
// (the server forks and writes a point-in-time RDB, as BGSAVE does, but straight to the socket),
// and the RDB arrives on stdout, streamed into a write-once blob through SHA-256
// (exec-stream.ts). Chosen over BGSAVE + waiting for LASTSAVE + reading dump.rdb because it needs
// neither the data directory nor a second exec, and it cannot pick up an older dump.rdb when a
// BGSAVE fails. The user needs the SYNC command (ACL +sync, or +@admin); the password stays in
// the pod: redis-cli reads it from REDISCLI_AUTH, set from the container's env variable the
// config names.
//
// Restore (docs/backups.md "Redis"): Redis loads dump.rdb only at start, so the RDB is written,
// checksum-checked, into the data directory of a pod that mounts the Redis volume while Redis is
// stopped (scaled to 0, or the pod started with `sleep infinity`), via a temporary name and a
// rename; Redis then starts from it. `appendonly yes` instances must start with appendonly no
// once (or have their appendonlydir removed), or Redis ignores the RDB.
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import type { ExecOptions } from '../adapters/kube-exec.js';
import { parseSize, type RedisBackupConfig } from '../config/backup-schema.js';
import { paths, partIds } from './manifest.js';
import { backupExecPart } from './exec-part.js';
import { readManifest } from './manifest-write.js';
import { blobToExec, type PodTarget } from './exec-stream.js';
import type { BackupRedisInput, PartSummary } from '../domain/backup-types.js';

/** redis-cli --rdb - with the password (when configured) read from the container's env. */
export function redisRdbCommand(r: RedisBackupConfig): string[] {
  const args = ['-h', '127.0.0.1', '-p', String(r.port), '--no-auth-warning', '--rdb', '-'];
  if (!r.passwordEnv) return ['redis-cli', ...args];
  return ['sh', '-c', `REDISCLI_AUTH="$${r.passwordEnv}" exec redis-cli "$@"`, 'redis-cli', ...args];
}

/** Writes exactly `size` bytes of stdin to `path` (through a temporary name, then a rename). */
export function writeFileCommand(path: string, size: number): string[] {
  return ['sh', '-c', 'head -c "$0" > "$1.aksops-partial" && mv -f "$1.aksops-partial" "$1"', String(size), path];
}

function redisConfig(env: BackupEnv, cluster: string, name: string): RedisBackupConfig {
  const r = clusterBackupConfig(env, cluster).redis.find((x) => x.name === name);
  if (!r) throw new Error(`redis ${name} is not configured for cluster ${cluster}. Fix: add it to backups.clusters[].redis`);
  return r;
}

export async function backupRedis(env: BackupEnv, input: BackupRedisInput, execOptions: Pick<ExecOptions, 'protocols'> = {}): Promise<PartSummary> {
  const r = redisConfig(env, input.cluster, input.name);
  return backupExecPart(
    env,
    input,
    {
      part: partIds.redis(r.name),
      type: 'redis',
      container: env.backups.containers.appData,
      path: paths.redis(input.cluster, input.backupId, r.name),
      where: r,
      command: redisRdbCommand(r),
      expectedBytes: parseSize(r.expectedSize)!,
      metadata: { aksopsredis: r.name, aksopsformat: 'rdb' },
      what: `redis-cli --rdb of ${r.name}`,
      // redis-cli reports its progress on stderr ("Transfer finished with success").
      quiet: /Transfer finished with success/,
      fields: async () => ({ name: r.name, format: 'rdb' }),
    },
    execOptions,
  );
}

export interface RestoreRedisInput {
  cluster: string;
  sourceCluster: string;
  backupId: string;
  name: string;
  /** The pod (Redis stopped) that mounts the Redis data volume, and the file to write. */
  target: PodTarget & { path: string };
  dryRun: boolean;
}

/** Writes the backed-up RDB into the target pod's file, checksum-checked against the manifest. */
export async function restoreRedis(
  env: BackupEnv,
  input: RestoreRedisInput,
  execOptions: Pick<ExecOptions, 'protocols'> = {},
): Promise<{ name: string; path: string; bytes: number; sha256: string }> {
  const m = await readManifest(env, input.sourceCluster, input.backupId);
  if (!m) throw new Error(`backup ${input.sourceCluster}/${input.backupId} has no manifest: it is incomplete and is never restored`);
  const item = m.items.find((i) => i.type === 'redis' && i.name === input.name);
  if (!item)
    throw new Error(
      `backup ${input.backupId} holds no snapshot of redis ${input.name} (it has ${
        m.items
          .filter((i) => i.type === 'redis')
          .map((i) => i.name)
          .join(', ') || 'none'
      })`,
    );
  if (input.dryRun) return { name: input.name, path: input.target.path, bytes: item.size, sha256: item.sha256 };
  const r = await blobToExec(
    env,
    input.cluster,
    input.target,
    item,
    (size) => writeFileCommand(input.target.path, size),
    `writing ${input.target.path}`,
    execOptions,
  );
  return { name: input.name, path: input.target.path, bytes: r.bytes, sha256: r.sha256 };
}
