// Starting rotations: Key Vault Event Grid events (duplicates, out of order, other vaults, other
// event types), the daily sweep's selection, and the Durable client adapter against the fake
// Durable extension (real DurableClient): an existing instance is never started again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createVaultSecrets } from '../../src/adapters/keyvault.js';
import { handleKeyVaultEvent, requestRotation, sweep, type RotationStarter, type TriggerEnv } from '../../src/rotation/trigger.js';
import type { RotationInput } from '../../src/rotation/contracts.js';
import { rotationInstanceId, TAG } from '../../src/rotation/model.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { startFakeKeyVault, type FakeKeyVault } from '../fakes/keyvault-server.js';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { durableRotationStarter } from '../../functions/lib/rotation-runtime.js';

const config = parseConfig(`
version: 1
clusters: [{ name: prod, kubeContext: prod }]
rotation:
  window: 14d
  defaultCluster: prod
  secrets:
    - { name: api-key, strategy: random, cluster: prod, validityDays: 30, targets: [shop/api/KEY], consumers: [shop/Deployment/api] }
    - { name: far-away, strategy: random, cluster: prod, validityDays: 90, targets: [shop/api/FAR] }
    - { name: no-expiry, strategy: random, cluster: prod, targets: [shop/api/NOEXP] }
    - { name: too-old, strategy: random, cluster: prod, validityDays: 10, targets: [shop/api/OLD] }
    - { name: busy, strategy: random, cluster: prod, targets: [shop/api/BUSY] }
    - { name: opted-out, strategy: random, cluster: prod, targets: [shop/api/OUT] }
    - { name: not-in-vault, strategy: random, cluster: prod, targets: [shop/api/NONE] }
`);

let kv: FakeKeyVault;
const DAY = 86400_000;

class MemoryStarter implements RotationStarter {
  readonly instances = new Map<string, { status: string; input: RotationInput }>();
  readonly starts: RotationInput[] = [];
  async status(id: string) {
    return this.instances.get(id)?.status ?? null;
  }
  async start(input: RotationInput) {
    if (this.instances.has(input.instanceId)) return 'exists' as const;
    this.instances.set(input.instanceId, { status: 'Running', input });
    this.starts.push(input);
    return 'started' as const;
  }
}

function env(starter: RotationStarter, audit: AuditRecord[] = []): TriggerEnv {
  let n = 0;
  return {
    config,
    vault: createVaultSecrets({ vaultUrl: kv.vaultUrl, credential: kv.credential(), clientOptions: kv.clientOptions() }),
    instances: starter,
    audit: async (r) => void audit.push(...r),
    now: () => new Date(),
    deliveryId: () => `d${++n}`,
  };
}

/** A Key Vault system-topic event as Event Grid delivers it (EventGridSchema). */
function event(type: string, name: string, version: string, vault = 'kv-trigger') {
  return {
    id: `evt-${Math.random().toString(36).slice(2)}`,
    topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${vault}`,
    subject: name,
    eventType: type,
    eventTime: new Date().toISOString(),
    data: {
      Id: `https://${vault}.vault.azure.net/secrets/${name}/${version}`,
      VaultName: vault,
      ObjectType: 'Secret',
      ObjectName: name,
      Version: version,
      NBF: null,
      EXP: Math.floor((Date.now() + 10 * DAY) / 1000),
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

beforeAll(async () => {
  kv = await startFakeKeyVault({ vaultName: 'kv-trigger' });
});
afterAll(async () => kv.stop());

describe('Event Grid: SecretNearExpiry / SecretExpired', () => {
  it('starts one rotation per (secret, version); duplicate deliveries start nothing', async () => {
    const v1 = kv.seed('api-key', 'v1-value-000000000000', { expiresOn: new Date(Date.now() + 10 * DAY) });
    const starter = new MemoryStarter();
    const audit: AuditRecord[] = [];
    const e = env(starter, audit);
    const first = await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretNearExpiry', 'api-key', v1));
    expect(first).toMatchObject({ decision: 'started', instanceId: rotationInstanceId('api-key', v1) });
    expect(starter.starts[0]).toMatchObject({
      secretName: 'api-key',
      fromVersion: v1,
      reason: 'near-expiry',
      actor: 'eventgrid',
      strategy: 'random',
      dryRun: false,
    });
    for (let i = 0; i < 3; i++) {
      expect((await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretNearExpiry', 'api-key', v1))).decision).toBe('duplicate');
    }
    // The expired event for the same version is the same rotation.
    expect((await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretExpired', 'api-key', v1))).decision).toBe('duplicate');
    expect(starter.starts).toHaveLength(1);
    expect(audit.map((a) => a.decision)).toEqual(['started', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
  });

  it('ignores out-of-order events: an event about an older version is stale, one about the rotating version is a duplicate', async () => {
    const starter = new MemoryStarter();
    const e = env(starter);
    const old = kv.seed('api-key', 'older-value-0000000000');
    const pending = kv.seed('api-key', 'pending-value-00000000', {
      tags: { [TAG.stage]: 'pending', [TAG.replaces]: old, [TAG.rotation]: rotationInstanceId('api-key', old) },
    });
    expect(await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretNearExpiry', 'api-key', old))).toMatchObject({
      decision: 'duplicate',
      instanceId: rotationInstanceId('api-key', old),
    });
    const v0 = kv.versions('api-key')[0]!.version;
    expect((await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretExpired', 'api-key', v0))).decision).toBe('stale');
    // Even an event for the pending version itself does not start a second rotation of the secret.
    expect((await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretNearExpiry', 'api-key', pending))).decision).toBe('in-progress');
    // Once rotated (latest current), an event for the version it replaced is stale.
    kv.modifyVersion('api-key', pending, (v) => (v.tags[TAG.stage] = 'current'));
    expect((await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretNearExpiry', 'api-key', old))).decision).toBe('stale');
    expect(starter.starts).toHaveLength(0);
  });

  it('ignores events of other vaults, other object types and other event types', async () => {
    const starter = new MemoryStarter();
    const audit: AuditRecord[] = [];
    const e = env(starter, audit);
    const v = kv.latest('api-key')!.version;
    expect((await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretNearExpiry', 'api-key', v, 'kv-other'))).decision).toBe('ignored');
    expect(
      (
        await handleKeyVaultEvent(e, {
          ...event('Microsoft.KeyVault.SecretNearExpiry', 'api-key', v),
          data: { ...event('x', 'api-key', v).data, ObjectType: 'Key' },
        })
      ).decision,
    ).toBe('ignored');
    expect((await handleKeyVaultEvent(e, event('Microsoft.KeyVault.SecretNewVersionCreated', 'api-key', v))).decision).toBe('ignored');
    expect((await handleKeyVaultEvent(e, { eventType: 'Microsoft.KeyVault.SecretNearExpiry', data: { ObjectName: '../x' } })).decision).toBe('ignored');
    expect(starter.starts).toHaveLength(0);
    expect(audit).toHaveLength(4);
  });

  it('does not rotate secrets that are not enrolled', async () => {
    const v = kv.seed('random-other', 'x-value-000000000');
    const starter = new MemoryStarter();
    expect((await handleKeyVaultEvent(env(starter), event('Microsoft.KeyVault.SecretNearExpiry', 'random-other', v))).decision).toBe('not-enrolled');
  });
});

describe('daily sweep', () => {
  it('starts rotations for secrets expiring inside the window, without expiry, or older than their validity; skips the rest', async () => {
    const now = Date.now();
    kv.seed('far-away', 'far-value-0000000000', { expiresOn: new Date(now + 60 * DAY) });
    kv.seed('no-expiry', 'noexp-value-00000000');
    kv.seed('too-old', 'old-value-0000000000', { expiresOn: new Date(now + 60 * DAY), createdOn: new Date(now - 20 * DAY) });
    const busyFrom = kv.seed('busy', 'busy-value-000000000', { expiresOn: new Date(now + DAY) });
    kv.seed('busy', 'busy-pending-0000000', { tags: { [TAG.stage]: 'pending', [TAG.replaces]: busyFrom }, expiresOn: new Date(now + DAY) });
    kv.seed('opted-out', 'out-value-0000000000', { tags: { 'aksops-rotate': 'disabled' } });
    kv.seed('tag-enrolled', 'tag-value-0000000000', {
      tags: { 'aksops-rotate': 'random', 'aksops-targets': 'shop/tagged/KEY', 'aksops-consumers': 'shop/Deployment/web' },
    });
    const starter = new MemoryStarter();
    const res = await sweep(env(starter));
    const started = starter.starts.map((s) => s.secretName).sort();
    // api-key's latest version (left by the Event Grid tests) has no expiry either.
    expect(started).toEqual(['api-key', 'no-expiry', 'tag-enrolled', 'too-old']);
    expect(starter.starts.every((s) => s.reason === 'sweep' && s.actor === 'sweep')).toBe(true);
    expect(res.results.find((r) => r.secretName === 'not-in-vault')?.decision).toBe('missing');
    expect(res.results.some((r) => r.secretName === 'far-away' || r.secretName === 'opted-out' || r.secretName === 'busy')).toBe(false);
    // A second sweep the same day starts nothing new.
    await sweep(env(starter));
    expect(starter.starts).toHaveLength(4);
  });
});

describe('Durable client adapter (real DurableClient, fake Durable extension)', () => {
  let durable: FakeDurableExtension;
  beforeAll(async () => {
    durable = await new FakeDurableExtension().start();
  });
  afterAll(async () => durable.stop());

  it('starts a rotation once, and never restarts an existing instance, not even a completed one', async () => {
    const starter = durableRotationStarter(durable.invocation().client);
    const v = kv.seed('api-key', 'durable-value-0000000');
    const e = env(starter);
    expect((await requestRotation(e, { secretName: 'api-key', reason: 'manual', actor: 'user:alice' })).decision).toBe('started');
    expect(durable.starts).toHaveLength(1);
    expect(durable.starts[0]).toMatchObject({ name: 'secretRotation', instanceId: rotationInstanceId('api-key', v) });
    durable.instances.get(rotationInstanceId('api-key', v))!.runtimeStatus = 'Completed';
    expect((await requestRotation(e, { secretName: 'api-key', reason: 'manual', actor: 'user:alice' })).decision).toBe('duplicate');
    expect(durable.starts).toHaveLength(1);
  });
});
