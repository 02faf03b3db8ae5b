// Pure rotation rules: config errors (path and fix), enrolment from config and tags, stage tags,
// instance IDs, random values, sweep decisions, Event Grid parsing, scrubbing, the slots entity.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { enrolment, nextTags, randomValue, rotationInstanceId, scrub, sweepDecision, TAG, withStage } from '../../src/rotation/model.js';
import { parseKeyVaultEvent } from '../../src/rotation/keyvault-event.js';
import { acquireSlot } from '../../orchestrations/rotation-slots.js';
import { scramVerifier } from '../../src/adapters/postgres-admin.js';
import { passwordHashes } from '../../src/adapters/redis-admin.js';

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
}

const base = `
version: 1
clusters: [{ name: prod, kubeContext: prod }]
`;

describe('rotation config', () => {
  it('accepts a complete section and applies defaults', () => {
    const c = parseConfig(`${base}
rotation:
  secrets:
    - name: orders-db
      strategy: postgres-alternating-users
      cluster: prod
      postgres: { host: pg.internal, roles: [app_a, app_b], adminUser: admin, adminSecret: pg-admin }
      targets: [shop/db/PGUSER=username, shop/db/PGPASSWORD=password]
      consumers: [shop/Deployment/orders, shop/StatefulSet/worker]
`);
    const r = c.source.rotation!;
    expect(r).toMatchObject({ window: '30d', maxConcurrent: 2, approval: { required: false, timeout: '4h' } });
    expect(r.secrets[0]).toMatchObject({ validityDays: 90, postgres: { port: 5432, database: 'postgres', sslmode: 'verify-full' } });
  });

  it('names the path and the fix for every mistake', () => {
    const p = problems(`${base}
rotation:
  secrets:
    - { name: "bad_name", strategy: random, cluster: prod, targets: [shop/x/KEY] }
    - { name: db, strategy: postgres-alternating-users, cluster: nowhere, targets: ["shop/db"], consumers: [shop/Pod/x] }
    - { name: cache, strategy: redis-acl, cluster: prod, targets: [shop/c/PASS=token], redis: { host: r, user: app, adminSecret: ra }, postgres: { host: p, roles: [a, a], adminUser: x, adminSecret: y } }
    - { name: nothing, strategy: random, cluster: prod }
`);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rotation\.secrets\[0\]\.name: is not a Key Vault secret name.*Fix:/),
        expect.stringMatching(/^rotation\.secrets\[1\]\.targets\[0\]: is not namespace\/secret\/key\[=field\]\. Fix:/),
        expect.stringMatching(/^rotation\.secrets\[1\]\.consumers\[0\]: .*Fix:/),
      ]),
    );
    const q = problems(`${base}
rotation:
  secrets:
    - { name: db, strategy: postgres-alternating-users, cluster: nowhere, targets: [shop/db/PGPASSWORD] }
    - { name: cache, strategy: redis-acl, cluster: prod, targets: [shop/c/PASS=token], redis: { host: r, user: app, adminSecret: ra }, postgres: { host: p, roles: [a, a], adminUser: x, adminSecret: y } }
    - { name: nothing, strategy: random, cluster: prod }
    - { name: DB, strategy: random, cluster: prod, targets: [kube-system/x/K], consumers: [kube-system/Deployment/coredns] }
`);
    expect(q).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rotation\.secrets\[0\]\.cluster: "nowhere" is not a configured cluster\. Fix: use one of prod/),
        expect.stringMatching(/^rotation\.secrets\[0\]\.postgres: is missing: strategy postgres-alternating-users needs it\. Fix:/),
        expect.stringMatching(/^rotation\.secrets\[1\]\.postgres: does not apply to strategy redis-acl\. Fix: remove it/),
        expect.stringMatching(
          /^rotation\.secrets\[1\]\.targets\[0\]: field "token" does not exist for strategy redis-acl\. Fix: use one of password, username/,
        ),
        expect.stringMatching(/^rotation\.secrets\[2\]\.targets: is empty and no csi is given.*Fix:/),
        expect.stringMatching(/^rotation\.secrets\[3\]\.name: "DB" is enrolled twice.*Fix:/),
        expect.stringMatching(/^rotation\.secrets\[3\]\.consumers\[0\]: is in kube-system.*Fix: remove it/),
      ]),
    );
  });
});

describe('enrolment', () => {
  const c = parseConfig(`${base}
rotation:
  defaultCluster: prod
  approval: { required: true }
  secrets:
    - { name: api-key, strategy: random, cluster: prod, validityDays: 30, targets: [shop/api/KEY], consumers: [shop/Deployment/api], approval: false }
`).source.rotation;

  it('takes the config entry, with the validity tag overriding and the disabled tag opting out', () => {
    expect(enrolment(c, 'API-KEY', {})).toMatchObject({
      name: 'api-key',
      validityDays: 30,
      approvalRequired: false,
      source: 'config',
      targets: [{ namespace: 'shop', secret: 'api', key: 'KEY', field: 'value' }],
    });
    expect(enrolment(c, 'api-key', { 'aksops-validity-days': '7' })).toMatchObject({ validityDays: 7, source: 'config+tags' });
    expect(enrolment(c, 'api-key', { 'aksops-validity-days': 'soon' })?.validityDays).toBe(30);
    expect(enrolment(c, 'api-key', { 'aksops-rotate': 'disabled' })).toBeNull();
  });

  it('enrols random secrets from tags alone, and nothing else', () => {
    expect(
      enrolment(c, 'tagged', { 'aksops-rotate': 'random', 'aksops-targets': 'web/s/K, web/s/K2', 'aksops-consumers': 'web/Deployment/web' }),
    ).toMatchObject({
      strategy: 'random',
      cluster: 'prod',
      approvalRequired: true,
      source: 'tags',
      consumers: [{ namespace: 'web', kind: 'Deployment', name: 'web' }],
    });
    expect(enrolment(c, 'tagged', { 'aksops-rotate': 'postgres-alternating-users', 'aksops-targets': 'web/s/K' })).toBeNull();
    expect(enrolment(c, 'tagged', { 'aksops-rotate': 'random' })).toBeNull();
    expect(enrolment(c, 'tagged', { 'aksops-rotate': 'random', 'aksops-targets': '../x' })).toBeNull();
    expect(enrolment(c, 'untagged', {})).toBeNull();
  });
});

describe('stage tags, IDs and values', () => {
  it('copies the source tags minus stage bookkeeping, and refuses more than 15 tags', () => {
    const t = nextTags(
      { team: 'shop', [TAG.stage]: 'current', [TAG.rotation]: 'old', [TAG.op]: 'create' },
      { stage: 'pending', rotation: 'r1', credential: 'app_b', replaces: 'v1', op: 'create' },
    );
    expect(t).toEqual({ team: 'shop', [TAG.stage]: 'pending', [TAG.rotation]: 'r1', [TAG.credential]: 'app_b', [TAG.replaces]: 'v1', [TAG.op]: 'create' });
    expect(withStage(t, 'current')[TAG.stage]).toBe('current');
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, 'x']));
    expect(() => nextTags(many, { stage: 'pending', rotation: 'r', credential: 'c', replaces: 'v', op: 'create' })).toThrow(/Key Vault allows 15/);
  });

  it('derives instance IDs from secret and version, within 100 characters', () => {
    expect(rotationInstanceId('API-Key', 'abc')).toBe('rotation-api-key-abc');
    const long = rotationInstanceId('x'.repeat(127), 'f'.repeat(32));
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long).toBe(rotationInstanceId('x'.repeat(127), 'f'.repeat(32)));
  });

  it('makes random values of the policy length and alphabet', () => {
    const v = randomValue({ length: 64, alphabet: 'hex' });
    expect(v).toMatch(/^[0-9a-f]{64}$/);
    expect(randomValue({ length: 20, alphabet: 'base64url' })).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(randomValue({ length: 30, alphabet: 'ascii-printable' })).not.toMatch(/["'\\ ]/);
    expect(new Set(Array.from({ length: 50 }, () => randomValue({ length: 16, alphabet: 'alphanumeric' }))).size).toBe(50);
  });

  it('scrubs values, their base64 and URL encodings from text', () => {
    const secret = 'p@ss w0rd/with+chars';
    const text = `failed with ${secret} and ${Buffer.from(secret).toString('base64')} and ${encodeURIComponent(secret)}`;
    const out = scrub(text, [secret]);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(Buffer.from(secret).toString('base64'));
    expect(out).not.toContain(encodeURIComponent(secret));
  });

  it('builds SCRAM-SHA-256 verifiers in the format PostgreSQL stores', () => {
    const v = scramVerifier('pencil', Buffer.from('0123456789abcdef'));
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(v).not.toContain('pencil');
  });

  it('reads ACL GETUSER replies in both RESP2 and map form', () => {
    expect(passwordHashes(['flags', ['on'], 'passwords', ['aa', 'bb']])).toEqual(['aa', 'bb']);
    expect(passwordHashes({ flags: ['on'], passwords: ['cc'] })).toEqual(['cc']);
    expect(passwordHashes(null)).toBeNull();
  });
});

describe('sweep decisions', () => {
  const now = new Date('2025-06-01T00:00:00Z');
  const s = (o: Partial<{ expiresOn: string; createdOn: string; tags: Record<string, string> }>) => ({ name: 'x', version: 'v', tags: o.tags ?? {}, ...o });
  it('is due without expiry, when expired or expiring inside the window, or older than its validity', () => {
    expect(sweepDecision(s({}), 90, now, 86400).reason).toBe('no-expiry');
    expect(sweepDecision(s({ expiresOn: '2025-05-31T00:00:00Z' }), 90, now, 86400).reason).toBe('expired');
    expect(sweepDecision(s({ expiresOn: '2025-06-01T12:00:00Z' }), 90, now, 86400).reason).toBe('expiring');
    expect(sweepDecision(s({ expiresOn: '2025-09-01T00:00:00Z', createdOn: '2025-01-01T00:00:00Z' }), 90, now, 86400).reason).toBe('too-old');
    expect(sweepDecision(s({ expiresOn: '2025-09-01T00:00:00Z', createdOn: '2025-05-01T00:00:00Z' }), 90, now, 86400)).toMatchObject({
      due: false,
      reason: 'ok',
    });
    expect(sweepDecision(s({ tags: { [TAG.stage]: 'pending' } }), 90, now, 86400)).toMatchObject({ due: false, reason: 'in-progress' });
  });
});

describe('Key Vault Event Grid events', () => {
  const data = {
    Id: 'https://kv.vault.azure.net/secrets/db/abc123',
    VaultName: 'kv-prod',
    ObjectType: 'Secret',
    ObjectName: 'db',
    Version: 'abc123',
    NBF: null,
    EXP: 1735689600,
  };
  it('parses the published schema (and camel case)', () => {
    expect(parseKeyVaultEvent({ id: 'e1', eventType: 'Microsoft.KeyVault.SecretNearExpiry', data })).toEqual({
      ok: true,
      event: {
        eventId: 'e1',
        eventType: 'Microsoft.KeyVault.SecretNearExpiry',
        vaultName: 'kv-prod',
        name: 'db',
        version: 'abc123',
        expiresOn: '2025-01-01T00:00:00.000Z',
      },
    });
    expect(
      parseKeyVaultEvent({
        eventType: 'Microsoft.KeyVault.SecretExpired',
        data: { vaultName: 'kv-prod', objectName: 'db', version: 'abc', objectType: 'Secret' },
      }),
    ).toMatchObject({ ok: true });
  });
  it('refuses other types, other objects and names that are not Key Vault names', () => {
    expect(parseKeyVaultEvent({ eventType: 'Microsoft.KeyVault.CertificateNearExpiry', data })).toMatchObject({ ok: false });
    expect(parseKeyVaultEvent({ eventType: 'Microsoft.KeyVault.SecretNearExpiry', data: { ...data, ObjectType: 'Key' } })).toMatchObject({ ok: false });
    expect(parseKeyVaultEvent({ eventType: 'Microsoft.KeyVault.SecretNearExpiry', data: { ...data, ObjectName: 'a/b' } })).toMatchObject({ ok: false });
    expect(parseKeyVaultEvent('x')).toMatchObject({ ok: false });
  });
});

describe('rotation slots entity', () => {
  const req = (id: string, secret: string, now = '2025-01-01T00:00:00Z') => ({ instanceId: id, secret, max: 2, now, leaseSeconds: 3600 });
  it('limits concurrency, allows one rotation per secret, re-grants the same instance, drops expired leases', () => {
    let st = { holders: {} };
    const r = acquireSlot(st, req('a', 's1'));
    expect(r.response.granted).toBe(true);
    st = r.state;
    expect(acquireSlot(st, req('a', 's1')).response.granted).toBe(true);
    expect(acquireSlot(st, req('b', 'S1')).response).toMatchObject({ granted: false, reason: 'secret-busy' });
    st = acquireSlot(st, req('b', 's2')).state;
    expect(acquireSlot(st, req('c', 's3')).response).toMatchObject({ granted: false, reason: 'full' });
    expect(acquireSlot(st, req('c', 's3', '2025-01-01T02:00:00Z')).response.granted).toBe(true);
  });
});
