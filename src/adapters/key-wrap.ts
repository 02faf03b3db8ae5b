// Key Vault key as the key encryption key of backups (@azure/keyvault-keys CryptographyClient):
// wrapKey/unwrapKey with RSA-OAEP-256 (Key Vault REST: POST {key-id}/wrapkey and /unwrapkey,
// {alg, value: base64url} -> {kid, value}). The client first reads the key (GET {key-id}); with
// the public key it wraps locally, unwrapping always happens in the vault (the private key never
// leaves it). The key ID recorded with each backup carries the version that wrapped it, so a
// rotated key (new version) still unwraps old backups. Permissions: the app's identity needs
// Key Vault Crypto User (keys/read, wrapKey, unwrapKey) on the vault.
import type { TokenCredential } from '@azure/identity';
import type { KeyWrapper } from '../backup/crypto.js';
import { missingAzurePermissionHint } from '../permissions/azure-forbidden.js';

export const WRAP_ALGORITHM = 'RSA-OAEP-256';

export function keyVaultKeyWrapper(keyId: string, credential: TokenCredential, clientOptions: Record<string, unknown> = {}): KeyWrapper {
  const client = async (id: string) => {
    const { CryptographyClient } = await import('@azure/keyvault-keys');
    return new CryptographyClient(id, credential, clientOptions);
  };
  return {
    kind: 'key-vault',
    id: keyId,
    wrapAlgorithm: WRAP_ALGORITHM,
    async wrap(dataKey) {
      const r = await (await client(keyId)).wrapKey(WRAP_ALGORITHM, dataKey).catch(forbidden(keyId, 'wrapKey'));
      if (!r.keyID) throw new Error(`Key Vault did not say which version of ${keyId} wrapped the data key`);
      return { wrapped: Buffer.from(r.result), keyId: r.keyID };
    },
    async unwrap(wrapped, id) {
      const r = await (await client(id)).unwrapKey(WRAP_ALGORITHM, wrapped).catch(forbidden(id, 'unwrapKey'));
      return Buffer.from(r.result);
    },
  };
}

/** A 403 from the vault becomes an error naming the missing permission and the fix; anything else passes through. */
function forbidden(keyId: string, what: string): (e: unknown) => never {
  return (e) => {
    const r = e as { statusCode?: number; message?: string };
    const hint = r.statusCode === 403 ? missingAzurePermissionHint(r.message) : undefined;
    if (hint) throw new Error(`${what} with ${keyId} refused (403 Forbidden). ${hint}`);
    throw e;
  };
}
