// Microsoft.CostManagement query and forecast for the fake ARM (server.ts), at subscription and
// resource group scope, answering from a ledger of daily cost rows the test writes.
//
//   POST /{scope}/providers/Microsoft.CostManagement/query?api-version=...
//   POST /{scope}/providers/Microsoft.CostManagement/forecast?api-version=...
//
// Shapes from azure-rest-api-specs (specification/cost-management/.../examples/2025-03-01:
// SubscriptionQueryGrouping.json, ResourceGroupQueryGrouping.json, SubscriptionForecast.json):
// {id, name, type: "Microsoft.CostManagement/query", properties: {nextLink, columns: [{name, type}],
// rows: [[...]]}}; the cost column is named after the aggregation's column (Cost, PreTaxCost), then
// the grouping columns, UsageDate (Number, yyyymmdd) for Daily granularity, CostStatus (forecast:
// Actual | Forecast), Currency. nextLink is POSTed again with the same body and $skiptoken.
//
// Strict: unknown report types, timeframes, aggregation functions and columns, more than two
// groupings or aggregations, a Custom timeframe without timePeriod, and a forecast whose period has
// no future day answer 400 like the service ("Invalid query definition: ...").
//
// Throttling like Cost Management (Microsoft Learn, "Manage costs with automation"): a per-tenant
// QPU budget, one QPU per month of data queried, per minute and per hour; every answer carries
// x-ms-ratelimit-microsoft.costmanagement-qpu-consumed and -qpu-remaining ("QueriesPerHour:577,
// QueriesPerMin:59"); an exhausted budget answers 429 with
// x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after. throttleNext() injects 429s with any of
// the retry headers (QPU, entity, tenant, Retry-After).
import { randomUUID } from 'node:crypto';
import { armError, type ArmRequest, type ArmResponse, type FakeArm } from './server.js';
import { text } from '../../../src/domain/text.js';

export interface CostRow {
  /** YYYY-MM-DD (UTC usage date). */
  date: string;
  subscriptionId: string;
  resourceGroup: string;
  resourceId?: string;
  serviceName: string;
  meterCategory?: string;
  tags?: Record<string, string>;
  cost: number;
}

export interface CostManagementFakeOptions {
  currency?: string;
  /** The fake's "today" (UTC day): data for it and later days is not visible yet (data lag). */
  today: () => string;
  /** Visible history a forecast needs (days); less answers no rows. Default 28. */
  forecastMinHistoryDays?: number;
  qpuPerMinute?: number;
  qpuPerHour?: number;
  /** Rows per page of a query (default 1000, as the service pages). */
  pageSize?: number;
}

export interface CostManagementFake {
  rows: CostRow[];
  /** Calls answered (all, throttled included). */
  calls: Array<{ kind: 'query' | 'forecast'; scope: string; status: number; body: unknown }>;
  /** The next `count` calls answer 429 with these retry headers. */
  throttleNext(count: number, headers: Record<string, string>): void;
  /** Daily forecast rate for days ahead (default: the mean of the last 7 visible days). */
  forecastDaily?: (scope: string) => number;
}

const TYPES = new Set(['Usage', 'ActualCost', 'AmortizedCost']);
const TIMEFRAMES = new Set(['MonthToDate', 'BillingMonthToDate', 'TheLastMonth', 'TheLastBillingMonth', 'WeekToDate', 'Custom']);
const COST_COLUMNS = new Set(['cost', 'pretaxcost', 'costusd', 'pretaxcostusd']);
const DIMENSIONS: Record<string, (r: CostRow) => string> = {
  resourcegroup: (r) => r.resourceGroup.toLowerCase(),
  resourcegroupname: (r) => r.resourceGroup.toLowerCase(),
  servicename: (r) => r.serviceName,
  resourceid: (r) => (r.resourceId ?? '').toLowerCase(),
  metercategory: (r) => r.meterCategory ?? r.serviceName,
  subscriptionid: (r) => r.subscriptionId,
};

interface Body {
  type?: unknown;
  timeframe?: unknown;
  timePeriod?: { from?: unknown; to?: unknown };
  dataset?: {
    granularity?: unknown;
    aggregation?: Record<string, { name?: unknown; function?: unknown }>;
    grouping?: Array<{ type?: unknown; name?: unknown }>;
    filter?: Filter;
  };
  includeActualCost?: unknown;
}

interface Filter {
  and?: Filter[];
  or?: Filter[];
  dimensions?: { name?: unknown; operator?: unknown; values?: unknown };
  tags?: { name?: unknown; operator?: unknown; values?: unknown };
}

function bad(message: string): never {
  throw armError(400, 'BadRequest', `Invalid query definition: ${message}`);
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function addDays(d: string, n: number): string {
  return day(new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000));
}

function matches(f: Filter | undefined, r: CostRow): boolean {
  if (!f) return true;
  if (f.and) {
    if (!Array.isArray(f.and) || f.and.length < 2) bad('The "and" expression must have at least 2 items.');
    return f.and.every((x) => matches(x, r));
  }
  if (f.or) {
    if (!Array.isArray(f.or) || f.or.length < 2) bad('The "or" expression must have at least 2 items.');
    return f.or.some((x) => matches(x, r));
  }
  const cmp = f.dimensions ?? f.tags;
  if (!cmp) bad('a filter needs and, or, dimensions or tags.');
  if (cmp.operator !== 'In') bad(`operator ${String(cmp.operator)} is not supported.`);
  if (!Array.isArray(cmp.values) || cmp.values.length === 0) bad('a comparison needs values.');
  const values = (cmp.values as unknown[]).map((v) => String(v).toLowerCase());
  if (f.tags) return values.includes((r.tags?.[String(cmp.name)] ?? '\u0000').toLowerCase());
  const get = DIMENSIONS[String(cmp.name).toLowerCase()];
  if (!get) bad(`dimension ${String(cmp.name)} is not supported.`);
  return values.includes(get(r).toLowerCase());
}

export function installCostManagement(arm: FakeArm, options: CostManagementFakeOptions): CostManagementFake {
  const currency = options.currency ?? 'EUR';
  const perMinute = options.qpuPerMinute ?? 60;
  const perHour = options.qpuPerHour ?? 600;
  const spent: Array<{ at: number; qpu: number }> = [];
  const injected: Array<Record<string, string>> = [];
  const fake: CostManagementFake = {
    rows: [],
    calls: [],
    throttleNext(count, headers) {
      for (let i = 0; i < count; i++) injected.push(headers);
    },
  };

  const inScope = (req: ArmRequest) => (r: CostRow) =>
    r.subscriptionId.toLowerCase() === req.params['subscriptionId']!.toLowerCase() &&
    (req.params['resourceGroupName'] === undefined || r.resourceGroup.toLowerCase() === req.params['resourceGroupName'].toLowerCase());

  const scopeOf = (req: ArmRequest) =>
    `subscriptions/${req.params['subscriptionId']}${req.params['resourceGroupName'] ? `/resourceGroups/${req.params['resourceGroupName']}` : ''}`;

  /** Spends QPU or answers 429; returns the success headers. */
  const charge = (qpu: number): Record<string, string> => {
    const inject = injected.shift();
    if (inject) throw Object.assign(armError(429, '429', 'Too many requests. Please retry.'), { headers: inject });
    const now = Date.now();
    while (spent.length > 0 && spent[0]!.at < now - 3_600_000) spent.shift();
    const lastMinute = spent.filter((s) => s.at >= now - 60_000).reduce((a, s) => a + s.qpu, 0);
    const lastHour = spent.reduce((a, s) => a + s.qpu, 0);
    if (lastMinute + qpu > perMinute || lastHour + qpu > perHour) {
      const oldest = lastMinute + qpu > perMinute ? spent.find((s) => s.at >= now - 60_000)! : spent[0]!;
      const wait = Math.max(1, Math.ceil((oldest.at + (lastMinute + qpu > perMinute ? 60_000 : 3_600_000) - now) / 1000));
      throw Object.assign(armError(429, '429', 'Too many requests. Please retry.'), {
        headers: { 'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': String(wait) },
      });
    }
    spent.push({ at: now, qpu });
    return {
      'x-ms-ratelimit-microsoft.costmanagement-qpu-consumed': String(qpu),
      'x-ms-ratelimit-microsoft.costmanagement-qpu-remaining': `QueriesPerHour:${perHour - lastHour - qpu},QueriesPerMin:${perMinute - lastMinute - qpu}`,
    };
  };

  const validate = (
    b: Body,
    forecast: boolean,
  ): { from: string; to: string; costColumn: string; groups: Array<{ type: 'Dimension' | 'TagKey'; name: string }>; daily: boolean } => {
    if (typeof b.type !== 'string' || !TYPES.has(b.type)) bad(`type '${String(b.type)}' is not one of Usage, ActualCost, AmortizedCost.`);
    if (typeof b.timeframe !== 'string' || !TIMEFRAMES.has(b.timeframe) || (forecast && b.timeframe !== 'Custom'))
      bad(`timeframe '${String(b.timeframe)}' is not supported here.`);
    if (b.timeframe !== 'Custom') bad('the fake supports the Custom timeframe only.');
    const from = typeof b.timePeriod?.from === 'string' ? Date.parse(b.timePeriod.from) : NaN;
    const to = typeof b.timePeriod?.to === 'string' ? Date.parse(b.timePeriod.to) : NaN;
    if (!Number.isFinite(from) || !Number.isFinite(to)) bad('timePeriod with from and to is required for the Custom timeframe.');
    if (from > to) bad('timePeriod.from must be before timePeriod.to.');
    const ds = b.dataset;
    if (!ds || typeof ds !== 'object') bad('dataset is required.');
    if (ds.granularity !== undefined && ds.granularity !== 'None' && ds.granularity !== 'Daily' && ds.granularity !== 'Monthly')
      bad(`granularity '${text(ds.granularity)}' is not supported.`);
    const agg = Object.values(ds.aggregation ?? {});
    if (agg.length === 0 || agg.length > 2) bad('dataset.aggregation must have 1 or 2 clauses.');
    for (const a of agg) {
      if (a.function !== 'Sum') bad(`aggregation function '${String(a.function)}' is not supported (Sum).`);
      if (typeof a.name !== 'string' || !COST_COLUMNS.has(a.name.toLowerCase())) bad(`aggregation column '${String(a.name)}' is not supported.`);
    }
    const groups = (ds.grouping ?? []).map((g): { type: 'Dimension' | 'TagKey'; name: string } => {
      if (g.type !== 'Dimension' && g.type !== 'TagKey') bad(`grouping type '${String(g.type)}' is not supported.`);
      if (typeof g.name !== 'string' || (g.type === 'Dimension' && !DIMENSIONS[g.name.toLowerCase()]))
        bad(`grouping column '${String(g.name)}' is not supported.`);
      return { type: g.type, name: g.name };
    });
    if (groups.length > 2) bad('dataset.grouping can have at most 2 clauses.');
    if (forecast && groups.length > 0) bad('grouping is not supported by forecast.');
    return { from: day(new Date(from)), to: day(new Date(to)), costColumn: agg[0]!.name as string, groups, daily: ds.granularity === 'Daily' };
  };

  const months = (from: string, to: string) =>
    Math.max(1, (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7)) + 1);

  const respond = (req: ArmRequest, kind: 'query' | 'forecast', properties: Record<string, unknown>, headers: Record<string, string>): ArmResponse => {
    fake.calls.push({ kind, scope: scopeOf(req), status: 200, body: req.body });
    const id = randomUUID();
    return {
      status: 200,
      body: {
        id: `/${scopeOf(req)}/providers/Microsoft.CostManagement/${kind}/${id}`,
        name: id,
        type: `Microsoft.CostManagement/${kind}`,
        location: null,
        sku: null,
        eTag: null,
        properties,
      },
      headers,
    };
  };

  const guarded =
    (kind: 'query' | 'forecast', fn: (req: ArmRequest) => ArmResponse) =>
    (req: ArmRequest): ArmResponse => {
      try {
        return fn(req);
      } catch (e) {
        const status = (e as { status?: number }).status ?? 500;
        fake.calls.push({ kind, scope: scopeOf(req), status, body: req.body });
        const h = (e as { headers?: Record<string, string> }).headers;
        if (h) return { status: 429, body: { error: { code: '429', message: 'Too many requests. Please retry.' } }, headers: h };
        throw e;
      }
    };

  const query = guarded('query', (req) => {
    const b = (req.body ?? {}) as Body;
    const v = validate(b, false);
    const headers = charge(months(v.from, v.to));
    const visibleUntil = options.today();
    const rows = fake.rows
      .filter(inScope(req))
      .filter((r) => r.date >= v.from && r.date <= v.to && r.date < visibleUntil)
      .filter((r) => matches(b.dataset?.filter, r));
    const groupKey = (r: CostRow): string[] =>
      v.groups.flatMap((g) => (g.type === 'TagKey' ? [g.name, r.tags?.[g.name] ?? ''] : [DIMENSIONS[g.name.toLowerCase()]!(r)]));
    const sums = new Map<string, { key: string[]; date: number | null; cost: number }>();
    for (const r of rows) {
      const key = groupKey(r);
      const date = v.daily ? Number(r.date.replace(/-/g, '')) : null;
      const k = JSON.stringify([key, date]);
      const cur = sums.get(k) ?? { key, date, cost: 0 };
      cur.cost += r.cost;
      sums.set(k, cur);
    }
    const columns = [
      { name: v.costColumn, type: 'Number' },
      ...v.groups.flatMap((g) =>
        g.type === 'TagKey'
          ? [
              { name: 'TagKey', type: 'String' },
              { name: 'TagValue', type: 'String' },
            ]
          : [{ name: g.name, type: 'String' }],
      ),
      ...(v.daily ? [{ name: 'UsageDate', type: 'Number' }] : []),
      { name: 'Currency', type: 'String' },
    ];
    const all = [...sums.values()].map((s) => [s.cost, ...s.key, ...(s.date !== null ? [s.date] : []), currency]);
    const pageSize = options.pageSize ?? 1000;
    const from = Number(req.query.get('$skiptoken') ?? '0');
    const page = all.slice(from, from + pageSize);
    const nextLink =
      from + pageSize < all.length
        ? `${arm.url}/${scopeOf(req)}/providers/Microsoft.CostManagement/query?api-version=${req.apiVersion}&$skiptoken=${from + pageSize}`
        : null;
    return respond(req, 'query', { nextLink, columns, rows: page }, headers);
  });

  const forecast = guarded('forecast', (req) => {
    const b = (req.body ?? {}) as Body;
    const v = validate(b, true);
    const today = options.today();
    if (v.to < today) bad('the forecast period must include a future date.');
    const headers = charge(months(v.from, v.to));
    const scoped = fake.rows.filter(inScope(req)).filter((r) => matches(b.dataset?.filter, r) && r.date < today);
    const columns = [
      { name: v.costColumn, type: 'Number' },
      { name: 'UsageDate', type: 'Number' },
      { name: 'CostStatus', type: 'String' },
      { name: 'Currency', type: 'String' },
    ];
    const firstDay = scoped.reduce<string | null>((m, r) => (m === null || r.date < m ? r.date : m), null);
    const history = firstDay === null ? 0 : (Date.parse(`${today}T00:00:00Z`) - Date.parse(`${firstDay}T00:00:00Z`)) / 86_400_000;
    if (history < (options.forecastMinHistoryDays ?? 28)) return respond(req, 'forecast', { nextLink: null, columns, rows: [] }, headers);
    const out: unknown[][] = [];
    const byDay = new Map<string, number>();
    for (const r of scoped) byDay.set(r.date, (byDay.get(r.date) ?? 0) + r.cost);
    if (b.includeActualCost === true) {
      for (let d = v.from; d < today && d <= v.to; d = addDays(d, 1))
        if (byDay.has(d)) out.push([byDay.get(d)!, Number(d.replace(/-/g, '')), 'Actual', currency]);
    }
    const last7 = Array.from({ length: 7 }, (_, i) => byDay.get(addDays(today, -1 - i)) ?? 0);
    const rate = fake.forecastDaily ? fake.forecastDaily(scopeOf(req)) : last7.reduce((a, x) => a + x, 0) / 7;
    for (let d = today > v.from ? today : v.from; d <= v.to; d = addDays(d, 1)) out.push([rate, Number(d.replace(/-/g, '')), 'Forecast', currency]);
    return respond(req, 'forecast', { nextLink: null, columns, rows: out }, headers);
  });

  for (const scope of ['/subscriptions/{subscriptionId}', '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}']) {
    arm.route('POST', `${scope}/providers/Microsoft.CostManagement/query`, query);
    arm.route('POST', `${scope}/providers/Microsoft.CostManagement/forecast`, forecast);
  }
  return fake;
}
