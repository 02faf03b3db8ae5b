// The triggers: schedule slots (one instance per slot, through the real DurableClient against the
// fake Durable extension: a timer that fires twice starts one backup), request validation of
// POST /api/backups and /api/restores, list and show.
import { checkBodyValue } from '../../src/api/validate.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { durableBackupInstances } from '../../functions/lib/backup-runtime.js';
import { backupRequest, dueRuns, listAll, onTimerTick, RequestError, restoreRequest, showBackup } from '../../src/backup/triggers.js';
import { backupsSchema } from '../../src/config/backup-schema.js';
import { backupObjects, planBackup } from '../../src/backup/engine.js';
import { writeManifest } from '../../src/backup/manifest-write.js';
import { CLUSTER, createWorld, seedShop, type World } from './world.js';

const config = backupsSchema.parse({
  encryption: { localKeySetting: 'BACKUP_LOCAL_KEY' },
  schedules: [
    { name: 'hourly', cron: '0 * * * *', parts: ['objects'] },
    { name: 'nightly', cron: '30 2 * * *', clusters: ['ms5-prod'] },
  ],
  verify: { cron: '0 6 * * *' },
  drill: { cron: '0 4 * * 0', cluster: 'ms5-prod', namespace: 'shop' },
  clusters: [{ cluster: 'ms5-prod' }, { cluster: 'packamal' }],
});

describe('schedule slots', () => {
  it('starts the slots that are due, one instance ID per slot and cluster', () => {
    const at = (iso: string) => dueRuns(config, new Date(iso)).map((r) => r.instanceId);
    expect(at('2025-03-09T02:30:20Z')).toEqual([
      'backup:ms5-prod:20250309T020000Z-hourly',
      'backup:packamal:20250309T020000Z-hourly',
      'backup:ms5-prod:20250309T023000Z-nightly',
    ]);
    // Later ticks within startWithin (1h) name the same slots.
    expect(at('2025-03-09T02:55:00Z')).toEqual(at('2025-03-09T02:30:20Z'));
    expect(at('2025-03-09T04:00:00Z')).toEqual([
      'backup:ms5-prod:20250309T040000Z-hourly',
      'backup:packamal:20250309T040000Z-hourly',
      'drill:ms5-prod:20250309T040000Z',
    ]);
    expect(at('2025-03-09T06:01:00Z')).toContain('verify:packamal:20250309T060000Z');
    const drill = dueRuns(config, new Date('2025-03-09T04:00:00Z')).find((r) => r.orchestration === 'backupDrill')!.input as {
      scratchNamespace: string;
      timeoutSeconds: number;
    };
    expect(drill).toMatchObject({ scratchNamespace: 'aksops-drill-20250309t0400', timeoutSeconds: 900 });
  });

  describe('through the real Durable client', () => {
    let ext: FakeDurableExtension;
    beforeEach(async () => {
      ext = await new FakeDurableExtension().start();
    });
    afterEach(async () => ext.stop());

    it('a timer that fires twice (or on two workers) starts one backup per slot', async () => {
      const port = durableBackupInstances(ext.invocation().client);
      const first = await onTimerTick(port, config, new Date('2025-03-09T02:30:05Z'));
      const again = await onTimerTick(port, config, new Date('2025-03-09T02:30:40Z'));
      const parallel = await Promise.all([
        onTimerTick(port, config, new Date('2025-03-09T02:31:00Z')),
        onTimerTick(port, config, new Date('2025-03-09T02:31:00Z')),
      ]);
      expect(first.map((r) => r.result)).toEqual(['started', 'started', 'started']);
      expect([...again, ...parallel.flat()].every((r) => r.result === 'exists')).toBe(true);
      expect(ext.starts.map((s) => s.instanceId)).toEqual([
        'backup:ms5-prod:20250309T020000Z-hourly',
        'backup:packamal:20250309T020000Z-hourly',
        'backup:ms5-prod:20250309T023000Z-nightly',
      ]);
      expect(ext.starts[2]!.input).toEqual({
        backupId: '20250309T023000Z-nightly',
        cluster: 'ms5-prod',
        parts: ['objects', 'databases', 'snapshots', 'grafana', 'keyVault', 'redis', 'prometheus', 's3', 'volumes'],
        trigger: 'schedule',
        requestedBy: 'schedule:nightly',
        applyRetention: true,
      });
      // A finished backup is not started again by a late tick of its slot either.
      ext.setStatus('backup:ms5-prod:20250309T023000Z-nightly', 'Completed');
      expect((await onTimerTick(port, config, new Date('2025-03-09T03:20:00Z'))).find((r) => r.instanceId.endsWith('-nightly'))?.result).toBe('exists');
    });
  });
});

describe('requests', () => {
  const now = new Date('2025-03-09T10:11:12Z');
  it('builds an on-demand backup with a scope', () => {
    const r = backupRequest(
      config,
      { cluster: 'packamal', parts: ['objects', 'databases'], namespaces: ['shop'], databases: ['ts'] },
      now,
      'user:oncall@contoso.com',
      'a1b2c3',
    );
    expect(r).toEqual({
      orchestration: 'backup',
      instanceId: 'backup:packamal:20250309T101112Z-manual-a1b2c3',
      input: {
        backupId: '20250309T101112Z-manual-a1b2c3',
        cluster: 'packamal',
        parts: ['objects', 'databases'],
        scope: { namespaces: ['shop'], databases: ['ts'] },
        trigger: 'http',
        requestedBy: 'user:oncall@contoso.com',
        applyRetention: false,
      },
    });
  });

  it('refuses bad input with 400 and the reason: shapes by the route schema, names by the config', () => {
    const bad = (body: never, fn: typeof backupRequest | typeof restoreRequest = backupRequest) => {
      try {
        fn(config, body, now, 'x');
      } catch (e) {
        expect(e).toBeInstanceOf(RequestError);
        return (e as RequestError).message;
      }
      throw new Error('accepted');
    };
    expect(bad({} as never)).toMatch(/cluster must be one of ms5-prod, packamal/);
    expect(bad({ cluster: 'ms5-prod', namespaces: ['../etc'] } as never)).toMatch(/not a valid namespace/);
    expect(bad({ cluster: 'ms5-prod', backupId: 'x' } as never, restoreRequest)).toMatch(/backupId must be a backup ID/);
    expect(bad({ cluster: 'ms5-prod', backupId: '20250101T020000Z-nightly', namespaceMap: { shop: 'Bad NS' } } as never, restoreRequest)).toMatch(
      /namespaceMap/,
    );
    expect(bad({ cluster: 'ms5-prod', backupId: '20250101T020000Z-nightly', volumes: { uploads: 'new' } } as never, restoreRequest)).toMatch(
      /volumes: "uploads" must be "namespace\/pvc" mapped to a new PVC name/,
    );
    expect(bad({ cluster: 'ms5-prod', backupId: '20250101T020000Z-nightly', volumes: { 'media/uploads': '../x' } } as never, restoreRequest)).toMatch(
      /volumes: "media\/uploads"/,
    );
    // Shapes: the schema POST /api/backups and /api/restores validate with (and OpenAPI describes).
    const shape = (route: string, body: unknown) => {
      const r = checkBodyValue(route, body);
      if (r.ok) throw new Error('accepted');
      return r.invalid.body;
    };
    expect(shape('backupsStart', { cluster: 'ms5-prod', parts: ['everything'] })).toMatchObject({
      parameter: 'parts.0',
      error: expect.stringContaining('must be one of objects, databases'),
    });
    expect(shape('backupsStart', { cluster: 'ms5-prod', evil: 1 })).toMatchObject({ parameter: 'evil', error: expect.stringContaining('Unrecognized key') });
    expect(shape('restoresStart', { cluster: 'ms5-prod', backupId: '20250101T020000Z-nightly', conflict: 'overwrite' })).toMatchObject({
      parameter: 'conflict',
      error: expect.stringContaining('must be "skip" or "update"'),
    });
  });

  it('restores are dry-runs unless asked otherwise', () => {
    const r = restoreRequest(
      config,
      { cluster: 'ms5-prod', backupId: '20250101T020000Z-nightly', namespaces: ['shop'], namespaceMap: { shop: 'shop-restore' } },
      now,
      'user:a',
      'ffffff',
    );
    expect(r.input).toMatchObject({ dryRun: true, conflict: 'skip', restoreId: '20250309T101112Z-ffffff' });
    expect(r.instanceId).toBe('restore:ms5-prod:20250309T101112Z-ffffff');
    expect(restoreRequest(config, { cluster: 'ms5-prod', backupId: '20250101T020000Z-nightly', dryRun: false }, now, 'a').input).toMatchObject({
      dryRun: false,
    });
    expect(
      restoreRequest(config, { cluster: 'ms5-prod', backupId: '20250101T020000Z-nightly', volumes: { 'media/uploads': 'uploads-restored' } }, now, 'a').input,
    ).toMatchObject({ dryRun: true, volumes: { 'media/uploads': 'uploads-restored' } });
  });
});

describe('list and show', () => {
  let w: World;
  beforeEach(async () => {
    w = await createWorld({ tag: 'trig' });
  });
  afterEach(async () => w.stop());

  it('lists complete and incomplete backups and shows a manifest or the running status', async () => {
    seedShop(w.kube, 'shop');
    const id = '20250101T020000Z-nightly';
    const plan = await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['objects'] });
    const part = await backupObjects(w.env, { backupId: id, cluster: CLUSTER, namespace: 'shop', types: plan.namespacedTypes });
    await writeManifest(w.env, {
      backupId: id,
      cluster: CLUSTER,
      parts: [part.part],
      failed: [],
      warnings: [],
      trigger: 'schedule',
      requestedBy: 'schedule:nightly',
      startedAt: '2025-01-01T02:00:00.000Z',
      finishedAt: '2025-01-01T02:01:00.000Z',
    });
    await planBackup(w.env, { backupId: '20250102T020000Z-nightly', cluster: CLUSTER, parts: ['objects'] });
    const list = await listAll(w.env);
    expect(list.map((b) => [b.backupId, b.status])).toEqual([
      ['20250102T020000Z-nightly', 'incomplete'],
      [id, 'complete'],
    ]);
    expect(list[1]).toMatchObject({ objects: part.objects, items: part.items, startedAt: '2025-01-01T02:00:00.000Z' });
    const shown = (await showBackup(w.env, undefined, id))!;
    expect(shown).toMatchObject({ backupId: id, status: 'complete', itemCount: part.items });
    expect(shown['items']).toBeUndefined();
    expect(((await showBackup(w.env, undefined, id, CLUSTER, true))!['items'] as unknown[]).length).toBe(part.items);
    const running = await showBackup(
      w.env,
      { status: async () => ({ runtimeStatus: 'Running', customStatus: { phase: 'backing-up' } }), startOnce: async () => 'exists' },
      '20250102T020000Z-nightly',
    );
    expect(running).toMatchObject({ status: 'incomplete', orchestration: { runtimeStatus: 'Running', customStatus: { phase: 'backing-up' } } });
    expect(await showBackup(w.env, undefined, '20240101T000000Z-nightly')).toBeNull();
  });
});
