// Daily hygiene: the real durable-functions client purges through the fake extension's purge
// endpoint (finished and old instances gone, running and recent ones kept), and the app's tables
// in the real Azurite keep rows younger than retention.tables (audit rows survive the purge).
import { InvocationContext, type Timer } from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHygieneHandler } from '../../functions/hygiene.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { getTableClient } from '../../src/adapters/table-client.js';
import { readSettings } from '../../src/config/settings.js';
import { parseConfig } from '../../src/config/load.js';
import type { PurgeClient } from '../../src/retention/purge.js';
import { FakeDurableExtension, type RuntimeStatus } from '../fakes/durable-extension.js';
import { readFileSync } from 'node:fs';

const { connectionString } = inject('azurite');
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const DAY = 86_400_000;
const timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as Timer;
const ctx = () => new InvocationContext({ functionName: 'hygieneTimer', logHandler: () => {} });

let ext: FakeDurableExtension;
beforeAll(async () => {
  ext = await new FakeDurableExtension().start();
});
afterAll(() => ext.stop());

function seed(id: string, status: RuntimeStatus, daysAgo: number): void {
  const at = new Date(Date.now() - daysAgo * DAY).toISOString();
  ext.instances.set(id, {
    name: 'x',
    instanceId: id,
    input: null,
    runtimeStatus: status,
    createdTime: at,
    lastUpdatedTime: at,
    output: null,
    customStatus: null,
    events: [],
  });
}

const rows = async (table: string) => {
  let n = 0;
  for await (const _ of TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true }).listEntities()) n += 1;
  return n;
};

function handler(name: string, retention = { instances: '30d', tables: '1y' }, now?: () => Date) {
  const settings = readSettings({
    AzureWebJobsStorage: connectionString,
    AUDIT_TABLE_NAME: `hyga${name}${suffix}`,
    SCALING_TABLE_NAME: `hygs${name}${suffix}`,
    COST_CACHE_TABLE_NAME: `hygc${name}${suffix}`,
  });
  const h = createHygieneHandler({ settings: () => settings, retention: async () => retention, table: (s, t) => getTableClient(s, t), now });
  return { settings, run: () => h(timer, ext.invocation().client as unknown as PurgeClient, ctx()) };
}

async function writeAudit(settings: ReturnType<typeof readSettings>, n: number) {
  const at = new Date().toISOString();
  await AuditStore.fromSettings(settings).write(
    Array.from({ length: n }, (_, i) => ({
      id: `hyg-${i}`,
      at,
      kind: 'decision' as const,
      actor: 'test',
      decision: 'start',
      result: 'ok',
      detail: `row ${i}`,
    })),
  );
}

describe('daily hygiene', () => {
  it('purges finished instances older than 30 days, keeps running and recent ones, and the audit rows', async () => {
    ext.instances.clear();
    seed('old-completed', 'Completed', 45);
    seed('old-failed', 'Failed', 31);
    seed('old-terminated', 'Terminated', 90);
    seed('old-running', 'Running', 60);
    seed('old-pending', 'Pending', 60);
    seed('old-suspended', 'Suspended', 60);
    seed('recent-completed', 'Completed', 29);
    const { settings, run } = handler('a');
    await writeAudit(settings, 3);
    const r = await run();
    expect(r.instancesDeleted).toBe(3);
    expect([...ext.instances.keys()].sort()).toEqual(['old-pending', 'old-running', 'old-suspended', 'recent-completed']);
    const purge = ext.requests.filter((q) => q.method === 'DELETE');
    expect(purge).toHaveLength(1);
    expect(r.rowsDeleted[settings.auditTableName]).toBe(0);
    expect(await rows(settings.auditTableName)).toBe(3);
  });

  it('a second run finds nothing to purge (the extension answers 404, the client reports 0)', async () => {
    const { run } = handler('b');
    expect((await run()).instancesDeleted).toBe(0);
    expect(ext.instances.size).toBe(4);
  });

  it('honours a configured instance age', async () => {
    seed('week-old', 'Completed', 8);
    const { run } = handler('c', { instances: '7d', tables: '1y' });
    expect((await run()).instancesDeleted).toBe(2); // week-old and recent-completed (29 days)
    expect(ext.instances.has('old-running')).toBe(true);
  });

  it('deletes table rows older than retention.tables (more than one transaction of 100)', async () => {
    const twoYearsOn = new Date(Date.now() + 2 * 365 * DAY);
    const { settings, run } = handler('d', { instances: '30d', tables: '1y' }, () => twoYearsOn);
    await writeAudit(settings, 130);
    const scaling = await getTableClient(settings, settings.scalingTableName);
    await scaling.createEntity({ partitionKey: 'p', rowKey: 'r', v: 1 });
    const r = await run();
    expect(r.rowsDeleted).toEqual({ [settings.auditTableName]: 130, [settings.scalingTableName]: 1, [settings.costCacheTableName]: 0 });
    expect(await rows(settings.auditTableName)).toBe(0);
  });

  it('the fake answers 400 without createdTimeFrom, as the extension does', async () => {
    const res = await fetch(`${ext.rpcBaseUrl}instances/?runtimeStatus=Completed`, { method: 'DELETE' });
    expect(res.status).toBe(400);
  });
});

describe('retention config', () => {
  it('defaults to 30 days for instances and a year for tables, and names a bad value', () => {
    const example = readFileSync('examples/ops.yaml', 'utf8');
    expect(parseConfig(example).source.retention).toEqual({ instances: '30d', tables: '1y' });
    expect(() => parseConfig(`${example}\nretention:\n  instances: soon\n`)).toThrow(/retention\.instances.*not a duration/s);
  });
});
