// Per-worker pieces of secret rotation for the trigger layer: the Key Vault adapter
// (KEY_VAULT_URI, the app's managed identity), provider clients, and the Durable client adapter
// that starts rotations. Built on first use (cold start is benchmarked).
import type { DurableClient } from 'durable-functions';
import type { RotationEnv } from '../../src/rotation/activities.js';
import type { RotationInput } from '../../src/rotation/contracts.js';
import type { RotationStarter, TriggerEnv } from '../../src/rotation/trigger.js';
import type { VaultSecrets } from '../../src/adapters/keyvault.js';
import { appSettings, auditStore, runbookEnv } from './runtime.js';
import { instanceStatus, startOrExists } from './durable-instances.js';

export const ROTATION_ORCHESTRATION = 'secretRotation';

let vault: Promise<VaultSecrets> | undefined;
let env: Promise<Omit<RotationEnv, 'notify'>> | undefined;

export function rotationVault(): Promise<VaultSecrets> {
  vault ??= (async () => {
    const s = appSettings();
    if (!s.keyVaultUri)
      throw new Error('KEY_VAULT_URI is not set. Fix: set it to the vault URI (Bicep sets it in Azure; locally add it to local.settings.json)');
    const { createVaultSecrets } = await import('../../src/adapters/keyvault.js');
    return createVaultSecrets({ vaultUrl: s.keyVaultUri, ...(s.managedIdentityClientId ? { managedIdentityClientId: s.managedIdentityClientId } : {}) });
  })();
  vault.catch(() => (vault = undefined));
  return vault;
}

/** What the rotation activities need; `notify` is bound per invocation (it logs to the function log). */
export function rotationEnv(notify: (text: string) => void): Promise<RotationEnv> {
  env ??= (async () => {
    const [rb, v, audit, pgm, rdm, stm] = await Promise.all([
      runbookEnv(),
      rotationVault(),
      auditStore(),
      import('../../src/adapters/postgres-admin.js'),
      import('../../src/adapters/redis-admin.js'),
      import('../../src/adapters/storage-keys.js'),
    ]);
    const s = appSettings();
    const storage = stm.createStorageKeys(s.managedIdentityClientId ? { managedIdentityClientId: s.managedIdentityClientId } : {});
    return {
      config: rb.config,
      vault: v,
      kube: rb.kube,
      isPaused: rb.isPaused,
      forceDryRun: s.forceDryRun,
      now: () => new Date(),
      audit: (records) => audit.write(records),
      providers: {
        postgres: (server, user, password) => pgm.createPostgresAdmin(server, user, password),
        redis: (server, user, password) => rdm.createRedisAdmin(server, user, password),
        storage: () => storage,
      },
    };
  })();
  env.catch(() => (env = undefined));
  return env.then((e) => ({ ...e, notify: async (text: string) => notify(text) }));
}

/** Starts rotations through the Durable client; an existing instance (any state) is never restarted. */
export function durableRotationStarter(client: DurableClient): RotationStarter {
  return {
    status: (instanceId) => instanceStatus(client, instanceId),
    start: (input: RotationInput) => startOrExists(client, ROTATION_ORCHESTRATION, input.instanceId, input),
  };
}

/** The trigger environment for one invocation. */
export async function triggerEnv(client: DurableClient): Promise<TriggerEnv> {
  const [rb, v, audit] = await Promise.all([runbookEnv(), rotationVault(), auditStore()]);
  const { randomUUID } = await import('node:crypto');
  return {
    config: rb.config,
    vault: v,
    instances: durableRotationStarter(client),
    audit: (records) => audit.write(records),
    now: () => new Date(),
    forceDryRun: appSettings().forceDryRun,
    deliveryId: randomUUID,
  };
}
