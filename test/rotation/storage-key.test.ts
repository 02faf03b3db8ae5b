// storage-account-key: the real @azure/arm-storage client against the HTTPS fake ARM endpoint
// (listKeys / regenerateKey), through the real orchestration. Only the inactive key is ever
// regenerated, also when the create step runs again after a crash (at-least-once), so consumers
// still on the active key never lose it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { createStorageKeys } from '../../src/adapters/storage-keys.js';
import * as act from '../../src/rotation/activities.js';
import type { RotationOutput } from '../../src/rotation/contracts.js';
import { TAG } from '../../src/rotation/model.js';
import type { Providers } from '../../src/rotation/strategies.js';
import { startFakeArmStorage, type FakeArmStorage } from '../fakes/arm-storage.js';
import { allValues, leakNeedles, makeWorld, producedTexts, type World } from './world.js';

const SUB = '6f1d9a1e-2b3c-4d5e-8f90-123456789abc';
let arm: FakeArmStorage;
let settings: Settings;
const suffix = Math.random().toString(36).slice(2, 7);

beforeAll(async () => {
  arm = await startFakeArmStorage();
  settings = readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, AUDIT_TABLE_NAME: `stk${suffix}` });
});
afterAll(async () => arm.stop());

async function world(account: string): Promise<{ w: World; initial: { key1: string; key2: string } }> {
  const initial = arm.addAccount(SUB, 'rg-data', account);
  const storage = createStorageKeys({ credential: arm.credential(), clientOptions: arm.clientOptions() });
  const providers: Providers = {
    postgres: () => {
      throw new Error('no postgres');
    },
    redis: () => {
      throw new Error('no redis');
    },
    storage: () => storage,
  };
  const w = await makeWorld({
    settings,
    providers,
    rotationYaml: (ctx) => `
version: 1
clusters: [{ name: prod, kubeContext: ${ctx} }]
rotation:
  secrets:
    - name: ${account}-key
      strategy: storage-account-key
      cluster: prod
      storage: { subscriptionId: ${SUB}, resourceGroup: rg-data, accountName: ${account} }
      targets: [shop/storage/ACCOUNT_KEY=key, shop/storage/KEY_NAME=keyName]
      consumers: [shop/Deployment/uploader]
`,
    seed: ({ kv, kube }) => {
      kv.seed(`${account}-key`, initial.key1, { tags: { [TAG.credential]: 'key1' } });
      kube.seedDeployment({ namespace: 'shop', name: 'uploader', replicas: 1 });
      kube.seed('secrets', {
        metadata: { name: 'storage', namespace: 'shop' },
        data: { ACCOUNT_KEY: Buffer.from(initial.key1).toString('base64'), KEY_NAME: Buffer.from('key1').toString('base64') },
      });
    },
  });
  return { w, initial };
}

const keyOf = (w: World, k: string) =>
  Buffer.from((w.kube.get('secrets', 'shop', 'storage') as unknown as { data: Record<string, string> }).data[k]!, 'base64').toString('utf8');

describe('storage-account-key (real @azure/arm-storage, HTTPS fake ARM)', () => {
  it('regenerates the inactive key, switches consumers to it, and alternates on the next cycle', async () => {
    const { w, initial } = await world('stdata1');
    const r1 = await w.harness(await w.input('stdata1-key')).run();
    expect((r1.output as RotationOutput).outcome).toBe('rotated');
    const afterFirst = arm.keys('stdata1');
    expect(afterFirst.key1).toBe(initial.key1); // the key consumers used is untouched
    expect(afterFirst.key2).not.toBe(initial.key2);
    expect(w.kv.latest('stdata1-key')).toMatchObject({ value: afterFirst.key2, tags: { [TAG.credential]: 'key2', [TAG.stage]: 'current' } });
    expect(keyOf(w, 'ACCOUNT_KEY')).toBe(afterFirst.key2);
    expect(keyOf(w, 'KEY_NAME')).toBe('key2');
    const r2 = await w.harness(await w.input('stdata1-key'), { startTime: new Date(Date.now() + 86400_000).toISOString() }).run();
    expect((r2.output as RotationOutput).outcome).toBe('rotated');
    const afterSecond = arm.keys('stdata1');
    expect(afterSecond.key2).toBe(afterFirst.key2);
    expect(afterSecond.key1).not.toBe(initial.key1);
    expect(keyOf(w, 'KEY_NAME')).toBe('key1');
    const regenerated = arm.requests.filter((r) => r.operation === 'regenerateKey' && r.path.includes('stdata1')).map((r) => r.keyName);
    expect(regenerated).toEqual(['key2', 'key1']);
    const needles = leakNeedles([...allValues(w, ['stdata1-key']), initial.key1, initial.key2, afterSecond.key1, afterSecond.key2]);
    for (const { source, text } of await producedTexts(w, [])) for (const n of needles) expect(text.includes(n), source).toBe(false);
    await w.stop();
  });

  it('a create step that runs again (crash after regenerating, before storing) regenerates only the inactive key again', async () => {
    const { w, initial } = await world('stdata2');
    const input = await w.input('stdata2-key');
    w.kv.failNext(400, 1, 'PUT'); // the PUT of the new version fails after ARM regenerated key2
    await expect(act.create(w.env, { instanceId: input.instanceId, secretName: 'stdata2-key', fromVersion: input.fromVersion, dryRun: false })).rejects.toThrow(
      /400/,
    );
    const again = await act.create(w.env, { instanceId: input.instanceId, secretName: 'stdata2-key', fromVersion: input.fromVersion, dryRun: false });
    const third = await act.create(w.env, { instanceId: input.instanceId, secretName: 'stdata2-key', fromVersion: input.fromVersion, dryRun: false });
    expect(again).toMatchObject({ created: true, credential: 'key2' });
    expect(third).toMatchObject({ created: false, version: again.version });
    expect(arm.keys('stdata2').key1).toBe(initial.key1);
    expect(arm.requests.filter((r) => r.operation === 'regenerateKey' && r.path.includes('stdata2')).map((r) => r.keyName)).toEqual(['key2', 'key2']);
    await w.stop();
  });
});
