// A strict fake of the Azure Key Vault keys data plane for what backups use, over HTTPS on a real
// vault host name (keyvault-tls.ts), driven by the real @azure/keyvault-keys CryptographyClient.
// Shapes follow the REST API (azure-rest-api-specs KeyVault keys.json, api-version 7.4+):
//
//   GET  /keys/{name}[/{version}]                 GetKey: KeyBundle {key: JWK {kid, kty, key_ops, n, e}, attributes}
//   POST /keys/{name}/{version}/wrapkey           {alg, value: base64url} -> {kid, value}
//   POST /keys/{name}/{version}/unwrapkey         {alg, value: base64url} -> {kid, value}
//
// RSA keys only (RSA-OAEP, RSA-OAEP-256, RSA1_5). The private key never leaves the fake; the
// client wraps locally with the public key it read (CryptographyClient's local RSA provider) and
// unwraps remotely. A key can get a new version (rotate) and versions can be disabled (403
// Forbidden "Operation ... is not allowed on a disabled key"). Errors are
// {"error":{"code","message"}}: 404 KeyNotFound, 400 BadParameter, 401 with the bearer challenge.
// Auth as in keyvault-server.ts: without a token, 401 with
// `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>", resource="https://vault.azure.net"`.
//
//   const kv = await startFakeKeyVaultKeys({ vaultName: 'kv-backup' });
//   const keyId = kv.createKey('backup-kek');   // https://kv-backup.vault.azure.net:<port>/keys/backup-kek
//   new CryptographyClient(keyId, kv.credential(), kv.clientOptions())
import { constants, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Agent, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowsAzure, appAzurePolicy, keyVaultForbidden, keyVaultOperation } from './azure-authz.js';
import { loopbackAgent, vaultCertificate } from './keyvault-tls.js';

const SCOPE = 'https://vault.azure.net/.default';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const API_VERSIONS = new Set(['7.4', '7.5', '7.6', '2025-07-01']);

interface KeyVersion {
  version: string;
  privateKey: KeyObject;
  n: string;
  e: string;
  enabled: boolean;
  created: number;
}

export interface RecordedKeyRequest {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
}

class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const b64u = (b: Buffer) => b.toString('base64url');

export class FakeKeyVaultKeys {
  readonly requests: RecordedKeyRequest[] = [];
  /** Data actions the caller holds (Azure RBAC permission model, azure-authz.ts); undefined allows everything. */
  policy: readonly string[] | undefined = appAzurePolicy();
  private readonly keys = new Map<string, KeyVersion[]>();
  private readonly issued = new Set<string>();
  private server: Server | undefined;
  private port = 0;
  private agent: Agent | undefined;

  constructor(readonly vaultName: string) {}

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
    this.agent?.destroy();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  get vaultUrl(): string {
    return `https://${this.vaultName}.vault.azure.net:${this.port}`;
  }

  clientOptions(): Record<string, unknown> {
    this.agent ??= loopbackAgent();
    return { agent: this.agent, retryOptions: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 50 } };
  }

  credential(): { getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }> } {
    return {
      getToken: async (scopes) => {
        const list = Array.isArray(scopes) ? scopes : [scopes];
        if (list.length !== 1 || list[0] !== SCOPE) throw new Error(`fake credential: unexpected scope ${list.join(' ')}`);
        const token = `kvkeys-${randomUUID()}`;
        this.issued.add(token);
        return { token, expiresOnTimestamp: Date.now() + 3600_000 };
      },
    };
  }

  /** Creates the key (or a new version of it); returns the key ID without version. */
  createKey(name: string): string {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { n: string; e: string };
    const versions = this.keys.get(name) ?? [];
    versions.push({ version: randomBytes(16).toString('hex'), privateKey, n: jwk.n, e: jwk.e, enabled: true, created: Math.floor(Date.now() / 1000) });
    this.keys.set(name, versions);
    return `${this.vaultUrl}/keys/${name}`;
  }

  versions(name: string): string[] {
    return (this.keys.get(name) ?? []).map((v) => v.version);
  }

  disable(name: string, version: string): void {
    const v = (this.keys.get(name) ?? []).find((x) => x.version === version);
    if (v) v.enabled = false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const rec: RecordedKeyRequest = { method: req.method ?? 'GET', path: url.pathname, status: 0, authorized: false };
    this.requests.push(rec);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
        'x-ms-keyvault-service-version': '1.9.0',
        ...headers,
      });
      res.end(text);
    };
    try {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (!m || !this.issued.has(m[1]!)) {
        return send(
          401,
          { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
          {
            'WWW-Authenticate': `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`,
          },
        );
      }
      rec.authorized = true;
      const apiVersion = url.searchParams.get('api-version');
      if (!apiVersion || !API_VERSIONS.has(apiVersion))
        throw new KvError(400, 'BadParameter', `The specified version (${apiVersion ?? ''}) is not recognized.`);
      const parts = url.pathname.replace(/^\//, '').split('/').map(decodeURIComponent);
      if (parts[parts.length - 1] === '') parts.pop();
      const action = keyVaultOperation(req.method ?? 'GET', parts);
      if (!allowsAzure(this.policy, action)) return send(403, keyVaultForbidden(action, this.vaultName, parts));
      if (parts[0] !== 'keys' || !parts[1]) throw new KvError(404, 'NotFound', `The requested path ${url.pathname} was not found.`);
      const name = parts[1];
      const versions = this.keys.get(name);
      if (!versions) throw new KvError(404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault.`);
      const pick = (v: string | undefined) => {
        const kv = v ? versions.find((x) => x.version === v) : versions[versions.length - 1];
        if (!kv) throw new KvError(404, 'KeyNotFound', `A key with (name/id) ${name}/${v} was not found in this key vault.`);
        return kv;
      };
      const kid = (kv: KeyVersion) => `${this.vaultUrl}/keys/${name}/${kv.version}`;
      if (req.method === 'GET' && parts.length <= 3) {
        const kv = pick(parts[2]);
        return send(200, {
          key: { kid: kid(kv), kty: 'RSA', key_ops: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'], n: kv.n, e: kv.e },
          attributes: { enabled: kv.enabled, created: kv.created, updated: kv.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
        });
      }
      if (req.method === 'POST' && parts.length === 4 && (parts[3] === 'wrapkey' || parts[3] === 'unwrapkey')) {
        const kv = pick(parts[2]);
        if (!kv.enabled) throw new KvError(403, 'Forbidden', `Operation ${parts[3]} is not allowed on a disabled key.`);
        let body: { alg?: string; value?: string };
        try {
          body = JSON.parse(raw) as { alg?: string; value?: string };
        } catch {
          throw new KvError(400, 'BadParameter', 'The request body is not valid JSON.');
        }
        const padding = body.alg === 'RSA1_5' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_OAEP_PADDING;
        const oaepHash = body.alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1';
        if (!['RSA-OAEP', 'RSA-OAEP-256', 'RSA1_5'].includes(body.alg ?? '') || typeof body.value !== 'string') {
          throw new KvError(400, 'BadParameter', `Invalid algorithm or value (alg: ${body.alg ?? '(none)'}).`);
        }
        const input = Buffer.from(body.value, 'base64url');
        let out: Buffer;
        try {
          out =
            parts[3] === 'wrapkey'
              ? publicEncrypt({ key: kv.privateKey, padding, oaepHash }, input)
              : privateDecrypt({ key: kv.privateKey, padding, oaepHash }, input);
        } catch {
          throw new KvError(400, 'BadParameter', 'Error while decrypting the wrapped key.');
        }
        return send(200, { kid: kid(kv), value: b64u(out) });
      }
      throw new KvError(405, 'MethodNotAllowed', 'The requested method is not allowed on this resource.');
    } catch (e) {
      if (e instanceof KvError) return send(e.status, { error: { code: e.code, message: e.message } });
      return send(500, { error: { code: 'InternalServerError', message: (e as Error).message } });
    }
  }
}

export async function startFakeKeyVaultKeys(options: { vaultName?: string } = {}): Promise<FakeKeyVaultKeys> {
  return new FakeKeyVaultKeys(options.vaultName ?? 'kv-backup').start();
}
