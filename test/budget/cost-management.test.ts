// Cost to date and forecast through the real @azure/arm-costmanagement client against the strict
// fake ARM (HTTPS, bearer tokens, api-version) with the Cost Management module: response columns
// read by name, resource-group and tag scopes, paging, QPU throttling headers and 429, and a cache
// that keeps the hourly timer from re-querying data that cannot have changed (Azurite for the table).
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { readSettings } from '../../src/config/settings.js';
import { CostManagementSource, MemoryCostCache, TableCostCache, cacheKey, readQueryRows, type CostCache } from '../../src/adapters/cost-management.js';
import { retryAfterSeconds } from '../../src/adapters/arm-errors.js';
import { periodAt } from '../../src/budget/period.js';
import type { BudgetSpec } from '../../src/budget/types.js';
import { ARM_SCOPE, FakeArm, fakeArmCredential } from '../fakes/arm/server.js';
import { installCostManagement, type CostManagementFake } from '../fakes/arm/cost-management.js';
import { fixtureBudget, SUB } from './fixtures.js';

const RG = 'MC_rg-ms5-dev_aks-ms5-dev_westeurope';
const BUDGET: BudgetSpec = fixtureBudget();
const MARCH = periodAt(BUDGET.period, '2025-03-10T00:00:00Z');

let arm: FakeArm;
let cm: CostManagementFake;
let today = '2025-03-11';
let sleeps: number[];

/** Feb 1 .. Mar 10 (Mar 11 not visible yet: data lag): 100/day in the budget's RG split over services, plus noise elsewhere. */
function ledger(): void {
  for (let d = Date.parse('2025-02-01T00:00:00Z'); d < Date.parse('2025-03-11T00:00:00Z'); d += 86_400_000) {
    const date = new Date(d).toISOString().slice(0, 10);
    cm.rows.push({ date, subscriptionId: SUB, resourceGroup: RG, serviceName: 'Virtual Machines', cost: 70, tags: { env: 'dev' } });
    cm.rows.push({ date, subscriptionId: SUB, resourceGroup: RG, serviceName: 'Storage', cost: 20, tags: { env: 'dev' } });
    cm.rows.push({ date, subscriptionId: SUB, resourceGroup: RG, serviceName: 'Load Balancer', cost: 10 });
    cm.rows.push({ date, subscriptionId: SUB, resourceGroup: 'rg-other', serviceName: 'Virtual Machines', cost: 500, tags: { env: 'prod' } });
  }
  // Today's usage exists but is not visible yet.
  cm.rows.push({ date: '2025-03-11', subscriptionId: SUB, resourceGroup: RG, serviceName: 'Virtual Machines', cost: 9999 });
}

function source(cache: CostCache = new MemoryCostCache(), inlineWaitSeconds?: number): CostManagementSource {
  return new CostManagementSource({
    cache,
    credential: fakeArmCredential(),
    clientOptions: { endpoint: arm.url, tlsOptions: { ca: arm.caPem } },
    sleep: async (ms) => void sleeps.push(ms),
    ...(inlineWaitSeconds !== undefined ? { inlineWaitSeconds } : {}),
  });
}

const at = (iso: string, refresh = false) => ({ budget: BUDGET, period: MARCH, now: iso, refresh });

beforeEach(async () => {
  arm = await FakeArm.start();
  today = '2025-03-11';
  sleeps = [];
  cm = installCostManagement(arm, { today: () => today, currency: 'EUR' });
  ledger();
});
afterEach(() => arm.stop());

describe('Cost Management through @azure/arm-costmanagement', () => {
  it('reads cost to date (grouped, by column name) and the forecast of the period', async () => {
    const src = source();
    const m = await src.measure(at('2025-03-11T06:00:00.000Z'));
    // Mar 1-10 visible in the resource group: 10 x 100; forecast: that + 21 days x 100.
    expect(m).toMatchObject({ period: '2025-03-01', actual: 1000, forecast: 3100, currency: 'EUR', cached: false, asOf: '2025-03-11T06:00:00.000Z' });
    expect(m.drivers).toEqual([
      { name: 'Virtual Machines', cost: 700 },
      { name: 'Storage', cost: 200 },
      { name: 'Load Balancer', cost: 100 },
    ]);
    const [q, f] = cm.calls;
    expect(q).toMatchObject({ kind: 'query', scope: `subscriptions/${SUB}/resourceGroups/${RG}`, status: 200 });
    expect(q!.body).toEqual({
      type: 'ActualCost',
      timeframe: 'Custom',
      timePeriod: { from: '2025-03-01T00:00:00.000Z', to: '2025-03-11T06:00:00.000Z' },
      dataset: { granularity: 'None', aggregation: { totalCost: { name: 'Cost', function: 'Sum' } }, grouping: [{ type: 'Dimension', name: 'ServiceName' }] },
    });
    expect(f).toMatchObject({
      kind: 'forecast',
      status: 200,
      body: {
        type: 'ActualCost',
        timeframe: 'Custom',
        includeActualCost: true,
        dataset: { granularity: 'Daily' },
        timePeriod: { to: '2025-03-31T23:59:59.000Z' },
      },
    });
    const logged = arm.requests.filter((r) => r.path.includes('CostManagement'));
    expect(logged.map((r) => [r.method, r.path, r.apiVersion, r.authorized])).toEqual([
      ['POST', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.CostManagement/query`, '2022-10-01', true],
      ['POST', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.CostManagement/forecast`, '2022-10-01', true],
    ]);
    expect(src.qpuRemaining).toMatch(/^QueriesPerHour:\d+,QueriesPerMin:\d+$/);
  });

  it('filters by tags at subscription scope', async () => {
    const tagged: BudgetSpec = { ...BUDGET, scope: { subscriptionId: SUB, tags: { env: ['dev'] } }, topDrivers: { groupBy: 'ResourceGroupName', count: 5 } };
    const m = await source().measure({ budget: tagged, period: MARCH, now: '2025-03-11T06:00:00.000Z', refresh: false });
    expect(m.actual).toBe(900);
    expect(m.drivers).toEqual([{ name: RG.toLowerCase(), cost: 900 }]);
    expect(cm.calls[0]!.body).toMatchObject({
      dataset: { filter: { tags: { name: 'env', operator: 'In', values: ['dev'] } }, grouping: [{ type: 'Dimension', name: 'ResourceGroupName' }] },
    });
  });

  it('follows nextLink pages (POST again with $skiptoken)', async () => {
    await arm.stop();
    arm = await FakeArm.start();
    cm = installCostManagement(arm, { today: () => today, pageSize: 2 });
    ledger();
    for (const s of ['Bandwidth', 'Key Vault']) cm.rows.push({ date: '2025-03-05', subscriptionId: SUB, resourceGroup: RG, serviceName: s, cost: 1 });
    const m = await source().measure(at('2025-03-11T06:00:00.000Z'));
    expect(m.actual).toBe(1002);
    expect(cm.calls.filter((c) => c.kind === 'query')).toHaveLength(3);
    expect(m.drivers.map((d) => d.name)).toEqual(['Virtual Machines', 'Storage', 'Load Balancer', 'Bandwidth', 'Key Vault']);
  });

  it('has no forecast for a scope without enough history', async () => {
    const young: BudgetSpec = { ...BUDGET, scope: { subscriptionId: SUB, resourceGroup: 'rg-new' } };
    cm.rows.push({ date: '2025-03-09', subscriptionId: SUB, resourceGroup: 'rg-new', serviceName: 'Storage', cost: 5 });
    const m = await source().measure({ budget: young, period: MARCH, now: '2025-03-11T06:00:00.000Z', refresh: false });
    expect(m).toMatchObject({ actual: 5, forecast: null });
    expect(m.notes).toEqual(['Cost Management has no forecast for this scope yet (it needs some history)']);
  });

  it('never compares a budget with costs in another currency', async () => {
    const usd: BudgetSpec = { ...BUDGET, currency: 'USD' };
    const m = await source().measure({ budget: usd, period: MARCH, now: '2025-03-11T06:00:00.000Z', refresh: false });
    expect(m).toMatchObject({ actual: null, forecast: null, currency: 'EUR' });
    expect(m.notes[0]).toContain("Fix: set the budget's currency to EUR");
  });
});

describe('cache: never query more often than the data can change', () => {
  it('reuses a result for the refresh interval; the webhook may refresh sooner, but not within 15 minutes', async () => {
    const cache = new MemoryCostCache();
    const src = source(cache);
    await src.measure(at('2025-03-11T06:00:00.000Z'));
    expect(cm.calls).toHaveLength(2);
    for (const h of ['07', '08', '09']) {
      const m = await src.measure(at(`2025-03-11T${h}:00:00.000Z`));
      expect(m).toMatchObject({ cached: true, asOf: '2025-03-11T06:00:00.000Z', actual: 1000 });
    }
    expect(cm.calls).toHaveLength(2);
    expect((await src.measure(at('2025-03-11T06:10:00.000Z', true))).cached).toBe(true);
    expect(cm.calls).toHaveLength(2);
    expect((await src.measure(at('2025-03-11T06:20:00.000Z', true))).cached).toBe(false);
    expect(cm.calls).toHaveLength(4);
    today = '2025-03-12'; // a new day of data
    const later = await src.measure(at('2025-03-11T10:30:00.000Z'));
    expect(later).toMatchObject({ cached: false, actual: 10999 });
    expect(cm.calls).toHaveLength(6);
  });

  it('keys the cache by scope, query and period', () => {
    const april = periodAt(BUDGET.period, '2025-04-02T00:00:00Z');
    const k = cacheKey('actual+forecast', BUDGET, MARCH);
    expect(cacheKey('actual+forecast', BUDGET, april)).not.toBe(k);
    expect(cacheKey('actual+forecast', { ...BUDGET, topDrivers: { groupBy: 'ResourceId', count: 5 } }, MARCH)).not.toBe(k);
    expect(cacheKey('actual+forecast', { ...BUDGET, scope: { subscriptionId: SUB } }, MARCH)).not.toBe(k);
    expect(cacheKey('actual+forecast', { ...BUDGET }, MARCH)).toBe(k);
  });

  it('keeps entries and the throttle in Azure Table storage (Azurite)', async () => {
    const settings = readSettings({ AzureWebJobsStorage: inject('azurite').connectionString });
    const cache = TableCostCache.fromSettings(settings, `costcache${Date.now() % 100000}`);
    expect(await cache.get('nope')).toBeNull();
    await cache.put('k1', { fetchedAt: '2025-03-11T06:00:00.000Z', actual: 1, forecast: 2, currency: 'EUR', drivers: [{ name: 'a', cost: 1 }] });
    expect(await cache.get('k1')).toEqual({
      fetchedAt: '2025-03-11T06:00:00.000Z',
      actual: 1,
      forecast: 2,
      currency: 'EUR',
      drivers: [{ name: 'a', cost: 1 }],
    });
    expect(await cache.throttledUntil()).toBeNull();
    await cache.setThrottledUntil('2025-03-11T07:00:00.000Z');
    await cache.setThrottledUntil('2025-03-11T06:30:00.000Z'); // never shortened
    expect(await cache.throttledUntil()).toBe('2025-03-11T07:00:00.000Z');
    // The adapter over the table cache: a second evaluation within the interval reads the table, not Cost Management.
    const src = source(TableCostCache.fromSettings(settings, `costcache${(Date.now() + 1) % 100000}`));
    await src.measure(at('2025-03-11T06:00:00.000Z'));
    const again = await src.measure(at('2025-03-11T07:00:00.000Z'));
    expect(again.cached).toBe(true);
    expect(cm.calls).toHaveLength(2);
  });
});

describe('throttling (QPU quotas, 429)', () => {
  it('waits out a short qpu-retry-after once and retries', async () => {
    cm.throttleNext(1, { 'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': '3' });
    const m = await source().measure(at('2025-03-11T06:00:00.000Z'));
    expect(m.actual).toBe(1000);
    expect(sleeps).toEqual([3000]);
    expect(cm.calls.map((c) => c.status)).toEqual([429, 200, 200]);
  });

  it('remembers a long wait (the longest header wins) and asks nothing until then; uses cached data meanwhile', async () => {
    const cache = new MemoryCostCache();
    const src = source(cache);
    await src.measure(at('2025-03-11T06:00:00.000Z'));
    cm.throttleNext(1, {
      'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': '900',
      'retry-after': '30',
      'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after': '45',
    });
    const m = await src.measure(at('2025-03-11T10:30:00.000Z'));
    expect(cache.until).toBe('2025-03-11T10:45:00.000Z');
    expect(m).toMatchObject({ actual: 1000, cached: true, asOf: '2025-03-11T06:00:00.000Z' });
    expect(m.notes[0]).toMatch(/throttled the query \(retry after 900s, not before 2025-03-11T10:45:00.000Z\); using data from 2025-03-11T06:00:00.000Z/);
    const calls = cm.calls.length;
    const during = await src.measure(at('2025-03-11T10:40:00.000Z'));
    expect(cm.calls).toHaveLength(calls);
    expect(during.notes[0]).toContain('throttling this tenant until 2025-03-11T10:45:00.000Z');
    const after = await src.measure(at('2025-03-11T10:46:00.000Z'));
    expect(after.cached).toBe(false);
    expect(sleeps).toEqual([]);
  });

  it('gives no numbers (so nothing acts) when throttled with nothing cached', async () => {
    cm.throttleNext(2, { 'retry-after': '120' });
    const m = await source().measure(at('2025-03-11T06:00:00.000Z'));
    expect(m).toMatchObject({ actual: null, forecast: null });
    expect(m.notes[0]).toContain('no data yet');
  });

  it('the fake spends a QPU budget per tenant and says when to come back', async () => {
    await arm.stop();
    arm = await FakeArm.start();
    cm = installCostManagement(arm, { today: () => today, qpuPerMinute: 3 });
    ledger();
    const src = source(new MemoryCostCache(), 0);
    await src.measure(at('2025-03-11T06:00:00.000Z'));
    const m = await src.measure(at('2025-03-11T06:30:00.000Z', true));
    expect(cm.calls.map((c) => c.status)).toEqual([200, 200, 200, 429]);
    expect(m.notes[0]).toMatch(/throttled the query \(retry after \d+s/);
  });

  it('retryAfterSeconds: the longest of the Cost Management and ARM headers, seconds or HTTP date', () => {
    const h = (o: Record<string, string>) => (n: string) => o[n];
    expect(retryAfterSeconds(h({}))).toBeNull();
    expect(retryAfterSeconds(h({ 'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': '7', 'retry-after': '2' }))).toBe(7);
    expect(
      retryAfterSeconds(
        h({ 'x-ms-ratelimit-microsoft.costmanagement-clienttype-retry-after': '48', 'x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after': '10' }),
      ),
    ).toBe(48);
    expect(retryAfterSeconds(h({ 'retry-after': 'Tue, 11 Mar 2025 06:01:00 GMT' }), Date.parse('2025-03-11T06:00:00Z'))).toBe(60);
    expect(retryAfterSeconds(h({ 'retry-after': 'soon' }))).toBeNull();
  });

  it('reads results by column name whatever the order (legacy PreTaxCost layout)', () => {
    const t = {
      columns: [
        { name: 'ResourceGroup', type: 'String' },
        { name: 'PreTaxCost', type: 'Number' },
        { name: 'Currency', type: 'String' },
      ],
      rows: [
        ['a', 1.5, 'USD'],
        ['b', 2.25, 'USD'],
      ],
    };
    expect(readQueryRows(t, 'ResourceGroup')).toEqual({
      total: 3.75,
      currency: 'USD',
      groups: [
        { name: 'b', cost: 2.25 },
        { name: 'a', cost: 1.5 },
      ],
    });
    expect(() => readQueryRows({ columns: [{ name: 'X' }], rows: [[1]] }, 'ServiceName')).toThrow(/no cost column/);
  });
});

it('uses the ARM token scope', () => {
  expect(ARM_SCOPE).toBe('https://management.azure.com/.default');
});
