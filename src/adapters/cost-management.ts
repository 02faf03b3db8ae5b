// Cost to date and forecast of a budget from Azure Cost Management, through the official
// @azure/arm-costmanagement client (imported lazily: cold start).
//
//  - Query (POST {scope}/providers/Microsoft.CostManagement/query): type ActualCost (or
//    AmortizedCost), timeframe Custom from the period start to now, granularity None, grouped by
//    the budget's driver dimension: the total is the sum of the rows, the drivers the biggest rows.
//    Columns are read by name, never by position (the published examples name the cost column after
//    the aggregation's column, Cost or PreTaxCost, next to the grouping column and Currency).
//    More rows than fit a page come with nextLink (POST the same body again, $skiptoken).
//  - Forecast (POST .../forecast): timeframe Custom over the whole period, Daily, includeActualCost:
//    rows with CostStatus Actual and Forecast; their sum is the expected cost of the period. It
//    answers 204 or no rows for scopes with too little history: then there is no forecast.
//  - Throttling: QPU quotas per tenant (Microsoft Learn, "Manage costs with automation": 12 QPU per
//    10 s, 60 per minute, 600 per hour; headers x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after,
//    -qpu-consumed, -qpu-remaining), other Cost Management quotas (-entity-/-tenant-/-clienttype-retry-after)
//    and ARM's Retry-After. The SDK's own retries are off (its throttling policy would sleep for
//    whatever Retry-After says, inside an activity); we wait the longest of those headers when it is
//    short, and otherwise remember "not before" in the cache table, which every evaluation honours.
//  - Cache (Table storage): data refreshes about every four hours, so a result is reused for the
//    budget's refreshInterval (default 4h), keyed by scope + query + period: the hourly timer never
//    re-queries data that cannot have changed. The budget webhook may refresh sooner, never within
//    MIN_REQUERY_SECONDS.
import type { TokenCredential } from '@azure/core-auth';
import { withThrottleCount } from '../telemetry/throttling.js';
import type { CostManagementClient, CostManagementClientOptionalParams, QueryDefinition, QueryResult } from '@azure/arm-costmanagement';
import type { BudgetMeasureInput, BudgetSpec, Measurement, Period } from '../budget/types.js';
import { retryAfterSeconds } from './arm-errors.js';
import type { CachedCost, CostCache } from './cost-cache.js';
import { CostQueryError, actualQuery, cacheKey, forecastQuery, readForecastRows, readQueryRows, round2, scopeOf, type Table } from './cost-queries.js';
import { poolOfScaleSet } from '../budget/allocation.js';
import { appCredential } from './azure-credential.js';
import { missingAzurePermissionHint } from '../permissions/azure-forbidden.js';

// The cache and the query bodies have their own files; this is the module the app and the CLI load.
export { MemoryCostCache, TableCostCache, type CachedCost, type CostCache } from './cost-cache.js';
export { CostQueryError, actualQuery, cacheKey, forecastQuery, readForecastRows, readQueryRows, scopeOf } from './cost-queries.js';

export const ARM_SCOPE = 'https://management.azure.com/.default';
/** Never query the same data twice within this, whatever asks. */
export const MIN_REQUERY_SECONDS = 15 * 60;
/** Throttling waits up to this long are waited out in place; longer ones are remembered. */
export const INLINE_WAIT_SECONDS = 10;
/** Pages of one query at most (a runaway nextLink chain stops here). */
const MAX_PAGES = 20;

/** Cost Management asked us to wait. */
export class CostThrottledError extends Error {
  override name = 'CostThrottledError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface CostManagementOptions {
  cache: CostCache;
  credential?: TokenCredential;
  managedIdentityClientId?: string;
  /** Tests point `endpoint` and `tlsOptions` at the fake ARM. */
  clientOptions?: CostManagementClientOptionalParams;
  /** How to wait out a short throttle (tests pass a recorder). */
  sleep?: (ms: number) => Promise<void>;
  /** Waits up to this many seconds are done in place (default INLINE_WAIT_SECONDS). */
  inlineWaitSeconds?: number;
}

/** Budget measurements from Cost Management, cached and throttle-aware. */
export class CostManagementSource {
  private client: Promise<CostManagementClient> | undefined;
  /** Queries actually sent (tests and status). */
  queries = 0;
  /** The last x-ms-ratelimit-microsoft.costmanagement-qpu-remaining seen. */
  qpuRemaining: string | null = null;

  constructor(private readonly options: CostManagementOptions) {}

  private getClient(): Promise<CostManagementClient> {
    this.client ??= (async () => {
      const [{ CostManagementClient }, credential] = await Promise.all([import('@azure/arm-costmanagement'), this.credential()]);
      return new CostManagementClient(
        credential,
        withThrottleCount('cost-management', {
          credentialScopes: ARM_SCOPE,
          ...this.options.clientOptions,
          // Throttling is ours to handle (see the header); transient 5xx are retried below.
          retryOptions: { maxRetries: 0 },
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

  async measure(input: BudgetMeasureInput): Promise<Measurement> {
    const { budget, period } = input;
    const now = new Date(input.now);
    const notes: string[] = [];
    const key = cacheKey('actual+forecast', budget, period);
    const cached = await this.options.cache.get(key);
    const age = cached ? (now.getTime() - Date.parse(cached.fetchedAt)) / 1000 : Infinity;
    const periodOver = now.getTime() >= Date.parse(period.end);
    const fresh =
      cached !== null &&
      (age < (input.refresh ? MIN_REQUERY_SECONDS : budget.refreshIntervalSeconds) ||
        (periodOver && Date.parse(cached.fetchedAt) >= Date.parse(period.end) + 2 * 86_400_000));
    let data: CachedCost | null = cached;
    if (!fresh) {
      const until = await this.options.cache.throttledUntil();
      if (until !== null && Date.parse(until) > now.getTime()) {
        notes.push(`Cost Management is throttling this tenant until ${until}; ${cached ? `using data from ${cached.fetchedAt}` : 'no data yet'}`);
      } else {
        try {
          data = await this.fetch(budget, period, now);
          await this.options.cache.put(key, data);
        } catch (e) {
          if (e instanceof CostThrottledError) {
            const untilNew = new Date(now.getTime() + e.retryAfterSeconds * 1000).toISOString();
            await this.options.cache.setThrottledUntil(untilNew);
            notes.push(
              `Cost Management throttled the query (retry after ${e.retryAfterSeconds}s, not before ${untilNew}); ${cached ? `using data from ${cached.fetchedAt}` : 'no data yet'}`,
            );
          } else {
            throw e;
          }
        }
      }
    }
    if (!data) return { period: period.key, actual: null, forecast: null, currency: budget.currency, asOf: input.now, drivers: [], notes, cached: false };
    if (data.forecastNote) notes.push(data.forecastNote);
    let actual = data.actual;
    let forecast = data.forecast;
    if (data.currency !== null && data.currency !== budget.currency) {
      notes.push(
        `Cost Management reports ${data.currency} but the budget is in ${budget.currency}: not compared. Fix: set the budget's currency to ${data.currency} (the billing currency)`,
      );
      actual = null;
      forecast = null;
    }
    return {
      period: period.key,
      actual,
      forecast,
      currency: data.currency ?? budget.currency,
      asOf: data.fetchedAt,
      drivers: data.drivers.slice(0, budget.topDrivers.count),
      notes,
      cached: data === cached,
    };
  }

  /** Queries cost to date (grouped) and the forecast. Throws CostThrottledError when told to wait long. */
  async fetch(budget: BudgetSpec, period: Period, now: Date): Promise<CachedCost> {
    const client = await this.getClient();
    const scope = scopeOf(budget);
    const q = actualQuery(budget, period, now);
    const first = await this.call(() => client.query.usage(scope, q, this.observe()));
    const rows: Table = { columns: first.columns ?? [], rows: [...(first.rows ?? [])] };
    let next = first.nextLink ?? null;
    for (let page = 1; next && page < MAX_PAGES; page++) {
      const more = await this.call(() => this.nextPage(client, next!, q));
      rows.rows.push(...(more.rows ?? []));
      next = more.nextLink ?? null;
    }
    const actual = readQueryRows(rows, budget.topDrivers.groupBy.replace(/^tag:/, ''));
    let forecast: number | null = null;
    let forecastNote: string | undefined;
    if (now.getTime() < Date.parse(period.end)) {
      const f = await this.call(() => client.forecast.usage(scope, forecastQuery(budget, period), this.observe()));
      const r = readForecastRows({ columns: f.columns ?? [], rows: f.rows ?? [] });
      forecast = r.total;
      if (forecast === null) forecastNote = 'Cost Management has no forecast for this scope yet (it needs some history)';
      else if (forecast < actual.total) forecast = actual.total; // a forecast never undercuts what is already spent
    } else {
      forecast = actual.total;
    }
    const out: CachedCost = { fetchedAt: now.toISOString(), actual: actual.total, forecast, currency: actual.currency, drivers: actual.groups.slice(0, 20) };
    if (forecastNote) out.forecastNote = forecastNote;
    return out;
  }

  /**
   * Cost per AKS node pool over the period so far, from the node resource group grouped by
   * ResourceId (scale sets aks-<pool>-<n>-vmss). Cached like measure(); throttling is thrown.
   */
  async poolCosts(
    subscriptionId: string,
    nodeResourceGroup: string,
    period: Period,
    now: Date,
    refreshIntervalSeconds = 4 * 3600,
  ): Promise<Record<string, number>> {
    const spec = {
      scope: { subscriptionId, resourceGroup: nodeResourceGroup },
      costType: 'ActualCost' as const,
      topDrivers: { groupBy: 'ResourceId', count: 1000 },
    };
    const key = cacheKey('pool-costs', spec, period);
    const cached = await this.options.cache.get(key);
    let data = cached;
    if (!cached || now.getTime() - Date.parse(cached.fetchedAt) >= refreshIntervalSeconds * 1000) {
      const until = await this.options.cache.throttledUntil();
      if (until !== null && Date.parse(until) > now.getTime()) {
        if (!cached)
          throw new CostThrottledError(`Cost Management is throttling this tenant until ${until}`, Math.ceil((Date.parse(until) - now.getTime()) / 1000));
      } else {
        const client = await this.getClient();
        const res = await this.call(() => client.query.usage(scopeOf(spec), actualQuery(spec, period, now), this.observe()));
        const r = readQueryRows({ columns: res.columns ?? [], rows: res.rows ?? [] }, 'ResourceId');
        data = {
          fetchedAt: now.toISOString(),
          actual: r.total,
          forecast: null,
          currency: r.currency,
          drivers: r.groups.filter((g) => poolOfScaleSet(g.name) !== null),
        };
        await this.options.cache.put(key, data);
      }
    }
    const out: Record<string, number> = {};
    for (const d of data?.drivers ?? []) {
      const pool = poolOfScaleSet(d.name);
      if (pool) out[pool] = round2((out[pool] ?? 0) + d.cost);
    }
    return out;
  }

  private observe(): { onResponse: (raw: { headers: { get(name: string): string | undefined } }) => void } {
    return {
      onResponse: (raw) => {
        const r = raw.headers.get('x-ms-ratelimit-microsoft.costmanagement-qpu-remaining');
        if (r) this.qpuRemaining = r;
      },
    };
  }

  /** POSTs the same body to a nextLink ($skiptoken), through the client's pipeline (auth, TLS). */
  private async nextPage(client: CostManagementClient, nextLink: string, q: QueryDefinition): Promise<QueryResult> {
    const { createPipelineRequest } = await import('@azure/core-rest-pipeline');
    const body = JSON.stringify({ ...q, timePeriod: q.timePeriod ? { from: q.timePeriod.from.toISOString(), to: q.timePeriod.to.toISOString() } : undefined });
    const req = createPipelineRequest({ url: nextLink, method: 'POST', body });
    req.headers.set('Content-Type', 'application/json; charset=utf-8');
    req.headers.set('Accept', 'application/json');
    const res = await client.sendRequest(req);
    if (res.status === 429 || res.status >= 400) {
      const err = new Error(`Cost Management ${res.status} on the next page: ${(res.bodyAsText ?? '').slice(0, 300)}`) as Error & {
        statusCode: number;
        response: { headers: { get(n: string): string | undefined } };
      };
      err.statusCode = res.status;
      err.response = { headers: res.headers };
      throw err;
    }
    const parsed = JSON.parse(res.bodyAsText ?? '{}') as { properties?: QueryResult };
    return parsed.properties ?? {};
  }

  /** One call with throttling honoured: a short wait is waited out once, a long one thrown. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const inline = this.options.inlineWaitSeconds ?? INLINE_WAIT_SECONDS;
    for (let attempt = 0; ; attempt++) {
      this.queries++;
      try {
        return await fn();
      } catch (e) {
        const err = e as { statusCode?: number; message?: string; response?: { headers?: { get(n: string): string | undefined } } };
        const status = err.statusCode;
        if (status === 429) {
          const wait = retryAfterSeconds((n) => err.response?.headers?.get(n)) ?? 60;
          if (wait <= inline && attempt === 0) {
            await sleep(wait * 1000);
            continue;
          }
          throw new CostThrottledError(`Cost Management answered 429 Too Many Requests (wait ${wait}s)`, wait);
        }
        if (status !== undefined && status >= 500 && attempt === 0) {
          await sleep(1000);
          continue;
        }
        const fix =
          status === 403 && missingAzurePermissionHint(err.message)
            ? ` ${missingAzurePermissionHint(err.message)}`
            : status === 401 || status === 403
              ? ' Fix: assign "Cost Management Reader" on the budget scope to the function app identity (bicep/modules/budgets.bicep does for the budget resource groups)'
              : status === 404
                ? ' Fix: check budgets[].scope (subscriptionId, resourceGroup)'
                : '';
        throw new CostQueryError(`Cost Management query failed${status ? ` (${status})` : ''}: ${(err.message ?? String(e)).split('\n')[0]}.${fix}`, status);
      }
    }
  }
}
