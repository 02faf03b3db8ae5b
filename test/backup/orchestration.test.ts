// The backup orchestration replayed through durable-functions' own executor (replay harness)
// with the real activities against the strict fake Kubernetes API and Azurite: a crash after
// every step must end in the same blobs and exactly one manifest; failing parts are retried with
// durable timers and then reported in a partial manifest; retention deletes what GFS expires.
import { afterAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, newPipeline, StorageSharedKeyCredential } from '@azure/storage-blob';
import { inject } from 'vitest';
import { createReplayHarness, forEachCrashPoint, type ReplayHarness } from '../support/replay-harness.js';
import { backupOrchestrator, PART_RETRY_DELAYS_SECONDS } from '../../orchestrations/backup.js';
import { retentionOrchestrator } from '../../orchestrations/retention.js';
import { backupActivities } from '../../src/backup/activities.js';
import { readManifest } from '../../src/backup/manifest-write.js';
import { listBackups } from '../../src/backup/catalog.js';
import { BackupBlobStore } from '../../src/adapters/blob-store.js';
import { backupIdFor, paths } from '../../src/backup/manifest.js';
import type { BackupInput, BackupOutput, BackupStatus } from '../../src/domain/backup-types.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { simulateControllers } from '../fakes/kube-backup-controllers.js';
import { configureExec } from '../fakes/kube-exec.js';
import { CLUSTER, createWorld, seedShop, type World } from './world.js';

const worlds: World[] = [];
afterAll(async () => {
  for (const w of worlds) await w.stop();
});

const START = '2025-01-01T02:00:00.000Z';
const ID = backupIdFor(new Date(START), 'nightly');

interface Run {
  w: World;
  audit: Map<string, AuditRecord>;
  h: ReplayHarness;
}

function input(over: Partial<BackupInput> = {}): BackupInput {
  return { backupId: ID, cluster: CLUSTER, parts: ['objects', 'snapshots'], trigger: 'schedule', requestedBy: 'nightly', applyRetention: true, ...over };
}

async function newRun(
  opts: {
    backupInput?: Partial<BackupInput>;
    world?: Parameters<typeof createWorld>[0];
    seed?: (w: World) => void | Promise<void>;
    blobs?: (w: World) => BackupBlobStore;
  } = {},
): Promise<Run> {
  const w = await createWorld(
    opts.world ?? {
      tag: 'orch',
      backups: { concurrency: 2 },
      clusterBackup: { snapshots: [{ namespace: 'shop', pvc: 'analysis-results', volumeSnapshotClass: 'csi-azuredisk-vsc' }] },
    },
  );
  worlds.push(w);
  if (opts.blobs) w.env.blobs = opts.blobs(w);
  simulateControllers(w.kube.registry, { snapshots: { readyAfterReads: 2 } });
  seedShop(w.kube, 'shop');
  w.kube.seed('configmaps', { metadata: { name: 'settings', namespace: 'analytics' }, data: { mode: 'batch' } });
  await opts.seed?.(w);
  const audit = new Map<string, AuditRecord>();
  const activities = {
    ...backupActivities(w.env),
    writeAudit: async (r: AuditRecord) => {
      audit.set(r.id, r);
    },
  };
  const h = createReplayHarness({
    orchestrator: backupOrchestrator,
    instanceId: `backup:${CLUSTER}:${ID}`,
    input: input(opts.backupInput),
    activities: activities,
    startTime: START,
    name: 'backup',
  });
  return { w, audit, h };
}

async function blobState(w: World): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of Object.values(w.backups.containers)) {
    for (const b of await w.blobs.list(c, `${CLUSTER}/`)) out[`${c.replace(/^[a-z0-9]+-/, '')}/${b.name}`] = b.metadata['aksopssha256'] ?? '?';
  }
  return out;
}

describe('backup orchestration (replayed)', () => {
  // The clean run's state, which every crash run is compared with.
  let cleanNames: string[] = [];
  let cleanState: Record<string, string> = {};

  it('records a clean run: parts, snapshots, progress, audit', async () => {
    const r = await newRun();
    const res = await r.h.run();
    expect(res.status).toBe('completed');
    const out = res.output as BackupOutput;
    expect(out).toMatchObject({
      outcome: 'complete',
      failed: [],
      manifest: { status: 'complete', objects: expect.any(Number) },
      retention: { kept: 1, deleted: [] },
    });
    const m = (await readManifest(r.w.env, CLUSTER, ID))!;
    expect(m.parts.map((p) => p.part)).toEqual(['objects.cluster', 'objects.ns.analytics', 'objects.ns.shop', 'snapshots']);
    expect(m.snapshots).toEqual([
      expect.objectContaining({
        namespace: 'shop',
        pvc: 'analysis-results',
        readyToUse: true,
        restoreSize: '20Gi',
        volumeSnapshotClassName: 'csi-azuredisk-vsc',
      }),
    ]);
    expect(m.startedAt).toBe(START);
    const vs = r.w.kube.list('volumesnapshots', 'shop')[0]!;
    expect(vs.metadata.labels).toMatchObject({ 'aksops.io/backup-id': ID, 'aksops.io/cluster': CLUSTER });
    const statuses = r.h.store.customStatusLog as BackupStatus[];
    expect(statuses.map((s) => s.phase).filter((p, i, a) => a[i - 1] !== p)).toEqual([
      'planning',
      'snapshotting',
      'backing-up',
      'waiting-for-snapshots',
      'writing-manifest',
      'copying-to-secondary',
      'retention',
      'done',
    ]);
    expect(statuses.at(-1)).toMatchObject({ namespacesDone: 2, namespacesTotal: 2, partsDone: 4, partsTotal: 4, failedParts: 0 });
    expect(statuses.at(-1)!.bytes).toBeGreaterThan(0);
    expect([...r.audit.values()]).toEqual([
      expect.objectContaining({ kind: 'result', runbook: 'backup', result: 'complete', target: `${CLUSTER}/backup/${ID}` }),
    ]);
    cleanState = await blobState(r.w);
    cleanNames = Object.keys(cleanState).sort();
  });

  it('ends with the same blobs and one manifest after a crash at every step', { timeout: 600_000 }, async () => {
    let current: Run | undefined;
    const { points } = await forEachCrashPoint(
      async () => {
        current = await newRun();
        return current.h;
      },
      async (h, result, at) => {
        const r = current!;
        expect(result.status, `crash after ${at.n} (${at.what})`).toBe('completed');
        const out = result.output as BackupOutput;
        expect(out.outcome, `crash after ${at.n}`).toBe('complete');
        const state = await blobState(r.w);
        const names = Object.keys(state).sort();
        expect(names, `crash after ${at.n}`).toEqual(cleanNames);
        expect(names.filter((n) => n.endsWith('/manifest.json'))).toHaveLength(1);
        // Every stored data blob is in the manifest with its checksum, and nothing else is stored.
        const m = (await readManifest(r.w.env, CLUSTER, ID))!;
        const listed = new Map(m.items.map((i) => [`${i.container.replace(/^[a-z0-9]+-/, '')}/${i.path}`, i.sha256]));
        for (const n of names) {
          if (/\/(manifest|key)\.json$|\/parts\//.test(n)) continue;
          expect(listed.get(n), `${n} after a crash after ${at.n}`).toBe(state[n]);
        }
        expect(listed.size).toBe(names.filter((n) => !/\/(manifest|key)\.json$|\/parts\//.test(n)).length);
        expect(r.w.kube.list('volumesnapshots', 'shop')).toHaveLength(1);
        expect([...r.audit.values()].map((a) => a.result)).toEqual(['complete']);
        expect(h.store.invocations['backupWriteManifest']).toBeGreaterThanOrEqual(1);
      },
    );
    expect(points).toBeGreaterThan(40);
  });
});

// ---------------------------------------------------------------------------- faults

/**
 * A blob store whose requests go through an extra pipeline policy that fails every Put Block
 * but the first of blobs under `pathPart` (the connection drops mid-upload; no SDK retries).
 */
function failingBlockUploads(pathPart: string): { store: BackupBlobStore; failures: () => number } {
  let failures = 0;
  const conn = injectConn();
  const account = /AccountName=([^;]+)/.exec(conn)![1]!;
  const key = /AccountKey=([^;]+)/.exec(conn)![1]!;
  const endpoint = /BlobEndpoint=([^;]+)/.exec(conn)![1]!;
  const pipeline = newPipeline(new StorageSharedKeyCredential(account, key), { retryOptions: { maxTries: 1 } });
  pipeline.factories.push({
    create: (next: { sendRequest(r: { url: string; method: string }): Promise<unknown> }) => ({
      async sendRequest(req: { url: string; method: string }) {
        const url = new URL(req.url);
        if (req.method === 'PUT' && url.searchParams.get('comp') === 'block' && url.pathname.includes(pathPart)) {
          const id = Buffer.from(url.searchParams.get('blockid') ?? '', 'base64').toString('ascii');
          if (!id.endsWith('000000')) {
            failures += 1;
            throw Object.assign(new Error('injected: connection reset while uploading a block'), { code: 'ECONNRESET' });
          }
        }
        return next.sendRequest(req);
      },
    }),
  } as never);
  const store = new BackupBlobStore({ connectionString: conn });
  const service = new BlobServiceClient(endpoint, pipeline);
  store.container = async (name: string) => {
    const cc = service.getContainerClient(name);
    await cc.createIfNotExists();
    return cc;
  };
  return { store, failures: () => failures };
}

describe('backup orchestration: faults', () => {
  const dbWorld = (tag: string) => ({
    tag,
    backups: { concurrency: 2 },
    clusterBackup: { databases: [{ name: 'timescaledb', namespace: 'db', podSelector: 'app=timescaledb', database: 'ms5', expectedSize: '10Mi' }] },
  });
  const seedDbPod = (w: World) => {
    w.kube.seedPod({
      namespace: 'db',
      name: 'timescaledb-0',
      labels: { app: 'timescaledb' },
      spec: { containers: [{ name: 'postgres', image: 'timescale/timescaledb:2.14.2-pg15' }] },
    });
    // Stands in for pg_dump: 12 MiB of output, so the dump takes several 4 MiB blocks.
    configureExec(w.kube.registry, { rewrite: () => ['sh', '-c', 'head -c 12582912 /dev/zero'] });
  };

  it('a dump upload failing mid-stream: no dump blob, part retried, then a partial manifest that says so', async () => {
    let inject: ReturnType<typeof failingBlockUploads> | undefined;
    const r = await newRun({
      world: dbWorld('dbfail'),
      backupInput: { parts: ['objects', 'databases'] },
      seed: seedDbPod,
      blobs: () => {
        inject = failingBlockUploads('/databases/');
        return inject.store;
      },
    });
    const res = await r.h.run();
    expect(res.status).toBe('completed');
    const out = res.output as BackupOutput;
    expect(out.outcome).toBe('partial');
    expect(out.failed).toEqual([{ part: 'database.timescaledb', error: expect.stringMatching(/injected: connection reset/) }]);
    expect(r.h.store.invocations['backupDatabase']).toBe(1 + PART_RETRY_DELAYS_SECONDS.length);
    expect(inject!.failures()).toBeGreaterThanOrEqual(3);
    // Nothing was committed under the dump's name, and the manifest lists no dump but says why.
    expect(await r.w.blobs.exists(r.w.backups.containers.databases, paths.database(CLUSTER, ID, 'timescaledb'))).toBe(false);
    const m = (await readManifest(r.w.env, CLUSTER, ID))!;
    expect(m.status).toBe('partial');
    expect(m.items.some((i) => i.type === 'database')).toBe(false);
    expect(m.parts.find((p) => p.part === 'database.timescaledb')).toMatchObject({ status: 'failed' });
    expect(m.warnings).toContainEqual(expect.stringMatching(/^database.timescaledb: FAILED: .*injected/));
    expect([...r.audit.values()][0]).toMatchObject({ result: 'partial', detail: expect.stringContaining('failed parts: database.timescaledb') });
  });

  it('pg_dump failing (non-zero exit mid-stream) commits nothing; a backup of nothing but that fails without a manifest', async () => {
    const r = await newRun({
      world: dbWorld('dbexit'),
      backupInput: { parts: ['databases'] },
      seed: (w) => {
        seedDbPod(w);
        configureExec(w.kube.registry, {
          rewrite: () => ['sh', '-c', 'head -c 9000000 /dev/zero; echo "pg_dump: error: connection to server lost" >&2; exit 1'],
        });
      },
    });
    const res = await r.h.run();
    const out = res.output as BackupOutput;
    expect(out.outcome).toBe('failed');
    expect(out.error).toMatch(/no manifest written: .*nothing was stored/);
    expect(out.failed[0]!.error).toMatch(/pg_dump of ms5 in db\/timescaledb-0 failed \(exit 1\): pg_dump: error: connection to server lost/);
    expect(await readManifest(r.w.env, CLUSTER, ID)).toBeNull();
    expect(await r.w.blobs.exists(r.w.backups.containers.databases, paths.database(CLUSTER, ID, 'timescaledb'))).toBe(false);
    expect((await listBackups(r.w.env, CLUSTER)).map((b) => [b.backupId, b.status])).toEqual([[ID, 'incomplete']]);
    expect([...r.audit.values()][0]).toMatchObject({ result: 'failed' });
  });

  it('a snapshot that never becomes ready is waited for with durable timers, then reported', async () => {
    const r = await newRun({
      backupInput: { parts: ['snapshots', 'objects'] },
      seed: (w) => simulateControllers(w.kube.registry, { snapshots: { readyAfterReads: 1_000_000 } }),
    });
    r.w.backups.clusters[0]!.snapshots[0]!.readyTimeout = '5m';
    const res = await r.h.run();
    const out = res.output as BackupOutput;
    expect(out.outcome).toBe('complete');
    const m = (await readManifest(r.w.env, CLUSTER, ID))!;
    expect(m.snapshots[0]).toMatchObject({ readyToUse: false, error: 'not readyToUse within 300s' });
    expect(m.warnings).toContainEqual(expect.stringMatching(/^snapshots: VolumeSnapshot shop\/.* is not ready: not readyToUse within 300s/));
    const timers = r.h.store.history.filter((e) => e.EventType === 10).length;
    expect(timers).toBeGreaterThan(4);
  });
});

function injectConn(): string {
  return inject('azurite').connectionString;
}

// ---------------------------------------------------------------------------- retention

describe('retention', () => {
  it('deletes what GFS expires (manifest first, blobs, VolumeSnapshots), keeps the newest, audits each deletion', async () => {
    const r = await newRun({ backupInput: { parts: ['objects', 'snapshots'] } });
    r.w.backups.retention = { keepLast: 1, daily: 2, weekly: 0, monthly: 0, yearly: 0, incompleteAfter: '1d' };
    // Three older backups made by this app (same activities), on three days.
    const old = ['2024-12-29T02:00:00.000Z', '2024-12-30T02:00:00.000Z', '2024-12-31T02:00:00.000Z'];
    for (const t of old) {
      const h = createReplayHarness({
        orchestrator: backupOrchestrator,
        instanceId: `old-${t}`,
        input: input({ backupId: backupIdFor(new Date(t), 'nightly'), applyRetention: false }),
        activities: { ...backupActivities(r.w.env), writeAudit: async () => undefined },
        startTime: t,
      });
      expect((await h.run()).status).toBe('completed');
    }
    // An incomplete one from long ago (a crashed backup: key.json, no manifest).
    await r.w.blobs.writeOnceBuffer(r.w.backups.containers.objects, paths.key(CLUSTER, '20241201T020000Z-nightly'), '{}');
    expect(r.w.kube.list('volumesnapshots', 'shop')).toHaveLength(3);
    const res = await r.h.run();
    const out = res.output as BackupOutput;
    expect(out.retention!.deleted.map((d) => d.backupId)).toEqual(['20241201T020000Z-nightly', '20241229T020000Z-nightly', '20241230T020000Z-nightly']);
    expect(out.retention!.deleted[1]).toMatchObject({ snapshots: 1 });
    expect((await listBackups(r.w.env, CLUSTER)).map((b) => b.backupId)).toEqual([ID, '20241231T020000Z-nightly']);
    expect(
      r.w.kube
        .list('volumesnapshots', 'shop')
        .map((s) => s.metadata.labels?.['aksops.io/backup-id'])
        .sort(),
    ).toEqual(['20241231T020000Z-nightly', ID]);
    for (const c of Object.values(r.w.backups.containers)) {
      expect(await r.w.blobs.list(c, `${CLUSTER}/20241229T020000Z-nightly/`)).toEqual([]);
    }
    const deletions = [...r.audit.values()].filter((a) => a.decision === 'delete-backup');
    expect(deletions.map((a) => [a.target, a.result])).toEqual([
      [`${CLUSTER}/backup/20241201T020000Z-nightly`, 'deleted'],
      [`${CLUSTER}/backup/20241229T020000Z-nightly`, 'deleted'],
      [`${CLUSTER}/backup/20241230T020000Z-nightly`, 'deleted'],
    ]);

    // The retention orchestration on its own, dry-run: audits what it would delete, deletes nothing.
    const dry = createReplayHarness({
      orchestrator: retentionOrchestrator,
      instanceId: 'ret-dry',
      input: { cluster: CLUSTER, now: '', dryRun: true },
      activities: { ...backupActivities(r.w.env), writeAudit: async (a: AuditRecord) => void r.audit.set(a.id, a) },
      startTime: '2025-01-05T00:00:00.000Z',
    });
    const dres = await dry.run();
    expect((dres.output as { deleted: unknown[] }).deleted).toEqual([]);
    expect((await listBackups(r.w.env, CLUSTER)).length).toBe(2);
  });
});
