// AuditStore against the real Azurite started by test/support/global-setup.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { AuditStore, StoreError, TransientStoreError } from '../../src/adapters/audit-store.js';
import { getTableClient, tableConnectionInfo } from '../../src/adapters/table-client.js';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { AuditQueryError } from '../../src/domain/audit-query.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { freePort } from '../support/net.js';

const { connectionString } = inject('azurite');
const table = `audit${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const settings: Settings = readSettings({ AzureWebJobsStorage: connectionString, AUDIT_TABLE_NAME: table });
const store = AuditStore.fromSettings(settings);
const raw = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });

function rec(id: string, at: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  return { id, at, kind: 'decision', actor: 'alertmanager', ...extra };
}

async function rawRows(partition: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const filter = `PartitionKey eq '${partition}'`; // constant test input
  for await (const e of raw.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) rows.push(e);
  return rows;
}

describe('AuditStore on Azurite', () => {
  beforeAll(async () => {
    // Day 1 (2024-03-01) and day 2 (2024-03-02), two targets, one instance.
    await store.write([
      rec('d1-a', '2024-03-01T08:00:00.000Z', { target: 'aks1/shop/Deployment/api', instanceId: 'inst-1' }),
      rec('d1-b', '2024-03-01T12:00:00.000Z', { target: 'aks1/shop/Deployment/web' }),
      rec('d1-c', '2024-03-01T23:59:59.999Z', { target: 'aks1/shop/Deployment/api', instanceId: 'inst-1', dryRun: true }),
      rec('d2-a', '2024-03-02T00:00:00.000Z', { target: 'aks1/shop/Deployment/api', kind: 'action', instanceId: 'inst-1' }),
      rec('d2-b', '2024-03-02T06:30:00.000Z', { target: 'aks1/shop/Deployment/web', kind: 'result', result: 'done' }),
    ]);
  });

  it('writes and reads back records newest first across two days', async () => {
    const r = await store.query({ since: '2024-03-01', until: '2024-03-02T23:59:59Z' });
    expect(r.truncated).toBe(false);
    expect(r.items.map((i) => i.id)).toEqual(['d2-b', 'd2-a', 'd1-c', 'd1-b', 'd1-a']);
    const c = r.items.find((i) => i.id === 'd1-c')!;
    expect(c).toEqual({
      id: 'd1-c',
      at: '2024-03-01T23:59:59.999Z',
      kind: 'decision',
      actor: 'alertmanager',
      target: 'aks1/shop/Deployment/api',
      instanceId: 'inst-1',
      dryRun: true,
    });
  });

  it('uses the UTC day as PartitionKey and an inverted-time RowKey', async () => {
    const day1 = await rawRows('2024-03-01');
    expect(day1.map((e) => e.id)).toEqual(['d1-c', 'd1-b', 'd1-a']);
    expect(String(day1[0]!.rowKey)).toMatch(/^\d{13}_d1-c$/);
    expect((await rawRows('2024-03-02')).length).toBe(2);
  });

  it('since/until select by exact time, also inside a day', async () => {
    const r = await store.query({ since: '2024-03-01T12:00:00Z', until: '2024-03-02T00:00:00Z' });
    expect(r.items.map((i) => i.id)).toEqual(['d2-a', 'd1-c', 'd1-b']);
    const offset = await store.query({ since: '2024-03-01T13:00:00+01:00', until: '2024-03-01T13:00:00+01:00' });
    expect(offset.items.map((i) => i.id)).toEqual(['d1-b']);
  });

  it('filters by exact target and by instanceId', async () => {
    const api = await store.query({ since: '2024-03-01', until: '2024-03-03', target: 'aks1/shop/Deployment/api' });
    expect(api.items.map((i) => i.id)).toEqual(['d2-a', 'd1-c', 'd1-a']);
    const prefix = await store.query({ since: '2024-03-01', until: '2024-03-03', target: 'aks1/shop/Deployment' });
    expect(prefix.items).toEqual([]);
    const inst = await store.query({ since: '2024-03-01', until: '2024-03-03', instanceId: 'inst-1', target: 'aks1/shop/Deployment/api' });
    expect(inst.items.map((i) => i.id)).toEqual(['d2-a', 'd1-c', 'd1-a']);
  });

  it('treats filter values as data, not OData (quotes are escaped)', async () => {
    const r = await store.query({ since: '2024-03-01', until: '2024-03-03', target: "x' or PartitionKey ne 'y" });
    expect(r.items).toEqual([]);
  });

  it('caps the limit and says when the result is truncated', async () => {
    const r = await store.query({ since: '2024-03-01', until: '2024-03-03', limit: 2 });
    expect(r.items.map((i) => i.id)).toEqual(['d2-b', 'd2-a']);
    expect(r.truncated).toBe(true);
    const exact = await store.query({ since: '2024-03-01', until: '2024-03-03', limit: 5 });
    expect(exact.truncated).toBe(false);
    expect(exact.items.length).toBe(5);
    const capped = await store.query({ since: '2024-03-01', until: '2024-03-03', limit: 50_000 });
    expect(capped.limit).toBe(1000);
  });

  it('rejects bad parameters with AuditQueryError naming the parameter', async () => {
    await expect(store.query({ since: 'yesterday' })).rejects.toThrow(AuditQueryError);
    await expect(store.query({ since: 'yesterday' })).rejects.toThrow(/^since: 'yesterday' is not an ISO 8601 time\. Fix:/);
    await expect(store.query({ since: '2024-03-02', until: '2024-03-01' })).rejects.toMatchObject({ parameter: 'since' });
    await expect(store.query({ since: '2020-01-01', until: '2024-01-01' })).rejects.toThrow(/at most 92/);
    await expect(store.query({ limit: 0 })).rejects.toMatchObject({ parameter: 'limit' });
  });

  it('is idempotent: the same id written again replaces its row', async () => {
    const first = rec('same-1', '2024-04-10T10:00:00.000Z', { detail: 'first attempt' });
    await store.write([first]);
    await store.write([{ ...first, detail: 'replayed' }]);
    // and twice in one call (one transaction must not carry the same row twice)
    await store.write([first, { ...first, detail: 'last wins' }, rec('same-2', '2024-04-10T10:00:01.000Z')]);
    const rows = await rawRows('2024-04-10');
    expect(rows.filter((e) => e.id === 'same-1')).toHaveLength(1);
    const r = await store.query({ since: '2024-04-10', until: '2024-04-11' });
    expect(r.items.map((i) => [i.id, i.detail])).toEqual([
      ['same-2', undefined],
      ['same-1', 'last wins'],
    ]);
  });

  it('keeps ids with characters RowKey forbids, and batches more than 100 rows per day', async () => {
    const odd = rec('remediation/aks1#x?y\\z', '2024-05-01T00:00:00.000Z');
    const many = Array.from({ length: 250 }, (_, i) =>
      rec(`bulk-${String(i).padStart(3, '0')}`, new Date(Date.UTC(2024, 4, 1, 1, 0, i)).toISOString(), { kind: 'guard' }),
    );
    await store.write([odd, ...many]);
    await store.write([odd, ...many]); // replay: still 251 rows
    const rows = await rawRows('2024-05-01');
    expect(rows).toHaveLength(251);
    expect(rows.find((e) => e.id === odd.id)!.rowKey).toMatch(/^\d{13}_~[0-9a-f]{64}$/);
    const r = await store.query({ since: '2024-05-01', until: '2024-05-01T23:00:00Z', limit: 1000 });
    expect(r.items).toHaveLength(251);
    expect(r.items[0]!.id).toBe('bulk-249');
    expect(r.items.at(-1)!.id).toBe(odd.id);
  });

  it('redacts secret-looking values in detail/error before they reach the table', async () => {
    const secrets = ['hunter2', 'S3cr3tValue', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl', 'c3VwZXI6c2VjcmV0', 'AKV-abc-123', 'QWERTY123=='];
    const r = rec('redact-1', '2024-06-01T00:00:00.000Z', {
      detail: `connected with password=hunter2 and {"client_secret": "S3cr3tValue"}; token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl`,
      error: `401 from https://vault/x with Authorization: Basic c3VwZXI6c2VjcmV0; api_key=AKV-abc-123; AccountKey=QWERTY123==;`,
      result: 'failed',
      target: 'aks1/db/StatefulSet/postgres',
    });
    await store.write([r]);
    const [row] = await rawRows('2024-06-01');
    const dump = JSON.stringify(row);
    for (const s of secrets) expect(dump).not.toContain(s);
    expect(row!.detail).toContain('password=[REDACTED]');
    expect(row!.error).toContain('Authorization: Basic [REDACTED]');
    expect(row!.target).toBe('aks1/db/StatefulSet/postgres');
    expect(row!.result).toBe('failed');
  });

  it('clips very long fields instead of failing the write', async () => {
    await store.write([rec('long-1', '2024-06-02T00:00:00.000Z', { detail: 'x'.repeat(100_000) })]);
    const r = await store.query({ since: '2024-06-02', until: '2024-06-02T01:00:00Z' });
    expect(r.items[0]!.detail!.length).toBeLessThanOrEqual(8_000);
    expect(r.items[0]!.detail).toMatch(/\[truncated\]$/);
  });

  it('refuses malformed records before writing anything', async () => {
    await expect(store.write([rec('bad-at', 'not a time')])).rejects.toThrow(/at 'not a time' is not an ISO 8601 time/);
    await expect(store.write([{ ...rec('x', '2024-01-01T00:00:00Z'), id: '' }])).rejects.toThrow(/'id' must be a non-empty string/);
  });
});

describe('storage failures', () => {
  it('a closed port surfaces as TransientStoreError without credentials in the message', async () => {
    const port = await freePort();
    const cs = connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1`);
    const s = readSettings({ AzureWebJobsStorage: cs, AUDIT_TABLE_NAME: 'auditclosed' });
    const closed = AuditStore.fromSettings(s, { retry: { maxRetries: 0 } });
    const err = await closed.write([rec('t-1', '2024-01-01T00:00:00Z')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientStoreError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).not.toContain('Eby8vdM02x');
    const q = await closed.query({ since: '2024-01-01', until: '2024-01-01T01:00:00Z' }).catch((e: unknown) => e);
    expect(q).toBeInstanceOf(TransientStoreError);
  });

  describe('status codes from the service', () => {
    let server: Server;
    let status = 503;
    let endpoint = '';
    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        const code = status === 503 ? 'ServerBusy' : 'AuthorizationPermissionMismatch';
        res.writeHead(status, { 'content-type': 'application/json;odata=minimalmetadata', 'x-ms-error-code': code });
        res.end(JSON.stringify({ 'odata.error': { code, message: { lang: 'en-US', value: `fake ${code}` } } }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/devstoreaccount1`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    function storeAt(): AuditStore {
      const cs = connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=${endpoint}`);
      return AuditStore.fromSettings(readSettings({ AzureWebJobsStorage: cs, AUDIT_TABLE_NAME: `audit${status}` }), {
        retry: { maxRetries: 0 },
        createTable: false,
      });
    }

    it('503 ServerBusy is transient', async () => {
      status = 503;
      const err = await storeAt()
        .write([rec('s-1', '2024-01-01T00:00:00Z')])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientStoreError);
      expect(err).toMatchObject({ statusCode: 503 });
    });

    it('403 is a permanent StoreError', async () => {
      status = 403;
      const err = await storeAt()
        .query({ since: '2024-01-01', until: '2024-01-01T01:00:00Z' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).not.toBeInstanceOf(TransientStoreError);
      expect(err).toMatchObject({ statusCode: 403 });
    });
  });
});

describe('table client configuration', () => {
  it('UseDevelopmentStorage=true means Azurite on 127.0.0.1:10002 over http', () => {
    expect(tableConnectionInfo(readSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }))).toEqual({
      auth: 'connection-string',
      endpoint: 'http://127.0.0.1:10002/devstoreaccount1',
      insecure: true,
    });
  });

  it('identity-based storage uses the table service URI and the managed identity', () => {
    const info = tableConnectionInfo(
      readSettings({ AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net/', AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' }),
    );
    expect(info).toEqual({ auth: 'managed-identity', endpoint: 'https://acct.table.core.windows.net', insecure: false });
    expect(tableConnectionInfo(readSettings({ AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net' })).auth).toBe('default-credential');
  });

  it('refuses plain http to anything but the emulator, and says what to set when nothing is', () => {
    const cs = 'DefaultEndpointsProtocol=http;AccountName=prod;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net';
    expect(() => tableConnectionInfo(readSettings({ AzureWebJobsStorage: cs }))).toThrow(/refusing plain http/);
    expect(() => tableConnectionInfo(readSettings({ AzureWebJobsStorage: cs }))).not.toThrow(/c2VjcmV0/);
    expect(() => tableConnectionInfo(readSettings({}))).toThrow(/AzureWebJobsStorage__tableServiceUri/);
  });

  it('creates the table once and reuses the client', async () => {
    const name = `ctl${Date.now().toString(36)}x`;
    const a = await getTableClient(settings, name);
    const b = await getTableClient(settings, name);
    expect(a).toBe(b);
    await a.upsertEntity({ partitionKey: 'p', rowKey: 'r', v: 1 }, 'Replace');
    expect((await a.getEntity('p', 'r')).v).toBe(1);
  });
});
