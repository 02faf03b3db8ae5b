// Raw JSON access to the Kubernetes API for backups and restores: discovery, paginated LIST,
// GET, CREATE, REPLACE, DELETE of any resource type, with the objects exactly as the server
// sends them. The typed client-node APIs deserialize into models (dropping unknown fields and
// turning times into Date objects), which a backup must not do; so this speaks HTTP itself,
// with the credentials, CA and client certificate of the same KubeConfig
// (KubeConfig.applyToHTTPSOptions: bearer token, exec plugins, client certs), over a keep-alive
// agent.
//
// Discovery (k8s.io/client-go/discovery): GET /api -> APIVersions, GET /apis -> APIGroupList
// (preferredVersion per group), GET /api/v1 and /apis/{group}/{version} -> APIResourceList.
// A group whose discovery fails (an unavailable aggregated API such as metrics.k8s.io answers
// 503) is reported and skipped, as kubectl does ("unable to retrieve the complete list of server APIs").
//
// LIST pagination (API concepts, "Retrieving large results sets in chunks"): `limit` and the
// `continue` token of metadata.continue; a token older than the etcd compaction answers
// 410 Gone (reason Expired), after which the list must start again from the beginning.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { DiscoveredGroupVersion, KubeJson, RawApiResource, ResourceTypeRef } from '../backup/objects.js';
import { apiVersionOfType } from '../backup/objects.js';

/** A non-2xx answer; `status` is the metav1.Status body when the server sent one. */
export class KubeRestError extends Error {
  override name = 'KubeRestError';
  constructor(
    readonly code: number,
    readonly reason: string | undefined,
    message: string,
    readonly status?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isKubeRestStatus(e: unknown, code: number): boolean {
  return e instanceof KubeRestError && e.code === code;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

/** Path of a resource collection or item. */
export function resourcePath(t: Pick<ResourceTypeRef, 'group' | 'version' | 'resource' | 'namespaced'>, namespace?: string | null, name?: string): string {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${t.resource}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

interface Connection {
  base: URL;
  headers: Record<string, string>;
  agent: HttpAgent | HttpsAgent;
  at: number;
}

/** Credentials are re-read from the KubeConfig this often (exec plugins and tokens refresh). */
const OPTIONS_TTL_MS = 60_000;
const MAX_LIST_RESTARTS = 3;

export class KubeRest {
  private conn: Promise<Connection> | undefined;
  private connAt = 0;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly now: () => number = Date.now,
  ) {}

  private connection(): Promise<Connection> {
    if (!this.conn || this.now() - this.connAt > OPTIONS_TTL_MS) {
      this.connAt = this.now();
      const previous = this.conn;
      this.conn = (async () => {
        const cluster = this.kubeConfig.getCurrentCluster();
        if (!cluster) throw new Error('the kubeconfig has no current cluster');
        const opts: Record<string, unknown> & { headers?: Record<string, string> } = {};
        await this.kubeConfig.applyToHTTPSOptions(opts);
        const base = new URL(cluster.server);
        const tls = {
          ...(opts['ca'] !== undefined ? { ca: opts['ca'] as string } : {}),
          ...(opts['cert'] !== undefined ? { cert: opts['cert'] as string } : {}),
          ...(opts['key'] !== undefined ? { key: opts['key'] as string } : {}),
          ...(opts['rejectUnauthorized'] !== undefined ? { rejectUnauthorized: opts['rejectUnauthorized'] as boolean } : {}),
        };
        const agent =
          base.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 16, ...tls }) : new HttpAgent({ keepAlive: true, maxSockets: 16 });
        (await previous?.catch(() => undefined))?.agent.destroy();
        return { base, headers: { ...(opts.headers ?? {}) }, agent, at: this.now() };
      })();
      this.conn.catch(() => {
        this.conn = undefined;
      });
    }
    return this.conn;
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    const c = await this.conn?.catch(() => undefined);
    c?.agent.destroy();
    this.conn = undefined;
  }

  /** One request; resolves the parsed JSON body of a 2xx answer, throws KubeRestError otherwise. */
  async request<T = KubeJson>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const c = await this.connection();
    const url = new URL(path, c.base);
    if (c.base.pathname !== '/' && c.base.pathname !== '') url.pathname = `${c.base.pathname.replace(/\/$/, '')}${path}`;
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
    const headers: Record<string, string> = { ...c.headers, Accept: 'application/json' };
    if (body) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method, headers, agent: c.agent }, resolve);
      req.on('error', reject);
      req.end(body);
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const code = res.statusCode ?? 0;
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (code >= 200 && code < 300) {
      if (json === undefined) throw new KubeRestError(code, undefined, `${method} ${url.pathname}: the answer is not JSON`);
      return json as T;
    }
    const status = typeof json === 'object' && json !== null && (json as { kind?: unknown }).kind === 'Status' ? (json as Record<string, unknown>) : undefined;
    const reason = typeof status?.['reason'] === 'string' ? status['reason'] : undefined;
    const message = typeof status?.['message'] === 'string' ? status['message'] : text.slice(0, 200);
    throw new KubeRestError(code, reason, `${method} ${url.pathname}: HTTP ${code}${reason ? ` ${reason}` : ''}: ${message}`, status);
  }

  // ------------------------------------------------------------------ discovery

  /**
   * The APIResourceList of the core group and of the preferred version of every named group.
   * Groups that fail are listed in `failed` (with the error) instead of failing discovery.
   */
  async discover(): Promise<{ groupVersions: DiscoveredGroupVersion[]; failed: Array<{ groupVersion: string; error: string }> }> {
    const api = await this.request<{ versions?: string[] }>('GET', '/api');
    const apis = await this.request<{
      groups?: Array<{ name: string; preferredVersion?: { groupVersion: string }; versions?: Array<{ groupVersion: string }> }>;
    }>('GET', '/apis');
    const gvs: string[] = [];
    if ((api.versions ?? []).includes('v1')) gvs.push('v1');
    for (const g of apis.groups ?? []) {
      const gv = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion;
      if (gv) gvs.push(gv);
    }
    const groupVersions: DiscoveredGroupVersion[] = [];
    const failed: Array<{ groupVersion: string; error: string }> = [];
    for (const gv of gvs) {
      try {
        const list = await this.request<{ groupVersion?: string; resources?: RawApiResource[] }>('GET', gv === 'v1' ? '/api/v1' : `/apis/${gv}`);
        groupVersions.push({ groupVersion: list.groupVersion ?? gv, resources: list.resources ?? [] });
      } catch (e) {
        failed.push({ groupVersion: gv, error: (e as Error).message });
      }
    }
    return { groupVersions, failed };
  }

  // ------------------------------------------------------------------ reads

  async get(t: ResourceTypeRef, namespace: string | null, name: string): Promise<KubeJson> {
    return this.request('GET', resourcePath(t, namespace, name));
  }

  /**
   * Every object of a type (in a namespace), page by page. When a continue token expired (410)
   * the list starts over and `onRestart` is called: pages already delivered must be discarded by
   * the caller; with restartOnExpired: false the 410 is thrown instead (the caller starts over).
   * Items get apiVersion/kind (LIST items carry neither).
   */
  async *listPages(
    t: ResourceTypeRef,
    namespace: string | null,
    options: { limit?: number; labelSelector?: string; onRestart?: (attempt: number) => void | Promise<void>; restartOnExpired?: boolean } = {},
  ): AsyncGenerator<KubeJson[]> {
    let restarts = 0;
    let token: string | undefined;
    for (;;) {
      let page: { metadata?: { continue?: string }; items?: KubeJson[] };
      try {
        page = await this.request('GET', resourcePath(t, namespace), {
          query: { limit: options.limit !== undefined ? String(options.limit) : undefined, continue: token, labelSelector: options.labelSelector },
        });
      } catch (e) {
        if (token !== undefined && isKubeRestStatus(e, 410) && options.restartOnExpired !== false && restarts < MAX_LIST_RESTARTS) {
          restarts += 1;
          token = undefined;
          await options.onRestart?.(restarts);
          continue;
        }
        throw e;
      }
      const apiVersion = apiVersionOfType(t);
      yield (page.items ?? []).map((o) => ({ ...o, apiVersion, kind: t.kind }));
      token = page.metadata?.continue || undefined;
      if (!token) return;
    }
  }

  // ------------------------------------------------------------------ writes

  async create(t: ResourceTypeRef, namespace: string | null, obj: KubeJson, dryRun: boolean): Promise<KubeJson> {
    return this.request('POST', resourcePath(t, namespace), { body: obj, query: { dryRun: dryRun ? 'All' : undefined } });
  }

  async replace(t: ResourceTypeRef, namespace: string | null, name: string, obj: KubeJson, dryRun: boolean): Promise<KubeJson> {
    return this.request('PUT', resourcePath(t, namespace, name), { body: obj, query: { dryRun: dryRun ? 'All' : undefined } });
  }

  async delete(t: ResourceTypeRef, namespace: string | null, name: string, options: { dryRun?: boolean; propagationPolicy?: string } = {}): Promise<void> {
    await this.request('DELETE', resourcePath(t, namespace, name), {
      query: { dryRun: options.dryRun ? 'All' : undefined, propagationPolicy: options.propagationPolicy },
    });
  }
}
