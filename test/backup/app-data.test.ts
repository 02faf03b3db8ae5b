// Redis and Prometheus data through the exec API, against the real servers (Debian redis-server,
// prometheus, promtool): the fake API server runs the commands locally, standing in for the
// container. Backup, verify, restore, then the restored data is read by a fresh server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisInstance } from '../support/redis.js';
import { startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';
import { CLUSTER, createWorld, type World } from './world.js';
import { planBackup } from '../../src/backup/engine.js';
import { readManifest, writeManifest } from '../../src/backup/manifest-write.js';
import { verifyBackup } from '../../src/backup/catalog.js';
import { backupRedis, restoreRedis } from '../../src/backup/redis.js';
import { backupPrometheus, checkPrometheus, restorePrometheus } from '../../src/backup/prometheus.js';
import { paths } from '../../src/backup/manifest.js';
import { configureExec, execHistory } from '../fakes/kube-exec.js';

const PASSWORD = 'redis-Sup3r-secret-91ab';
const scratch = mkdtempSync(join(tmpdir(), 'appdata-restore-'));
let redis: RedisInstance;
let prom: PrometheusInstance;
let w: World;

const cli = (port: number, ...args: string[]) =>
  execFileSync('redis-cli', ['-p', String(port), '--no-auth-warning', ...args], { env: { ...process.env, REDISCLI_AUTH: PASSWORD } })
    .toString()
    .trim();

/** A gauge with 20 series, one sample a minute over the last two hours. */
function openMetrics(): string {
  const end = Math.floor(Date.now() / 1000) - 600;
  const lines = ['# TYPE aksops_queue_depth gauge'];
  for (let s = 0; s < 20; s++) for (let t = end - 7200; t <= end; t += 60) lines.push(`aksops_queue_depth{queue="q${s}"} ${s * 10 + (t % 7)} ${t}`);
  return `${lines.join('\n')}\n# EOF\n`;
}

/** Evaluation time of the comparison queries: the same instant on both servers. */
const AT = Math.floor(Date.now() / 1000);

async function query(url: string, q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const doc = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}&time=${AT}`)).json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return doc.data.result.sort((a, b) => (a.metric['queue']! < b.metric['queue']! ? -1 : 1));
}

beforeAll(async () => {
  [redis, prom] = await Promise.all([startRedis({ adminPassword: PASSWORD }), startPrometheusWith(openMetrics(), { adminApi: true })]);
  for (let i = 0; i < 500; i++) cli(redis.port, 'SET', `celery-task-meta-${i}`, JSON.stringify({ status: 'SUCCESS', result: i }));
  cli(redis.port, 'RPUSH', 'celery', 'a', 'b', 'c');
  cli(redis.port, 'HSET', 'unacked', 'x', '1', 'y', '2');
  w = await createWorld({
    tag: 'appdata',
    clusterBackup: {
      redis: [{ name: 'celery-broker', namespace: 'cache', podSelector: 'app=redis', port: redis.port, passwordEnv: 'REDIS_PASSWORD', expectedSize: '100Mi' }],
      prometheus: [
        {
          name: 'prometheus',
          namespace: 'monitoring',
          podSelector: 'app=prometheus',
          port: Number(new URL(prom.url).port),
          dataDir: prom.dataDir,
          expectedSize: '1Gi',
        },
      ],
    },
  });
  w.kube.seedPod({ namespace: 'cache', name: 'redis-0', labels: { app: 'redis' }, spec: { containers: [{ name: 'redis', image: 'redis:7.2' }] } });
  w.kube.seedPod({
    namespace: 'monitoring',
    name: 'prometheus-0',
    labels: { app: 'prometheus' },
    spec: { containers: [{ name: 'prometheus', image: 'quay.io/prometheus/prometheus:v2.53.0' }] },
  });
  configureExec(w.kube.registry, { env: { REDIS_PASSWORD: PASSWORD } });
}, 180_000);

afterAll(async () => {
  await w?.stop();
  await Promise.all([redis?.stop(), prom?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

async function complete(id: string, parts: string[]) {
  return writeManifest(w.env, {
    backupId: id,
    cluster: CLUSTER,
    parts,
    failed: [],
    warnings: [],
    trigger: 'cli',
    requestedBy: 'test',
    startedAt: 'x',
    finishedAt: 'y',
  });
}

describe('Redis: redis-cli --rdb through exec', () => {
  it('streams an RDB snapshot into Blob, verifies it, and a fresh redis-server started on the restored file has the same data', async () => {
    const id = '20250101T020000Z-nightly';
    const plan = await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['redis'] });
    expect(plan.redis).toEqual(['celery-broker']);
    const s = await backupRedis(w.env, { backupId: id, cluster: CLUSTER, name: 'celery-broker' });
    expect([s.part, s.items, s.warnings]).toEqual(['redis.celery-broker', 1, 0]);
    await complete(id, [s.part]);
    const m = (await readManifest(w.env, CLUSTER, id))!;
    const item = m.items.find((i) => i.type === 'redis')!;
    const blob = await w.blobs.readBuffer(w.backups.containers.appData, paths.redis(CLUSTER, id, 'celery-broker'));
    expect(blob.subarray(0, 5).toString('ascii')).toBe('REDIS');
    expect([item.size, item.sha256]).toEqual([blob.length, createHash('sha256').update(blob).digest('hex')]);
    expect(m.counts['redisSnapshots']).toBe(1);
    expect((await verifyBackup(w.env, CLUSTER, id)).ok).toBe(true);

    const dir = join(scratch, 'redis');
    mkdirSync(dir); // the Redis data directory exists in the pod
    const r = await restoreRedis(w.env, {
      cluster: CLUSTER,
      sourceCluster: CLUSTER,
      backupId: id,
      name: 'celery-broker',
      target: { namespace: 'cache', pod: 'redis-0', container: 'redis', path: join(dir, 'dump.rdb') },
      dryRun: false,
    });
    expect(r.sha256).toBe(item.sha256);
    expect(readdirSync(dir)).toEqual(['dump.rdb']); // the temporary name was renamed
    const restored = await startRedis({ adminPassword: PASSWORD, dir });
    try {
      expect(cli(restored.port, 'DBSIZE')).toBe(cli(redis.port, 'DBSIZE'));
      expect(cli(restored.port, 'GET', 'celery-task-meta-42')).toBe(JSON.stringify({ status: 'SUCCESS', result: 42 }));
      expect(cli(restored.port, 'LRANGE', 'celery', '0', '-1')).toBe('a\nb\nc');
      expect(cli(restored.port, 'HGET', 'unacked', 'y')).toBe('2');
    } finally {
      await restored.stop();
    }
    // The password stayed in the "pod": not in the exec commands, requests or manifest.
    const seen = JSON.stringify([w.kube.requests, execHistory(w.kube.registry), m]);
    expect(seen.includes(PASSWORD)).toBe(false);
  });

  it('commits nothing when redis-cli fails (wrong password), and says why', async () => {
    const id = '20250101T030000Z-nightly';
    configureExec(w.kube.registry, { env: { REDIS_PASSWORD: 'wrong' } });
    try {
      await expect(backupRedis(w.env, { backupId: id, cluster: CLUSTER, name: 'celery-broker' })).rejects.toThrow(
        /redis-cli --rdb of celery-broker in cache\/redis-0 failed \(exit \d+\)/,
      );
      expect(await w.blobs.exists(w.backups.containers.appData, paths.redis(CLUSTER, id, 'celery-broker'))).toBe(false);
    } finally {
      configureExec(w.kube.registry, { env: { REDIS_PASSWORD: PASSWORD } });
    }
  });

  it('restores only from a complete backup that holds that instance', async () => {
    const target = { namespace: 'cache', pod: 'redis-0', container: 'redis', path: join(scratch, 'x.rdb') };
    await expect(
      restoreRedis(w.env, { cluster: CLUSTER, sourceCluster: CLUSTER, backupId: '20250101T030000Z-nightly', name: 'celery-broker', target, dryRun: false }),
    ).rejects.toThrow(/no manifest/);
    await expect(
      restoreRedis(w.env, { cluster: CLUSTER, sourceCluster: CLUSTER, backupId: '20250101T020000Z-nightly', name: 'sessions', target, dryRun: false }),
    ).rejects.toThrow(/no snapshot of redis sessions \(it has celery-broker\)/);
  });
});

describe('Prometheus: admin snapshot API, tar through exec', () => {
  it('snapshots the TSDB, streams it as tar into Blob, deletes the snapshot; a scratch Prometheus on the restore answers the same query', async () => {
    const id = '20250101T040000Z-nightly';
    await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['prometheus'] });
    const s = await backupPrometheus(w.env, { backupId: id, cluster: CLUSTER, name: 'prometheus' });
    expect(s.items).toBe(1);
    expect(readdirSync(join(prom.dataDir, 'snapshots'))).toEqual([]); // deleted after streaming
    await complete(id, [s.part]);
    expect((await verifyBackup(w.env, CLUSTER, id)).ok).toBe(true);
    const m = (await readManifest(w.env, CLUSTER, id))!;
    expect(m.items.map((i) => [i.type, i.name, i.format])).toEqual([['prometheus', 'prometheus', 'tar']]);

    const dataDir = join(scratch, 'prom-data');
    const target = { namespace: 'monitoring', pod: 'prometheus-0', container: 'prometheus', dataDir };
    const r = await restorePrometheus(w.env, { cluster: CLUSTER, sourceCluster: CLUSTER, backupId: id, name: 'prometheus', target, dryRun: false });
    expect(r.sha256).toBe(m.items[0]!.sha256);
    const restored = await startPrometheusWith('', { dataDir });
    try {
      const q = 'max_over_time(aksops_queue_depth[3h])';
      const [before, after] = await Promise.all([query(prom.url, q), query(restored.url, q)]);
      expect(after.length).toBe(20);
      expect(after).toEqual(before);
      // The check a drill runs, through exec in the scratch Prometheus' pod.
      expect(await checkPrometheus(w.env, CLUSTER, target, Number(new URL(restored.url).port), 'count_over_time(aksops_queue_depth[3h])')).toBe(20);
    } finally {
      await restored.stop();
    }
  });

  it('fails without the admin API and commits nothing', async () => {
    const plain = await startPrometheusWith(openMetrics());
    const cfg = w.backups.clusters[0]!.prometheus[0]!;
    const saved = { ...cfg };
    Object.assign(cfg, { port: Number(new URL(plain.url).port), dataDir: plain.dataDir });
    try {
      const id = '20250101T050000Z-nightly';
      await expect(backupPrometheus(w.env, { backupId: id, cluster: CLUSTER, name: 'prometheus' })).rejects.toThrow(
        /failed \(exit 3\): the snapshot API answered no snapshot name: is --web.enable-admin-api set\?/,
      );
      expect(await w.blobs.exists(w.backups.containers.appData, paths.prometheus(CLUSTER, id, 'prometheus'))).toBe(false);
    } finally {
      Object.assign(cfg, saved);
      await plain.stop();
    }
  });
});
