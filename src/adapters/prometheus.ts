// Range queries against Prometheus' HTTP API (GET/POST /api/v1/query_range, documented at
// prometheus.io/docs/prometheus/latest/querying/api/#range-queries), which Azure Monitor managed
// Prometheus also serves (https://<workspace>.<region>.prometheus.monitor.azure.com, Entra token
// for scope https://prometheus.monitor.azure.com/.default).
//
// What the adapter takes care of:
//  - step alignment: start and end are rounded down to multiples of the step, so the same
//    window always yields the same grid (and Prometheus' result cache can be reused);
//  - the server's resolution limit: Prometheus refuses (end - start) / step > 11,000 with
//    400 bad_data "exceeded maximum resolution of 11,000 points per timeseries" (web/api/v1/api.go),
//    so long ranges are split into chunks of at most `maxPointsPerQuery` steps and merged;
//  - gaps: steps with no sample (nothing within the lookback delta), NaN and +-Inf come back NaN
//    on the grid, for the caller's causal gap filling (src/forecast/series.ts);
//  - counter resets: for counters, per-step increases treat a drop as a restart (like rate());
//  - errors: {status:"error", errorType, error} bodies become PrometheusError; 429, 5xx and
//    network errors are retried (Retry-After honoured) and then reported as transient.
import type { RegularSeries } from '../forecast/series.js';
import { counterIncreases } from '../forecast/series.js';
import { appCredential } from './azure-credential.js';

/** Prometheus refuses more than 11,000 steps per series; stay clear of the edge. */
export const DEFAULT_MAX_POINTS_PER_QUERY = 10_000;

export class PrometheusError extends Error {
  override name = 'PrometheusError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorType: string | undefined,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. http://prometheus.monitoring:9090 or the Azure Monitor workspace query endpoint. */
  baseUrl: string;
  /** Bearer token source (Azure Monitor managed Prometheus); none for an in-cluster Prometheus. */
  token?: () => Promise<string>;
  fetch?: typeof fetch;
  timeoutMs?: number;
  maxPointsPerQuery?: number;
  /** Retries of transient failures per request (default 2). */
  retries?: number;
  /** Wait before a retry when the server gives no Retry-After (default 500 ms, doubling). */
  retryDelayMs?: number;
}

export interface RangeQuery {
  query: string;
  startMs: number;
  endMs: number;
  stepMs: number;
  /** 'counter': return per-step increases with resets handled; default 'gauge'. */
  kind?: 'gauge' | 'counter';
}

export interface LabelledSeries {
  labels: Record<string, string>;
  series: RegularSeries;
}

interface MatrixResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[] };
  errorType?: string;
  error?: string;
  warnings?: string[];
}

const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The grid a range query is evaluated on: start and end rounded down to whole steps. */
export function alignRange(startMs: number, endMs: number, stepMs: number): { startMs: number; endMs: number; points: number } {
  if (!(stepMs >= 1000) || stepMs % 1000 !== 0) throw new RangeError(`step must be whole seconds (got ${stepMs} ms)`);
  const start = Math.floor(startMs / stepMs) * stepMs;
  const end = Math.floor(endMs / stepMs) * stepMs;
  if (end < start) throw new RangeError('end is before start');
  return { startMs: start, endMs: end, points: (end - start) / stepMs + 1 };
}

/** Chunks [start, end] so that each has at most maxPoints steps ((end - start) / step <= maxPoints - 1). */
export function chunkRange(startMs: number, endMs: number, stepMs: number, maxPoints: number): { startMs: number; endMs: number }[] {
  const chunks: { startMs: number; endMs: number }[] = [];
  for (let s = startMs; s <= endMs; s += maxPoints * stepMs) chunks.push({ startMs: s, endMs: Math.min(endMs, s + (maxPoints - 1) * stepMs) });
  return chunks;
}

export class PrometheusClient {
  private readonly fetchImpl: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: PrometheusClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.base = options.baseUrl.replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.base))
      throw new PrometheusError(`Prometheus URL "${options.baseUrl}" is not http(s). Fix: e.g. http://prometheus.monitoring:9090`, undefined, undefined, false);
  }

  /** Every series of a range query on the aligned grid, NaN where there was no sample. */
  async queryRange(q: RangeQuery): Promise<LabelledSeries[]> {
    const grid = alignRange(q.startMs, q.endMs, q.stepMs);
    const maxPoints = this.options.maxPointsPerQuery ?? DEFAULT_MAX_POINTS_PER_QUERY;
    const bySeries = new Map<string, LabelledSeries>();
    for (const chunk of chunkRange(grid.startMs, grid.endMs, q.stepMs, maxPoints)) {
      const result = await this.post('/api/v1/query_range', {
        query: q.query,
        start: String(chunk.startMs / 1000),
        end: String(chunk.endMs / 1000),
        step: `${q.stepMs / 1000}s`,
      });
      for (const r of result) {
        const key = labelKey(r.metric);
        let entry = bySeries.get(key);
        if (!entry) {
          entry = { labels: r.metric, series: { startMs: grid.startMs, stepMs: q.stepMs, values: new Float64Array(grid.points).fill(NaN) } };
          bySeries.set(key, entry);
        }
        for (const [ts, raw] of r.values ?? []) {
          const i = Math.round((ts * 1000 - grid.startMs) / q.stepMs);
          const v = Number(raw); // "NaN", "+Inf", "-Inf" parse to non-finite numbers
          if (i >= 0 && i < grid.points && Number.isFinite(v)) entry.series.values[i] = v;
        }
      }
    }
    const out = [...bySeries.values()];
    if (q.kind === 'counter') for (const s of out) s.series.values = counterIncreases(s.series.values);
    return out;
  }

  /**
   * An instant query (POST /api/v1/query) at `atMs`: one value per series, NaN for NaN/Inf
   * (e.g. 0/0 when a service had no requests).
   */
  async queryInstant(query: string, atMs: number): Promise<{ labels: Record<string, string>; value: number }[]> {
    const result = await this.post('/api/v1/query', { query, time: String(atMs / 1000) }, 'vector');
    return result.map((r) => {
      const v = Number(r.value?.[1]);
      return { labels: r.metric, value: Number.isFinite(v) ? v : NaN };
    });
  }

  private async post(
    path: string,
    form: Record<string, string>,
    resultType: 'matrix' | 'vector' = 'matrix',
  ): Promise<NonNullable<MatrixResponse['data']>['result']> {
    const retries = this.options.retries ?? 2;
    let delay = this.options.retryDelayMs ?? 500;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(path, form, resultType);
      } catch (e) {
        const err = e instanceof PrometheusError ? e : new PrometheusError(`Prometheus at ${this.base}: ${(e as Error).message}`, undefined, undefined, true);
        if (!err.transient || attempt >= retries) throw err;
        const retryAfter = (err as PrometheusError & { retryAfterMs?: number }).retryAfterMs;
        await sleep(retryAfter ?? delay);
        delay *= 2;
      }
    }
  }

  private async once(path: string, form: Record<string, string>, resultType: 'matrix' | 'vector'): Promise<NonNullable<MatrixResponse['data']>['result']> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.options.token) headers['authorization'] = `Bearer ${await this.options.token()}`;
    const res = await this.fetchImpl(`${this.base}${path}`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: MatrixResponse | undefined;
    try {
      body = JSON.parse(text) as MatrixResponse;
    } catch {
      body = undefined;
    }
    if (!res.ok || body?.status !== 'success') {
      const transient = TRANSIENT_STATUS.has(res.status) || res.status >= 500;
      const detail = body?.error ?? text.slice(0, 200);
      const err = new PrometheusError(
        `Prometheus at ${this.base} answered ${res.status}${body?.errorType ? ` ${body.errorType}` : ''}: ${detail}`,
        res.status,
        body?.errorType,
        transient,
      );
      const ra = res.headers.get('retry-after');
      if (ra !== null && Number.isFinite(Number(ra))) Object.assign(err, { retryAfterMs: Math.min(30_000, Number(ra) * 1000) });
      throw err;
    }
    if (body.data?.resultType !== resultType)
      throw new PrometheusError(`Prometheus at ${this.base}: expected a ${resultType}, got ${body.data?.resultType}`, res.status, undefined, false);
    return body.data.result;
  }
}

/** Substitutes {{pool}} (and other {{name}}) in a PromQL template, escaping for a double-quoted label value. */
export function renderQuery(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`query template uses {{${name}}}, which is not defined (have: ${Object.keys(vars).join(', ')})`);
    return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  });
}

/**
 * Default PromQL for kube-state-metrics v2 (metric names and labels as documented in
 * kube-state-metrics docs/metrics/workload/pod-metrics.md and node-metrics.md). Node pool
 * membership comes from kube_node_labels, whose labels must be allow-listed in kube-state-metrics
 * (--metric-labels-allowlist=nodes=[agentpool]); AKS sets the node label `agentpool`.
 * Requests count Pending/Running pods bound to a node of the pool, plus (issue #17) Pending pods
 * no node has accepted yet (no `node` label) whose nodeSelector names the pool, `agentpool` or
 * `kubernetes.azure.com/agentpool`: exactly the demand a pre-warm is for. kube_pod_nodeselectors
 * is opt-in (--metric-opt-in-list=kube_pod_nodeselectors); without it only bound pods count.
 * The two sets are disjoint (with and without a node label), so `or` unites them and a scrape gap
 * (both empty) stays a gap. Pending pods that name no pool cannot be attributed.
 */
export const DEFAULT_QUERIES = {
  requests:
    'sum(' +
    '((kube_pod_container_resource_requests{resource="{{resource}}"}' +
    ' * on (namespace, pod) group_left () (max by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Running"}) == 1))' +
    ' * on (node) group_left () (max by (node) (kube_node_labels{label_agentpool="{{pool}}"})))' +
    ' or ' +
    '((kube_pod_container_resource_requests{resource="{{resource}}",node=""}' +
    ' * on (namespace, pod) group_left () (max by (namespace, pod) (kube_pod_status_phase{phase="Pending"}) == 1))' +
    ' * on (namespace, pod) group_left () (max by (namespace, pod) (kube_pod_nodeselectors{nodeselector_agentpool="{{pool}}"}' +
    ' or kube_pod_nodeselectors{nodeselector_kubernetes_azure_com_agentpool="{{pool}}"})))' +
    ')',
  allocatable:
    'min(' +
    'kube_node_status_allocatable{resource="{{resource}}"}' +
    ' * on (node) group_left () (max by (node) (kube_node_labels{label_agentpool="{{pool}}"}))' +
    ')',
} as const;

export interface PoolDemandQuery {
  pool: string;
  /** cpu or memory (kube-state-metrics resource label). */
  resource: 'cpu' | 'memory';
  startMs: number;
  endMs: number;
  stepMs: number;
  requestsQuery?: string;
  allocatableQuery?: string;
}

export interface PoolDemand {
  requests: RegularSeries;
  /** Allocatable per node (smallest node of the pool), latest value; null when unknown. */
  allocatablePerNode: number | null;
  /** Series the requests query returned (1 expected; several are summed). */
  seriesCount: number;
}

/** Requests history and allocatable per node for one pool. */
export async function fetchPoolDemand(client: PrometheusClient, q: PoolDemandQuery): Promise<PoolDemand> {
  const vars = { pool: q.pool, resource: q.resource };
  const requests = await client.queryRange({
    query: renderQuery(q.requestsQuery ?? DEFAULT_QUERIES.requests, vars),
    startMs: q.startMs,
    endMs: q.endMs,
    stepMs: q.stepMs,
  });
  const grid = alignRange(q.startMs, q.endMs, q.stepMs);
  const values = new Float64Array(grid.points).fill(NaN);
  for (const s of requests) {
    s.series.values.forEach((v, i) => {
      if (!Number.isNaN(v)) values[i] = (Number.isNaN(values[i]!) ? 0 : values[i]!) + v;
    });
  }
  // Allocatable: the last hour is enough to find the current value.
  const alloc = await client.queryRange({
    query: renderQuery(q.allocatableQuery ?? DEFAULT_QUERIES.allocatable, vars),
    startMs: Math.max(q.startMs, q.endMs - 3_600_000),
    endMs: q.endMs,
    stepMs: q.stepMs,
  });
  let allocatable: number | null = null;
  for (const s of alloc) {
    for (let i = s.series.values.length - 1; i >= 0; i--) {
      const v = s.series.values[i]!;
      if (!Number.isNaN(v)) {
        allocatable = allocatable === null ? v : Math.min(allocatable, v);
        break;
      }
    }
  }
  return { requests: { startMs: grid.startMs, stepMs: q.stepMs, values }, allocatablePerNode: allocatable, seriesCount: requests.length };
}

/** Entra scope of Azure Monitor managed Prometheus' query API. */
export const AZURE_MONITOR_PROMETHEUS_SCOPE = 'https://prometheus.monitor.azure.com/.default';

/** A Prometheus client for a configured source; managed-identity sources get Entra tokens (cached by @azure/identity). */
export function prometheusClientFor(
  source: { url: string; auth: 'none' | 'managed-identity' },
  managedIdentityClientId?: string,
  extra: Partial<PrometheusClientOptions> = {},
): PrometheusClient {
  let credential: Promise<import('@azure/identity').TokenCredential> | undefined;
  const token =
    source.auth === 'managed-identity'
      ? async (): Promise<string> => {
          credential ??= appCredential(managedIdentityClientId);
          const t = await (await credential).getToken(AZURE_MONITOR_PROMETHEUS_SCOPE);
          if (!t) throw new PrometheusError('no token for Azure Monitor managed Prometheus', undefined, undefined, true);
          return t.token;
        }
      : undefined;
  return new PrometheusClient({ baseUrl: source.url, ...(token ? { token } : {}), ...extra });
}
