// Key Vault's Event Grid events (SecretNearExpiry, SecretExpired) as the rotation trigger reads them.

// ---------------------------------------------------------------- Event Grid

export const KEY_VAULT_EVENT_TYPES = ['Microsoft.KeyVault.SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired'] as const;

export interface KeyVaultSecretEvent {
  eventId: string;
  eventType: (typeof KEY_VAULT_EVENT_TYPES)[number];
  vaultName: string;
  name: string;
  version: string;
  /** ISO time of data.EXP, when present. */
  expiresOn?: string;
}

/**
 * A Key Vault system-topic event (Event Grid schema): data {Id, VaultName, ObjectType, ObjectName,
 * Version, NBF, EXP} with EXP/NBF in Unix seconds (learn.microsoft.com event-grid/event-schema-key-vault;
 * @azure/eventgrid KeyVaultSecretNearExpiryEventData). Camel-case keys are accepted too.
 */
export function parseKeyVaultEvent(e: unknown): { ok: true; event: KeyVaultSecretEvent } | { ok: false; reason: string } {
  if (typeof e !== 'object' || e === null) return { ok: false, reason: 'the event is not an object' };
  const ev = e as Record<string, unknown>;
  const type = ev['eventType'];
  if (typeof type !== 'string' || !(KEY_VAULT_EVENT_TYPES as readonly string[]).includes(type)) {
    return { ok: false, reason: `event type ${String(type).slice(0, 80)} is not handled (only ${KEY_VAULT_EVENT_TYPES.join(', ')})` };
  }
  const data = ev['data'];
  if (typeof data !== 'object' || data === null) return { ok: false, reason: 'the event has no data' };
  const d = data as Record<string, unknown>;
  const pick = (a: string, b: string) => (typeof d[a] === 'string' ? d[a] : typeof d[b] === 'string' ? d[b] : undefined);
  const objectType = pick('ObjectType', 'objectType');
  if (objectType !== undefined && objectType.toLowerCase() !== 'secret') return { ok: false, reason: `object type ${objectType} is not a secret` };
  const vaultName = pick('VaultName', 'vaultName');
  const name = pick('ObjectName', 'objectName');
  const version = pick('Version', 'version');
  if (!vaultName || !name || !version) return { ok: false, reason: 'data lacks VaultName, ObjectName or Version' };
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name) || !/^[0-9a-zA-Z]{1,64}$/.test(version) || !/^[0-9a-zA-Z-]{3,24}$/.test(vaultName)) {
    return { ok: false, reason: 'VaultName, ObjectName or Version is not a Key Vault name' };
  }
  const expRaw = d['EXP'] ?? d['exp'];
  const out: KeyVaultSecretEvent = {
    eventId: typeof ev['id'] === 'string' ? ev['id'] : '',
    eventType: type as KeyVaultSecretEvent['eventType'],
    vaultName,
    name,
    version,
  };
  if (typeof expRaw === 'number' && Number.isFinite(expRaw)) out.expiresOn = new Date(expRaw * 1000).toISOString();
  return { ok: true, event: out };
}

/** The vault name of a vault URI (https://<name>.vault.azure.net[:port]). */
export function vaultNameOf(vaultUrl: string): string {
  return new URL(vaultUrl).hostname.split('.')[0]!.toLowerCase();
}
