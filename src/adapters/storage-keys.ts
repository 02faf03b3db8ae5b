// Storage account access keys for the storage-account-key rotation, through ARM with
// @azure/arm-storage (loaded lazily): POST .../storageAccounts/{name}/listKeys and
// .../regenerateKey {keyName: key1|key2} (Microsoft.Storage REST API, StorageAccounts_ListKeys /
// StorageAccounts_RegenerateKey), both answering {keys: [{keyName, value, permissions, creationTime}]}.
// Only the key that consumers do not use (the inactive one) is ever regenerated.
import type { TokenCredential } from '@azure/identity';
import type { StorageManagementClient, StorageManagementClientOptionalParams } from '@azure/arm-storage';
import { appCredential } from './azure-credential.js';
import { missingAzurePermissionHint } from '../permissions/azure-forbidden.js';

export interface StorageAccountRef {
  subscriptionId: string;
  resourceGroup: string;
  accountName: string;
}

export type KeyName = 'key1' | 'key2';

export interface StorageKeys {
  list(account: StorageAccountRef): Promise<Array<{ keyName: KeyName; value: string }>>;
  regenerate(account: StorageAccountRef, keyName: KeyName): Promise<string>;
}

export class StorageKeysError extends Error {
  override name = 'StorageKeysError';
}

export interface StorageKeysOptions {
  credential?: TokenCredential;
  managedIdentityClientId?: string;
  clientOptions?: StorageManagementClientOptionalParams;
}

export function createStorageKeys(options: StorageKeysOptions = {}): StorageKeys {
  const clients = new Map<string, Promise<StorageManagementClient>>();
  const client = (subscriptionId: string) => {
    let c = clients.get(subscriptionId);
    if (!c) {
      c = (async () => {
        const [{ StorageManagementClient }, credential] = await Promise.all([
          import('@azure/arm-storage'),
          options.credential ?? appCredential(options.managedIdentityClientId),
        ]);
        return new StorageManagementClient(credential, subscriptionId, options.clientOptions ?? {});
      })();
      clients.set(subscriptionId, c);
      c.catch(() => clients.delete(subscriptionId));
    }
    return c;
  };
  const where = (a: StorageAccountRef) => `storage account ${a.resourceGroup}/${a.accountName}`;
  const err = (a: StorageAccountRef, what: string, e: unknown) => {
    const r = (e ?? {}) as { statusCode?: number; code?: string; message?: string };
    const hint = r.statusCode === 403 ? missingAzurePermissionHint(r.message) : undefined;
    const fix = hint
      ? `. ${hint}`
      : r.statusCode === 403
        ? '. Fix: grant the app identity Microsoft.Storage/storageAccounts/listkeys/action and regeneratekey/action on the account'
        : '';
    return new StorageKeysError(
      `${where(a)}: ${what} failed (${[r.statusCode, r.code].filter((x) => x !== undefined).join(' ')}): ${String(r.message ?? e)
        .split('\n')[0]!
        .slice(0, 200)}${fix}`,
    );
  };
  const keysOf = (res: { keys?: Array<{ keyName?: string; value?: string }> }) =>
    (res.keys ?? []).filter((k): k is { keyName: KeyName; value: string } => (k.keyName === 'key1' || k.keyName === 'key2') && typeof k.value === 'string');
  return {
    async list(a) {
      try {
        return keysOf(await (await client(a.subscriptionId)).storageAccounts.listKeys(a.resourceGroup, a.accountName));
      } catch (e) {
        throw err(a, 'listKeys', e);
      }
    },
    async regenerate(a, keyName) {
      let keys: Array<{ keyName: KeyName; value: string }>;
      try {
        keys = keysOf(await (await client(a.subscriptionId)).storageAccounts.regenerateKey(a.resourceGroup, a.accountName, { keyName }));
      } catch (e) {
        throw err(a, `regenerateKey ${keyName}`, e);
      }
      const k = keys.find((x) => x.keyName === keyName);
      if (!k) throw new StorageKeysError(`${where(a)}: regenerateKey ${keyName} answered without that key`);
      return k.value;
    },
  };
}
