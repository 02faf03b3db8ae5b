// The access key pair of a configured bucket, read when a backup or restore needs it: from a
// Kubernetes Secret of the cluster (GET secrets/{name}, permission backup-s3 in
// src/permissions/kubernetes.ts) or from two Key Vault secrets. The values stay in this process:
// they are never logged, returned, audited or put in an error (test/backup/s3-leak.test.ts).
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import { isKubeRestStatus } from '../adapters/kube-rest.js';
import { s3Client } from '../adapters/s3.js';
import type { S3BackupConfig } from '../config/s3-backup-schema.js';
import type { S3Client } from '@aws-sdk/client-s3';

const SECRET_TYPE = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true } as const;

export function s3Config(env: BackupEnv, cluster: string, name: string): S3BackupConfig {
  const cfg = clusterBackupConfig(env, cluster).s3.find((x) => x.name === name);
  if (!cfg)
    throw new Error(
      `s3 entry "${name}" is not configured for cluster ${cluster}. Fix: add it to backups.clusters[].s3, or use one of ${
        clusterBackupConfig(env, cluster)
          .s3.map((x) => x.name)
          .join(', ') || '(none configured)'
      }`,
    );
  return cfg;
}

async function keyPair(env: BackupEnv, cluster: string, cfg: S3BackupConfig): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const where = `backups.clusters[${cluster}].s3[${cfg.name}].credentials`;
  if ('secret' in cfg.credentials) {
    const s = cfg.credentials.secret;
    const { rest } = await env.kube(cluster);
    let obj;
    try {
      obj = await rest.get(SECRET_TYPE, s.namespace, s.name);
    } catch (e) {
      if (isKubeRestStatus(e, 404))
        throw new Error(
          `${where}: Secret ${s.namespace}/${s.name} does not exist. Fix: create it with the keys ${s.accessKeyIdKey} and ${s.secretAccessKeyKey}`,
        );
      throw new Error(`${where}: reading Secret ${s.namespace}/${s.name} failed: ${(e as Error).message.split('\n')[0]}`);
    }
    const data = (obj['data'] ?? {}) as Record<string, string>;
    const pick = (k: string) => {
      const v = data[k];
      if (!v) throw new Error(`${where}: Secret ${s.namespace}/${s.name} has no key "${k}". Fix: set accessKeyIdKey/secretAccessKeyKey to the Secret's keys`);
      return Buffer.from(v, 'base64').toString('utf8');
    };
    return { accessKeyId: pick(s.accessKeyIdKey), secretAccessKey: pick(s.secretAccessKeyKey) };
  }
  const kv = cfg.credentials.keyVault;
  const vault = kv.vaultUri ?? env.keyVaultUri;
  if (!vault) throw new Error(`${where}.keyVault: no vault. Fix: set vaultUri, or the KEY_VAULT_URI app setting`);
  if (!env.keyVaultSecretValue) throw new Error('Key Vault access is not configured in this process');
  const read = async (name: string) => {
    try {
      return await env.keyVaultSecretValue!(vault, name);
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode;
      throw new Error(
        `${where}.keyVault: reading secret ${name} from ${vault} failed (${status ? `HTTP ${status}` : 'no answer'}). Fix: check the name and that the app identity has Key Vault Secrets User`,
      );
    }
  };
  return { accessKeyId: await read(kv.accessKeyIdSecret), secretAccessKey: await read(kv.secretAccessKeySecret) };
}

/** A client for the configured bucket, with its credentials. */
export async function s3ClientFor(env: BackupEnv, cluster: string, cfg: S3BackupConfig): Promise<S3Client> {
  const keys = await keyPair(env, cluster, cfg);
  return s3Client({ endpoint: cfg.endpoint, region: cfg.region, forcePathStyle: cfg.forcePathStyle, ...keys });
}
