// The Cost Management query and forecast bodies for a budget, and reading their result tables
// by column name (see cost-management.ts for the API's shapes). Pure.
import { createHash } from 'node:crypto';
import type { QueryDefinition, ForecastDefinition } from '@azure/arm-costmanagement';
import type { BudgetSpec, CostDriver, Period } from '../budget/types.js';
import { text } from '../domain/text.js';

export class CostQueryError extends Error {
  override name = 'CostQueryError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export function scopeOf(b: Pick<BudgetSpec, 'scope'>): string {
  const s = `subscriptions/${b.scope.subscriptionId}`;
  return b.scope.resourceGroup ? `${s}/resourceGroups/${b.scope.resourceGroup}` : s;
}

type Filter = NonNullable<QueryDefinition['dataset']['filter']>;

function filterOf(b: Pick<BudgetSpec, 'scope'>): Filter | undefined {
  const parts: Filter[] = Object.entries(b.scope.tags ?? {}).map(([name, values]) => ({ tags: { name, operator: 'In', values } }));
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { and: parts };
}

function groupingOf(groupBy: string): { type: 'Dimension' | 'TagKey'; name: string } {
  return groupBy.startsWith('tag:') ? { type: 'TagKey', name: groupBy.slice(4) } : { type: 'Dimension', name: groupBy };
}

/** The Query body for the cost to date of the period, grouped by the budget's driver dimension. */
export function actualQuery(b: Pick<BudgetSpec, 'scope' | 'costType' | 'topDrivers'>, period: Period, now: Date): QueryDefinition {
  const end = new Date(Math.min(now.getTime(), Date.parse(period.end) - 1000));
  const q: QueryDefinition = {
    type: b.costType,
    timeframe: 'Custom',
    timePeriod: { from: new Date(period.start), to: end },
    dataset: { granularity: 'None', aggregation: { totalCost: { name: 'Cost', function: 'Sum' } }, grouping: [groupingOf(b.topDrivers.groupBy)] },
  };
  const f = filterOf(b);
  if (f) q.dataset.filter = f;
  return q;
}

/** The Forecast body for the whole period, actual cost included. */
export function forecastQuery(b: Pick<BudgetSpec, 'scope' | 'costType'>, period: Period): ForecastDefinition {
  const q: ForecastDefinition = {
    type: b.costType,
    timeframe: 'Custom',
    timePeriod: { from: new Date(period.start), to: new Date(Date.parse(period.end) - 1000) },
    dataset: { granularity: 'Daily', aggregation: { totalCost: { name: 'Cost', function: 'Sum' } } },
    includeActualCost: true,
    includeFreshPartialCost: false,
  };
  const f = filterOf(b);
  if (f) q.dataset.filter = f;
  return q;
}

export interface Table {
  columns: Array<{ name?: string; type?: string }>;
  rows: unknown[][];
}

function column(t: Table, names: string[]): number {
  const lower = names.map((n) => n.toLowerCase());
  return t.columns.findIndex((c) => lower.includes((c.name ?? '').toLowerCase()));
}

const COST_COLUMNS = ['Cost', 'PreTaxCost', 'totalCost', 'CostUSD', 'PreTaxCostUSD'];

/** Total, currency and groups of a Query result, read by column name. */
export function readQueryRows(t: Table, groupColumn: string): { total: number; currency: string | null; groups: CostDriver[] } {
  const ci = column(t, COST_COLUMNS);
  if (t.rows.length > 0 && ci < 0)
    throw new CostQueryError(`the query result has no cost column (columns: ${t.columns.map((c) => c.name).join(', ')})`, undefined);
  const cur = column(t, ['Currency', 'BillingCurrency']);
  const gi = column(t, [groupColumn, groupColumn.replace(/^tag:/, ''), 'TagValue']);
  const byGroup = new Map<string, number>();
  let total = 0;
  let currency: string | null = null;
  for (const row of t.rows) {
    const cost = Number(row[ci]);
    if (!Number.isFinite(cost)) throw new CostQueryError(`the query result has a non-numeric cost: ${JSON.stringify(row[ci])}`, undefined);
    total += cost;
    if (cur >= 0 && typeof row[cur] === 'string') {
      if (currency !== null && currency !== row[cur])
        throw new CostQueryError(`the query result mixes currencies (${currency}, ${String(row[cur])})`, undefined);
      currency = row[cur];
    }
    const name = gi >= 0 ? text(row[gi]) || '(none)' : '(all)';
    byGroup.set(name, (byGroup.get(name) ?? 0) + cost);
  }
  const groups = [...byGroup.entries()].map(([name, cost]) => ({ name, cost: round2(cost) })).sort((a, b) => b.cost - a.cost || a.name.localeCompare(b.name));
  return { total: round2(total), currency, groups };
}

/** Expected cost of the period from a Forecast result (Actual + Forecast rows), or null without rows. */
export function readForecastRows(t: Table): { total: number | null; currency: string | null } {
  if (t.rows.length === 0) return { total: null, currency: null };
  const ci = column(t, COST_COLUMNS);
  if (ci < 0) throw new CostQueryError(`the forecast result has no cost column (columns: ${t.columns.map((c) => c.name).join(', ')})`, undefined);
  const cur = column(t, ['Currency']);
  let total = 0;
  let currency: string | null = null;
  for (const row of t.rows) {
    const cost = Number(row[ci]);
    if (!Number.isFinite(cost)) throw new CostQueryError(`the forecast result has a non-numeric cost: ${JSON.stringify(row[ci])}`, undefined);
    total += cost;
    if (cur >= 0 && typeof row[cur] === 'string') currency = row[cur];
  }
  return { total: round2(total), currency };
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function cacheKey(kind: string, b: Pick<BudgetSpec, 'scope' | 'costType' | 'topDrivers'>, period: Period): string {
  return createHash('sha256')
    .update(JSON.stringify({ kind, scope: scopeOf(b), tags: b.scope.tags ?? {}, costType: b.costType, groupBy: b.topDrivers.groupBy, period: period.key }))
    .digest('hex');
}
