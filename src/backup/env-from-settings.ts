// Builds the BackupEnv (the interface is in env.ts) of the function app and of the CLI from the app settings and the
// operations config: storage (BACKUP_BLOB_SERVICE_URI with the managed identity in Azure; a
// connection string locally), cluster access (KubeAccess: managed identity or kubeconfig), the
// key encryption key (Key Vault key or a local key from an app setting), credentials named by the
// config (read here, inside activities, never passed through orchestrations).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenCredential } from '@azure/identity';
import type { Settings } from '../config/settings.js';
import { readNamedSetting } from '../config/settings.js';
import type { CompiledConfig } from '../config/load.js';
import type { KubeAccess } from '../adapters/kube.js';
import { BackupBlobStore } from '../adapters/blob-store.js';
import { KubeRest } from '../adapters/kube-rest.js';
import { localKeyWrapper } from './crypto.js';
import type { BackupEnv, ClusterKube } from './env.js';
import { appCredential as sharedAppCredential } from '../adapters/azure-credential.js';

/** name and version from the app's package.json (found upwards from this file: src/ or dist/src/). */
export function toolVersion(): { name: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'aks-estate-ops') return { name: pkg.name, version: pkg.version ?? '0.0.0' };
    }
    dir = dirname(dir);
  }
  return { name: 'aks-estate-ops', version: 'unknown' };
}

/** The managed identity in Azure (AZURE_CLIENT_ID), DefaultAzureCredential otherwise (az login). */
export async function appCredential(settings: Pick<Settings, 'managedIdentityClientId'>): Promise<TokenCredential> {
  return sharedAppCredential(settings.managedIdentityClientId);
}

/** Lazily asks for the credential, on first use. */
function lazyCredential(credential: () => Promise<TokenCredential>): TokenCredential {
  let cred: TokenCredential | undefined;
  return {
    getToken: async (scopes, options) => {
      cred ??= await credential();
      return cred.getToken(scopes, options);
    },
  };
}

/** The secondary backup account (paired region), or undefined when none is configured. */
export function secondaryBlobStore(settings: Settings, credential: () => Promise<TokenCredential>): BackupBlobStore | undefined {
  if (settings.backupSecondaryBlobServiceUri)
    return new BackupBlobStore({ serviceUri: settings.backupSecondaryBlobServiceUri, credential: lazyCredential(credential) });
  if (settings.backupSecondaryStorageConnection) return new BackupBlobStore({ connectionString: settings.backupSecondaryStorageConnection });
  return undefined;
}

export function backupBlobStore(settings: Settings, credential: () => Promise<TokenCredential>): BackupBlobStore {
  if (settings.backupBlobServiceUri) {
    // The store asks for the credential lazily, on first use.
    let cred: TokenCredential | undefined;
    const lazy: TokenCredential = {
      getToken: async (scopes, options) => {
        cred ??= await credential();
        return cred.getToken(scopes, options);
      },
    };
    return new BackupBlobStore({ serviceUri: settings.backupBlobServiceUri, credential: lazy });
  }
  const conn = settings.backupStorageConnection ?? settings.storageConnection;
  if (!conn || /^\s*$/.test(conn)) {
    throw new Error(
      'No backup storage configured. Fix: set BACKUP_BLOB_SERVICE_URI (Azure, managed identity), or BACKUP_STORAGE_CONNECTION / AzureWebJobsStorage (a connection string, e.g. UseDevelopmentStorage=true for Azurite)',
    );
  }
  return new BackupBlobStore({ connectionString: conn });
}

export function backupEnvFrom(deps: { settings: Settings; env: Record<string, string | undefined>; config: CompiledConfig; kube: KubeAccess }): BackupEnv {
  const { settings, env, config } = deps;
  const backups = config.source.backups;
  if (!backups) throw new Error('the ops config has no backups section. Fix: add one (docs/backups.md, examples/ops.yaml)');
  let credential: Promise<TokenCredential> | undefined;
  const cred = () => (credential ??= appCredential(settings));
  const rests = new Map<string, { kubeConfig: unknown; rest: KubeRest }>();
  const secondary = secondaryBlobStore(settings, cred);
  return {
    backups,
    protectedNamespaces: (cluster) => config.protectedNamespaces.get(cluster) ?? new Set(),
    async kube(cluster: string): Promise<ClusterKube> {
      const c = config.clusters.find((x) => x.name === cluster);
      if (!c) throw new Error(`cluster ${cluster} is not in the ops config. Fix: use one of ${config.clusters.map((x) => x.name).join(', ')}`);
      const apis = await deps.kube.forCluster(c);
      const cached = rests.get(cluster);
      // A new KubeConfig (a refreshed token) gets a new REST client.
      if (cached && cached.kubeConfig === apis.kubeConfig) return { rest: cached.rest, kubeConfig: apis.kubeConfig };
      void cached?.rest.close();
      const rest = new KubeRest(apis.kubeConfig);
      rests.set(cluster, { kubeConfig: apis.kubeConfig, rest });
      return { rest, kubeConfig: apis.kubeConfig };
    },
    blobs: backupBlobStore(settings, cred),
    ...(secondary ? { secondaryBlobs: secondary } : {}),
    async keyWrapper() {
      if (backups.encryption.keyVaultKey) {
        const { keyVaultKeyWrapper } = await import('../adapters/key-wrap.js');
        return keyVaultKeyWrapper(backups.encryption.keyVaultKey, await cred());
      }
      const name = backups.encryption.localKeySetting!;
      const value = readNamedSetting(env, name);
      if (!value)
        throw new Error(
          `app setting ${name} (backups.encryption.localKeySetting) is not set. Fix: set it to a base64 256-bit key (openssl rand -base64 32); keep it safe: without it the backups' Secrets cannot be read`,
        );
      return localKeyWrapper(name, value);
    },
    setting: (name) => readNamedSetting(env, name),
    async keyVaultSecrets(vaultUri: string) {
      const { keyVaultSecretsPort } = await import('./keyvault-backup.js');
      return keyVaultSecretsPort(vaultUri, await cred());
    },
    async keyVaultSecretValue(vaultUri: string, name: string) {
      const { SecretClient } = await import('@azure/keyvault-secrets');
      const value = (await new SecretClient(vaultUri, await cred()).getSecret(name)).value;
      if (value === undefined) throw new Error(`Key Vault secret ${name} has no value`);
      return value;
    },
    ...(settings.keyVaultUri ? { keyVaultUri: settings.keyVaultUri } : {}),
    tool: toolVersion(),
    now: () => new Date(),
  };
}
