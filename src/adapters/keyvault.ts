// Key Vault secrets through the official @azure/keyvault-secrets SecretClient (loaded lazily:
// cold start). One vault per adapter (KEY_VAULT_URI). Authentication is the SDK's challenge
// handshake (@azure/keyvault-common keyVaultAuthenticationPolicy): the first request goes out
// without a token, the vault answers 401 with the resource to ask a token for, and the managed
// identity's token for https://vault.azure.net/.default is sent from then on.
//
// Values cross this interface only through value() and setVersion(): everything else returns
// metadata (version, enabled, tags, expiry). Callers (rotation activities) fetch values where
// they are used and never return them, so they never reach durable history.
//
// Throttling: the SDK pipeline retries 429 and 503 itself, waiting what Retry-After says
// (core-rest-pipeline throttlingRetryPolicy); we allow it 4 retries. A 429 that outlasts them
// becomes VaultThrottledError with the Retry-After seconds so the caller can wait durably.
// Errors name the vault, the secret and the fix; they never carry values or tokens.
import type { TokenCredential } from '@azure/identity';
import { withThrottleCount } from '../telemetry/throttling.js';
import type { SecretClient, SecretClientOptions, SecretProperties } from '@azure/keyvault-secrets';
import { redactSecrets } from '../domain/redact.js';
import { appCredential } from './azure-credential.js';
import { missingAzurePermissionHint } from '../permissions/azure-forbidden.js';
import { AzureCallError } from './azure-call-error.js';

/** Metadata of one secret version (never its value). Times are ISO strings. */
export interface SecretVersionInfo {
  name: string;
  /** '' for items of listSecrets (the service gives the latest version's properties without its id). */
  version: string;
  enabled: boolean;
  tags: Record<string, string>;
  contentType?: string;
  expiresOn?: string;
  notBefore?: string;
  createdOn?: string;
  updatedOn?: string;
}

export interface NewVersion {
  tags: Record<string, string>;
  expiresOn?: Date;
  notBefore?: Date;
  contentType?: string;
}

export interface VersionUpdate {
  tags?: Record<string, string>;
  enabled?: boolean;
  expiresOn?: Date;
}

/** The operations rotation (and backups) need on one vault. */
export interface VaultSecrets {
  readonly vaultUrl: string;
  /** Metadata of the version GET /secrets/{name} returns (the latest), or undefined when the secret does not exist. */
  latest(name: string): Promise<SecretVersionInfo | undefined>;
  /** Every version's metadata, oldest first (by creation time, then listing order). */
  versions(name: string): Promise<SecretVersionInfo[]>;
  /** The value of one version. Keep it in the activity that asked. */
  value(name: string, version: string): Promise<string>;
  /** Stores a new version (it becomes the latest). */
  setVersion(name: string, value: string, v: NewVersion): Promise<SecretVersionInfo>;
  /** Changes tags / enabled / expiry of an existing version. */
  updateVersion(name: string, version: string, u: VersionUpdate): Promise<SecretVersionInfo>;
  /** Latest-version properties of every secret in the vault (for the sweep). */
  listSecrets(): Promise<SecretVersionInfo[]>;
}

export class VaultError extends AzureCallError {
  override name = 'VaultError';
}
export class VaultNotFoundError extends VaultError {
  override name = 'VaultNotFoundError';
}
/** The name is soft-deleted (409): it can only be recovered or purged. */
export class VaultConflictError extends VaultError {
  override name = 'VaultConflictError';
}
export class VaultThrottledError extends VaultError {
  override name = 'VaultThrottledError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, 429, 'Throttled', true);
  }
}

export interface VaultSecretsOptions {
  vaultUrl: string;
  /** Default: ManagedIdentityCredential(managedIdentityClientId) or DefaultAzureCredential. */
  credential?: TokenCredential;
  managedIdentityClientId?: string;
  /** Extra SecretClient options (tests pass the fake's agent). */
  clientOptions?: SecretClientOptions;
}

/** Key Vault REST API version the adapter speaks (GA; what the tests' fake checks). */
export const KEY_VAULT_API_VERSION = '7.5';

export function createVaultSecrets(options: VaultSecretsOptions): VaultSecrets {
  return new SdkVaultSecrets(options);
}

function iso(d: Date | undefined): string | undefined {
  return d ? d.toISOString() : undefined;
}

function info(p: SecretProperties): SecretVersionInfo {
  const out: SecretVersionInfo = { name: p.name, version: p.version ?? '', enabled: p.enabled !== false, tags: { ...(p.tags ?? {}) } };
  if (p.contentType !== undefined) out.contentType = p.contentType;
  const e = iso(p.expiresOn);
  if (e) out.expiresOn = e;
  const n = iso(p.notBefore);
  if (n) out.notBefore = n;
  const c = iso(p.createdOn);
  if (c) out.createdOn = c;
  const u = iso(p.updatedOn);
  if (u) out.updatedOn = u;
  return out;
}

class SdkVaultSecrets implements VaultSecrets {
  private client: Promise<SecretClient> | undefined;
  readonly vaultUrl: string;

  constructor(private readonly options: VaultSecretsOptions) {
    let url: URL;
    try {
      url = new URL(options.vaultUrl);
    } catch {
      throw new VaultError(
        `KEY_VAULT_URI '${redactSecrets(options.vaultUrl)}' is not a URL. Fix: set it to the vault URI, e.g. https://kv-ms5-prod.vault.azure.net/`,
        undefined,
        undefined,
        false,
      );
    }
    if (url.protocol !== 'https:')
      throw new VaultError(
        `KEY_VAULT_URI must use https (got ${url.protocol}). Fix: use the vault URI from az keyvault show --query properties.vaultUri`,
        undefined,
        undefined,
        false,
      );
    this.vaultUrl = url.origin;
  }

  private sdk(): Promise<SecretClient> {
    this.client ??= (async () => {
      const [{ SecretClient }, credential] = await Promise.all([import('@azure/keyvault-secrets'), this.credential()]);
      return new SecretClient(
        this.vaultUrl,
        credential,
        withThrottleCount<SecretClientOptions>('keyvault', {
          serviceVersion: KEY_VAULT_API_VERSION,
          retryOptions: { maxRetries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 },
          ...(this.options.clientOptions ?? {}),
        }),
      );
    })();
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  private async credential(): Promise<TokenCredential> {
    if (this.options.credential) return this.options.credential;
    return appCredential(this.options.managedIdentityClientId);
  }

  async latest(name: string): Promise<SecretVersionInfo | undefined> {
    const c = await this.sdk();
    try {
      const s = await c.getSecret(name);
      return info(s.properties);
    } catch (e) {
      const err = this.error(e, `get the latest version of secret ${name}`);
      if (err instanceof VaultNotFoundError) return undefined;
      throw err;
    }
  }

  async versions(name: string): Promise<SecretVersionInfo[]> {
    const c = await this.sdk();
    const out: SecretVersionInfo[] = [];
    try {
      for await (const p of c.listPropertiesOfSecretVersions(name)) out.push(info(p));
    } catch (e) {
      const err = this.error(e, `list the versions of secret ${name}`);
      if (err instanceof VaultNotFoundError) return [];
      throw err;
    }
    // Stable: listing order breaks ties of the second-resolution creation time.
    return out
      .map((v, i) => ({ v, i }))
      .sort((a, b) => (a.v.createdOn ?? '').localeCompare(b.v.createdOn ?? '') || a.i - b.i)
      .map((x) => x.v);
  }

  async value(name: string, version: string): Promise<string> {
    const c = await this.sdk();
    try {
      const s = await c.getSecret(name, { version });
      if (typeof s.value !== 'string') throw new VaultError(`${this.vaultUrl}: secret ${name}/${version} has no value`, undefined, undefined, false);
      return s.value;
    } catch (e) {
      throw this.error(e, `read secret ${name}/${version}`);
    }
  }

  async setVersion(name: string, value: string, v: NewVersion): Promise<SecretVersionInfo> {
    const c = await this.sdk();
    try {
      const s = await c.setSecret(name, value, {
        tags: v.tags,
        ...(v.expiresOn ? { expiresOn: v.expiresOn } : {}),
        ...(v.notBefore ? { notBefore: v.notBefore } : {}),
        ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      });
      return info(s.properties);
    } catch (e) {
      throw this.error(e, `store a new version of secret ${name}`);
    }
  }

  async updateVersion(name: string, version: string, u: VersionUpdate): Promise<SecretVersionInfo> {
    const c = await this.sdk();
    try {
      const p = await c.updateSecretProperties(name, version, {
        ...(u.tags ? { tags: u.tags } : {}),
        ...(u.enabled !== undefined ? { enabled: u.enabled } : {}),
        ...(u.expiresOn ? { expiresOn: u.expiresOn } : {}),
      });
      return info(p);
    } catch (e) {
      throw this.error(e, `update secret ${name}/${version}`);
    }
  }

  async listSecrets(): Promise<SecretVersionInfo[]> {
    const c = await this.sdk();
    const out: SecretVersionInfo[] = [];
    try {
      for await (const p of c.listPropertiesOfSecrets()) out.push(info(p));
    } catch (e) {
      throw this.error(e, 'list secrets');
    }
    return out;
  }

  /** The SDK's RestError as one of ours, with the vault, what we tried and the fix. */
  private error(e: unknown, what: string): VaultError {
    if (e instanceof VaultError) return e;
    const r = (e ?? {}) as { statusCode?: number; code?: string; message?: string; response?: { headers?: { get(n: string): string | undefined } } };
    const status = typeof r.statusCode === 'number' ? r.statusCode : undefined;
    const code = typeof r.code === 'string' ? r.code : undefined;
    const detail = redactSecrets(
      String(r.message ?? e)
        .split('\n')[0]!
        .slice(0, 300),
    );
    const where = `${this.vaultUrl}: ${what} failed (${[status, code].filter((x) => x !== undefined).join(' ') || 'no answer'}): ${detail}`;
    if (status === 404) return new VaultNotFoundError(where, status, code, false);
    if (status === 409) {
      return new VaultConflictError(
        `${where}. Fix: the name is soft-deleted; recover it (az keyvault secret recover) or purge it, then retry`,
        status,
        code,
        false,
      );
    }
    if (status === 429) {
      const ra = Number(r.response?.headers?.get('retry-after') ?? '');
      return new VaultThrottledError(`${where}. Retry later`, Number.isFinite(ra) && ra > 0 ? ra : 30);
    }
    const hint = status === 403 ? missingAzurePermissionHint(String(r.message ?? '')) : undefined;
    if (hint) return new VaultError(`${where}. ${hint}`, status, code, false);
    if (status === 401 || status === 403) {
      return new VaultError(
        `${where}. Fix: grant the app's identity the Key Vault Secrets Officer role on the vault (bicep/permissions.json app-keyvault-secrets)`,
        status,
        code,
        false,
      );
    }
    const transient = status === undefined || status === 408 || status >= 500;
    return new VaultError(where, status, code, transient);
  }
}
