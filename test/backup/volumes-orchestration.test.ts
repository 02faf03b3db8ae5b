// The backup and restore orchestrations with a volume part, replayed through durable-functions'
// own executor with the real activities (fake API server with the kubelet simulation, real tar,
// Azurite), crashing after every step: one volume blob, one manifest, exactly one copy pod per
// backup and none left running; the restore ends with one new PVC whose files equal the source's.
// The restore drill restores the PVC copies into new PVCs of its scratch namespace, checked, and
// a tampered copy fails the drill.
import { afterAll, describe, expect, it } from 'vitest';
import { createReplayHarness, forEachCrashPoint, type ReplayHarness } from '../support/replay-harness.js';
import { backupOrchestrator } from '../../orchestrations/backup.js';
import { drillOrchestrator, restoreOrchestrator, RESTORE_ACTIVITY } from '../../orchestrations/restore.js';
import { backupActivities } from '../../src/backup/activities.js';
import { readManifest } from '../../src/backup/manifest-write.js';
import { backupIdFor, paths } from '../../src/backup/manifest.js';
import type { BackupInput, BackupOutput, RestoreInput, RestoreOutput } from '../../src/domain/backup-types.js';
import type { DrillOutput } from '../../src/domain/drill-types.js';
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

function backupHarness(vw: VolumeWorld, parts: BackupInput['parts'] = ['volumes']): ReplayHarness {
  return createReplayHarness({
    orchestrator: backupOrchestrator,
    instanceId: `backup:${CLUSTER}:${ID}`,
    input: { backupId: ID, cluster: CLUSTER, parts, trigger: 'schedule', requestedBy: 'nightly', applyRetention: false },
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

describe('restore drill with PVC copies (replayed)', () => {
  it(
    'restores each PVC copy into a new PVC of the scratch namespace, checks it, reports it, and cleans up, after a crash at every step',
    { timeout: 900_000 },
    async () => {
      const backedUp = async (tamper: boolean) => {
        const vw = await world('voldrill');
        const b = await backupHarness(vw, ['objects', 'volumes']).run();
        expect(b.status).toBe('completed');
        if (tamper) {
          // The copy in Blob no longer matches the manifest's SHA-256: the drill must say so.
          const item = (await readManifest(vw.w.env, CLUSTER, ID))!.items.find((i) => i.type === 'volume')!;
          const cc = await vw.w.blobs.container(item.container);
          const body = await vw.w.blobs.readBuffer(item.container, item.path);
          body[body.length - 1024] = body[body.length - 1024]! ^ 0xff;
          await cc.getBlockBlobClient(item.path).upload(body, body.length, { metadata: { aksopssha256: item.sha256, aksopssize: String(item.size) } });
        }
        return vw;
      };
      // Each run drills into a scratch namespace of its own, so one world and one backup serve them all.
      let runs = 0;
      const drill = (vw: VolumeWorld) => {
        const scratch = `aksops-drill-media-${++runs}`;
        const h = createReplayHarness({
          orchestrator: drillOrchestrator,
          instanceId: `drill:voldrill:${runs}`,
          input: {
            drillId: `drill-voldrill-${runs}`,
            cluster: CLUSTER,
            namespace: 'media',
            scratchNamespace: scratch,
            timeoutSeconds: 120,
            requestedBy: 'timer',
          },
          activities: activities(vw),
          startTime: '2025-01-03T04:00:00.000Z',
          name: 'drill',
        });
        return { scratch, h };
      };

      // A copy that does not match its checksum fails the drill, named.
      const tampered = await backedUp(true);
      const bad = drill(tampered);
      const t = (await bad.h.run()).output as DrillOutput;
      expect(t.outcome).toBe('failed');
      expect(t.volumes).toEqual([
        { source: 'media/uploads', target: `${bad.scratch}/uploads-drill`, ok: false, error: expect.stringMatching(/does not match the manifest/) },
      ]);
      expect(t.missing).toContainEqual(expect.stringMatching(/^PVC copy media\/uploads -> aksops-drill-media-1\/uploads-drill: .*does not match the manifest/));
      expect(tampered.w.kube.get('namespaces', undefined, bad.scratch)).toBeUndefined();

      const vw = await backedUp(false);
      const entries = Object.keys(snapshot(vw.dirs['media/uploads']!)).length;
      let scratch = '';
      const { points } = await forEachCrashPoint(
        () => {
          const d = drill(vw);
          scratch = d.scratch;
          return d.h;
        },
        (_h, result, at) => {
          expect(result.status, `crash after ${at.n} (${at.what})`).toBe('completed');
          const out = result.output as DrillOutput;
          expect(out.outcome, `crash after ${at.n}: ${JSON.stringify(out)}`).toBe('passed');
          expect(out.volumes).toEqual([{ source: 'media/uploads', target: `${scratch}/uploads-drill`, ok: true, entries }]);
          // The new PVC held the same files, and no copy pod is left running.
          expect(snapshot(vw.dirs[`${scratch}/uploads-drill`]!)).toEqual(snapshot(vw.dirs['media/uploads']!));
          const copyPods = podCreates(vw.w).filter(
            (r) =>
              r.path.includes(`/namespaces/${scratch}/`) &&
              (r.body as KubeObject).metadata.labels?.['app.kubernetes.io/managed-by'] === 'aksops' &&
              r.status < 300,
          );
          // A second copy pod only when the restoreVolume activity ran and its result was lost (at-least-once:
          // the re-run unpacks again into the PVC it created, never a third time, never two at once).
          const rerun = at.kind === 'ran' && at.what.startsWith(`ran ${RESTORE_ACTIVITY.volume} `);
          expect(copyPods, `crash after ${at.n} (${at.what})`).toHaveLength(rerun ? 2 : 1);
          expect(livePods(vw, scratch)).toEqual([]);
          expect(vw.w.kube.get('namespaces', undefined, scratch)).toBeUndefined();
        },
      );
      expect(points).toBeGreaterThan(8);
    },
  );
});
