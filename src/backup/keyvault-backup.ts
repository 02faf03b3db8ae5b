// The keyVault part: every selected secret of the vault through the Key Vault backup API
// (POST {vault}/secrets/{name}/backup -> {value: base64url}, SecretClient.backupSecret), stored
// as the opaque blob Key Vault returns. Those blobs are encrypted by Key Vault itself and can only
// be restored into a vault of the same subscription and geography (Key Vault "backup and restore"
// docs), which is what a backup of a vault needs and nothing more. Secrets that Key Vault manages
// for certificates (`managed: true`) are backed up with their certificate, not here: skipped.
import type { BackupEnv, KeyVaultSecretsPort } from './env.js';
import { withThrottleCount } from '../telemetry/throttling.js';
import { clusterBackupConfig } from './env.js';
import { globMatch } from './objects.js';
import { paths, partIds, PART_FORMAT, type ManifestItem } from './manifest.js';
import { readPartRecord, summarize, writePartRecord } from './engine.js';
import type { BackupSimplePartInput, PartSummary } from '../domain/backup-types.js';

export async function backupKeyVault(env: BackupEnv, input: BackupSimplePartInput): Promise<PartSummary> {
  const part = partIds.keyVault;
  const existing = await readPartRecord(env, input.cluster, input.backupId, part);
  if (existing) return summarize(existing, true);
  const cfg = clusterBackupConfig(env, input.cluster).keyVault;
  if (!cfg) throw new Error(`cluster ${input.cluster} has no backups keyVault section`);
  const vault = cfg.vaultUri ?? env.keyVaultUri;
  if (!vault) throw new Error('no vault to back up. Fix: set backups.clusters[].keyVault.vaultUri, or the KEY_VAULT_URI app setting');
  if (!env.keyVaultSecrets) throw new Error('Key Vault access is not configured in this process');
  const kv = await env.keyVaultSecrets(vault);
  const container = env.backups.containers.keyVault;
  const items: ManifestItem[] = [];
  const warnings: string[] = [];
  const names: string[] = [];
  for await (const s of kv.listSecrets()) {
    if (!cfg.secrets.some((p) => globMatch(p, s.name))) continue;
    if (s.managed) {
      warnings.push(`${s.name} is managed by a Key Vault certificate: back up the certificate instead`);
      continue;
    }
    names.push(s.name);
  }
  names.sort();
  for (const name of names) {
    const blob = await kv.backupSecret(name);
    const path = paths.keyVault(input.cluster, input.backupId, name);
    const stored = await env.blobs.writeOnceBuffer(
      container,
      path,
      Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength),
      { aksopssecret: name },
      'application/octet-stream',
    );
    items.push({ part, type: 'keyvault', container, path, size: stored.size, sha256: stored.sha256, secret: name });
  }
  const record = await writePartRecord(env, { format: PART_FORMAT, backupId: input.backupId, cluster: input.cluster, part, items, warnings });
  return summarize(record, false);
}

/** The port over a real SecretClient (loaded lazily). */
export async function keyVaultSecretsPort(
  vaultUri: string,
  credential: import('@azure/identity').TokenCredential,
  options: Record<string, unknown> = {},
): Promise<KeyVaultSecretsPort> {
  const { SecretClient } = await import('@azure/keyvault-secrets');
  const client = new SecretClient(vaultUri, credential, withThrottleCount('keyvault', options));
  return {
    async *listSecrets() {
      for await (const p of client.listPropertiesOfSecrets()) yield { name: p.name, enabled: p.enabled !== false, managed: p.managed === true };
    },
    async backupSecret(name: string) {
      const b = await client.backupSecret(name);
      if (!b) throw new Error(`Key Vault returned no backup for secret ${name}`);
      return b;
    },
    async restoreSecretBackup(backup: Uint8Array) {
      return (await client.restoreSecretBackup(backup)).name;
    },
  };
}
