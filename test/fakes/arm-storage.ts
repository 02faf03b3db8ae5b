// A strict fake of the two ARM operations the storage-account-key rotation uses, over HTTPS on
// https://management.azure.com:<port> (through loopbackAgent(), keyvault-tls.ts):
//   POST /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{a}/listKeys?api-version=...
//   POST .../regenerateKey?api-version=...   body {"keyName": "key1"|"key2"}
// both answering {"keys":[{"creationTime","keyName","value","permissions":"FULL"}]}
// (azure-rest-api-specs storage StorageAccountListKeys.json / StorageAccountRegenerateKey.json).
// Bearer token required (the SDK only sends it over https); ARM error bodies {"error":{"code","message"}}:
// 401 AuthenticationFailed, 404 ResourceNotFound / ResourceGroupNotFound, 400 for a bad keyName.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from 'node:https';
import { allowsAzure, appAzurePolicy, armAuthorizationFailed, armOperation, armScope } from './azure-authz.js';
import { loopbackAgent, vaultCertificate } from './keyvault-tls.js';

export const ARM_SCOPE = 'https://management.azure.com/.default';
const PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)\/(listKeys|regenerateKey)$/i;

interface Account {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  keys: { key1: { value: string; creationTime: string }; key2: { value: string; creationTime: string } };
}

export interface RecordedArmStorageRequest {
  method: string;
  path: string;
  operation: string;
  keyName?: string;
  status: number;
}

const newKey = () => randomBytes(64).toString('base64');

export class FakeArmStorage {
  readonly requests: RecordedArmStorageRequest[] = [];
  /** Operations the caller holds (azure-authz.ts); undefined allows everything. */
  policy: readonly string[] | undefined = appAzurePolicy();
  private readonly accounts: Account[] = [];
  private readonly issued = new Set<string>();
  private server: Server | undefined;
  private port = 0;
  private agentInstance: Agent | undefined;

  async start(): Promise<this> {
    const cert = vaultCertificate();
    this.server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.agentInstance?.destroy();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  get endpoint(): string {
    return `https://management.azure.com:${this.port}`;
  }

  /** StorageManagementClient options pointing at the fake. */
  clientOptions(): { endpoint: string; agent: Agent; retryOptions: { maxRetries: number } } {
    this.agentInstance ??= loopbackAgent();
    return { endpoint: this.endpoint, agent: this.agentInstance, retryOptions: { maxRetries: 0 } };
  }

  credential(): { getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }> } {
    return {
      getToken: async (scopes) => {
        const list = Array.isArray(scopes) ? scopes : [scopes];
        if (list[0] !== ARM_SCOPE) throw new Error(`fake ARM credential: unexpected scope ${list.join(' ')}`);
        const token = `armtoken-${randomUUID()}`;
        this.issued.add(token);
        return { token, expiresOnTimestamp: Date.now() + 3600_000 };
      },
    };
  }

  addAccount(subscriptionId: string, resourceGroup: string, name: string): { key1: string; key2: string } {
    const at = new Date().toISOString();
    const a: Account = {
      subscriptionId,
      resourceGroup,
      name,
      keys: { key1: { value: newKey(), creationTime: at }, key2: { value: newKey(), creationTime: at } },
    };
    this.accounts.push(a);
    return { key1: a.keys.key1.value, key2: a.keys.key2.value };
  }

  keys(name: string): { key1: string; key2: string } {
    const a = this.accounts.find((x) => x.name === name);
    if (!a) throw new Error(`no account ${name}`);
    return { key1: a.keys.key1.value, key2: a.keys.key2.value };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const m = PATH.exec(url.pathname);
    const rec: RecordedArmStorageRequest = { method: req.method ?? '', path: url.pathname, operation: m?.[4] ?? '?', status: 0 };
    this.requests.push(rec);
    const reply = (status: number, body: unknown) => {
      rec.status = status;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID() });
      res.end(text);
    };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.issued.has(token))
      return reply(401, { error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing or invalid." } });
    const action = armOperation(req.method ?? 'GET', url.pathname);
    if (action !== undefined && !allowsAzure(this.policy, action))
      return reply(403, { error: armAuthorizationFailed(action, armScope(req.method ?? 'GET', url.pathname)) });
    if (!m || req.method !== 'POST') return reply(404, { error: { code: 'NotFound', message: `No route for ${req.method} ${url.pathname}` } });
    if (!url.searchParams.get('api-version'))
      return reply(400, {
        error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' },
      });
    const a = this.accounts.find((x) => x.subscriptionId === m[1] && x.resourceGroup.toLowerCase() === m[2]!.toLowerCase() && x.name === m[3]);
    if (!a)
      return reply(404, {
        error: { code: 'ResourceNotFound', message: `The Resource 'Microsoft.Storage/storageAccounts/${m[3]}' under resource group '${m[2]}' was not found.` },
      });
    if (m[4]!.toLowerCase() === 'regeneratekey') {
      let keyName: unknown;
      try {
        keyName = (JSON.parse(raw) as { keyName?: unknown }).keyName;
      } catch {
        keyName = undefined;
      }
      if (keyName !== 'key1' && keyName !== 'key2')
        return reply(400, { error: { code: 'InvalidValuesForRequestParameters', message: 'Values for request parameters are invalid: keyName.' } });
      rec.keyName = keyName;
      a.keys[keyName] = { value: newKey(), creationTime: new Date().toISOString() };
    }
    return reply(200, {
      keys: (['key1', 'key2'] as const).map((k) => ({ creationTime: a.keys[k].creationTime, keyName: k, value: a.keys[k].value, permissions: 'FULL' })),
    });
  }
}

export async function startFakeArmStorage(): Promise<FakeArmStorage> {
  return new FakeArmStorage().start();
}
