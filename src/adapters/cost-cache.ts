// The Cost Management result cache (see cost-management.ts for why): in memory for tests and
// the CLI, in Azure Table storage in the app, plus the tenant's "not before" time after throttling.
import type { TableClient } from '@azure/data-tables';
import type { Settings } from '../config/settings.js';
import type { CostDriver } from '../budget/types.js';
import { classifyStoreError, getTableClient } from './table-client.js';

export interface CachedCost {
  fetchedAt: string;
  actual: number | null;
  forecast: number | null;
  forecastNote?: string;
  currency: string | null;
  drivers: CostDriver[];
}

export interface CostCache {
  get(key: string): Promise<CachedCost | null>;
  put(key: string, value: CachedCost): Promise<void>;
  /** Until when Cost Management must not be called (ISO), or null. */
  throttledUntil(): Promise<string | null>;
  setThrottledUntil(until: string): Promise<void>;
}

export class MemoryCostCache implements CostCache {
  readonly entries = new Map<string, CachedCost>();
  until: string | null = null;
  async get(key: string): Promise<CachedCost | null> {
    const v = this.entries.get(key);
    return v ? (JSON.parse(JSON.stringify(v)) as CachedCost) : null;
  }
  async put(key: string, value: CachedCost): Promise<void> {
    this.entries.set(key, JSON.parse(JSON.stringify(value)) as CachedCost);
  }
  async throttledUntil(): Promise<string | null> {
    return this.until;
  }
  async setThrottledUntil(until: string): Promise<void> {
    if (this.until === null || until > this.until) this.until = until;
  }
}

/**
 * The cache in Azure Table storage (COST_CACHE_TABLE_NAME): PartitionKey "cost", RowKey the
 * sha256 of scope + query + period; one row "throttle"/"costmanagement" holds the not-before time.
 */
export class TableCostCache implements CostCache {
  constructor(private readonly client: () => Promise<TableClient>) {}

  static fromSettings(settings: Settings, table: string): TableCostCache {
    return new TableCostCache(() => getTableClient(settings, table));
  }

  private async table(): Promise<TableClient> {
    try {
      return await this.client();
    } catch (err) {
      throw classifyStoreError(err, 'open cost cache table');
    }
  }

  async get(key: string): Promise<CachedCost | null> {
    const t = await this.table();
    try {
      const e = await t.getEntity<{ data: string }>('cost', key);
      return JSON.parse(e.data) as CachedCost;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw classifyStoreError(err, 'read cost cache');
    }
  }

  async put(key: string, value: CachedCost): Promise<void> {
    const t = await this.table();
    try {
      await t.upsertEntity({ partitionKey: 'cost', rowKey: key, data: JSON.stringify(value), fetchedAt: value.fetchedAt }, 'Replace');
    } catch (err) {
      throw classifyStoreError(err, 'write cost cache');
    }
  }

  async throttledUntil(): Promise<string | null> {
    const t = await this.table();
    try {
      return (await t.getEntity<{ until: string }>('throttle', 'costmanagement')).until;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw classifyStoreError(err, 'read cost throttle');
    }
  }

  async setThrottledUntil(until: string): Promise<void> {
    const t = await this.table();
    const cur = await this.throttledUntil();
    if (cur !== null && cur >= until) return;
    try {
      await t.upsertEntity({ partitionKey: 'throttle', rowKey: 'costmanagement', until }, 'Replace');
    } catch (err) {
      throw classifyStoreError(err, 'write cost throttle');
    }
  }
}
