// What backup, restore and retention activities need, built once per worker (functions/lib/
// runtime.ts) or by a test/CLI: the config section, cluster access, the blob store, the key
// encryption key and the app settings that hold credentials (read only inside activities).
import type { BackupsConfig, ClusterBackupConfig } from '../config/backup-schema.js';
import type { BackupBlobStore } from '../adapters/blob-store.js';
import type { KubeRest } from '../adapters/kube-rest.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KeyWrapper } from './crypto.js';
import type { PodWait } from './volume-pod.js';

export interface ClusterKube {
  rest: KubeRest;
  kubeConfig: KubeConfig;
}

export interface BackupEnv {
  backups: BackupsConfig;
  /** How copy pods are awaited (src/backup/volume-pod.ts); default: poll every 2 s. Tests poll faster. */
  podWait?: PodWait;
  /** Protected namespaces per cluster (never restored into). */
  protectedNamespaces(cluster: string): Set<string>;
  kube(cluster: string): Promise<ClusterKube>;
  blobs: BackupBlobStore;
  /** The secondary backup account in the paired region (secondary.ts), when configured. */
  secondaryBlobs?: BackupBlobStore;
  keyWrapper(): Promise<KeyWrapper>;
  /** An app setting's value (credentials named by the config, e.g. the Grafana token). */
  setting(name: string): string | undefined;
  /** Key Vault secrets of a vault (the keyVault part). */
  keyVaultSecrets?(vaultUri: string): Promise<KeyVaultSecretsPort>;
  /** One secret's current value (credentials the config names, e.g. an S3 key pair: s3-credentials.ts). */
  keyVaultSecretValue?(vaultUri: string, name: string): Promise<string>;
  /** Default vault (KEY_VAULT_URI). */
  keyVaultUri?: string;
  tool: { name: string; version: string };
  now(): Date;
  /** Fetch for Grafana (tests pass one that trusts a local CA). */
  fetch?: typeof fetch;
}

/** The calls of @azure/keyvault-secrets this part uses (keyvault-backup.ts builds it over a SecretClient). */
export interface KeyVaultSecretsPort {
  listSecrets(): AsyncIterable<{ name: string; enabled: boolean; managed: boolean }>;
  backupSecret(name: string): Promise<Uint8Array>;
  /** Restores a backup blob; Key Vault answers 409 when the name exists (live or soft-deleted). */
  restoreSecretBackup(backup: Uint8Array): Promise<string>;
}

export function clusterBackupConfig(env: BackupEnv, cluster: string): ClusterBackupConfig {
  const c = env.backups.clusters.find((x) => x.cluster === cluster);
  if (!c) {
    throw new Error(
      `cluster ${cluster} has no backups.clusters entry in the ops config. Fix: add one (docs/backups.md), or use one of ${env.backups.clusters.map((x) => x.cluster).join(', ')}`,
    );
  }
  return c;
}
