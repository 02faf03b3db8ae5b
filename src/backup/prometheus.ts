// Prometheus TSDB: the admin snapshot API (POST /api/v1/admin/tsdb/snapshot, needs
// --web.enable-admin-api; prometheus.io/docs/prometheus/latest/querying/api/#snapshot) hard-links
// the current blocks (and, by default, the head) into {dataDir}/snapshots/{name}; that directory
// is streamed out of the pod as a tar on stdout (exec-stream.ts: back-pressured, SHA-256 while
// streaming, committed only when the script exited 0) and then deleted (an EXIT trap, so it goes
// also when tar fails). All of it is one exec in the Prometheus container, whose image has
// busybox wget and tar; the API is called on 127.0.0.1 inside the pod, never on an address from
// a payload. A snapshot is consistent (a point in time per block) without stopping Prometheus.
//
// Restore: the tar is unpacked into the data directory of a scratch (or stopped) Prometheus,
// checksum-checked against the manifest; `checkPrometheus` then asks that Prometheus a query in
// its pod, which is how drills and the test prove the data is readable.
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import type { ExecOptions } from '../adapters/kube-exec.js';
import { parseSize, type PrometheusBackupConfig } from '../config/backup-schema.js';
import { paths, partIds } from './manifest.js';
import { backupExecPart } from './exec-part.js';
import { readManifest } from './manifest-write.js';
import { blobToExec, execText, type PodTarget } from './exec-stream.js';
import type { BackupPrometheusInput, PartSummary } from '../domain/backup-types.js';

/** Snapshot, tar it to stdout, delete it: `sh -c SCRIPT port dataDir`. */
export const SNAPSHOT_SCRIPT = [
  'set -e',
  `name=$(wget -qO- --post-data='' "http://127.0.0.1:$0/api/v1/admin/tsdb/snapshot" | sed -n 's/.*"name":"\\([A-Za-z0-9-]*\\)".*/\\1/p')`,
  '[ -n "$name" ] || { echo "the snapshot API answered no snapshot name: is --web.enable-admin-api set?" >&2; exit 3; }',
  `trap 'rm -rf "$1/snapshots/$name"' EXIT`,
  'tar -C "$1/snapshots/$name" -cf - .',
].join('\n');

export function prometheusSnapshotCommand(p: PrometheusBackupConfig): string[] {
  return ['sh', '-c', SNAPSHOT_SCRIPT, String(p.port), p.dataDir.replace(/\/+$/, '')];
}

/** Unpacks exactly `size` bytes of tar from stdin into `dir`. */
export function untarCommand(dir: string, size: number): string[] {
  return ['sh', '-c', 'mkdir -p "$1" && head -c "$0" | tar -C "$1" -xf -', String(size), dir];
}

function prometheusConfig(env: BackupEnv, cluster: string, name: string): PrometheusBackupConfig {
  const p = clusterBackupConfig(env, cluster).prometheus.find((x) => x.name === name);
  if (!p) throw new Error(`prometheus ${name} is not configured for cluster ${cluster}. Fix: add it to backups.clusters[].prometheus`);
  return p;
}

export async function backupPrometheus(env: BackupEnv, input: BackupPrometheusInput, execOptions: Pick<ExecOptions, 'protocols'> = {}): Promise<PartSummary> {
  const p = prometheusConfig(env, input.cluster, input.name);
  return backupExecPart(
    env,
    input,
    {
      part: partIds.prometheus(p.name),
      type: 'prometheus',
      container: env.backups.containers.appData,
      path: paths.prometheus(input.cluster, input.backupId, p.name),
      where: p,
      command: prometheusSnapshotCommand(p),
      expectedBytes: parseSize(p.expectedSize)!,
      metadata: { aksopsprometheus: p.name, aksopsformat: 'tar' },
      what: `the TSDB snapshot of ${p.name}`,
      fields: async () => ({ name: p.name, format: 'tar' }),
    },
    execOptions,
  );
}

export interface RestorePrometheusInput {
  cluster: string;
  sourceCluster: string;
  backupId: string;
  name: string;
  /** A scratch (or stopped) Prometheus pod and its data directory. */
  target: PodTarget & { dataDir: string };
  dryRun: boolean;
}

export async function restorePrometheus(
  env: BackupEnv,
  input: RestorePrometheusInput,
  execOptions: Pick<ExecOptions, 'protocols'> = {},
): Promise<{ name: string; bytes: number; sha256: string }> {
  const m = await readManifest(env, input.sourceCluster, input.backupId);
  if (!m) throw new Error(`backup ${input.sourceCluster}/${input.backupId} has no manifest: it is incomplete and is never restored`);
  const item = m.items.find((i) => i.type === 'prometheus' && i.name === input.name);
  if (!item) throw new Error(`backup ${input.backupId} holds no TSDB snapshot of prometheus ${input.name}`);
  if (input.dryRun) return { name: input.name, bytes: item.size, sha256: item.sha256 };
  const r = await blobToExec(
    env,
    input.cluster,
    input.target,
    item,
    (size) => untarCommand(input.target.dataDir, size),
    `unpacking into ${input.target.dataDir}`,
    execOptions,
  );
  return { name: input.name, bytes: r.bytes, sha256: r.sha256 };
}

/** Runs an instant query against the Prometheus in the pod (127.0.0.1:port); returns the number of series. */
export async function checkPrometheus(env: BackupEnv, cluster: string, target: PodTarget, port: number, query: string): Promise<number> {
  const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`;
  const r = await execText(env, cluster, target, ['wget', '-qO-', url]);
  if (r.exitCode !== 0) throw new Error(`query ${query} in ${target.namespace}/${target.pod} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(-300)}`);
  const doc = JSON.parse(r.stdout) as { status?: string; data?: { result?: unknown[] } };
  if (doc.status !== 'success' || !Array.isArray(doc.data?.result)) throw new Error(`query ${query} did not succeed: ${r.stdout.slice(0, 300)}`);
  return doc.data.result.length;
}
