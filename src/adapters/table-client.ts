// Azure Table clients for the app's tables (audit log, control state), built from Settings:
//  - locally a connection string: "UseDevelopmentStorage=true" (Azurite at 127.0.0.1:10002,
//    account devstoreaccount1) or an explicit one, e.g. Azurite with TableEndpoint=http://...;
//  - in Azure the Table service URI (AzureWebJobsStorage__tableServiceUri) with the app's
//    managed identity (AZURE_CLIENT_ID), or DefaultAzureCredential when no client ID is set.
// The table is created on first use, once per process. SDKs are imported lazily (cold start).
// Errors leave here as TransientStoreError (retry later: the HTTP layer answers 503) or
// StoreError (configuration, permissions, bad data); their messages never carry credentials.
import { createHash } from 'node:crypto';
import { withThrottleCount } from '../telemetry/throttling.js';
import type { TableClient } from '@azure/data-tables';
import type { Settings } from '../config/settings.js';
import { appCredential } from './azure-credential.js';
import { redactSecrets } from '../domain/redact.js';

/** Storage is unavailable for now (timeout, throttling, 5xx, connection refused): retry later. */
export class TransientStoreError extends Error {
  override readonly name = 'TransientStoreError';
  readonly transient = true;
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Storage refused the operation for a reason retrying will not fix (config, auth, bad data). */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly transient = false;
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function isTransientStoreError(err: unknown): err is TransientStoreError {
  return err instanceof TransientStoreError || (err instanceof Error && err.name === 'TransientStoreError');
}

/** How to reach the Table service, without any credential in it (safe to log). */
export interface TableConnectionInfo {
  auth: 'connection-string' | 'managed-identity' | 'default-credential';
  /** Table service endpoint, e.g. http://127.0.0.1:10002/devstoreaccount1 (no query string). */
  endpoint: string;
  /** Plain http is allowed only for the storage emulator (loopback host or devstoreaccount1). */
  insecure: boolean;
}

export interface TableClientOptions {
  /** Retries inside the SDK for transient failures; default 2 retries, 300 ms .. 2 s apart. */
  retry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** Create the table on first use (default true). */
  createTable?: boolean;
}

const DEV_CONNECTION_TABLE_ENDPOINT = 'http://127.0.0.1:10002/devstoreaccount1';
const EMULATOR_ACCOUNT = 'devstoreaccount1';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function connectionStringValue(cs: string, key: string): string | undefined {
  for (const part of cs.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim().toLowerCase() === key.toLowerCase()) return part.slice(i + 1).trim();
  }
  return undefined;
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

function checkTableName(name: string): void {
  if (!TABLE_NAME.test(name)) {
    throw new StoreError(
      `Table name '${name}' is not valid: 3-63 letters and digits, starting with a letter. Fix: correct AUDIT_TABLE_NAME / CONTROL_TABLE_NAME.`,
    );
  }
}

/** Describes where Settings point the table clients (no secrets). Throws StoreError when nothing is configured. */
export function tableConnectionInfo(settings: Settings): TableConnectionInfo {
  const cs = settings.storageConnection?.trim();
  if (cs) {
    let endpoint: string;
    if (/usedevelopmentstorage\s*=\s*true/i.test(cs)) {
      endpoint = DEV_CONNECTION_TABLE_ENDPOINT;
    } else {
      const explicit = connectionStringValue(cs, 'TableEndpoint');
      const account = connectionStringValue(cs, 'AccountName');
      if (explicit) endpoint = explicit.replace(/\/+$/, '');
      else if (account) {
        const protocol = connectionStringValue(cs, 'DefaultEndpointsProtocol') ?? 'https';
        const suffix = connectionStringValue(cs, 'EndpointSuffix') ?? 'core.windows.net';
        endpoint = `${protocol}://${account}.table.${suffix}`;
      } else {
        throw new StoreError(
          'AzureWebJobsStorage is not a storage connection string this app understands (no TableEndpoint or AccountName). ' +
            "Fix: locally set it to 'UseDevelopmentStorage=true' (Azurite); in Azure use AzureWebJobsStorage__tableServiceUri with a managed identity.",
        );
      }
    }
    return { auth: 'connection-string', endpoint, insecure: endpointIsInsecure(endpoint, 'AzureWebJobsStorage') };
  }
  const uri = settings.tableServiceUri?.trim();
  if (uri) {
    const endpoint = uri.replace(/[?#].*$/, '').replace(/\/+$/, '');
    return {
      auth: settings.managedIdentityClientId ? 'managed-identity' : 'default-credential',
      endpoint,
      insecure: endpointIsInsecure(endpoint, 'AzureWebJobsStorage__tableServiceUri'),
    };
  }
  throw new StoreError(
    'No table storage is configured. Fix: locally set AzureWebJobsStorage=UseDevelopmentStorage=true (and run Azurite); ' +
      'in Azure set AzureWebJobsStorage__tableServiceUri (and AZURE_CLIENT_ID for a user-assigned identity).',
  );
}

function endpointIsInsecure(endpoint: string, setting: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new StoreError(`${setting}: the table endpoint '${redactSecrets(endpoint)}' is not a URL. Fix: e.g. https://<account>.table.core.windows.net.`);
  }
  if (url.protocol === 'https:') return false;
  if (url.protocol !== 'http:') {
    throw new StoreError(`${setting}: the table endpoint uses ${url.protocol} Fix: use https:// (or http:// for Azurite).`);
  }
  const account = url.pathname.split('/')[1] ?? '';
  if (LOOPBACK.has(url.hostname) || account === EMULATOR_ACCOUNT || url.hostname.startsWith(`${EMULATOR_ACCOUNT}.`)) return true;
  throw new StoreError(
    `${setting}: refusing plain http to ${url.origin}: only the storage emulator (a loopback host or account ${EMULATOR_ACCOUNT}) may use http. Fix: use https://.`,
  );
}

// One client per (connection, table, options) and one table creation per process.
const clients = new Map<string, Promise<TableClient>>();
type TokenCredential = import('@azure/identity').TokenCredential;

function cacheKey(settings: Settings, tableName: string, options: TableClientOptions): string {
  // Hash, so the map never holds a connection string in clear in heap dumps keyed by it.
  const conn = createHash('sha256')
    .update(settings.storageConnection ?? '')
    .update('\0')
    .update(settings.tableServiceUri ?? '')
    .update('\0')
    .update(settings.managedIdentityClientId ?? '')
    .digest('hex');
  return `${conn}|${tableName}|${JSON.stringify(options.retry ?? {})}|${options.createTable !== false}`;
}

/** The app's shared credential (one per client ID and process, its token cache shared by all adapters). */
function credentialFor(settings: Settings): Promise<TokenCredential> {
  return appCredential(settings.managedIdentityClientId);
}

async function buildClient(settings: Settings, tableName: string, options: TableClientOptions): Promise<TableClient> {
  const info = tableConnectionInfo(settings);
  const { TableClient } = await import('@azure/data-tables');
  const clientOptions = withThrottleCount('storage', {
    allowInsecureConnection: info.insecure,
    retryOptions: {
      maxRetries: options.retry?.maxRetries ?? 2,
      retryDelayInMs: options.retry?.retryDelayInMs ?? 300,
      maxRetryDelayInMs: options.retry?.maxRetryDelayInMs ?? 2_000,
    },
  });
  let client: TableClient;
  try {
    if (info.auth === 'connection-string') {
      client = TableClient.fromConnectionString(settings.storageConnection!.trim(), tableName, clientOptions);
    } else {
      client = new TableClient(info.endpoint, tableName, await credentialFor(settings), clientOptions);
    }
  } catch (err) {
    // The SDK's parse errors can quote the connection string: never pass them on as they are.
    throw new StoreError(`Could not create a table client for ${info.endpoint} (${info.auth}): ${redactSecrets((err as Error).message ?? String(err))}`);
  }
  if (options.createTable !== false) {
    try {
      await client.createTable(); // 409 TableAlreadyExists is swallowed by the SDK.
    } catch (err) {
      throw classifyStoreError(err, `create table '${tableName}'`, info.endpoint);
    }
  }
  return client;
}

/**
 * The TableClient for `tableName`, creating the table on first use (once per process).
 * A failed creation is not cached: the next call tries again.
 */
export async function getTableClient(settings: Settings, tableName: string, options: TableClientOptions = {}): Promise<TableClient> {
  checkTableName(tableName);
  const key = cacheKey(settings, tableName, options);
  let pending = clients.get(key);
  if (!pending) {
    pending = buildClient(settings, tableName, options);
    clients.set(key, pending);
    pending.catch(() => clients.delete(key));
  }
  return pending;
}

/** Forgets cached clients (tests; or after rotating the storage connection string). */
export function resetTableClients(): void {
  clients.clear();
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'OperationTimedOut',
  'ServerBusy',
  'InternalError',
]);

/**
 * Maps an SDK / network error to TransientStoreError or StoreError with a message that names the
 * operation and endpoint, keeps the service's error code, and carries no credentials.
 */
export function classifyStoreError(err: unknown, operation: string, endpoint?: string): Error {
  if (err instanceof TransientStoreError || err instanceof StoreError) return err;
  const e = (err ?? {}) as { name?: string; message?: string; statusCode?: number; code?: string; cause?: { code?: string } };
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const causeCode = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const where = endpoint ? ` at ${endpoint}` : '';
  const rawMessage = typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 300) : String(err);
  const detail = redactSecrets(rawMessage);
  const tag = [statusCode, code ?? causeCode].filter((x) => x !== undefined).join(' ');
  const message = `Table storage${where}: ${operation} failed${tag ? ` (${tag})` : ''}: ${detail}`;
  const transient =
    (statusCode !== undefined && TRANSIENT_STATUS.has(statusCode)) ||
    (statusCode === undefined && (TRANSIENT_CODES.has(code ?? '') || TRANSIENT_CODES.has(causeCode ?? ''))) ||
    (code !== undefined && TRANSIENT_CODES.has(code) && statusCode !== undefined && statusCode >= 500) ||
    e.name === 'AbortError' ||
    e.name === 'TimeoutError' ||
    // Managed identity endpoint hiccups (IMDS unreachable, 5xx): retry later.
    (e.name === 'AuthenticationError' && (statusCode === undefined || statusCode >= 500 || statusCode === 429));
  return transient ? new TransientStoreError(message, statusCode, code ?? causeCode) : new StoreError(message, statusCode, code ?? causeCode);
}

/** A store over one table: every call gets the shared client and turns failures into StoreError/TransientStoreError. */
export class TableStore {
  constructor(
    private readonly client: () => Promise<TableClient>,
    private readonly endpoint: string,
  ) {}

  protected async run<T>(what: string, fn: (c: TableClient) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.client());
    } catch (e) {
      throw classifyStoreError(e, what, this.endpoint);
    }
  }
}
