// Restore of Grafana dashboards (by uid, into their folders) and Key Vault secrets (from their
// opaque backup blobs), through the restore orchestration (replayed with a crash after every
// step), the CLI's restore runner and the request parser; dry-run and conflicts. Grafana: the
// HTTP fake (test/fakes/grafana.ts) with a Viewer and an Editor token; Key Vault: the HTTPS fake
// driven by the real @azure/keyvault-secrets SecretClient.
import { checkBodyValue } from '../../src/api/validate.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretClient } from '@azure/keyvault-secrets';
import { createReplayHarness, forEachCrashPoint } from '../support/replay-harness.js';
import { restoreOrchestrator } from '../../orchestrations/restore.js';
import { backupActivities } from '../../src/backup/activities.js';
import { planBackup } from '../../src/backup/engine.js';
import { writeManifest } from '../../src/backup/manifest-write.js';
import { backupGrafana } from '../../src/backup/grafana.js';
import { backupKeyVault, keyVaultSecretsPort } from '../../src/backup/keyvault-backup.js';
import { restoreGrafana } from '../../src/backup/grafana-restore.js';
import { restoreKeyVault } from '../../src/backup/keyvault-restore.js';
import { runRestore } from '../../src/backup/restore-runner.js';
import { restoreRequest } from '../../src/backup/triggers.js';
import type { RestoreInput, RestoreOutput, RestoreServiceInput } from '../../src/domain/backup-types.js';
import { FakeGrafana, type FakeDashboard } from '../fakes/grafana.js';
import { startFakeKeyVault, type FakeKeyVault } from '../fakes/keyvault-server.js';
import { CLUSTER, createWorld, type World } from './world.js';

const ID = '20250101T020000Z-nightly';
const VIEWER = 'glsa_viewer_token';
const EDITOR = 'glsa_editor_token';
let w: World;
let source: FakeGrafana;
let vault: FakeKeyVault;

const DASHBOARDS: FakeDashboard[] = [
  { uid: 'api-latency', title: 'API latency', folderUid: 'ms5', folderTitle: 'MS5.0', panels: [{ type: 'timeseries', title: 'p99' }] },
  { uid: 'celery', title: 'Celery queues', folderUid: 'ms5', folderTitle: 'MS5.0', panels: [{ type: 'stat', title: 'depth' }] },
  { uid: 'home', title: 'Home', panels: [] },
];

const base = (over: Partial<RestoreServiceInput> = {}): RestoreServiceInput => ({
  restoreId: 'r1',
  cluster: CLUSTER,
  sourceCluster: CLUSTER,
  backupId: ID,
  names: ['*'],
  conflict: 'skip',
  dryRun: false,
  ...over,
});

function useGrafana(g: FakeGrafana) {
  w.backups.clusters[0]!.grafana = { url: g.url, tokenSetting: 'GRAFANA_TOKEN', restoreTokenSetting: 'GRAFANA_EDITOR_TOKEN' };
}

beforeEach(async () => {
  w = await createWorld({ tag: 'svcrestore', settings: { GRAFANA_TOKEN: VIEWER, GRAFANA_EDITOR_TOKEN: EDITOR } });
  source = await new FakeGrafana(VIEWER, structuredClone(DASHBOARDS), EDITOR).start();
  vault = await startFakeKeyVault({ vaultName: 'kv-ms5' });
  vault.seed('pg-admin', 'pg-admin-Pa55!');
  vault.seed('pg-admin', 'pg-admin-Pa55-v2!');
  vault.seed('redis-password', 'redis-Pa55!');
  w.backups.clusters[0]!.keyVault = { vaultUri: vault.vaultUrl, secrets: ['*'] };
  w.env.keyVaultSecrets = (uri) => keyVaultSecretsPort(uri, vault.credential(), vault.clientOptions());
  useGrafana(source);
  await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['grafana', 'keyVault'] });
  const parts = [await backupGrafana(w.env, { backupId: ID, cluster: CLUSTER }), await backupKeyVault(w.env, { backupId: ID, cluster: CLUSTER })];
  await writeManifest(w.env, {
    backupId: ID,
    cluster: CLUSTER,
    parts: parts.map((p) => p.part),
    failed: [],
    warnings: [],
    trigger: 'cli',
    requestedBy: 'test',
    startedAt: 'x',
    finishedAt: 'y',
  });
});

afterEach(async () => {
  await Promise.all([w.stop(), source.stop(), vault.stop()]);
});

describe('Grafana dashboards', () => {
  it('dry-run reads only; the restore recreates the folder with its uid and title, then every dashboard in it', async () => {
    const target = await new FakeGrafana(VIEWER, [], EDITOR).start();
    try {
      useGrafana(target);
      const dry = await restoreGrafana(w.env, base({ dryRun: true }));
      expect([dry.created, dry.updated, dry.skipped, dry.failed]).toEqual([3, 0, 0, []]);
      expect(dry.objects).toContain('Folder ms5');
      expect(target.requests.filter((r) => r.method === 'POST')).toEqual([]);
      const r = await restoreGrafana(w.env, base());
      expect([r.created, r.failed]).toEqual([3, []]);
      expect([...target.folders]).toEqual([['ms5', 'MS5.0']]);
      expect(target.dashboards.map((d) => [d.uid, d.title, d.folderUid, d.panels])).toEqual(DASHBOARDS.map((d) => [d.uid, d.title, d.folderUid, d.panels]));
      // Written with the Editor token; the folder before its dashboards; id null (Grafana assigns it).
      const posts = target.requests.filter((q) => q.method === 'POST');
      expect(posts.map((q) => q.path)).toEqual(['/api/folders', '/api/dashboards/db', '/api/dashboards/db', '/api/dashboards/db']);
      expect((posts[1]!.body as { dashboard: { id: unknown }; overwrite: boolean }).dashboard.id).toBeNull();
    } finally {
      await target.stop();
    }
  });

  it('conflicts: skip leaves a changed live dashboard alone, update overwrites it; unknown uids are refused', async () => {
    source.dashboards[0]!.panels = [{ type: 'text', title: 'edited since' }];
    const s = await restoreGrafana(w.env, base({ names: ['api-latency'] }));
    expect([s.created, s.updated, s.skipped]).toEqual([0, 0, 1]);
    expect(source.dashboards[0]!.panels).toEqual([{ type: 'text', title: 'edited since' }]);
    const u = await restoreGrafana(w.env, base({ names: ['api-latency'], conflict: 'update' }));
    expect([u.created, u.updated, u.skipped]).toEqual([0, 1, 0]);
    expect(source.dashboards[0]!.panels).toEqual(DASHBOARDS[0]!.panels);
    await expect(restoreGrafana(w.env, base({ names: ['nope'] }))).rejects.toThrow(/holds no dashboard with uid nope/);
  });

  it('a Viewer token cannot restore: the failure names the setting and the role, never the token', async () => {
    w.settings['GRAFANA_EDITOR_TOKEN'] = VIEWER;
    const target = await new FakeGrafana(VIEWER, [], EDITOR).start();
    try {
      useGrafana(target);
      const e = await restoreGrafana(w.env, base()).catch((x: Error) => x);
      expect((e as Error).message).toMatch(/HTTP 403 \(check the token in GRAFANA_EDITOR_TOKEN and its role: restores need Editor\)/);
      expect((e as Error).message).not.toContain(VIEWER);
    } finally {
      await target.stop();
    }
  });
});

describe('Key Vault secrets', () => {
  it('restores the backup blobs into an empty vault with every version; dry-run changes nothing', async () => {
    const target = await startFakeKeyVault({ vaultName: 'kv-ms5-dr' });
    try {
      w.backups.clusters[0]!.keyVault = { vaultUri: target.vaultUrl, secrets: ['*'] };
      w.env.keyVaultSecrets = (uri) => keyVaultSecretsPort(uri, target.credential(), target.clientOptions());
      const dry = await restoreKeyVault(w.env, base({ dryRun: true }));
      expect([dry.created, dry.failed]).toEqual([2, []]);
      const client = new SecretClient(target.vaultUrl, target.credential(), target.clientOptions());
      await expect(client.getSecret('pg-admin')).rejects.toThrow(/not found/);
      const r = await restoreKeyVault(w.env, base());
      expect([r.created, r.objects]).toEqual([2, ['KeyVaultSecret pg-admin', 'KeyVaultSecret redis-password']]);
      expect((await client.getSecret('pg-admin')).value).toBe('pg-admin-Pa55-v2!');
      const versions: string[] = [];
      for await (const v of client.listPropertiesOfSecretVersions('pg-admin')) versions.push(v.version!);
      expect(versions.length).toBe(2);
      // No value in what the restore reports.
      expect(JSON.stringify(r)).not.toMatch(/Pa55/);
    } finally {
      await target.stop();
    }
  });

  it('an existing secret is skipped, or reported (Key Vault cannot restore over it) with the fix', async () => {
    const s = await restoreKeyVault(w.env, base({ names: ['pg-admin'] }));
    expect([s.created, s.skipped]).toEqual([0, 1]);
    const u = await restoreKeyVault(w.env, base({ names: ['pg-admin'], conflict: 'update' }));
    expect(u.failed).toEqual([
      { object: 'KeyVaultSecret pg-admin', error: expect.stringMatching(/cannot restore over a secret\. Fix: delete and purge it first/) },
    ]);
  });
});

describe('through the restore API, the orchestration and the CLI runner', () => {
  it('POST /api/restores takes dashboards and keyVaultSecrets; the orchestration restores them after a crash at every step', async () => {
    const target = await new FakeGrafana(VIEWER, [], EDITOR).start();
    const kv = await startFakeKeyVault({ vaultName: 'kv-ms5-dr2' });
    try {
      useGrafana(target);
      w.backups.clusters[0]!.keyVault = { vaultUri: kv.vaultUrl, secrets: ['*'] };
      w.env.keyVaultSecrets = (uri) => keyVaultSecretsPort(uri, kv.credential(), kv.clientOptions());
      const req = restoreRequest(
        w.backups,
        { cluster: CLUSTER, backupId: ID, dashboards: ['*'], keyVaultSecrets: ['redis-password'], dryRun: false },
        new Date('2025-01-02T00:00:00Z'),
        'user:oncall',
        'abc123',
      );
      expect(checkBodyValue('restoresStart', { cluster: CLUSTER, backupId: ID, dashboards: 'all' })).toMatchObject({
        ok: false,
        invalid: { status: 400, body: { parameter: 'dashboards', error: expect.stringContaining('must be a list of names') } },
      });
      const input = { ...(req.input as RestoreInput), namespaces: [] };
      // A crash after every step, each from a fresh target (what one restore would meet): it
      // always completes, writes each dashboard and secret once, and re-runs of an activity skip
      // what the lost attempt already restored.
      const vaults: FakeKeyVault[] = [kv];
      const make = async () => {
        target.dashboards.length = 0;
        target.folders.clear();
        target.requests.length = 0;
        const v = await startFakeKeyVault({ vaultName: `kv-ms5-dr${vaults.length}` });
        vaults.push(v);
        w.backups.clusters[0]!.keyVault = { vaultUri: v.vaultUrl, secrets: ['*'] };
        w.env.keyVaultSecrets = (uri) => keyVaultSecretsPort(uri, v.credential(), v.clientOptions());
        return createReplayHarness({
          orchestrator: restoreOrchestrator,
          instanceId: req.instanceId,
          input,
          activities: { ...backupActivities(w.env), writeAudit: async () => undefined },
          startTime: '2025-01-02T00:00:00.000Z',
        });
      };
      try {
        const { cleanResult, points } = await forEachCrashPoint(make, (_h, r) => {
          const out = r.output as RestoreOutput;
          expect([r.status, out.outcome, out.failed, out.created + out.skipped]).toEqual(['completed', 'restored', [], 4]);
          expect(target.dashboards.map((d) => d.uid).sort()).toEqual(['api-latency', 'celery', 'home']);
          expect(target.requests.filter((q) => q.path === '/api/dashboards/db').length).toBe(3);
          expect(vaults.at(-1)!.requests.filter((q) => q.path.endsWith('/secrets/restore')).length).toBe(1);
        });
        expect(points).toBeGreaterThan(10);
        expect((cleanResult.output as RestoreOutput).created).toBe(4);
        // The CLI runner, again: everything exists now, so all is skipped.
        const again = await runRestore(w.env, { ...input, restoreId: 'cli-1' });
        expect([again.outcome, again.created, again.skipped]).toEqual(['restored', 0, 4]);
      } finally {
        await Promise.all(vaults.slice(1).map((v) => v.stop()));
      }
    } finally {
      await Promise.all([target.stop(), kv.stop()]);
    }
  });
});
