// The parts that talk to Azure and Grafana, through the real SDK clients against strict fakes:
// the data key wrapped by a Key Vault key (CryptographyClient: local wrap with the public key,
// remote unwrap), Key Vault secrets backed up with the backup API (SecretClient.backupSecret),
// Grafana dashboards exported by uid; and verify catching a changed byte.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { CLUSTER, createWorld, seedShop, type World } from './world.js';
import { startFakeKeyVaultKeys, type FakeKeyVaultKeys } from '../fakes/keyvault-keys.js';
import { startFakeKeyVault, type FakeKeyVault } from '../fakes/keyvault-server.js';
import { FakeGrafana } from '../fakes/grafana.js';
import { keyVaultKeyWrapper } from '../../src/adapters/key-wrap.js';
import { keyVaultSecretsPort, backupKeyVault } from '../../src/backup/keyvault-backup.js';
import { backupGrafana } from '../../src/backup/grafana.js';
import { backupDataKey, backupObjects, planBackup } from '../../src/backup/engine.js';
import { writeManifest, readManifest } from '../../src/backup/manifest-write.js';
import { verifyBackup } from '../../src/backup/catalog.js';
import { paths, type PartRecord } from '../../src/backup/manifest.js';
import { newKeyDocument, openKeyDocument } from '../../src/backup/crypto.js';

let w: World;
beforeEach(async () => {
  w = await createWorld({ tag: 'azure' });
});
afterEach(async () => {
  await w.stop();
});

const ID = '20250101T020000Z-nightly';

describe('Key Vault key as the key encryption key', () => {
  let kv: FakeKeyVaultKeys;
  beforeEach(async () => {
    kv = await startFakeKeyVaultKeys({ vaultName: 'kv-ms5-backup' });
  });
  afterEach(async () => kv.stop());

  it("wraps each backup's data key (RSA-OAEP-256) and unwraps it in the vault, also after the key was rotated", async () => {
    const keyId = kv.createKey('backup-kek');
    const wrapper = keyVaultKeyWrapper(keyId, kv.credential(), kv.clientOptions());
    const { doc, dataKey } = await newKeyDocument(wrapper);
    const v1 = kv.versions('backup-kek')[0]!;
    expect(doc.kek).toEqual({ kind: 'key-vault', id: `${keyId}/${v1}`, wrapAlgorithm: 'RSA-OAEP-256' });
    expect(Buffer.from(doc.wrappedKey, 'base64').length).toBe(256);
    // Wrapping used the public key locally; unwrapping goes to the vault.
    kv.requests.length = 0;
    kv.createKey('backup-kek'); // rotation: a new current version
    expect(await openKeyDocument(doc, wrapper)).toEqual(dataKey);
    expect(kv.requests.filter((r) => r.authorized).map((r) => `${r.method} ${r.path.replace(kv.vaultUrl, '')}`)).toContain(
      `POST /keys/backup-kek/${v1}/unwrapkey`,
    );
    // A disabled version cannot unwrap: the backup's Secrets cannot be read, and the error says so.
    kv.disable('backup-kek', v1);
    await expect(openKeyDocument(doc, keyVaultKeyWrapper(keyId, kv.credential() as never, kv.clientOptions()))).rejects.toThrow(/disabled|not allowed/i);
  });

  it('a backup whose Secrets are encrypted under the Key Vault key decrypts with it', async () => {
    const keyId = kv.createKey('backup-kek');
    w.env.keyWrapper = async () => keyVaultKeyWrapper(keyId, kv.credential(), kv.clientOptions());
    seedShop(w.kube, 'shop');
    const plan = await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['objects'] });
    const part = await backupObjects(w.env, { backupId: ID, cluster: CLUSTER, namespace: 'shop', types: plan.namespacedTypes });
    await writeManifest(w.env, {
      backupId: ID,
      cluster: CLUSTER,
      parts: [part.part],
      failed: [],
      warnings: [],
      trigger: 't',
      requestedBy: 't',
      startedAt: 'a',
      finishedAt: 'b',
    });
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    expect(m.encryption?.kek.kind).toBe('key-vault');
    const report = await verifyBackup(w.env, CLUSTER, ID);
    expect(report).toMatchObject({ ok: true, undecryptable: [], mismatches: [] });
    const { key } = await backupDataKey(w.env, CLUSTER, ID, false);
    expect(key.length).toBe(32);
  });
});

describe('Key Vault secrets part', () => {
  let vault: FakeKeyVault;
  beforeEach(async () => {
    vault = await startFakeKeyVault({ vaultName: 'kv-ms5' });
  });
  afterEach(async () => vault.stop());

  it("stores each selected secret's opaque backup blob, never its value", async () => {
    vault.seed('pg-admin', 'pg-admin-Pa55!');
    vault.seed('pg-admin', 'pg-admin-Pa55-v2!');
    vault.seed('redis-password', 'redis-Pa55!');
    vault.seed('grafana-token', 'glsa_token');
    w.backups.clusters[0]!.keyVault = { vaultUri: vault.vaultUrl, secrets: ['pg-*', 'redis-*'] };
    w.env.keyVaultSecrets = (uri) => keyVaultSecretsPort(uri, vault.credential(), vault.clientOptions());
    await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['keyVault'] });
    const s = await backupKeyVault(w.env, { backupId: ID, cluster: CLUSTER });
    expect(s).toMatchObject({ part: 'keyvault', items: 2 });
    const rec = (await w.blobs.readJson<PartRecord>(w.backups.containers.objects, paths.part(CLUSTER, ID, 'keyvault')))!;
    expect(rec.items.map((i) => [i.secret, i.path])).toEqual([
      ['pg-admin', paths.keyVault(CLUSTER, ID, 'pg-admin')],
      ['redis-password', paths.keyVault(CLUSTER, ID, 'redis-password')],
    ]);
    for (const it of rec.items) {
      const blob = await w.blobs.readBuffer(it.container, it.path);
      expect(createHash('sha256').update(blob).digest('hex')).toBe(it.sha256);
      for (const secret of ['pg-admin-Pa55', 'redis-Pa55']) expect(blob.includes(Buffer.from(secret))).toBe(false);
    }
    expect(vault.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/secrets/pg-admin/backup', '/secrets/redis-password/backup']);
  });
});

describe('Grafana part', () => {
  let grafana: FakeGrafana;
  beforeEach(async () => {
    const dashboards = Array.from({ length: 1203 }, (_, i) => ({
      uid: `d${String(i).padStart(4, '0')}`,
      title: `Dashboard ${i}`,
      ...(i % 2 ? { folderUid: 'ms5', folderTitle: 'MS5.0' } : {}),
      panels: [{ type: 'timeseries', title: `p${i}` }],
    }));
    grafana = await new FakeGrafana('glsa_test_token', dashboards).start();
  });
  afterEach(async () => grafana.stop());

  it('lists dashboards page by page and exports each by uid as {dashboard, meta}', async () => {
    w.backups.clusters[0]!.grafana = { url: `${grafana.url}/`, tokenSetting: 'GRAFANA_TOKEN' };
    w.settings['GRAFANA_TOKEN'] = 'glsa_test_token';
    await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['grafana'] });
    const s = await backupGrafana(w.env, { backupId: ID, cluster: CLUSTER });
    expect(s.items).toBe(1203);
    expect(grafana.requests.filter((r) => r.path === '/api/search').map((r) => [r.query['page'], r.query['type']])).toEqual([
      ['1', 'dash-db'],
      ['2', 'dash-db'],
    ]);
    const doc = JSON.parse((await w.blobs.readBuffer(w.backups.containers.grafana, paths.grafana(CLUSTER, ID, 'd0001'))).toString()) as {
      dashboard: { uid: string; panels: unknown[] };
      meta: { folderTitle: string };
    };
    expect(doc.dashboard.uid).toBe('d0001');
    expect(doc.dashboard.panels).toEqual([{ type: 'timeseries', title: 'p1' }]);
    expect(doc.meta.folderTitle).toBe('MS5.0');
  });

  it('fails with the setting to fix on 401, without the token in the message', async () => {
    w.backups.clusters[0]!.grafana = { url: grafana.url, tokenSetting: 'GRAFANA_TOKEN' };
    w.settings['GRAFANA_TOKEN'] = 'glsa_wrong_token';
    const e = await backupGrafana(w.env, { backupId: ID, cluster: CLUSTER }).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/HTTP 401 \(check the token in GRAFANA_TOKEN and its role\)/);
    expect((e as Error).message).not.toContain('glsa_wrong_token');
  });
});

describe('verify', () => {
  it('detects a changed byte, a missing blob, and an incomplete backup', async () => {
    seedShop(w.kube, 'shop');
    const plan = await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['objects'] });
    const part = await backupObjects(w.env, { backupId: ID, cluster: CLUSTER, namespace: 'shop', types: plan.namespacedTypes });
    await writeManifest(w.env, {
      backupId: ID,
      cluster: CLUSTER,
      parts: [part.part],
      failed: [],
      warnings: [],
      trigger: 't',
      requestedBy: 't',
      startedAt: 'a',
      finishedAt: 'b',
    });
    expect(await verifyBackup(w.env, CLUSTER, ID)).toMatchObject({ ok: true, checked: part.items });
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    // Tamper: rewrite a blob's bytes (outside the app: it never rewrites) keeping its metadata.
    const target = m.items.find((i) => i.resource === 'configmaps')!;
    const secrets = m.items.find((i) => i.resource === 'secrets')!;
    const cc = await w.blobs.container(target.container);
    const bytes = await w.blobs.readBuffer(target.container, target.path);
    const changed = Buffer.from(bytes);
    changed[10] = changed[10]! ^ 0x20;
    const props = await cc.getBlobClient(target.path).getProperties();
    await cc.getBlockBlobClient(target.path).upload(changed, changed.length, { metadata: props.metadata });
    const enc = await w.blobs.readBuffer(secrets.container, secrets.path);
    await cc
      .getBlockBlobClient(secrets.path)
      .upload(enc.subarray(0, enc.length - 1), enc.length - 1, { metadata: (await cc.getBlobClient(secrets.path).getProperties()).metadata });
    await w.blobs.delete(target.container, m.items.find((i) => i.resource === 'deployments')!.path);
    const r = await verifyBackup(w.env, CLUSTER, ID);
    expect(r.ok).toBe(false);
    expect(r.mismatches.map((x) => x.path).sort()).toEqual([`${target.container}/${target.path}`, `${secrets.container}/${secrets.path}`].sort());
    expect(r.missing).toEqual([`${target.container}/${m.items.find((i) => i.resource === 'deployments')!.path}`]);
    expect(await verifyBackup(w.env, CLUSTER, '20240101T000000Z-nightly')).toMatchObject({ ok: false, error: expect.stringMatching(/has no manifest/) });
  });
});
