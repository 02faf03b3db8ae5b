// An authorizing proxy in front of Azurite: every Blob and Table request the code makes is mapped
// to the Azure RBAC data action (or action) Azure Storage checks for it, recorded, and refused
// with Storage's real 403 AuthorizationPermissionMismatch when the policy does not hold it.
// Azurite itself authorizes only by account key, so without this proxy the suite could not show
// that the Storage Blob/Table Data roles the app holds cover what it does.
// Mapping: learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory
// ("Permissions for calling data operations"): blob GET/HEAD -> blobs/read (List Blobs too), PUT
// blob/block/block list/metadata and copy -> blobs/write, DELETE blob -> blobs/delete, container
// create -> containers/write, Get User Delegation Key -> generateUserDelegationKey/action; table
// query -> entities/read, insert / insert-or-merge / insert-or-replace / update / merge ->
// entities/write, delete entity -> entities/delete, create table -> tables/write, query tables ->
// tables/read. A $batch is authorized per operation inside it.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { permits } from '../../src/permissions/azure.js';

const BLOB = 'Microsoft.Storage/storageAccounts/blobServices';
const TABLE = 'Microsoft.Storage/storageAccounts/tableServices/tables';

export interface StorageRequest {
  service: 'blob' | 'table';
  method: string;
  path: string;
  actions: string[];
  status: number;
}

/** The data actions of one Blob service request (path: /<account>/<container>[/<blob>]). */
export function blobActions(method: string, path: string, query: URLSearchParams): string[] {
  const segments = path.split('/').filter((s) => s !== '').length;
  if (query.get('comp') === 'userdelegationkey') return [`${BLOB}/generateUserDelegationKey/action`];
  if (segments <= 2 && query.get('restype') === 'container') {
    if (query.get('comp') === 'list') return [`${BLOB}/containers/blobs/read`];
    return [`${BLOB}/containers/${method === 'PUT' ? 'write' : method === 'DELETE' ? 'delete' : 'read'}`];
  }
  if (method === 'GET' || method === 'HEAD') return [`${BLOB}/containers/blobs/read`];
  if (method === 'DELETE') return [`${BLOB}/containers/blobs/delete`];
  return [`${BLOB}/containers/blobs/write`];
}

/** The data actions of one Table service request, including each operation inside a $batch. */
export function tableActions(method: string, path: string, body: string): string[] {
  const last =
    path
      .split('/')
      .filter((s) => s !== '')
      .at(-1) ?? '';
  if (last === '$batch') {
    const inner = [...body.matchAll(/^(GET|POST|PUT|MERGE|PATCH|DELETE) \S+ HTTP\/1\.1\r?$/gm)];
    return [...new Set(inner.flatMap((m) => tableActions(m[1]!, new URL(m[0].split(' ')[1]!, 'http://x').pathname, '')))];
  }
  if (/^Tables(\(|$)/.test(last)) return [`${TABLE}/${method === 'POST' ? 'write' : method === 'DELETE' ? 'delete' : 'read'}`];
  if (method === 'GET') return [`${TABLE}/entities/read`];
  if (method === 'DELETE') return [`${TABLE}/entities/delete`];
  // Insert, Insert Or Merge/Replace, Update and Merge Entity: entities/write (which the docs accept
  // for each; add/action and update/action are the finer alternatives a custom role could use).
  return [`${TABLE}/entities/write`];
}

function forbidden(service: 'blob' | 'table'): { type: string; body: string } {
  const message = `This request is not authorized to perform this operation using this permission.\nRequestId:${crypto.randomUUID()}\nTime:${new Date().toISOString()}`;
  return service === 'blob'
    ? {
        type: 'application/xml',
        body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>${message}</Message></Error>`,
      }
    : {
        type: 'application/json;odata=minimalmetadata',
        body: JSON.stringify({ 'odata.error': { code: 'AuthorizationPermissionMismatch', message: { lang: 'en-US', value: message } } }),
      };
}

export class StorageAuthzProxy {
  readonly requests: StorageRequest[] = [];
  /** Actions and data actions the caller holds (Azure wildcards); undefined allows everything. */
  policy: readonly string[] | undefined;
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly service: 'blob' | 'table',
    private readonly target: URL,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://proxy');
        const method = req.method ?? 'GET';
        const actions =
          this.service === 'blob' ? blobActions(method, url.pathname, url.searchParams) : tableActions(method, url.pathname, body.toString('latin1'));
        const record: StorageRequest = { service: this.service, method, path: url.pathname, actions, status: 0 };
        this.requests.push(record);
        if (this.policy && !actions.every((a) => this.policy!.some((p) => permits(p, a)))) {
          const f = forbidden(this.service);
          record.status = 403;
          res.writeHead(403, { 'content-type': f.type, 'x-ms-error-code': 'AuthorizationPermissionMismatch' });
          return res.end(f.body);
        }
        const upstream = request(
          { host: this.target.hostname, port: this.target.port, method, path: req.url, headers: { ...req.headers, host: this.target.host } },
          (up) => {
            record.status = up.statusCode ?? 0;
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on('error', () => res.writeHead(502).end());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
