// backup.stream.*: every data stream of a backup, each as its activity runs it, against the same
// raw-upload baseline measured in the same run (issue #16 item 8):
//   postgres    backupDatabase: pg_dump output through exec (client-node Exec, WebSocket) -> SHA-256 -> blocks
//   redis       backupRedis: redis-cli --rdb output through exec, same path
//   prometheus  backupPrometheus: the snapshot script's tar through exec (a real tar of the data)
//   s3          backupS3: GetObject streams from s3rver (own process, like MinIO) -> SHA-256 -> blocks
//   pvc         (hook) p16's file-level PVC stream: add an entry to STREAMS below once it is merged.
// The "pod" is the fake API server in its own process (bench/backup-kube-server.ts) running `cat`
// or `tar` of one file of BENCH_STREAM_MIB (default 256) incompressible MiB; s3 gets the same bytes
// as 4 objects. Baseline: BlockBlobClient.uploadStream of that file (8 MiB buffers x 5), the raw
// upload the older figures use. Best of BENCH_ROUNDS (default 2) per stream, alternating with the
// baseline (the machine is shared). backup.stream.peak_rss_mb: peak RSS of this process over all of
// it (sampled every 20 ms). Goals: each ratio >= 0.8, peak < 200 MB.
import { createReadStream, mkdtempSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Benchmark, type BenchResult, nowMs, round, withRatio } from './lib.js';
import { kubeServerProcess } from './backup.bench.js';
import { startAzurite } from '../test/support/azurite.js';
import { startS3rver } from '../test/fakes/s3-server.js';
import { KubeRest } from '../src/adapters/kube-rest.js';
import { BackupBlobStore } from '../src/adapters/blob-store.js';
import { localKeyWrapper } from '../src/backup/crypto.js';
import type { BackupEnv } from '../src/backup/env.js';
import { backupsSchema } from '../src/config/backup-schema.js';
import { planBackup } from '../src/backup/engine.js';
import { backupDatabase } from '../src/backup/postgres.js';
import { backupRedis } from '../src/backup/redis.js';
import { backupPrometheus } from '../src/backup/prometheus.js';
import { backupS3 } from '../src/backup/s3.js';
import type { PartSummary } from '../src/domain/backup-types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MIB = 1024 * 1024;
const BYTES = Number(process.env['BENCH_STREAM_MIB'] ?? 256) * MIB;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);
const S3_OBJECTS = 4;

interface Stream {
  name: string;
  /** Runs the activity for backup `id`; returns what it stored. */
  run(e: BackupEnv, id: string): Promise<PartSummary>;
}

const STREAMS: Stream[] = [
  { name: 'postgres', run: (e, id) => backupDatabase(e, { backupId: id, cluster: 'bench', database: 'pg' }) },
  { name: 'redis', run: (e, id) => backupRedis(e, { backupId: id, cluster: 'bench', name: 'cache' }) },
  { name: 'prometheus', run: (e, id) => backupPrometheus(e, { backupId: id, cluster: 'bench', name: 'prom' }) },
  { name: 's3', run: (e, id) => backupS3(e, { backupId: id, cluster: 'bench', name: 'media' }) },
  // p16 (PVC file-level backup): { name: 'pvc', run: (e, id) => backupPvc(e, { ... }) },
];

async function run(): Promise<BenchResult[]> {
  const azurite = await startAzurite();
  const dir = mkdtempSync(join(tmpdir(), 'bench-streams-'));
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const file = join(dir, 'data.bin');
    const fd = openSync(file, 'w');
    const chunk = randomBytes(MIB);
    for (let w = 0; w < BYTES; w += MIB) writeSync(fd, chunk);
    closeSync(fd);
    const s3dir = join(dir, 's3');
    const s3 = await startS3rver(s3dir, ['media']);
    cleanups.push(() => s3.stop());
    {
      // The same bytes as S3_OBJECTS objects, put straight into s3rver (any v4 signature of key S3RVER).
      const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
      const c = new S3Client({
        endpoint: `http://127.0.0.1:${s3.port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
      const per = BYTES / S3_OBJECTS;
      for (let i = 0; i < S3_OBJECTS; i++)
        await c.send(
          new PutObjectCommand({
            Bucket: 'media',
            Key: `objects/${i}.bin`,
            Body: createReadStream(file, { start: i * per, end: (i + 1) * per - 1 }),
            ContentLength: per,
          }),
        );
      c.destroy();
    }
    const server = await kubeServerProcess(file);
    cleanups.push(() => server.stop());
    const pod = { namespace: 'db', podSelector: 'app=pg', expectedSize: `${BYTES / MIB}Mi` };
    const backups = backupsSchema.parse({
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
          s3: [
            {
              name: 'media',
              endpoint: `http://127.0.0.1:${s3.port}`,
              bucket: 'media',
              credentials: { keyVault: { accessKeyIdSecret: 'k', secretAccessKeySecret: 's' } },
            },
          ],
        },
      ],
    });
    const rest = new KubeRest(server.kubeConfig);
    cleanups.push(() => rest.close());
    const kek = randomBytes(32).toString('base64');
    const e: BackupEnv = {
      backups,
      protectedNamespaces: () => new Set(),
      kube: async () => ({ rest, kubeConfig: server.kubeConfig }),
      blobs: new BackupBlobStore({ connectionString: azurite.connectionString }),
      keyWrapper: async () => localKeyWrapper('BACKUP_LOCAL_KEY', kek),
      setting: () => undefined,
      keyVaultUri: 'https://bench.vault.azure.net',
      keyVaultSecretValue: async () => 'S3RVER',
      tool: { name: 'aks-estate-ops', version: 'bench' },
      now: () => new Date(),
    };
    const baseline = await e.blobs.container('bench-baseline');
    let peak = 0;
    let current = '';
    const peaks = new Map<string, number>();
    gc();
    const idle = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      peaks.set(current, Math.max(peaks.get(current) ?? 0, rss));
    }, 20);
    cleanups.push(async () => clearInterval(sampler));
    let baseBest = Infinity;
    let n = 0;
    const upload = async () => {
      const t0 = nowMs();
      await baseline.getBlockBlobClient(`baseline-${n++}.bin`).uploadStream(createReadStream(file, { highWaterMark: 8 * MIB }), 8 * MIB, 5);
      baseBest = Math.min(baseBest, nowMs() - t0);
    };
    const best = new Map<string, number>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of STREAMS) {
        const id = `2025010${r + 1}T00${String(STREAMS.indexOf(s)).padStart(2, '0')}00Z-bench`;
        await planBackup(e, { backupId: id, cluster: 'bench', parts: [] });
        if (r % 2 === 1) await upload();
        gc();
        current = s.name;
        const t0 = nowMs();
        const out = await s.run(e, id);
        current = 'baseline';
        best.set(s.name, Math.min(best.get(s.name) ?? Infinity, nowMs() - t0));
        if (out.bytes < BYTES) throw new Error(`${s.name}: stored ${out.bytes} bytes, expected at least ${BYTES}`);
        if (r % 2 === 0) await upload();
      }
    }
    const mb = BYTES / MIB;
    const base = round((mb / baseBest) * 1000, 1);
    return [
      ...STREAMS.map((s) =>
        withRatio({
          name: `backup.stream.${s.name}_mb_per_second`,
          value: round((mb / best.get(s.name)!) * 1000, 1),
          unit: 'MiB/s',
          better: 'higher',
          baseline: base,
          goal: 'ratio >= 0.8 against uploadStream from a file',
        }),
      ),
      ...STREAMS.map((s) => ({
        name: `backup.stream.${s.name}_peak_rss_mb`,
        value: round(peaks.get(s.name)! / MIB, 1),
        unit: 'MiB',
        better: 'lower' as const,
      })),
      { name: 'backup.stream.idle_rss_mb', value: round(idle / MIB, 1), unit: 'MiB', better: 'lower' },
      { name: 'backup.stream.peak_rss_mb', value: round(peak / MIB, 1), unit: 'MiB', better: 'lower', goal: '< 200 MB for the whole backup path' },
    ];
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await azurite.stop();
  }
}

export const backupStreamsBenchmark: Benchmark = { name: 'backup.stream', run };
