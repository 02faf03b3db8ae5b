// A strict fake kube-apiserver over HTTP(S) for tests that drive the real
// @kubernetes/client-node against it. It serves core/v1 pods, namespaces, nodes and apps/v1
// deployments, replicasets, statefulsets, daemonsets with the real paths, verbs, status
// codes, Status bodies, resourceVersion semantics, pagination and patch content types
// (see kube-registry.ts for the object rules). Every request is recorded so tests can
// assert exactly what the client sent.
//
// Stricter than the real server on purpose: a query parameter the endpoint does not define
// answers 400 (the real server ignores it), so a misspelt `dryRun` can never pass a test by
// silently acting for real. Watch, server-side apply and subresources are not implemented.
//
//   const kube = await startFakeKubeApiServer({ token: 'test-token' });
//   const kc = kube.kubeConfig();            // KubeConfig for the real client
//   ...
//   await kube.stop();
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRegistry, objectKey } from './kube-registry.js';
import { parseResourcePath, resourceType, type KubeObject, type ResourceName } from './kube-resources.js';
import { deploymentObject, podObject, podsFor, replicaSetFor, type DeploymentSeed, type PodSeed } from './kube-seed.js';
import { KubeStatusError, statusError, type StatusBody } from './kube-status.js';
import { VersionedStore } from './kube-store.js';
import { testCertificate } from './kube-tls.js';
import { routeSubresource } from './kube-subresources.js';
// Backups: discovery documents (registered with the subresource handlers) and pods/exec over WebSocket.
import './kube-discovery.js';
import { authorize } from './kube-authz.js';

const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
import { allows, appPolicy, type KubeRule, type KubeVerb } from '../../src/permissions/kubernetes.js';
import { handleWebSocketUpgrade, type UpgradeContext } from './kube-exec.js';

export interface FakeKubeApiServerOptions {
  /**
   * Bearer tokens the server accepts. A string accepts that token as user "test-user"; a
   * record maps each token to the user name recorded with its requests. Default "test-token".
   */
  token?: string | Record<string, string>;
  /** Serve HTTPS with a throw-away self-signed certificate (kubeconfig caData = caData). */
  tls?: boolean;
  /** Clock for creationTimestamp and deletionTimestamp. */
  now?: () => Date;
  /**
   * What the authenticated user may do (kube-authz.ts). Default: the union of the app's
   * declaration (src/permissions/kubernetes.ts), so every test proves the shipped role is
   * sufficient; 'allow-all' for tests of the fake itself.
   */
  policy?: readonly KubeRule[] | 'allow-all';
}

export interface RecordedRequest {
  method: string;
  /** URL path without the query, e.g. /apis/apps/v1/namespaces/shop/deployments/api. */
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  /** The user the bearer token maps to; undefined when the request was not authenticated. */
  user: string | undefined;
  /** Status code the fake answered with. */
  status: number;
}

type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

// Query parameters each verb defines in the OpenAPI spec of the API server.
const QUERY_PARAMS: Record<Verb, string[]> = {
  get: ['pretty', 'resourceVersion'],
  list: [
    'pretty',
    'allowWatchBookmarks',
    'continue',
    'fieldSelector',
    'labelSelector',
    'limit',
    'resourceVersion',
    'resourceVersionMatch',
    'sendInitialEvents',
    'timeoutSeconds',
    'watch',
  ],
  create: ['pretty', 'dryRun', 'fieldManager', 'fieldValidation'],
  update: ['pretty', 'dryRun', 'fieldManager', 'fieldValidation'],
  patch: ['pretty', 'dryRun', 'fieldManager', 'fieldValidation', 'force'],
  delete: ['pretty', 'dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy'],
  deletecollection: [],
};

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export class FakeKubeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly registry: KubeRegistry;
  private readonly tokens = new Map<string, string>();
  /** "verb resource" pairs RBAC denies (forbid). */
  private readonly denied = new Set<string>();
  private server: Server | undefined;
  private baseUrl = '';
  readonly caData: string | undefined;
  readonly certPem: string | undefined;
  /** The policy in force (undefined: allow all); tests may replace it. */
  rules: readonly KubeRule[] | undefined;

  private constructor(private readonly options: FakeKubeApiServerOptions) {
    this.rules = options.policy === 'allow-all' ? undefined : (options.policy ?? appPolicy());
    this.registry = new KubeRegistry(new VersionedStore(), options.now ?? (() => new Date()));
    const t = options.token ?? 'test-token';
    for (const [token, user] of Object.entries(typeof t === 'string' ? { [t]: 'test-user' } : t)) this.tokens.set(token, user);
    if (options.tls) {
      const cert = testCertificate();
      this.caData = cert.caData;
      this.certPem = cert.certPem;
    }
  }

  static async start(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const fake = new FakeKubeApiServer(options);
    const handler = (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res);
    const server = options.tls ? createHttpsServer({ cert: testCertificate().certPem, key: testCertificate().keyPem }, handler) : createHttpServer(handler);
    server.on('upgrade', (req, socket, head) => handleWebSocketUpgrade(fake.upgradeContext(), req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.server = server;
    fake.baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** The global resourceVersion (etcd revision) right now. */
  get revision(): number {
    return this.registry.store.revision;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ------------------------------------------------------------ client configuration

  /** A KubeConfig for the real client pointing at this server with `token`. */
  kubeConfig(token = [...this.tokens.keys()][0] ?? 'none'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: !this.options.tls, ...(this.caData ? { caData: this.caData } : {}) }],
      users: [{ name: 'fake-user', token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake-user' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** A kubeconfig file body (JSON is valid YAML) with one context named `context`. */
  kubeconfigFile(context: string, token = [...this.tokens.keys()][0] ?? 'none'): string {
    const cluster: Record<string, unknown> = { server: this.url };
    if (this.caData) cluster['certificate-authority-data'] = this.caData;
    else cluster['insecure-skip-tls-verify'] = true;
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: `${context}-cluster`, cluster }],
      users: [{ name: `${context}-user`, user: { token } }],
      contexts: [{ name: context, context: { cluster: `${context}-cluster`, user: `${context}-user` } }],
      'current-context': context,
    });
  }

  acceptToken(token: string, user: string): void {
    this.tokens.set(token, user);
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** RBAC without the grant: `verb` on `resource` (plural, e.g. pods) answers 403 Forbidden to every user, as the real authorizer words it. */
  forbid(verb: Verb, resource: string): void {
    this.denied.add(`${verb} ${resource}`);
  }

  private authorize(user: string, method: string, path: string): void {
    const parsed = this.denied.size > 0 ? parseResourcePath(path) : null;
    if (!parsed) return;
    const { rt, namespace, name } = parsed;
    const verb = verbOf(method, name !== undefined);
    if (!verb || !this.denied.has(`${verb} ${rt.resource}`)) return;
    const subject = name === undefined ? rt.resource : `${rt.resource} "${name}"`;
    const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
    const message = `${subject} is forbidden: User "${user}" cannot ${verb} resource "${rt.resource}" in API group "${rt.group}" ${scope}`;
    throw new KubeStatusError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason: 'Forbidden',
      details: { ...(name !== undefined ? { name } : {}), kind: rt.resource },
      code: 403,
    });
  }

  // ------------------------------------------------------------ state for tests

  /** Stores an object as a controller left it; returns the stored copy. */
  seed(resource: ResourceName, obj: KubeObject): KubeObject {
    return this.registry.seed(resourceType(resource), obj);
  }

  /** A Deployment, its ReplicaSet and pods, wired as the deployment controller does. */
  seedDeployment(s: DeploymentSeed): { deployment: KubeObject; replicaSet: KubeObject; pods: KubeObject[] } {
    const deployment = this.seed('deployments', deploymentObject(s));
    const replicaSet = this.seed('replicasets', replicaSetFor(deployment));
    const pods = podsFor(replicaSet, { ...(s.nodeName ? { nodeName: s.nodeName } : {}), ...(s.crashLooping ? { crashLooping: true } : {}) }).map((p) =>
      this.seed('pods', p),
    );
    return { deployment, replicaSet, pods };
  }

  seedPod(s: PodSeed): KubeObject {
    return this.seed('pods', podObject(s));
  }

  /** The stored object, or undefined. */
  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const rt = resourceType(resource);
    return this.registry.store.get(rt.resource, objectKey(rt, namespace, name));
  }

  /** Stored objects of a resource (in a namespace when given), sorted by key. */
  list(resource: ResourceName, namespace?: string): KubeObject[] {
    const rt = resourceType(resource);
    return this.registry.store.list(rt.resource, rt.namespaced && namespace !== undefined ? `${namespace}/` : '').map((e) => e.obj);
  }

  /** Changes a stored object as another client would (new resourceVersion). */
  modify(resource: ResourceName, namespace: string | undefined, name: string, change: (obj: KubeObject) => void): KubeObject {
    const rt = resourceType(resource);
    const key = objectKey(rt, namespace, name);
    const obj = this.registry.store.get(rt.resource, key);
    if (!obj) throw new Error(`modify: ${resource} ${namespace ?? ''}/${name} does not exist`);
    change(obj);
    this.registry.store.write(rt.resource, key, obj);
    return obj;
  }

  /** Removes a terminating pod, as the kubelet does when its grace period ends. */
  finishPodTermination(namespace: string, name: string): void {
    this.registry.finishPodTermination(namespace, name);
  }

  /** etcd compaction: every continue token issued so far expires (410). */
  compact(): void {
    this.registry.store.compact();
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Recorded requests that changed (or would change) state: POST, PUT, PATCH, DELETE. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  // ------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const contentType = req.headers['content-type'];
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query, contentType, body: undefined, user: undefined, status: 0 };
    this.requests.push(record);
    try {
      const raw = await readBody(req);
      record.body = parseRecordedBody(raw);
      record.user = this.authenticate(req.headers.authorization);
      if (record.method === 'POST' && url.pathname === SSAR_PATH) return this.respond(res, record, 201, this.selfSubjectAccessReview(raw));
      this.authorize(record.user, record.method, url.pathname);
      authorize(this.rules, record.user, record.method, url.pathname, query);
      const { code, body } = this.route(record.method, url.pathname, query, contentType, raw);
      this.respond(res, record, code, body);
    } catch (e) {
      if (e instanceof KubeStatusError) {
        this.respond(res, record, e.httpStatus, e.status);
      } else {
        const status: StatusBody = {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `fake kube-apiserver bug: ${(e as Error).stack}`,
          reason: 'InternalError',
          code: 500,
        };
        this.respond(res, record, 500, status);
      }
    }
  }

  private respond(res: ServerResponse, record: RecordedRequest, code: number, body: unknown): void {
    record.status = code;
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
    res.end(text);
  }

  /** What WebSocket subresources (pods/exec, kube-exec.ts) need: the registry, authentication, the request log. */
  upgradeContext(): UpgradeContext {
    return {
      registry: this.registry,
      authenticate: (header) => {
        const m = /^Bearer (.+)$/.exec(header ?? '');
        return m ? this.tokens.get(m[1]!) : undefined;
      },
      authorize: (user, method, path, query) => authorize(this.rules, user, method, path, query),
      record: (r) => this.requests.push(r),
    };
  }

  /**
   * POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: every authenticated user may
   * ask (the system:basic-user ClusterRole); the answer is this server's own policy and forbid()
   * list, so a review and the real request agree. 201 with the review and its status, as the
   * apiserver answers (authorization/v1 SelfSubjectAccessReview).
   */
  private selfSubjectAccessReview(raw: string): unknown {
    const review = JSON.parse(raw) as {
      spec?: { resourceAttributes?: { verb?: string; group?: string; resource?: string; subresource?: string; namespace?: string; name?: string } };
    };
    const a = review.spec?.resourceAttributes;
    if (!a?.verb || !a.resource) throw statusError.badRequest('spec.resourceAttributes.verb and .resource are required');
    const attrs = {
      verb: a.verb as KubeVerb,
      group: a.group ?? '',
      resource: a.resource,
      ...(a.subresource ? { subresource: a.subresource } : {}),
      ...(a.namespace ? { namespace: a.namespace } : {}),
    };
    const allowed = (!this.rules || allows(this.rules, attrs)) && !this.denied.has(`${a.verb} ${a.resource}`);
    return {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: review.spec,
      status: allowed ? { allowed: true, reason: 'RBAC: allowed by the fake policy' } : { allowed: false },
    };
  }

  private authenticate(header: string | undefined): string {
    const m = /^Bearer (.+)$/.exec(header ?? '');
    const user = m ? this.tokens.get(m[1]!) : undefined;
    if (user === undefined) throw statusError.unauthorized();
    return user;
  }

  private route(method: string, path: string, query: Record<string, string>, contentType: string | undefined, raw: string): { code: number; body: unknown } {
    const sub = routeSubresource(this.registry, { method, path, query, contentType, raw });
    if (sub) return sub;
    const parsed = parseResourcePath(path);
    if (!parsed) throw statusError.pathNotFound();
    const { rt, namespace, name } = parsed;
    const verb = verbOf(method, name !== undefined);
    if (!verb || verb === 'deletecollection') throw statusError.methodNotAllowed();
    if (verb === 'create' && rt.namespaced && namespace === undefined) throw statusError.methodNotAllowed();
    checkQuery(verb, query);
    const dryRun = query['dryRun'] === 'All';

    switch (verb) {
      case 'get':
        return { code: 200, body: this.registry.get(rt, namespace, name!) };
      case 'list':
        if (query['watch'] === 'true' || query['watch'] === '1') throw statusError.badRequest('fake kube-apiserver: watch is not implemented');
        return { code: 200, body: this.registry.list(rt, namespace, query) };
      case 'create':
        return { code: 201, body: this.registry.create(rt, namespace, parseJsonBody(contentType, raw), { dryRun }) };
      case 'update':
        return { code: 200, body: this.registry.update(rt, namespace, name!, parseJsonBody(contentType, raw), { dryRun }) };
      case 'patch':
        if (!contentType)
          throw statusError.unsupportedMediaType([
            'application/json-patch+json',
            'application/merge-patch+json',
            'application/strategic-merge-patch+json',
            'application/apply-patch+yaml',
          ]);
        return { code: 200, body: this.registry.patch(rt, namespace, name!, contentType, raw, { dryRun }) };
      case 'delete': {
        const body = raw.trim() === '' ? undefined : parseJsonBody(contentType, raw);
        const q = {
          dryRun,
          ...(query['gracePeriodSeconds'] !== undefined ? { gracePeriodSeconds: query['gracePeriodSeconds'] } : {}),
          ...(query['propagationPolicy'] !== undefined ? { propagationPolicy: query['propagationPolicy'] } : {}),
        };
        return this.registry.delete(rt, namespace, name!, q, body);
      }
    }
  }
}

/** Starts a fake API server on 127.0.0.1 with a free port. Call `stop()` when done. */
export function startFakeKubeApiServer(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
  return FakeKubeApiServer.start(options);
}

function verbOf(method: string, hasName: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
      return hasName ? 'get' : 'list';
    case 'POST':
      return hasName ? undefined : 'create';
    case 'PUT':
      return hasName ? 'update' : undefined;
    case 'PATCH':
      return hasName ? 'patch' : undefined;
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

function checkQuery(verb: Verb, query: Record<string, string>): void {
  for (const [k, v] of Object.entries(query)) {
    if (!QUERY_PARAMS[verb].includes(k)) {
      throw statusError.badRequest(`fake kube-apiserver: query parameter "${k}" is not defined for ${verb} (the real server would ignore it silently)`);
    }
    if (k === 'dryRun' && v !== 'All') throw statusError.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
    if (k === 'fieldValidation' && !['Ignore', 'Warn', 'Strict'].includes(v)) {
      throw statusError.badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Warn", "Strict"`);
    }
    if (k === 'fieldManager' && v.length > 128) throw statusError.unprocessable('fieldManager: Too long: may not be more than 128 bytes');
    if (k === 'force') throw statusError.badRequest('force: Invalid value: true: may not be specified for non-apply patch');
  }
}

function parseJsonBody(contentType: string | undefined, raw: string): unknown {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media !== 'application/json') {
    // The real server also decodes YAML and protobuf; this fake only JSON.
    throw statusError.unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw statusError.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

function parseRecordedBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw statusError.tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
