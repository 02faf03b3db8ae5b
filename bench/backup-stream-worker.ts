// One measured stream of backup.stream (bench/backup-streams.bench.ts), in a process of its own so
// its peak RSS is that stream's alone (peaks of earlier streams, and SDKs only another kind
// loads, do not accumulate) and the baseline runs under the same conditions as the streams.
// Loads only what the activity of its kind loads (the activities import their SDKs lazily):
//   baseline    @azure/storage-blob: BlockBlobClient.uploadStream of the file (8 MiB x 5)
//   postgres, redis, prometheus, pvc   + @kubernetes/client-node (exec, KubeConfig)
//   s3          + @aws-sdk/client-s3 (no Kubernetes client)
// and the raw uploads of the same sources (what `kubectl exec ... | az storage blob upload` does:
// the bytes uploaded as they come, no SHA-256, no write-once commit, no entry counting):
//   raw-cat     execStream of the bytes postgres and redis get (the fake runs `cat`) -> uploadStream
//   raw-tar     execStream of the tar prometheus and pvc get (the fake runs `tar`) -> uploadStream
//   raw-s3      the 4 GetObject bodies, all at once as backupS3 reads them -> uploadStream each
// Input: the job as JSON in BENCH_STREAM_JOB. Output: one JSON line on stdout
//   {ms, bytes, idleRssMiB, peakRssMiB}: idle = after the imports and set-up, before the stream;
//   peak = process.resourceUsage().maxRSS (the kernel's high-water mark of the whole process).
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import { nowMs } from './lib.js';
import { BackupBlobStore } from '../src/adapters/blob-store.js';
import { localKeyWrapper } from '../src/backup/crypto.js';
import type { BackupEnv, ClusterKube } from '../src/backup/env.js';
import { backupsSchema } from '../src/config/backup-schema.js';
import { planBackup } from '../src/backup/engine.js';

export type StreamKind = 'baseline' | 'postgres' | 'redis' | 'prometheus' | 's3' | 'pvc' | 'together' | RawKind;
export type RawKind = 'raw-cat' | 'raw-tar' | 'raw-s3';

export interface StreamJob {
  kind: StreamKind;
  /** For `together`: the kinds that stream at the same time. */
  together?: StreamKind[];
  backupId: string;
  file: string;
  bytes: number;
  connectionString: string;
  kube: { url: string; token: string };
  s3Port: number;
}

export interface StreamRun {
  ms: number;
  /** CPU time of this process (user + system) while streaming: what the stream costs the app itself. */
  cpuMs: number;
  bytes: number;
  idleRssMiB: number;
  peakRssMiB: number;
  /** Highest V8 heap in use and highest memory outside it (Buffers' backing stores), sampled every 20 ms. */
  peakHeapMiB: number;
  peakArrayBuffersMiB: number;
}

const MIB = 1024 * 1024;

/** The backup config of the bench cluster: one entry of every kind, all pointing at the fake pod or s3rver. */
export function benchBackups(job: Pick<StreamJob, 'bytes' | 's3Port'>) {
  const pod = { namespace: 'db', podSelector: 'app=pg', expectedSize: `${job.bytes / MIB}Mi` };
  return backupsSchema.parse({
    containers: {
      objects: 'bench-objects',
      databases: 'bench-dumps',
      snapshots: 'bench-snaps',
      grafana: 'bench-grafana',
      keyVault: 'bench-kv',
      appData: 'bench-data',
    },
    encryption: { localKeySetting: 'BACKUP_LOCAL_KEY' },
    clusters: [
      {
        cluster: 'bench',
        databases: [{ name: 'pg', database: 'ms5', ...pod }],
        redis: [{ name: 'cache', ...pod }],
        prometheus: [{ name: 'prom', ...pod }],
        volumes: [{ namespace: 'files', selector: 'backup=files', expectedSize: `${job.bytes / MIB}Mi` }],
        s3: [
          {
            name: 'media',
            endpoint: `http://127.0.0.1:${job.s3Port}`,
            bucket: 'media',
            credentials: { keyVault: { accessKeyIdSecret: 'k', secretAccessKeySecret: 's' } },
          },
        ],
      },
    ],
  });
}

async function clusterKube(job: StreamJob): Promise<ClusterKube> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { KubeRest } = await import('../src/adapters/kube-rest.js');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'bench', server: job.kube.url, skipTLSVerify: true }],
    users: [{ name: 'bench', token: job.kube.token }],
    contexts: [{ name: 'bench', cluster: 'bench', user: 'bench' }],
    currentContext: 'bench',
  });
  return { rest: new KubeRest(kubeConfig), kubeConfig };
}

/** The activity of the kind, as the orchestration calls it (imported only for that kind). */
async function activity(job: StreamJob, e: BackupEnv): Promise<() => Promise<{ bytes: number }>> {
  const ref = { backupId: job.backupId, cluster: 'bench' };
  switch (job.kind) {
    case 'postgres': {
      const { backupDatabase } = await import('../src/backup/postgres.js');
      return () => backupDatabase(e, { ...ref, database: 'pg' });
    }
    case 'redis': {
      const { backupRedis } = await import('../src/backup/redis.js');
      return () => backupRedis(e, { ...ref, name: 'cache' });
    }
    case 'prometheus': {
      const { backupPrometheus } = await import('../src/backup/prometheus.js');
      return () => backupPrometheus(e, { ...ref, name: 'prom' });
    }
    case 's3': {
      const { backupS3 } = await import('../src/backup/s3.js');
      return () => backupS3(e, { ...ref, name: 'media' });
    }
    case 'pvc': {
      const { backupVolume } = await import('../src/backup/volumes.js');
      return () => backupVolume(e, { ...ref, namespace: 'files', pvc: 'data' });
    }
    case 'baseline': {
      const cc = await e.blobs.container('bench-baseline');
      return async () => {
        await cc.getBlockBlobClient(`baseline-${job.backupId}.bin`).uploadStream(createReadStream(job.file, { highWaterMark: 8 * MIB }), 8 * MIB, 5);
        return { bytes: job.bytes };
      };
    }
    case 'together': {
      // Four parts at once, as one backup with backups.concurrency 4 (the default) runs them in one Functions host.
      const runs = await Promise.all((job.together ?? []).map((kind) => activity({ ...job, kind }, e)));
      return async () => {
        const done = await Promise.all(runs.map((r) => r()));
        return { bytes: done.reduce((a, b) => a + b.bytes, 0) };
      };
    }
    case 'raw-cat':
    case 'raw-tar':
      return rawExecUpload(job, e);
    case 'raw-s3':
      return rawS3Upload(job, e);
  }
}

/** uploadStream as the older figures and the file baseline use it: 8 MiB buffers, 5 in flight. */
async function rawUpload(cc: ContainerClient, name: string, source: Readable): Promise<number> {
  // Counted beside uploadStream's own 'data' listener, added in the same tick so no chunk passes before it.
  let bytes = 0;
  source.on('data', (c: Buffer) => (bytes += c.length));
  await cc.getBlockBlobClient(name).uploadStream(source, 8 * MIB, 5);
  return bytes;
}

/** The exec source of the streams (same pod, same fake rewrite to cat or tar) uploaded raw. */
async function rawExecUpload(job: StreamJob, e: BackupEnv): Promise<() => Promise<{ bytes: number }>> {
  const { execStream } = await import('../src/adapters/kube-exec.js');
  const { kubeConfig } = await e.kube('bench');
  const cc = await e.blobs.container('bench-raw'); // created before the clock starts, as the baseline's
  // The fake API server runs `cat FILE` for any command but psql and tar, and a tar of FILE's directory for `tar -C`.
  const command = job.kind === 'raw-tar' ? ['sh', '-c', 'tar -C /data -cf - .'] : ['sh', '-c', 'cat /data'];
  return async () => {
    const handle = await execStream(kubeConfig, 'db', 'pg-0', 'postgres', command, { stdoutBuffer: 1024 * 1024 });
    const bytes = await rawUpload(cc, `raw-${job.backupId}.bin`, handle.stdout);
    const r = await handle.done;
    if (r.exitCode !== 0) throw new Error(`bench: ${command.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
    return { bytes };
  };
}

/** The bucket's objects read as backupS3 reads them (the 4 at once: its default concurrency is 8), each uploaded raw. */
async function rawS3Upload(job: StreamJob, e: BackupEnv): Promise<() => Promise<{ bytes: number }>> {
  const { S3Client, ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${job.s3Port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const cc = await e.blobs.container('bench-raw');
  return async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'media' }));
    const sizes = await Promise.all(
      (listed.Contents ?? []).map(async (o) => {
        const res = await client.send(new GetObjectCommand({ Bucket: 'media', Key: o.Key! }));
        return rawUpload(cc, `raw-${job.backupId}/${o.Key!}`, res.Body as Readable);
      }),
    );
    client.destroy();
    return { bytes: sizes.reduce((a, b) => a + b, 0) };
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env['BENCH_STREAM_JOB'] ?? '') as StreamJob;
  const needsKube = job.kind !== 's3' && job.kind !== 'baseline' && job.kind !== 'raw-s3';
  const kube = needsKube ? await clusterKube(job) : undefined;
  const kek = randomBytes(32).toString('base64');
  const e: BackupEnv = {
    backups: benchBackups(job),
    protectedNamespaces: () => new Set(),
    kube: async () => {
      if (!kube) throw new Error(`bench: the ${job.kind} stream does not use Kubernetes`);
      return kube;
    },
    blobs: new BackupBlobStore({ connectionString: job.connectionString }),
    keyWrapper: async () => localKeyWrapper('BACKUP_LOCAL_KEY', kek),
    setting: () => undefined,
    keyVaultUri: 'https://bench.vault.azure.net',
    keyVaultSecretValue: async () => 'S3RVER',
    tool: { name: 'aks-estate-ops', version: 'bench' },
    now: () => new Date(),
    podWait: { pollMs: 20 },
  };
  if (!['baseline', 'raw-cat', 'raw-tar', 'raw-s3'].includes(job.kind)) await planBackup(e, { backupId: job.backupId, cluster: 'bench', parts: [] });
  const run = await activity(job, e);
  const idle = process.memoryUsage().rss;
  let heap = 0;
  let buffers = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    buffers = Math.max(buffers, m.arrayBuffers);
  }, 20);
  const t0 = nowMs();
  const cpu0 = process.cpuUsage();
  const out = await run();
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const result: StreamRun = {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    bytes: out.bytes,
    idleRssMiB: idle / MIB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    peakHeapMiB: heap / MIB,
    peakArrayBuffersMiB: buffers / MIB,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await kube?.rest.close();
}

await main();
