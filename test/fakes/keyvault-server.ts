// A strict fake of the Azure Key Vault secrets data plane, over HTTPS, driven by the real
// @azure/keyvault-secrets SecretClient. Shapes follow the REST API (api-versions 7.4 .. 7.6 and
// 2025-07-01; azure-rest-api-specs KeyVault secrets.json and the SDK's models.js deserializers):
//
//   PUT    /secrets/{name}                        SetSecret: new version; 409 Conflict while the name is soft-deleted
//   GET    /secrets/{name}/{version}              GetSecret (empty version = latest); 404 SecretNotFound; 403 on a disabled version
//   PATCH  /secrets/{name}/{version}              UpdateSecret: attributes (enabled, nbf, exp), tags (replaced whole), contentType
//   GET    /secrets/{name}/versions?maxresults=   GetSecretVersions (SecretItem: id with version, attributes, tags; no value), paged by nextLink
//   GET    /secrets?maxresults=                   GetSecrets (latest version of each, id without version), paged
//   DELETE /secrets/{name}                        DeleteSecret (soft delete: recoveryId, deletedDate, scheduledPurgeDate)
//   GET    /deletedsecrets/{name}  DELETE /deletedsecrets/{name}  POST /deletedsecrets/{name}/recover
//   POST   /secrets/{name}/backup                 BackupSecret: {value: base64url opaque blob of every version}
//   POST   /secrets/restore {value}               RestoreSecret: 409 Conflict when the name exists; 400 for a blob
//                                                 of another subscription/geography (options.geography)
//
// Attributes are Unix seconds (nbf, exp, created, updated) plus recoveryLevel and recoverableDays.
// Errors are {"error":{"code","message"[,"innererror":{"code"}]}}: 404 SecretNotFound; 409
// Conflict "... is currently in a deleted but recoverable state, and its name cannot be reused"
// (innererror ObjectIsDeletedButRecoverable, as seen in external-secrets#3519); 429 Throttled with
// Retry-After (Key Vault service limits); 400 BadParameter for names, tags and api-version.
//
// Auth is the challenge handshake of @azure/keyvault-common: a request without a bearer token
// answers 401 with `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>",
// resource="https://vault.azure.net"`; the client then gets a token for
// https://vault.azure.net/.default and repeats the request. Only tokens the fake issued pass.
// The vault answers on https://<vaultName>.vault.azure.net:<port> through loopbackAgent()
// (keyvault-tls.ts), so challenge resource verification stays ON.
//
// API (for other tests too, e.g. backups):
//   const kv = await startFakeKeyVault({ vaultName: 'kv-test' });
//   const client = new SecretClient(kv.vaultUrl, kv.credential(), kv.clientOptions());
//   kv.seed('db-password', 'value', { tags: {...}, expiresOn: new Date(...) }) -> version
//   kv.versions('db-password')      stored versions, oldest first (values included: test-side only)
//   kv.throttleNext(2, 3)           the next 2 requests answer 429 with Retry-After: 3
//   kv.failNext(503)                the next request answers 503 (transient); failNext(400, 1, 'PUT'): the next PUT
//   kv.requests                     method, path, query, status, authorized (never bodies or tokens)
//   kv.softDelete(name); kv.setClock(() => date); await kv.stop();
//   startFakeKeyVault({ versionSeed: 'x' })  deterministic version IDs (same seed, same IDs)
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from 'node:https';
import { allowsAzure, appAzurePolicy, keyVaultForbidden, keyVaultOperation } from './azure-authz.js';
import { loopbackAgent, vaultCertificate } from './keyvault-tls.js';
import { text } from '../../src/domain/text.js';

export const KEY_VAULT_SCOPE = 'https://vault.azure.net/.default';
export const FAKE_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API_VERSIONS = new Set(['7.4', '7.5', '7.6', '2025-07-01']);
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_TAGS = 15;
const MAX_VALUE_BYTES = 25 * 1024;

export interface StoredVersion {
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  /** Unix seconds. */
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

interface StoredSecret {
  name: string;
  versions: StoredVersion[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number };
}

export interface RecordedVaultRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Whether a token the fake issued was presented. */
  authorized: boolean;
  status: number;
}

/** Key Vault's backup encryption, one key per subscription and geography (shared by the vaults of a process). */
const BACKUP_KEYS = new Map<string, Buffer>();
function backupKeyOf(geography: string): Buffer {
  let k = BACKUP_KEYS.get(geography);
  if (!k) BACKUP_KEYS.set(geography, (k = randomBytes(32)));
  return k;
}

export interface FakeKeyVaultOptions {
  vaultName?: string;
  /** Subscription and geography: backups restore only into vaults of the same one (default 'sub-1/uksouth'). */
  geography?: string;
  now?: () => Date;
  /** Page size of list operations when the client sends no maxresults (the service uses 25). */
  pageSize?: number;
  recoverableDays?: number;
  /**
   * Derive version IDs from this seed (sha256 of seed, name and count) instead of at random, so two
   * fakes seeded alike hand out the same IDs (replay tests that rebuild the world per crash point).
   */
  versionSeed?: string;
}

export interface SeedOptions {
  tags?: Record<string, string>;
  contentType?: string;
  enabled?: boolean;
  expiresOn?: Date;
  notBefore?: Date;
  /** Creation time (default now). */
  createdOn?: Date;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

export class FakeKeyVault {
  readonly requests: RecordedVaultRequest[] = [];
  /** Data actions the caller holds (Azure RBAC permission model, azure-authz.ts); undefined allows everything. */
  policy: readonly string[] | undefined = appAzurePolicy();
  readonly vaultName: string;
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly issued = new Set<string>();
  private server: Server | undefined;
  private port = 0;
  private now: () => Date;
  private throttle: { count: number; retryAfter: number } = { count: 0, retryAfter: 0 };
  private failures: Array<{ status: number; method?: string }> = [];
  private readonly pageSize: number;
  private readonly recoverableDays: number;
  private agentInstance: Agent | undefined;
  private readonly versionSeed: string | undefined;
  private versionCount = 0;

  constructor(options: FakeKeyVaultOptions = {}) {
    this.vaultName = options.vaultName ?? 'kv-test';
    this.backupKey = backupKeyOf(options.geography ?? 'sub-1/uksouth');
    this.now = options.now ?? (() => new Date());
    this.pageSize = options.pageSize ?? 25;
    this.recoverableDays = options.recoverableDays ?? 90;
    this.versionSeed = options.versionSeed;
  }

  /** A new version ID: 32 hex characters, as Key Vault issues them. */
  private newVersionId(name: string): string {
    if (this.versionSeed === undefined) return randomBytes(16).toString('hex');
    return createHash('sha256').update(`${this.versionSeed}\u0000${name}\u0000${++this.versionCount}`).digest('hex').slice(0, 32);
  }

  async start(): Promise<this> {
    const cert = vaultCertificate();
    this.server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.agentInstance?.destroy();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The vault URI as Key Vault publishes it, plus the fake's port. */
  get vaultUrl(): string {
    return `https://${this.vaultName}.vault.azure.net:${this.port}`;
  }

  /** Options for SecretClient: the loopback agent (trusts the fake's certificate) and nothing else. */
  clientOptions(
    extra: Record<string, unknown> = {},
  ): { agent: Agent; retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number } } & Record<string, unknown> {
    this.agentInstance ??= loopbackAgent();
    return { agent: this.agentInstance, retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50 }, ...extra };
  }

  /** A TokenCredential issuing tokens the fake accepts, only for the Key Vault scope. */
  credential(): { getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }> } {
    return {
      getToken: async (scopes) => {
        const list = Array.isArray(scopes) ? scopes : [scopes];
        if (list.length !== 1 || list[0] !== KEY_VAULT_SCOPE) throw new Error(`fake credential: unexpected scope ${list.join(' ')}`);
        const token = `kvtoken-${randomUUID()}`;
        this.issued.add(token);
        return { token, expiresOnTimestamp: Date.now() + 3600_000 };
      },
    };
  }

  setClock(now: () => Date): void {
    this.now = now;
  }

  throttleNext(count: number, retryAfterSeconds: number): void {
    this.throttle = { count, retryAfter: retryAfterSeconds };
  }

  /** The next `count` requests (of `method` only, when given) answer `status`. */
  failNext(status: number, count = 1, method?: string): void {
    for (let i = 0; i < count; i++) this.failures.push(method ? { status, method } : { status });
  }

  // ------------------------------------------------------------------ test-side state

  seed(name: string, value: string, o: SeedOptions = {}): string {
    const s = this.secrets.get(name) ?? { name, versions: [] };
    this.secrets.set(name, s);
    const created = seconds(o.createdOn ?? this.now());
    const v: StoredVersion = { version: this.newVersionId(name), value, tags: { ...(o.tags ?? {}) }, enabled: o.enabled ?? true, created, updated: created };
    if (o.contentType !== undefined) v.contentType = o.contentType;
    if (o.expiresOn) v.exp = seconds(o.expiresOn);
    if (o.notBefore) v.nbf = seconds(o.notBefore);
    s.versions.push(v);
    return v.version;
  }

  /** Stored versions of a live or deleted secret, oldest first (copies). */
  versions(name: string): StoredVersion[] {
    return structuredClone(this.secrets.get(name)?.versions ?? []);
  }

  /** The latest version (what GET /secrets/{name} returns), or undefined. */
  latest(name: string): StoredVersion | undefined {
    const s = this.secrets.get(name);
    return s && !s.deleted ? structuredClone(s.versions[s.versions.length - 1]) : undefined;
  }

  /** Changes a stored version as another client would (e.g. a human disabling it). */
  modifyVersion(name: string, version: string, change: (v: StoredVersion) => void): void {
    const v = this.secrets.get(name)?.versions.find((x) => x.version === version);
    if (!v) throw new Error(`modifyVersion: ${name}/${version} does not exist`);
    change(v);
  }

  softDelete(name: string): void {
    const s = this.secrets.get(name);
    if (!s) throw new Error(`softDelete: ${name} does not exist`);
    const now = seconds(this.now());
    s.deleted = { deletedDate: now, scheduledPurgeDate: now + this.recoverableDays * 86400 };
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const record: RecordedVaultRequest = { method: req.method ?? 'GET', path: url.pathname, query, authorized: false, status: 0 };
    this.requests.push(record);
    let reply: Reply;
    try {
      const raw = await readBody(req);
      reply = this.route(req, record, url, query, raw);
    } catch (e) {
      if (e instanceof VaultError) {
        reply = {
          status: e.status,
          body: { error: { code: e.code, message: e.message, ...(e.inner ? { innererror: { code: e.inner } } : {}) } },
          headers: e.headers,
        };
      } else {
        reply = { status: 500, body: { error: { code: 'InternalError', message: `fake key vault bug: ${(e as Error).stack}` } } };
      }
    }
    record.status = reply.status;
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'x-ms-keyvault-service-version': '1.9.0.0',
      'x-ms-request-id': randomUUID(),
      ...(reply.headers ?? {}),
    });
    res.end(text);
  }

  private route(req: IncomingMessage, record: RecordedVaultRequest, url: URL, query: Record<string, string>, raw: string): Reply {
    // 1. Authentication (the challenge comes before anything else, as on the real service).
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const challenge = { 'WWW-Authenticate': `Bearer authorization="https://login.microsoftonline.com/${FAKE_TENANT_ID}", resource="https://vault.azure.net"` };
    if (!m) throw new VaultError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', undefined, challenge);
    if (!this.issued.has(m[1]!)) throw new VaultError(401, 'Unauthorized', 'AKV10022: Invalid audience or token.', undefined, challenge);
    record.authorized = true;
    // 2. Host: the request must be for this vault.
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (host !== `${this.vaultName}.vault.azure.net`) throw new VaultError(400, 'BadParameter', `Request host ${host} is not this vault (${this.vaultName}).`);
    // 3. Injected failures.
    if (this.throttle.count > 0) {
      this.throttle.count -= 1;
      throw new VaultError(
        429,
        'Throttled',
        'Request was not processed because too many requests were received. Reason: A non-default throttling policy was applied.',
        undefined,
        {
          'Retry-After': String(this.throttle.retryAfter),
        },
      );
    }
    const fi = this.failures.findIndex((f) => f.method === undefined || f.method === req.method);
    if (fi >= 0) {
      const { status } = this.failures.splice(fi, 1)[0]!;
      throw new VaultError(status, status >= 500 ? 'ServiceUnavailable' : 'BadRequest', `injected failure ${status}`);
    }
    // 4. api-version
    const apiVersion = query['api-version'];
    if (!apiVersion || !API_VERSIONS.has(apiVersion)) {
      throw new VaultError(
        400,
        'BadParameter',
        `The specified version (${apiVersion ?? ''}) is not recognized. Consider using the latest supported version (7.5).`,
      );
    }
    for (const k of Object.keys(query)) {
      if (!['api-version', 'maxresults', '$skiptoken', 'outContentType'].includes(k))
        throw new VaultError(400, 'BadParameter', `Unknown query parameter ${k}.`);
    }
    // "/secrets/name/" (latest version, as the SDK sends an empty version) keeps its empty last part.
    const parts = url.pathname.replace(/^\//, '').split('/').map(decodeURIComponent);
    if (parts.length === 2 && parts[1] === '') parts.pop();
    // parts: ['secrets'] | ['secrets', name] | ['secrets', name, version|''|'versions'] | ['deletedsecrets', name(, 'recover')]
    const method = req.method ?? 'GET';
    // 5. Authorization: the data action against the caller's role assignments (403 ForbiddenByRbac).
    const action = keyVaultOperation(method, parts);
    if (!allowsAzure(this.policy, action)) {
      const f = keyVaultForbidden(action, this.vaultName, parts).error;
      throw new VaultError(403, f.code, f.message, f.innererror.code);
    }
    const [root, name, third] = parts;
    if (root === 'secrets') {
      if (name === undefined) {
        if (method !== 'GET') throw notAllowed();
        return { status: 200, body: this.listSecrets(query) };
      }
      // RestoreSecret: POST /secrets/restore {value}: 409 Conflict when the name exists (live or soft-deleted).
      if (name === 'restore' && parts.length === 2 && method === 'POST') return { status: 200, body: this.restoreSecret(parseJson(raw)) };
      checkName(name);
      if (parts.length === 2) {
        if (method === 'PUT') return { status: 200, body: this.setSecret(name, parseJson(raw)) };
        if (method === 'DELETE') return { status: 200, body: this.deleteSecret(name) };
        if (method === 'GET') return { status: 200, body: this.getSecret(name, '') };
        throw notAllowed();
      }
      if (parts.length === 3 && third === 'versions' && method === 'GET') return { status: 200, body: this.listVersions(name, query) };
      // Backups (#4): BackupSecret, POST /secrets/{name}/backup -> {value: base64url opaque blob}.
      if (parts.length === 3 && third === 'backup' && method === 'POST') return { status: 200, body: this.backupSecret(name) };
      if (parts.length === 3) {
        if (method === 'GET') return { status: 200, body: this.getSecret(name, third ?? '') };
        if (method === 'PATCH') return { status: 200, body: this.updateSecret(name, third ?? '', parseJson(raw)) };
        throw notAllowed();
      }
    }
    if (root === 'deletedsecrets' && name !== undefined) {
      checkName(name);
      const s = this.secrets.get(name);
      if (!s?.deleted) throw new VaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
      if (parts.length === 2 && method === 'GET') return { status: 200, body: this.deletedBundle(s) };
      if (parts.length === 2 && method === 'DELETE') {
        this.secrets.delete(name);
        return { status: 204 };
      }
      if (parts.length === 3 && third === 'recover' && method === 'POST') {
        delete s.deleted;
        return { status: 200, body: this.bundle(s, s.versions[s.versions.length - 1]!, true) };
      }
    }
    throw new VaultError(404, 'NotFound', `The requested path ${url.pathname} was not found.`);
  }

  // ------------------------------------------------------------------ operations

  private readonly backupKey: Buffer;

  /**
   * BackupSecret: every version of the secret in one opaque blob (Key Vault encrypts it with a
   * key of its own; here AES-256-GCM under a per-fake key). 404 SecretNotFound when absent or
   * soft-deleted, as the service answers.
   */
  private backupSecret(name: string): { value: string } {
    const s = this.secrets.get(name);
    if (!s || s.deleted) throw new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.backupKey, iv);
    const body = Buffer.concat([c.update(JSON.stringify({ name, versions: s.versions })), c.final()]);
    return { value: Buffer.concat([Buffer.from('AKVBACKUP1'), iv, c.getAuthTag(), body]).toString('base64url') };
  }

  private restoreSecret(body: Record<string, unknown>): unknown {
    const blob = Buffer.from(text(body['value']), 'base64url');
    let doc: { name: string; versions: StoredVersion[] };
    try {
      if (blob.subarray(0, 10).toString() !== 'AKVBACKUP1') throw new Error('magic');
      const d = createDecipheriv('aes-256-gcm', this.backupKey, blob.subarray(10, 22));
      d.setAuthTag(blob.subarray(22, 38));
      doc = JSON.parse(Buffer.concat([d.update(blob.subarray(38)), d.final()]).toString()) as typeof doc;
    } catch {
      throw new VaultError(400, 'BadParameter', 'Backup blob contains invalid or corrupt version.');
    }
    const existing = this.secrets.get(doc.name);
    if (existing)
      throw new VaultError(
        409,
        'Conflict',
        existing.deleted ? `Secret ${doc.name} is currently in a deleted but recoverable state.` : `Secret ${doc.name} already exists.`,
      );
    const s: StoredSecret = { name: doc.name, versions: doc.versions };
    this.secrets.set(doc.name, s);
    return this.bundle(s, s.versions[s.versions.length - 1]!, false);
  }

  private live(name: string): StoredSecret {
    const s = this.secrets.get(name);
    if (!s || s.deleted || s.versions.length === 0) {
      throw new VaultError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
      );
    }
    return s;
  }

  private version(s: StoredSecret, version: string): StoredVersion {
    const v = version === '' ? s.versions[s.versions.length - 1] : s.versions.find((x) => x.version === version);
    if (!v) {
      throw new VaultError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${s.name}/${version} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
      );
    }
    return v;
  }

  private getSecret(name: string, version: string): unknown {
    const s = this.live(name);
    const v = this.version(s, version);
    if (!v.enabled) throw new VaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
    return this.bundle(s, v, true);
  }

  private setSecret(name: string, body: Record<string, unknown>): unknown {
    const existing = this.secrets.get(name);
    if (existing?.deleted) {
      throw new VaultError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
      );
    }
    const value = body['value'];
    if (typeof value !== 'string') throw new VaultError(400, 'BadParameter', 'Property value is required and must be a string.');
    if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) throw new VaultError(400, 'BadParameter', 'Secret value is too large (at most 25k bytes).');
    const tags = checkTags(body['tags']);
    const attrs = checkAttributes(body['attributes']);
    const now = seconds(this.now());
    const v: StoredVersion = { version: this.newVersionId(name), value, tags: tags ?? {}, enabled: attrs.enabled ?? true, created: now, updated: now };
    if (typeof body['contentType'] === 'string') v.contentType = body['contentType'];
    if (attrs.nbf !== undefined) v.nbf = attrs.nbf;
    if (attrs.exp !== undefined) v.exp = attrs.exp;
    const s = existing ?? { name, versions: [] };
    s.versions.push(v);
    this.secrets.set(name, s);
    return this.bundle(s, v, true);
  }

  private updateSecret(name: string, version: string, body: Record<string, unknown>): unknown {
    const s = this.live(name);
    const v = this.version(s, version);
    if ('value' in body) throw new VaultError(400, 'BadParameter', 'The value of a secret version cannot be changed; set a new version instead.');
    const tags = checkTags(body['tags']);
    const attrs = checkAttributes(body['attributes']);
    if (tags !== undefined) v.tags = tags;
    if (typeof body['contentType'] === 'string') v.contentType = body['contentType'];
    if (attrs.enabled !== undefined) v.enabled = attrs.enabled;
    if (attrs.nbf !== undefined) v.nbf = attrs.nbf;
    if (attrs.exp !== undefined) v.exp = attrs.exp;
    v.updated = seconds(this.now());
    return this.bundle(s, v, false);
  }

  private deleteSecret(name: string): unknown {
    const s = this.live(name);
    this.softDelete(name);
    return this.deletedBundle(s);
  }

  private listVersions(name: string, query: Record<string, string>): unknown {
    const s = this.live(name);
    const items = s.versions.map((v) => this.item(s, v, true));
    return this.page(items, query, `/secrets/${encodeURIComponent(name)}/versions`);
  }

  private listSecrets(query: Record<string, string>): unknown {
    const items = [...this.secrets.values()]
      .filter((s) => !s.deleted && s.versions.length > 0)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => this.item(s, s.versions[s.versions.length - 1]!, false));
    return this.page(items, query, '/secrets');
  }

  private page(items: unknown[], query: Record<string, string>, path: string): unknown {
    const max = query['maxresults'] !== undefined ? Number(query['maxresults']) : this.pageSize;
    if (!Number.isInteger(max) || max < 1 || max > 25) throw new VaultError(400, 'BadParameter', 'maxresults must be between 1 and 25.');
    const skip = query['$skiptoken'] !== undefined ? Number(Buffer.from(query['$skiptoken'], 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(skip) || skip < 0) throw new VaultError(400, 'BadParameter', 'Invalid $skiptoken.');
    const value = items.slice(skip, skip + max);
    const nextLink =
      skip + max < items.length
        ? `${this.vaultUrl}${path}?api-version=${query['api-version']}&$skiptoken=${Buffer.from(String(skip + max)).toString('base64url')}&maxresults=${max}`
        : null;
    return { value, nextLink };
  }

  private attributes(v: StoredVersion): Record<string, unknown> {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: this.recoverableDays,
    };
  }

  private bundle(s: StoredSecret, v: StoredVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: v.value } : {}),
      id: `${this.vaultUrl}/secrets/${s.name}/${v.version}`,
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      attributes: this.attributes(v),
      tags: { ...v.tags },
    };
  }

  private item(s: StoredSecret, v: StoredVersion, withVersion: boolean): Record<string, unknown> {
    return {
      id: `${this.vaultUrl}/secrets/${s.name}${withVersion ? `/${v.version}` : ''}`,
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      attributes: this.attributes(v),
      tags: { ...v.tags },
    };
  }

  private deletedBundle(s: StoredSecret): unknown {
    const v = s.versions[s.versions.length - 1]!;
    return {
      ...this.bundle(s, v, false),
      recoveryId: `${this.vaultUrl}/deletedsecrets/${s.name}`,
      deletedDate: s.deleted!.deletedDate,
      scheduledPurgeDate: s.deleted!.scheduledPurgeDate,
    };
  }
}

export async function startFakeKeyVault(options: FakeKeyVaultOptions = {}): Promise<FakeKeyVault> {
  return new FakeKeyVault(options).start();
}

// -------------------------------------------------------------------- helpers

function notAllowed(): VaultError {
  return new VaultError(405, 'MethodNotAllowed', 'The requested method is not allowed on this resource.');
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new VaultError(
      400,
      'BadParameter',
      `The request URI contains an invalid name: ${name}. Secret names are 1-127 characters: letters, digits and dashes.`,
    );
  }
}

function parseJson(raw: string): Record<string, unknown> {
  try {
    const v = JSON.parse(raw) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new VaultError(400, 'BadParameter', 'The request body is not valid JSON.');
  }
}

function checkTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  if (typeof tags !== 'object' || Array.isArray(tags)) throw new VaultError(400, 'BadParameter', 'Tags must be an object of strings.');
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > MAX_TAGS) throw new VaultError(400, 'BadParameter', `Too many tags: at most ${MAX_TAGS} are allowed.`);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new VaultError(400, 'BadParameter', `Tag ${k} must be a string.`);
    if (k.length > 512 || v.length > 256)
      throw new VaultError(400, 'BadParameter', `Tag ${k.slice(0, 40)} is too long (name at most 512, value at most 256 characters).`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function checkAttributes(a: unknown): { enabled?: boolean; nbf?: number; exp?: number } {
  if (a === undefined || a === null) return {};
  if (typeof a !== 'object' || Array.isArray(a)) throw new VaultError(400, 'BadParameter', 'attributes must be an object.');
  const o = a as Record<string, unknown>;
  const out: { enabled?: boolean; nbf?: number; exp?: number } = {};
  if (o['enabled'] !== undefined) {
    if (typeof o['enabled'] !== 'boolean') throw new VaultError(400, 'BadParameter', 'attributes.enabled must be a boolean.');
    out.enabled = o['enabled'];
  }
  for (const f of ['nbf', 'exp'] as const) {
    if (o[f] === undefined || o[f] === null) continue;
    if (typeof o[f] !== 'number' || !Number.isInteger(o[f])) throw new VaultError(400, 'BadParameter', `attributes.${f} must be Unix seconds (an integer).`);
    out[f] = o[f];
  }
  if (out.nbf !== undefined && out.exp !== undefined && out.nbf > out.exp) throw new VaultError(400, 'BadParameter', 'attributes.nbf is after attributes.exp.');
  for (const f of ['created', 'updated', 'recoveryLevel']) {
    if (o[f] !== undefined) throw new VaultError(400, 'BadParameter', `attributes.${f} is read-only.`);
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
