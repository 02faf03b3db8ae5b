// backup: object export and dump streaming, against a real Azurite (started here on free ports)
// and the strict fake Kubernetes API (in this process), each with its baseline in the same run.
//
// backup.objects_per_second   10,000 objects (20 namespaces x 500: ConfigMaps, Deployments,
//                             Services, Secrets) listed (pages of 500), filtered, cleaned,
//                             encrypted (Secrets) and stored as NDJSON blobs, 4 namespaces at a
//                             time as the orchestration runs them. Baseline: the LISTs alone.
// backup.dump_mb_per_second   1 GiB of command output streamed through the exec path (client-node
//                             Exec over WebSocket, v5 protocol) -> SHA-256 -> staged blocks in
//                             Azurite, committed. Baseline: BlockBlobClient.uploadStream of the
//                             same bytes from a local file (8 MiB buffers, concurrency 5).
//                             Goal: ratio >= 0.8.
// backup.dump_peak_rss_mb     peak resident memory of this process during the dumps (sampled every
//                             20 ms). The fake API server runs in its own process here, as the real
//                             API server and kubelet are not in the function. Goal: < 200 MB.
// backup.dump_rss_over_idle_mb that peak minus the process's RSS before the first dump (the app at
//                             rest, SDKs loaded): what streaming costs, flat in the dump size.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Benchmark, type BenchResult, nowMs, round, withRatio } from './lib.js';
import { startAzurite } from '../test/support/azurite.js';
import type { startFakeKubeApiServer } from '../test/fakes/kube-api-server.js';
import { KubeRest } from '../src/adapters/kube-rest.js';
import { BackupBlobStore } from '../src/adapters/blob-store.js';
import { localKeyWrapper } from '../src/backup/crypto.js';
import type { BackupEnv } from '../src/backup/env.js';
import { backupsSchema } from '../src/config/backup-schema.js';
import { backupObjects, planBackup } from '../src/backup/engine.js';
import { backupDatabase } from '../src/backup/postgres.js';

// A full garbage collection between measurements (node is not started with --expose-gc).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const NAMESPACES = 20;
const PER_NAMESPACE = 500;
const DUMP_BYTES = 1024 * 1024 * 1024;

function seedObjects(kube: Awaited<ReturnType<typeof startFakeKubeApiServer>>): number {
  let n = 0;
  for (let i = 0; i < NAMESPACES; i++) {
    const ns = `tenant-${String(i).padStart(2, '0')}`;
    for (let j = 0; j < PER_NAMESPACE; j++) {
      const name = `svc-${String(j).padStart(4, '0')}`;
      const kind = j % 4;
      if (kind === 0)
        kube.seed('configmaps', {
          metadata: { name, namespace: ns, labels: { app: name } },
          data: { 'config.yaml': `replicas: ${j}\nfeatures: [a, b, c]\n`.repeat(8) },
        });
      else if (kind === 1) {
        kube.seed('deployments', {
          metadata: { name, namespace: ns, labels: { app: name } },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: `contoso.azurecr.io/${name}:1.${j}`,
                    env: [{ name: 'MODE', value: 'prod' }],
                    resources: { requests: { cpu: '100m', memory: '128Mi' } },
                  },
                ],
              },
            },
          },
        });
      } else if (kind === 2)
        kube.seed('services', { metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } });
      else
        kube.seed('secrets', {
          metadata: { name, namespace: ns },
          type: 'Opaque',
          data: { password: randomBytes(24).toString('base64'), url: Buffer.from(`postgres://u:p@db/${name}`).toString('base64') },
        });
      n += 1;
    }
  }
  return n;
}

function env(
  kube: Awaited<ReturnType<typeof startFakeKubeApiServer>>,
  connectionString: string,
  clusterBackup: Record<string, unknown>,
): { env: BackupEnv; rest: KubeRest } {
  const backups = backupsSchema.parse({
    containers: { objects: 'bench-objects', databases: 'bench-dumps', snapshots: 'bench-snaps', grafana: 'bench-grafana', keyVault: 'bench-kv' },
    encryption: { localKeySetting: 'BACKUP_LOCAL_KEY' },
    clusters: [{ cluster: 'bench', ...clusterBackup }],
  });
  const rest = new KubeRest(kube.kubeConfig());
  const kek = randomBytes(32).toString('base64');
  return {
    rest,
    env: {
      backups,
      protectedNamespaces: () => new Set(),
      kube: async () => ({ rest, kubeConfig: kube.kubeConfig() }),
      blobs: new BackupBlobStore({ connectionString }),
      keyWrapper: async () => localKeyWrapper('BACKUP_LOCAL_KEY', kek),
      setting: () => undefined,
      tool: { name: 'aks-estate-ops', version: 'bench' },
      now: () => new Date(),
    },
  };
}

async function objectExport(connectionString: string): Promise<BenchResult[]> {
  // Loaded here, not at the top: the dump measurement's memory must not include the fake server.
  const { startFakeKubeApiServer } = await import('../test/fakes/kube-api-server.js');
  const kube = await startFakeKubeApiServer({ token: 'bench' });
  try {
    const total = seedObjects(kube);
    const { env: e, rest } = env(kube, connectionString, {});
    // Baseline: the same LISTs, nothing stored.
    const plan0 = await planBackup(e, { backupId: '20250101T000000Z-warmup', cluster: 'bench', parts: ['objects'] });
    const listOnce = async () => {
      const t0 = nowMs();
      let n = 0;
      for (const ns of plan0.namespaces)
        for (const t of plan0.namespacedTypes) for await (const page of rest.listPages(t, ns, { limit: 500 })) n += page.length;
      return { ms: nowMs() - t0, n };
    };
    await listOnce();
    const base = await listOnce();
    let best = Infinity;
    for (let round_ = 0; round_ < 2; round_++) {
      const id = `20250101T00000${round_}Z-bench`;
      const t0 = nowMs();
      const plan = await planBackup(e, { backupId: id, cluster: 'bench', parts: ['objects'] });
      const queue = [...plan.namespaces];
      let stored = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let ns = queue.shift(); ns; ns = queue.shift()) {
            const part = await backupObjects(e, { backupId: id, cluster: 'bench', namespace: ns, types: plan.namespacedTypes });
            stored += part.objects;
          }
        }),
      );
      const ms = nowMs() - t0;
      if (stored !== total) throw new Error(`stored ${stored} objects, expected ${total}`);
      best = Math.min(best, ms);
    }
    await rest.close();
    return [
      withRatio({
        name: 'backup.objects_per_second',
        value: round((total / best) * 1000, 0),
        unit: 'objects/s',
        better: 'higher',
        baseline: round((base.n / base.ms) * 1000, 0),
      }),
    ];
  } finally {
    await kube.stop();
  }
}

/** The fake API server in a child process (the function does not host the API server). */
export async function kubeServerProcess(file: string): Promise<{ kubeConfig: KubeConfig; url: string; token: string; pid: number; stop(): Promise<void> }> {
  const token = randomBytes(16).toString('hex');
  const child = spawn(process.execPath, [fileURLToPath(new URL('./backup-kube-server.js', import.meta.url)), file, token], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`fake API server exited (${code})`)));
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'bench', server: url, skipTLSVerify: true }],
    users: [{ name: 'bench', token }],
    contexts: [{ name: 'bench', cluster: 'bench', user: 'bench' }],
    currentContext: 'bench',
  });
  return {
    kubeConfig,
    url,
    token,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function dumpStreaming(connectionString: string): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'aksops-bench-'));
  const file = join(dir, 'dump.bin');
  // 1 GiB of incompressible bytes (a pg_dump -Fc is compressed): 1 MiB of random data repeated.
  const fd = openSync(file, 'w');
  {
    const chunk = randomBytes(1024 * 1024);
    for (let written = 0; written < DUMP_BYTES; written += chunk.length) writeSync(fd, chunk);
  }
  closeSync(fd);
  const server = await kubeServerProcess(file);
  try {
    const backups = backupsSchema.parse({
      containers: { objects: 'bench-objects', databases: 'bench-dumps', snapshots: 'bench-snaps', grafana: 'bench-grafana', keyVault: 'bench-kv' },
      encryption: { localKeySetting: 'BACKUP_LOCAL_KEY' },
      clusters: [{ cluster: 'bench', databases: [{ name: 'pg', namespace: 'db', podSelector: 'app=pg', database: 'ms5', expectedSize: '1Gi' }] }],
    });
    const rest = new KubeRest(server.kubeConfig);
    const kek = randomBytes(32).toString('base64');
    const e: BackupEnv = {
      backups,
      protectedNamespaces: () => new Set(),
      kube: async () => ({ rest, kubeConfig: server.kubeConfig }),
      blobs: new BackupBlobStore({ connectionString }),
      keyWrapper: async () => localKeyWrapper('BACKUP_LOCAL_KEY', kek),
      setting: () => undefined,
      tool: { name: 'aks-estate-ops', version: 'bench' },
      now: () => new Date(),
    };
    const container = await e.blobs.container('bench-baseline');
    let baseBest = Infinity;
    let execBest = Infinity;
    let peak = 0;
    gc();
    const baseRss = process.memoryUsage().rss;
    const dump = async (i: number) => {
      gc();
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const t1 = nowMs();
      await planBackup(e, { backupId: `20250101T00000${i}Z-dump`, cluster: 'bench', parts: ['databases'] });
      const s = await backupDatabase(e, { backupId: `20250101T00000${i}Z-dump`, cluster: 'bench', database: 'pg' });
      execBest = Math.min(execBest, nowMs() - t1);
      clearInterval(sampler);
      if (s.bytes !== DUMP_BYTES) throw new Error(`dumped ${s.bytes} bytes, expected ${DUMP_BYTES}`);
    };
    const upload = async (i: number) => {
      const t0 = nowMs();
      await container.getBlockBlobClient(`baseline-${i}.bin`).uploadStream(createReadStream(file), 8 * 1024 * 1024, 5);
      baseBest = Math.min(baseBest, nowMs() - t0);
    };
    // Best of four each, alternating which goes first (Azurite is still flushing the previous GiB,
    // and the machine is shared: single runs vary by 2x).
    for (let i = 0; i < 4; i++) {
      if (i % 2 === 0) {
        await dump(i);
        await upload(i);
      } else {
        await upload(i);
        await dump(i);
      }
    }
    await rest.close();
    const mb = DUMP_BYTES / (1024 * 1024);
    return [
      withRatio({
        name: 'backup.dump_mb_per_second',
        value: round((mb / execBest) * 1000, 1),
        unit: 'MiB/s',
        better: 'higher',
        baseline: round((mb / baseBest) * 1000, 1),
        goal: 'ratio >= 0.8 against uploadStream from a file',
      }),
      { name: 'backup.dump_peak_rss_mb', value: round(peak / (1024 * 1024), 1), unit: 'MiB', better: 'lower', goal: '< 200 MB' },
      {
        name: 'backup.dump_rss_over_idle_mb',
        value: round((peak - baseRss) / (1024 * 1024), 1),
        unit: 'MiB',
        better: 'lower',
        baseline: round(baseRss / (1024 * 1024), 1),
      },
    ];
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const backupBenchmark: Benchmark = {
  name: 'backup',
  async run(): Promise<BenchResult[]> {
    const azurite = await startAzurite();
    try {
      const filter = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '';
      const out: BenchResult[] = [];
      // The dump first: its peak memory is measured from a process that did nothing else yet.
      if (filter === '' || filter === 'backup' || 'backup.dump_mb_per_second backup.dump_peak_rss_mb'.includes(filter))
        out.push(...(await dumpStreaming(azurite.connectionString)));
      if (filter === '' || filter === 'backup' || 'backup.objects_per_second'.includes(filter)) out.push(...(await objectExport(azurite.connectionString)));
      return out;
    } finally {
      await azurite.stop();
    }
  },
};
