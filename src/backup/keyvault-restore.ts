// Restores Key Vault secrets from their backup blobs (POST {vault}/secrets/restore {value},
// SecretClient.restoreSecretBackup). Key Vault refuses to restore over a secret that exists, live
// or soft-deleted (409 Conflict), and a backup restores only into a vault of the same
// subscription and geography. So: a live secret is a conflict (`skip` skips it; `update` reports
// that it must be deleted and purged first: Key Vault has no overwrite), and dry-run only compares
// names. Secret values are never read: the blobs are opaque and stay encrypted by Key Vault.
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import { requestedItems } from './manifest-write.js';
import type { RestoreServiceInput, RestoreStepOutput } from '../domain/backup-types.js';

export async function restoreKeyVault(env: BackupEnv, input: RestoreServiceInput): Promise<RestoreStepOutput> {
  const wanted = await requestedItems(env, input, 'keyvault', (i) => i.secret, 'Key Vault secret');
  const vault = clusterBackupConfig(env, input.cluster).keyVault?.vaultUri ?? env.keyVaultUri;
  if (!vault) throw new Error('no vault to restore into. Fix: set backups.clusters[].keyVault.vaultUri, or the KEY_VAULT_URI app setting');
  if (!env.keyVaultSecrets) throw new Error('Key Vault access is not configured in this process');
  const kv = await env.keyVaultSecrets(vault);
  const live = new Set<string>();
  for await (const s of kv.listSecrets()) live.add(s.name);
  const out: RestoreStepOutput = { created: 0, updated: 0, skipped: 0, failed: [], objects: [] };
  for (const it of wanted) {
    const name = it.secret ?? '';
    const id = `KeyVaultSecret ${name}`;
    if (live.has(name)) {
      if (input.conflict === 'skip') out.skipped += 1;
      else
        out.failed.push({
          object: id,
          error: 'exists in the vault: Key Vault cannot restore over a secret. Fix: delete and purge it first, or restore with conflict skip',
        });
      continue;
    }
    try {
      if (!input.dryRun) await kv.restoreSecretBackup(await env.blobs.readBuffer(it.container, it.path));
      out.created += 1;
      out.objects.push(id);
    } catch (e) {
      out.failed.push({ object: id, error: (e as Error).message.split('\n')[0]!.slice(0, 400) });
    }
  }
  return out;
}
