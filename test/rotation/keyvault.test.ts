// The Key Vault adapter (src/adapters/keyvault.ts) through the real @azure/keyvault-secrets client
// against the strict fake vault (test/fakes/keyvault-server.ts): challenge handshake, versions,
// tags, attributes, paging, 404, 403 on disabled versions, 409 for soft-deleted names, 429 with
// Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultSecrets, VaultConflictError, VaultNotFoundError, VaultThrottledError, type VaultSecrets } from '../../src/adapters/keyvault.js';
import { startFakeKeyVault, type FakeKeyVault } from '../fakes/keyvault-server.js';

let kv: FakeKeyVault;
let vault: VaultSecrets;

beforeAll(async () => {
  kv = await startFakeKeyVault({ vaultName: 'kv-adapter', pageSize: 25 });
  vault = createVaultSecrets({ vaultUrl: kv.vaultUrl, credential: kv.credential(), clientOptions: kv.clientOptions() });
});
afterAll(async () => kv.stop());

describe('Key Vault adapter against the fake vault (real SecretClient)', () => {
  it('does the challenge handshake: the first request goes without a token, gets 401 + WWW-Authenticate, then succeeds', async () => {
    const fresh = await startFakeKeyVault({ vaultName: 'kv-handshake' });
    try {
      const v = createVaultSecrets({ vaultUrl: fresh.vaultUrl, credential: fresh.credential(), clientOptions: fresh.clientOptions() });
      fresh.seed('app-token', 'first-value');
      expect((await v.latest('app-token'))?.enabled).toBe(true);
      expect(fresh.requests.map((r) => [r.status, r.authorized])).toEqual([
        [401, false],
        [200, true],
      ]);
      expect(fresh.requests[1]!.query['api-version']).toBe('7.5');
      // Later requests carry the cached token straight away.
      await v.latest('app-token');
      expect(fresh.requests.slice(2).map((r) => r.status)).toEqual([200]);
    } finally {
      await fresh.stop();
    }
  });

  it('rejects a token the vault did not issue (no handshake shortcut)', async () => {
    const v = createVaultSecrets({
      vaultUrl: kv.vaultUrl,
      credential: { getToken: async () => ({ token: 'forged', expiresOnTimestamp: Date.now() + 3600_000 }) },
      clientOptions: kv.clientOptions(),
    });
    await expect(v.latest('anything')).rejects.toThrow(/401/);
  });

  it('stores versions with tags, expiry and not-before, lists them oldest first, and updates tags/enabled', async () => {
    const exp = new Date(Date.now() + 90 * 86400_000);
    const a = await vault.setVersion('jwt-key', 'value-a', { tags: { 'aksops-stage': 'current', team: 'shop' }, expiresOn: exp, contentType: 'text/plain' });
    const b = await vault.setVersion('jwt-key', 'value-b', { tags: { 'aksops-stage': 'pending' }, notBefore: new Date(Date.now() - 1000) });
    expect(a.version).toMatch(/^[0-9a-f]{32}$/);
    expect(a.expiresOn).toBe(new Date(Math.floor(exp.getTime() / 1000) * 1000).toISOString());
    expect(a.contentType).toBe('text/plain');
    const latest = await vault.latest('jwt-key');
    expect(latest?.version).toBe(b.version);
    expect(latest?.tags).toEqual({ 'aksops-stage': 'pending' });
    expect(await vault.value('jwt-key', a.version)).toBe('value-a');
    const all = await vault.versions('jwt-key');
    expect(all.map((v) => v.version)).toEqual([a.version, b.version]);
    const u = await vault.updateVersion('jwt-key', a.version, { tags: { 'aksops-stage': 'previous' }, enabled: false });
    expect(u).toMatchObject({ enabled: false, tags: { 'aksops-stage': 'previous' } });
    // A disabled version cannot be read (403 SecretDisabled).
    await expect(vault.value('jwt-key', a.version)).rejects.toThrow(/403/);
  });

  it('pages through more versions than one page holds', async () => {
    for (let i = 0; i < 30; i++) kv.seed('many', `v${i}`);
    const all = await vault.versions('many');
    expect(all).toHaveLength(30);
    expect(new Set(all.map((v) => v.version)).size).toBe(30);
    const listed = kv.requests.filter((r) => r.path === '/secrets/many/versions' && r.status === 200);
    expect(listed.length).toBe(2);
  });

  it('answers a missing secret with undefined / VaultNotFoundError (404 SecretNotFound)', async () => {
    expect(await vault.latest('does-not-exist')).toBeUndefined();
    expect(await vault.versions('does-not-exist')).toEqual([]);
    await expect(vault.value('does-not-exist', '0123456789abcdef0123456789abcdef')).rejects.toBeInstanceOf(VaultNotFoundError);
  });

  it('refuses to reuse a soft-deleted name with VaultConflictError (409) naming the fix', async () => {
    kv.seed('gone', 'x');
    kv.softDelete('gone');
    const err = await vault.setVersion('gone', 'y', { tags: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultConflictError);
    expect((err as Error).message).toMatch(/soft-deleted; recover it/);
    expect((err as Error).message).not.toContain('"y"');
  });

  it('waits out 429 with Retry-After inside the SDK, and reports a persistent 429 as VaultThrottledError', async () => {
    kv.seed('busy', 'v');
    kv.throttleNext(1, 1);
    const before = kv.requests.length;
    expect((await vault.latest('busy'))?.enabled).toBe(true);
    expect(kv.requests.slice(before).map((r) => r.status)).toEqual([429, 200]);

    kv.throttleNext(10, 1);
    const err = await vault.latest('busy').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultThrottledError);
    expect((err as VaultThrottledError).retryAfterSeconds).toBe(1);
    kv.throttleNext(0, 0);
  }, 30_000);

  it('lists the latest properties of every secret for the sweep', async () => {
    const names = (await vault.listSecrets()).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['jwt-key', 'many', 'busy']));
    expect(names).not.toContain('gone');
  });
});
