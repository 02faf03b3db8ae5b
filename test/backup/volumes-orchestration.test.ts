// The backup and restore orchestrations with a volume part, replayed through durable-functions'
// own executor with the real activities (fake API server with the kubelet simulation, real tar,
// Azurite), crashing after every step: one volume blob, one manifest, exactly one copy pod per
// backup and none left running; the restore ends with one new PVC whose files equal the source's.
import { afterAll, describe, expect, it } from 'vitest';
import { createReplayHarness, forEachCrashPoint, type ReplayHarness } from '../support/replay-harness.js';
import { backupOrchestrator } from '../../orchestrations/backup.js';
import { restoreOrchestrator } from '../../orchestrations/restore.js';
import { backupActivities } from '../../src/backup/activities.js';
import { readManifest } from '../../src/backup/manifest-write.js';
import { backupIdFor, paths } from '../../src/backup/manifest.js';
import type { BackupOutput, RestoreInput, RestoreOutput } from '../../src/domain/backup-types.js';
import type { AuditRecord } from '../../src/domain/types.js';
import type { KubeObject } from '../fakes/kube-resources.js';
import { CLUSTER } from './world.js';
import { createVolumeWorld, podCreates, snapshot, type VolumeWorld } from './volume-world.js';

const START = '2025-01-01T02:00:00.000Z';
const ID = backupIdFor(new Date(START), 'nightly');
const worlds: VolumeWorld[] = [];
afterAll(async () => {
  for (const v of worlds) await v.stop();
});

const activities = (vw: VolumeWorld) => ({ ...backupActivities(vw.w.env), writeAudit: async (_: AuditRecord) => undefined });

function backupHarness(vw: VolumeWorld): ReplayHarness {
  return createReplayHarness({
    orchestrator: backupOrchestrator,
    instanceId: `backup:${CLUSTER}:${ID}`,
    input: { backupId: ID, cluster: CLUSTER, parts: ['volumes'], trigger: 'schedule', requestedBy: 'nightly', applyRetention: false },
    activities: activities(vw),
    startTime: START,
    name: 'backup',
  });
}

/** Pods still running (not deleted) in a namespace. */
const livePods = (vw: VolumeWorld, ns: string) =>
  vw.w.kube.list('pods', ns).filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'aksops' && p.metadata.deletionTimestamp === undefined);

async function world(tag: string): Promise<VolumeWorld> {
  const vw = await createVolumeWorld(tag);
  worlds.push(vw);
  return vw;
}

describe('backup orchestration with a volume part (replayed)', () => {
  it('one volume blob, one manifest and one copy pod after a crash at every step', { timeout: 600_000 }, async () => {
    let current: VolumeWorld | undefined;
    const { points, cleanResult } = await forEachCrashPoint(
      async () => backupHarness((current = await world('volorch'))),
      async (_h, result, at) => {
        const vw = current!;
        expect(result.status, `crash after ${at.n} (${at.what})`).toBe('completed');
        expect((result.output as BackupOutput).outcome, `crash after ${at.n}`).toBe('complete');
        const m = (await readManifest(vw.w.env, CLUSTER, ID))!;
        expect(m.items.map((i) => [i.type, i.path, i.entries])).toEqual([
          ['volume', paths.volume(CLUSTER, ID, 'media', 'uploads'), Object.keys(snapshot(vw.dirs['media/uploads']!)).length],
        ]);
        expect(podCreates(vw.w), `pods created, crash after ${at.n}`).toHaveLength(1);
        expect(livePods(vw, 'media')).toEqual([]);
        expect(m.warnings.some((x) => x.includes('PVC media/pgdata not copied file by file'))).toBe(true);
        await vw.stop();
        worlds.splice(worlds.indexOf(vw), 1);
      },
    );
    expect((cleanResult.output as BackupOutput).manifest).toMatchObject({ status: 'complete', items: 1 });
    expect(points).toBeGreaterThan(8);
  });
});

describe('restore orchestration into a new PVC (replayed)', () => {
  it(
    'dry-run plans the PVC and creates nothing; the real restore, crashed after every step, ends with one PVC holding the same files',
    { timeout: 600_000 },
    async () => {
      // Each run gets its own world with a completed backup, then restores it.
      const restoreInput = (dryRun: boolean): RestoreInput => ({
        restoreId: 'r-vol',
        cluster: CLUSTER,
        backupId: ID,
        namespaceMap: { media: 'media-restored' },
        volumes: { 'media/uploads': 'uploads-restored' },
        conflict: 'skip',
        dryRun,
        requestedBy: 'test',
      });
      const make = async (dryRun: boolean) => {
        const vw = await world('volrest');
        const b = await backupHarness(vw).run();
        expect(b.status).toBe('completed');
        vw.w.kube.clearRequests();
        const h = createReplayHarness({
          orchestrator: restoreOrchestrator,
          instanceId: `restore:${CLUSTER}:r-vol`,
          input: restoreInput(dryRun),
          activities: activities(vw),
          startTime: '2025-01-02T00:00:00.000Z',
          name: 'restore',
        });
        return { vw, h };
      };

      const dry = await make(true);
      const d = await dry.h.run();
      expect(d.output as RestoreOutput).toMatchObject({
        outcome: 'restored',
        volumes: [{ source: 'media/uploads', target: 'media-restored/uploads-restored', ok: true }],
      });
      expect(dry.vw.w.kube.get('persistentvolumeclaims', 'media-restored', 'uploads-restored')).toBeUndefined();
      expect(podCreates(dry.vw.w)).toEqual([]);

      // Into a protected namespace: refused at planning, nothing created.
      const prot = await make(false);
      const p = await createReplayHarness({
        orchestrator: restoreOrchestrator,
        instanceId: `restore:${CLUSTER}:r-prot`,
        input: { ...restoreInput(false), namespaceMap: { media: 'kube-system' } },
        activities: activities(prot.vw),
        startTime: '2025-01-02T00:00:00.000Z',
        name: 'restore',
      }).run();
      expect(p.output as RestoreOutput).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/namespace kube-system is protected/) });
      expect(prot.vw.w.kube.writes()).toEqual([]);

      let current: VolumeWorld | undefined;
      const { points } = await forEachCrashPoint(
        async () => {
          const r = await make(false);
          current = r.vw;
          return r.h;
        },
        async (_h, result, at) => {
          const vw = current!;
          expect(result.status, `crash after ${at.n} (${at.what})`).toBe('completed');
          const out = result.output as RestoreOutput;
          expect(out.outcome, `crash after ${at.n}: ${JSON.stringify(out.volumes)}`).toBe('restored');
          expect(out.volumes).toEqual([
            { source: 'media/uploads', target: 'media-restored/uploads-restored', ok: true, entries: Object.keys(snapshot(vw.dirs['media/uploads']!)).length },
          ]);
          expect(vw.w.kube.list('persistentvolumeclaims', 'media-restored').map((x: KubeObject) => x.metadata.name)).toEqual(['uploads-restored']);
          expect(snapshot(vw.dirs['media-restored/uploads-restored']!)).toEqual(snapshot(vw.dirs['media/uploads']!));
          expect(livePods(vw, 'media-restored')).toEqual([]);
          await vw.stop();
          worlds.splice(worlds.indexOf(vw), 1);
        },
      );
      expect(points).toBeGreaterThan(4);
    },
  );
});
