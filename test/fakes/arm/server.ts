// A STRICT fake of Azure Resource Manager for tests, driven through the real Azure SDK clients.
// Resource providers plug in as modules (agent-pools.ts today; cost management and
// managedClusters start/stop can be added the same way).
//
// Using it
//   const arm = await FakeArm.start();                 // HTTPS on 127.0.0.1 (self-signed; trust arm.caPem)
//   const pools = installAgentPools(arm);             // a module registers its routes
//   const client = new ContainerServiceClient(fakeArmCredential(), SUB, { endpoint: arm.url, tlsOptions: { ca: arm.caPem } });
//   ... arm.requests (log), arm.throttleNext(...), arm.failNext(...) ...
//   await arm.stop();
//
// Writing a module (the router is the only extension point):
//   arm.route('GET', '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Foo/bars/{barName}',
//     (req) => ({ status: 200, body: {...} }));
//   - {name} segments match one path segment, case-insensitively for the literal parts (ARM paths
//     are case-insensitive); the values arrive in req.params.
//   - Handlers return { status, body?, headers? }; throw armError(status, code, message) to answer
//     with the ARM error shape {"error":{"code","message"}}.
//   - Long-running operations: `return arm.acceptOperation({ ... })` answers with
//     Azure-AsyncOperation and Location headers; the core serves the status URL
//     (/subscriptions/{s}/providers/{ns}/locations/{loc}/operations/{id}) with status InProgress
//     until the operation has been polled `pollsUntilDone` times, then runs its `complete()` and
//     answers Succeeded (or Failed with the error `complete` throws). The Location URL
//     (.../operationresults/{id}) answers 202 while running and 200 with the result afterwards.
//   - Lists: `return arm.page(req, items)` pages with nextLink ($skiptoken), `pageSize` per page.
//   - arm.resources is a shared, case-insensitive store by resource ID, so modules can see each
//     other's resources (a managedClusters module and the agentPools module share the cluster).
//
// What every request gets, as ARM does it:
//   - Authorization: Bearer <token> required; the token must be one `acceptToken` accepts
//     (default: tokens from fakeArmCredential() for scope https://management.azure.com/.default),
//     else 401 with WWW-Authenticate and code InvalidAuthenticationToken / AuthenticationFailed;
//   - api-version query parameter required: 400 MissingApiVersionParameter; a malformed one:
//     400 InvalidApiVersionParameter;
//   - unknown paths: 404 InvalidResourceType (like a provider without that resource type);
//   - headers x-ms-request-id, x-ms-correlation-request-id and
//     x-ms-ratelimit-remaining-subscription-reads / -writes (counting down);
//   - throttleNext(n, retryAfterSeconds): the next n requests get 429 TooManyRequests with
//     Retry-After and the remaining-requests header at 0, as ARM's throttling does;
//   - failNext({...}): inject one error response for a matching request;
//   - authorization (azure-authz.ts): a routed request whose action `policy` (default: what
//     src/permissions/azure.ts declares for the app) does not allow answers 403 AuthorizationFailed.
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { allowsAzure, appAzurePolicy, armAuthorizationFailed, armOperation, armScope } from '../azure-authz.js';
import { testCertificate } from '../kube-tls.js';

export const ARM_SCOPE = 'https://management.azure.com/.default';

export interface ArmRequest {
  method: string;
  /** Path without query string. */
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined when none). */
  body: unknown;
  apiVersion: string;
}

export interface ArmResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ArmHandler = (req: ArmRequest) => ArmResponse | Promise<ArmResponse>;

export interface LoggedArmRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  status: number;
  /** Whether an accepted bearer token was sent (the token is never kept). */
  authorized: boolean;
  body?: unknown;
}

/** An error a handler throws to answer with the ARM error shape. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
  ) {
    super(message);
  }
}

export function armError(status: number, code: string, message: string, target?: string): ArmError {
  return new ArmError(status, code, message, target);
}

export interface OperationSpec {
  /** Resource provider namespace for the status URL, e.g. Microsoft.ContainerService. */
  namespace: string;
  subscriptionId: string;
  location: string;
  /** Polls of the status URL answered InProgress before the operation finishes (default 2). */
  pollsUntilDone?: number;
  /** Runs once when the operation finishes; returns the result (Location URL body). Throw ArmError to fail it. */
  complete: () => unknown;
  /** The initial response's status and body (e.g. 200/201 with provisioningState Updating, or 202). */
  initial: { status: 200 | 201 | 202; body?: unknown };
  /** Retry-After seconds on the initial and status responses (omitted by default). */
  retryAfterSeconds?: number;
}

interface Operation {
  id: string;
  spec: OperationSpec;
  polls: number;
  state: 'InProgress' | 'Succeeded' | 'Failed';
  result?: unknown;
  error?: { code: string; message: string };
  startTime: string;
  endTime?: string;
}

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: ArmHandler;
}

interface InjectedFailure {
  method?: string;
  pathIncludes?: string;
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

/** Case-insensitive resource store by ARM ID, shared by modules. */
export class ArmResources {
  private readonly map = new Map<string, unknown>();
  get<T>(id: string): T | undefined {
    return this.map.get(id.toLowerCase()) as T | undefined;
  }
  put(id: string, resource: unknown): void {
    this.map.set(id.toLowerCase(), resource);
  }
  delete(id: string): boolean {
    return this.map.delete(id.toLowerCase());
  }
  /** Resources whose ID starts with `prefix` followed by one more segment pair (children of a type). */
  children<T>(parentId: string, type: string): T[] {
    const prefix = `${parentId}/${type}/`.toLowerCase();
    const out: T[] = [];
    for (const [id, r] of this.map) if (id.startsWith(prefix) && !id.slice(prefix.length).includes('/')) out.push(r as T);
    return out;
  }
}

/** A TokenCredential whose tokens the fake accepts, naming the scope they were issued for. */
export function fakeArmCredential(): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(scope: string | string[]): Promise<AccessToken> {
      const s = Array.isArray(scope) ? scope.join(' ') : scope;
      scopes.push(s);
      return { token: `fake-arm:${s}`, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

export interface FakeArmOptions {
  /** Serve plain HTTP (for raw fetch tests); default HTTPS, which the Azure SDK requires for bearer tokens. */
  http?: boolean;
  acceptToken?: (token: string) => boolean;
  /** Starting value of the remaining-requests headers (ARM's default budget is 12000 reads, 1200 writes per hour). */
  readBudget?: number;
  writeBudget?: number;
}

export class FakeArm {
  readonly requests: LoggedArmRequest[] = [];
  readonly resources = new ArmResources();
  url = '';
  readonly caPem: string;
  /** Operations the caller holds (Azure wildcards); undefined allows everything. */
  policy: readonly string[] | undefined = appAzurePolicy();
  private readonly routes: Route[] = [];
  private readonly operations = new Map<string, Operation>();
  private readonly failures: InjectedFailure[] = [];
  private throttled = 0;
  private throttleRetryAfter = 1;
  private reads: number;
  private writes: number;
  private server: Server | undefined;

  private constructor(private readonly options: FakeArmOptions) {
    this.caPem = options.http ? '' : testCertificate().certPem;
    this.reads = options.readBudget ?? 11999;
    this.writes = options.writeBudget ?? 1199;
    // The core's own routes: operation status (Azure-AsyncOperation) and results (Location).
    this.route('GET', '/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}/operations/{operationId}', (req) =>
      this.operationStatus(req),
    );
    this.route('GET', '/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}/operationresults/{operationId}', (req) =>
      this.operationResult(req),
    );
  }

  static async start(options: FakeArmOptions = {}): Promise<FakeArm> {
    const arm = new FakeArm(options);
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      void arm.handle(req, res);
    };
    const cert = options.http ? undefined : testCertificate();
    arm.server = cert ? createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => arm.server!.listen(0, '127.0.0.1', resolve));
    arm.url = `${options.http ? 'http' : 'https'}://127.0.0.1:${(arm.server.address() as AddressInfo).port}`;
    return arm;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Registers a handler; `{name}` segments become req.params (see the header). */
  route(method: string, pattern: string, handler: ArmHandler): void {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((seg) => {
        const m = /^\{(\w+)\}$/.exec(seg);
        if (m) {
          names.push(m[1]!);
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method: method.toUpperCase(), regex: new RegExp(`^${source}/?$`, 'i'), names, handler });
  }

  /** The next `count` requests are throttled (429) with this Retry-After. */
  throttleNext(count: number, retryAfterSeconds = 1): void {
    this.throttled = count;
    this.throttleRetryAfter = retryAfterSeconds;
  }

  /** The next request matching method/path answers with this error. */
  failNext(f: InjectedFailure): void {
    this.failures.push(f);
  }

  /** Starts a long-running operation and returns the initial response with its polling headers. */
  acceptOperation(spec: OperationSpec): ArmResponse {
    const id = randomUUID();
    this.operations.set(id, { id, spec, polls: 0, state: 'InProgress', startTime: new Date().toISOString() });
    const base = `${this.url}/subscriptions/${spec.subscriptionId}/providers/${spec.namespace}/locations/${spec.location}`;
    // AKS' status URLs carry their own api-version (2016-03-30).
    const headers: Record<string, string> = {
      'azure-asyncoperation': `${base}/operations/${id}?api-version=2016-03-30`,
      location: `${base}/operationresults/${id}?api-version=2016-03-30`,
    };
    if (spec.retryAfterSeconds !== undefined) headers['retry-after'] = String(spec.retryAfterSeconds);
    return { status: spec.initial.status, body: spec.initial.body, headers };
  }

  /** Operations still in progress (tests check that nothing was left running). */
  get operationsInProgress(): number {
    return [...this.operations.values()].filter((o) => o.state === 'InProgress').length;
  }

  /** One page of `items` with a nextLink while more remain ($skiptoken is the offset). */
  page(req: ArmRequest, items: unknown[], pageSize = 100): ArmResponse {
    const from = Number(req.query.get('$skiptoken') ?? '0');
    const value = items.slice(from, from + pageSize);
    const body: { value: unknown[]; nextLink?: string } = { value };
    // ARM writes $skiptoken literally (not %24skiptoken).
    if (from + pageSize < items.length)
      body.nextLink = `${this.url}${req.path}?api-version=${encodeURIComponent(req.apiVersion)}&$skiptoken=${from + pageSize}`;
    return { status: 200, body };
  }

  private advance(op: Operation): void {
    if (op.state !== 'InProgress') return;
    op.polls++;
    if (op.polls < (op.spec.pollsUntilDone ?? 2)) return;
    try {
      op.result = op.spec.complete();
      op.state = 'Succeeded';
    } catch (e) {
      op.state = 'Failed';
      op.error = e instanceof ArmError ? { code: e.code, message: e.message } : { code: 'InternalOperationError', message: (e as Error).message };
    }
    op.endTime = new Date().toISOString();
  }

  private operationStatus(req: ArmRequest): ArmResponse {
    const op = this.operations.get(req.params['operationId']!);
    if (!op) throw armError(404, 'NotFound', `Operation ${req.params['operationId']} was not found.`);
    this.advance(op);
    const body: Record<string, unknown> = { id: req.path, name: op.id, status: op.state, startTime: op.startTime };
    if (op.endTime) body['endTime'] = op.endTime;
    if (op.error) body['error'] = op.error;
    const headers: Record<string, string> =
      op.state === 'InProgress' && op.spec.retryAfterSeconds !== undefined ? { 'retry-after': String(op.spec.retryAfterSeconds) } : {};
    return { status: 200, body, headers };
  }

  private operationResult(req: ArmRequest): ArmResponse {
    const op = this.operations.get(req.params['operationId']!);
    if (!op) throw armError(404, 'NotFound', `Operation ${req.params['operationId']} was not found.`);
    this.advance(op);
    if (op.state === 'InProgress') return { status: 202, headers: { location: `${this.url}${req.path}?api-version=${req.apiVersion}` } };
    if (op.state === 'Failed') throw armError(400, op.error!.code, op.error!.message);
    return op.result === undefined ? { status: 204 } : { status: 200, body: op.result };
  }

  private acceptToken(token: string): boolean {
    return this.options.acceptToken ? this.options.acceptToken(token) : token === `fake-arm:${ARM_SCOPE}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const apiVersion = url.searchParams.get('api-version');
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(auth)?.[1];
    const authorized = token !== undefined && this.acceptToken(token);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    const write = method !== 'GET' && method !== 'HEAD';
    const common: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': String(req.headers['x-ms-correlation-request-id'] ?? randomUUID()),
    };
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      const log: LoggedArmRequest = { method, path: url.pathname, apiVersion, status, authorized };
      if (body !== undefined) log.body = body;
      this.requests.push(log);
      const h: Record<string, string> = { ...common, ...headers };
      if (payload !== undefined) h['content-type'] = 'application/json; charset=utf-8';
      res.writeHead(status, h);
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string, headers?: Record<string, string>, target?: string): void =>
      send(status, { error: { code, message, ...(target ? { target } : {}) } }, headers);

    if (!token) {
      return error(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
        'www-authenticate':
          'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
      });
    }
    if (!authorized) {
      return error(401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
        'www-authenticate':
          'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The access token is invalid."',
      });
    }
    if (apiVersion === null || apiVersion === '') {
      return error(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    }
    if (!API_VERSION.test(apiVersion)) {
      return error(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${apiVersion}' is invalid. The supported versions are of the form 'YYYY-MM-DD' or 'YYYY-MM-DD-preview'.`,
      );
    }
    if (write) {
      if (this.writes > 0) this.writes--;
    } else if (this.reads > 0) this.reads--;
    const budget: Record<string, string> = write
      ? { 'x-ms-ratelimit-remaining-subscription-writes': String(this.writes) }
      : { 'x-ms-ratelimit-remaining-subscription-reads': String(this.reads) };
    if (this.throttled > 0) {
      this.throttled--;
      return error(
        429,
        'TooManyRequests',
        'The request is being throttled as the limit has been reached for operation type. Please see https://aka.ms/arm-throttling for more information.',
        {
          'retry-after': String(this.throttleRetryAfter),
          ...(write ? { 'x-ms-ratelimit-remaining-subscription-writes': '0' } : { 'x-ms-ratelimit-remaining-subscription-reads': '0' }),
        },
      );
    }
    const failure = this.failures.findIndex(
      (f) => (!f.method || f.method === method) && (!f.pathIncludes || url.pathname.toLowerCase().includes(f.pathIncludes.toLowerCase())),
    );
    if (failure >= 0) {
      const f = this.failures.splice(failure, 1)[0]!;
      return error(f.status, f.code, f.message, { ...budget, ...f.headers });
    }
    if (raw !== '') {
      const type = String(req.headers['content-type'] ?? '');
      if (!type.startsWith('application/json'))
        return error(415, 'UnsupportedMediaType', `The content media type '${type}' is not supported. Only 'application/json' is supported.`, budget);
      try {
        body = JSON.parse(raw);
      } catch {
        return error(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.', budget);
      }
    }
    // ARM authorizes before the resource provider sees the request (a type no route serves stays 404 InvalidResourceType).
    const action = this.routes.some((r) => r.regex.test(url.pathname)) ? armOperation(method, url.pathname) : undefined;
    if (action !== undefined && !allowsAzure(this.policy, action)) {
      const f = armAuthorizationFailed(action, armScope(method, url.pathname));
      return error(403, f.code, f.message, budget);
    }
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(url.pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      try {
        const out = await r.handler({ method, path: url.pathname, query: url.searchParams, params, headers: req.headers, body, apiVersion });
        return send(out.status, out.body, { ...budget, ...out.headers });
      } catch (e) {
        if (e instanceof ArmError) return error(e.status, e.code, e.message, budget, e.target);
        return error(500, 'InternalServerError', `fake ARM handler failed: ${(e as Error).message}`, budget);
      }
    }
    const known = this.routes.some((r) => r.regex.test(url.pathname));
    if (known) return error(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`, budget);
    return error(404, 'InvalidResourceType', `The resource type could not be found for path '${url.pathname}'.`, budget);
  }
}
