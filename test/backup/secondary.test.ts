// Second region against two real Azurite accounts (AZURITE_ACCOUNTS): a backup on the primary is
// copied server-side (Copy Blob from a read SAS) to the secondary, verified there against the
// manifest (manifest last), its lag reported; a tampered copy is refused without leaking the SAS;
// with the primary's blobs gone, `restore --from secondary` and the drill (restore into a scratch
// namespace, recovery time) run from the secondary alone.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import { createReplayHarness } from '../support/replay-harness.js';
import { backupOrchestrator } from '../../orchestrations/backup.js';
import { drillOrchestrator } from '../../orchestrations/restore.js';
import { backupActivities } from '../../src/backup/activities.js';
import { BackupBlobStore } from '../../src/adapters/blob-store.js';
import { backupIdFor, paths } from '../../src/backup/manifest.js';
import { copyToSecondary, secondaryEnv, secondaryLag } from '../../src/backup/secondary.js';
import { runRestore } from '../../src/backup/restore-runner.js';
import { runBackupVerify, runRestore as cliRestore } from '../../src/cli/backup.js';
import type { CliIo } from '../../src/cli/io.js';
import type { BackupOutput } from '../../src/domain/backup-types.js';
import type { DrillOutput } from '../../src/domain/drill-types.js';
import { deleteBackup } from '../../src/backup/catalog.js';
import { simulateControllers } from '../fakes/kube-backup-controllers.js';
import { CLUSTER, createWorld, seedShop, shopObjects, type World } from './world.js';

const KEYS = { ukprimary: randomBytes(32).toString('base64'), uksecondary: randomBytes(32).toString('base64') };
let azurite: AzuriteInstance;
let w: World;
let primary: BackupBlobStore;
let secondary: BackupBlobStore;
const ID = backupIdFor(new Date('2025-01-01T02:00:00Z'), 'nightly');
const FINISHED_PLUS_LAG = new Date('2025-01-01T02:30:00Z');

function store(account: keyof typeof KEYS): BackupBlobStore {
  const origin = new URL(azurite.blobEndpoint).origin;
  return new BackupBlobStore({
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${KEYS[account]};BlobEndpoint=${origin}/${account};`,
  });
}

beforeAll(async () => {
  azurite = await startAzurite({ accounts: `ukprimary:${KEYS.ukprimary};uksecondary:${KEYS.uksecondary}` });
}, 60_000);
afterAll(async () => azurite?.stop());

beforeEach(async () => {
  w = await createWorld({ tag: 'second', now: () => FINISHED_PLUS_LAG });
  primary = store('ukprimary');
  secondary = store('uksecondary');
  w.env.blobs = primary;
  w.env.secondaryBlobs = secondary;
  seedShop(w.kube, 'shop');
});
afterEach(async () => w.stop());

/** The backup orchestration (replayed with a crash after every step); `copy`: with the secondary configured. */
async function backup(copy = false): Promise<BackupOutput> {
  const configured = w.env.secondaryBlobs;
  if (!copy) delete w.env.secondaryBlobs;
  const h = createReplayHarness({
    orchestrator: backupOrchestrator,
    instanceId: `backup:${CLUSTER}:${ID}`,
    input: { backupId: ID, cluster: CLUSTER, parts: ['objects'], trigger: 'cli', requestedBy: 'test', applyRetention: false },
    activities: { ...backupActivities(w.env), writeAudit: async () => undefined },
    startTime: '2025-01-01T02:00:00.000Z',
  });
  const r = await h.run();
  w.env.secondaryBlobs = configured;
  expect(r.status).toBe('completed');
  return r.output as BackupOutput;
}

async function wipePrimary(): Promise<void> {
  for (const c of new Set(Object.values(w.backups.containers))) for (const b of await primary.list(c, `${CLUSTER}/`)) await primary.delete(c, b.name);
}

describe('copy to the secondary account', () => {
  it('copies every blob server-side, verifies each item against the manifest, writes the manifest last, reports the lag; a second run copies nothing', async () => {
    await backup();
    const before = await secondaryLag(w.env, CLUSTER);
    expect(before).toMatchObject({ newestPrimary: ID, newestSecondary: null, behind: [ID], lagSeconds: 30 * 60 });
    const r = await copyToSecondary(w.env, CLUSTER, ID);
    const items = (await primary.list(w.backups.containers.objects, `${CLUSTER}/${ID}/objects/`)).length;
    expect(items).toBeGreaterThan(5);
    expect(r.verified).toBe(items);
    expect(r.copied).toBeGreaterThan(items); // + part records, key.json and the manifest
    expect(r.alreadyThere).toBe(0);
    const manifestAt = (p: BackupBlobStore) => p.readBuffer(w.backups.containers.objects, paths.manifest(CLUSTER, ID));
    expect((await manifestAt(secondary)).equals(await manifestAt(primary))).toBe(true);
    const finishedAt = JSON.parse((await manifestAt(primary)).toString()).finishedAt as string;
    expect(r.lagSeconds).toBe(Math.round((FINISHED_PLUS_LAG.getTime() - new Date(finishedAt).getTime()) / 1000));
    expect(await secondaryLag(w.env, CLUSTER)).toMatchObject({ newestSecondary: ID, behind: [], lagSeconds: 0 });
    const again = await copyToSecondary(w.env, CLUSTER, ID);
    expect(again).toMatchObject({ copied: 0, alreadyThere: r.copied, verified: items });
  });

  it('the backup orchestration copies every complete backup to the secondary; retention deletes both copies', async () => {
    const out = await backup(true);
    expect(out.outcome).toBe('complete');
    expect(out.secondary).toMatchObject({ cluster: CLUSTER, backupId: ID });
    expect(out.secondary!.verified).toBeGreaterThan(5);
    expect(await secondary.exists(w.backups.containers.objects, paths.manifest(CLUSTER, ID))).toBe(true);
    expect(await secondaryLag(w.env, CLUSTER)).toMatchObject({ behind: [], lagSeconds: 0 });
    const d = await deleteBackup(w.env, { cluster: CLUSTER, backupId: ID, reason: 'retention' });
    expect(d.secondaryBlobs).toBe(out.secondary!.copied + out.secondary!.alreadyThere);
    for (const c of new Set(Object.values(w.backups.containers))) {
      expect(await primary.list(c, `${CLUSTER}/`)).toEqual([]);
      expect(await secondary.list(c, `${CLUSTER}/`)).toEqual([]);
    }
  });

  it('a backup without a secondary account reports none', async () => {
    delete w.env.secondaryBlobs;
    const h = createReplayHarness({
      orchestrator: backupOrchestrator,
      instanceId: `backup:${CLUSTER}:${ID}`,
      input: { backupId: ID, cluster: CLUSTER, parts: ['objects'], trigger: 'cli', requestedBy: 'test', applyRetention: false },
      activities: { ...backupActivities(w.env), writeAudit: async () => undefined },
      startTime: '2025-01-01T02:00:00.000Z',
    });
    expect((await h.run()).output as BackupOutput).toMatchObject({ outcome: 'complete', secondary: null });
  });

  it('refuses a copy that differs from the manifest and writes no secondary manifest', async () => {
    await backup();
    const [victim] = await primary.list(w.backups.containers.objects, `${CLUSTER}/${ID}/objects/`);
    await secondary.writeOnceBuffer(w.backups.containers.objects, victim!.name, 'tampered', { aksopssha256: victim!.metadata['aksopssha256']! });
    await expect(copyToSecondary(w.env, CLUSTER, ID)).rejects.toThrow(/does not match the manifest.*sha256/);
    expect(await secondary.exists(w.backups.containers.objects, paths.manifest(CLUSTER, ID))).toBe(false);
  });

  it('never copies an incomplete backup, and its errors carry no SAS', async () => {
    await expect(copyToSecondary(w.env, CLUSTER, ID)).rejects.toThrow(/no manifest on the primary/);
    await backup();
    // The secondary cannot read the source: its copy fails (a source the SAS does not cover).
    const broken = {
      ...w.env,
      blobs: store('ukprimary'),
      secondaryBlobs: new BackupBlobStore({
        connectionString: `DefaultEndpointsProtocol=http;AccountName=uksecondary;AccountKey=${KEYS.ukprimary};BlobEndpoint=${new URL(azurite.blobEndpoint).origin}/uksecondary;`,
      }),
    };
    const err = await copyToSecondary(broken, CLUSTER, ID).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/server-side copy of .* failed: HTTP 403/);
    expect(err!.message).not.toMatch(/sig=|se=|sv=/);
    expect(JSON.stringify(err)).not.toMatch(/sig=/);
    // The SDK's RestError keeps the request with the x-ms-copy-source header (the SAS URL): nothing of it may stay reachable.
    expect((err as { request?: unknown }).request).toBeUndefined();
    expect((err as { cause?: unknown }).cause).toBeUndefined();
  });

  it('says how to configure the secondary when there is none', async () => {
    delete w.env.secondaryBlobs;
    expect(() => secondaryEnv(w.env)).toThrow(/BACKUP_SECONDARY_BLOB_SERVICE_URI/);
  });
});

describe('recovery from the secondary region (primary blobs gone)', () => {
  it('restore --from secondary restores the namespace from the secondary alone', async () => {
    await backup();
    await copyToSecondary(w.env, CLUSTER, ID);
    await wipePrimary();
    const out = await runRestore(secondaryEnv(w.env), {
      restoreId: 'r2',
      cluster: CLUSTER,
      backupId: ID,
      namespaces: ['shop'],
      namespaceMap: { shop: 'shop-dr' },
      conflict: 'skip',
      dryRun: false,
      requestedBy: 'test',
    });
    expect(out).toMatchObject({ outcome: 'restored', failed: [] });
    for (const [resource, obj] of shopObjects('shop'))
      expect(w.kube.get(resource as never, 'shop-dr', obj.metadata.name!), `${resource}/${obj.metadata.name}`).toBeDefined();
    expect(w.kube.get('secrets', 'shop-dr', 'api-credentials')!['data']).toEqual(w.kube.get('secrets', 'shop', 'api-credentials')!['data']);
  });

  it('aksops restore --from secondary reads the secondary; without one it says what to set', async () => {
    await backup();
    await copyToSecondary(w.env, CLUSTER, ID);
    await wipePrimary();
    const lines: string[] = [];
    const io: CliIo = { out: (l) => void lines.push(l), err: (l) => void lines.push(l), env: {}, readStdin: () => '', cwd: process.cwd() };
    const args = ['--backup', ID, '--namespace', 'shop', '--map', 'shop=shop-cli', '--apply'];
    expect(await cliRestore(args, io, async () => w.env)).toBe(1); // the primary has nothing left
    expect(await cliRestore([...args, '--from', 'secondary'], io, async () => w.env)).toBe(0);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ outcome: 'restored', failed: [] });
    expect(w.kube.get('deployments', 'shop-cli', 'api')).toBeDefined();
    lines.length = 0;
    expect(await runBackupVerify([ID, '--from', 'secondary'], io, async () => w.env)).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ ok: true, backupId: ID });
    expect(await runBackupVerify([ID], io, async () => w.env)).toBe(1); // the primary has nothing left
    delete w.env.secondaryBlobs;
    expect(await cliRestore([...args, '--from', 'secondary'], io, async () => w.env)).not.toBe(0);
    expect(lines.join('\n')).toMatch(/BACKUP_SECONDARY_BLOB_SERVICE_URI/);
    expect(await cliRestore([...args, '--from', 'elsewhere'], io, async () => w.env)).toBe(2);
  });

  it('the scheduled cross-region drill (from: secondary) restores from the secondary into a scratch namespace, passes and reports the recovery time', async () => {
    simulateControllers(w.kube.registry, { workloads: { availableAfterReads: 2 } });
    await backup();
    await copyToSecondary(w.env, CLUSTER, ID);
    await wipePrimary();
    const h = createReplayHarness({
      orchestrator: drillOrchestrator,
      instanceId: 'drill:ms5-prod:secondary:20250105T040000Z',
      input: {
        drillId: 'drill-secondary-20250105t0400',
        cluster: CLUSTER,
        namespace: 'shop',
        scratchNamespace: 'aksops-drill-dr-20250105t0400',
        timeoutSeconds: 900,
        from: 'secondary',
        requestedBy: 'schedule:drill',
      },
      activities: { ...backupActivities(w.env), writeAudit: async () => undefined },
      startTime: '2025-01-05T04:00:00.000Z',
    });
    const r = await h.run();
    expect(r.output as DrillOutput).toMatchObject({ outcome: 'passed', from: 'secondary', backupId: ID, missing: [], unavailable: [] });
    // Recovery time: from the drill's start to every workload available, on the orchestration clock (waited with 15 s durable timers).
    expect((r.output as DrillOutput).recoverySeconds).toBeGreaterThanOrEqual(15);
    expect((r.output as DrillOutput).restored).toBeGreaterThan(15);
    expect(w.kube.get('namespaces', undefined, 'aksops-drill-dr-20250105t0400')).toBeUndefined();
    // The same drill from the primary finds nothing: the primary's blobs are gone.
    const primaryDrill = createReplayHarness({
      orchestrator: drillOrchestrator,
      instanceId: 'drill:ms5-prod:primary',
      input: { drillId: 'drill-primary', cluster: CLUSTER, namespace: 'shop', scratchNamespace: 'aksops-drill-p', timeoutSeconds: 900, requestedBy: 'test' },
      activities: { ...backupActivities(w.env), writeAudit: async () => undefined },
      startTime: '2025-01-05T05:00:00.000Z',
    });
    expect((await primaryDrill.run()).output as DrillOutput).toMatchObject({ outcome: 'failed', from: 'primary', backupId: null });
  });
});
