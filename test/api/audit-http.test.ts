// GET /api/audit handler with real HttpRequest objects, against the real Azurite.
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { readSettings } from '../../src/config/settings.js';
import { auditQueryHandler, createAuditQueryHandler } from '../../functions/audit.js';
import { freePort } from '../support/net.js';

const { connectionString } = inject('azurite');
const table = `audithttp${Date.now().toString(36)}`;
const settings = readSettings({ AzureWebJobsStorage: connectionString, AUDIT_TABLE_NAME: table });
const handler = createAuditQueryHandler(() => AuditStore.fromSettings(settings));

function get(query: string): HttpRequest {
  return new HttpRequest({ method: 'GET', url: `http://localhost:7071/api/audit${query}` });
}
function ctx(): InvocationContext {
  return new InvocationContext({ functionName: 'auditQuery', logHandler: () => {} });
}
describe('GET /api/audit', () => {
  beforeAll(async () => {
    await AuditStore.fromSettings(settings).write([
      { id: 'h1', at: '2024-07-01T10:00:00Z', kind: 'decision', actor: 'alertmanager', target: 'aks1/shop/Pod/a', instanceId: 'i-1' },
      { id: 'h2', at: '2024-07-02T10:00:00Z', kind: 'action', actor: 'orchestration', target: 'aks1/shop/Pod/b', instanceId: 'i-2' },
      { id: 'h3', at: '2024-07-02T11:00:00Z', kind: 'result', actor: 'orchestration', target: 'aks1/shop/Pod/a', instanceId: 'i-1' },
    ]);
  });

  it('200 with {items, truncated}, newest first', async () => {
    const res = await handler(get('?since=2024-07-01T00:00:00Z&until=2024-07-03'), ctx());
    expect(res.status).toBe(200);
    const body = res.jsonBody as { items: { id: string }[]; truncated: boolean; limit: number };
    expect(body.items.map((i) => i.id)).toEqual(['h3', 'h2', 'h1']);
    expect(body.truncated).toBe(false);
    expect(body.limit).toBe(100);
  });

  it('applies target, instanceId and limit', async () => {
    const t = await handler(get(`?since=2024-07-01&until=2024-07-03&target=${encodeURIComponent('aks1/shop/Pod/a')}`), ctx());
    expect((t.jsonBody as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(['h3', 'h1']);
    const i = await handler(get('?since=2024-07-01&until=2024-07-03&instanceId=i-2'), ctx());
    expect((i.jsonBody as { items: { id: string }[] }).items.map((x) => x.id)).toEqual(['h2']);
    const l = await handler(get('?since=2024-07-01&until=2024-07-03&limit=1'), ctx());
    expect(l.jsonBody).toMatchObject({ truncated: true, items: [{ id: 'h3' }] });
  });

  it('ignores the function key parameter and never echoes it', async () => {
    const res = await handler(get('?code=SECRETFUNCTIONKEY&since=nonsense'), ctx());
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.jsonBody)).not.toContain('SECRETFUNCTIONKEY');
  });

  it.each([
    ['?since=yesterday', 'since', /^since: 'yesterday' is not an ISO 8601 time\. Fix: .*since=2024-05-01T08:00:00Z/],
    ['?until=2024-13-01', 'until', /^until: '2024-13-01' is not an ISO 8601 time/],
    ['?since=2024-07-01T10:00:00', 'since', /not an ISO 8601 time/], // no zone: ambiguous
    ['?since=2024-07-03&until=2024-07-01', 'since', /is after until/],
    ['?limit=abc', 'limit', /^limit: must be a whole number of at least 1 .*\(got "abc"\)\. Fix: see the parameters of GET \/api\/audit/],
    ['?limit=0', 'limit', /^limit: must be a whole number of at least 1 .*\(got "0"\)/],
    ['?limit=-5', 'limit', /^limit:/],
  ])('400 for %s naming %s', async (query, parameter, message) => {
    const res = await handler(get(query), ctx());
    expect(res.status).toBe(400);
    expect(res.jsonBody).toMatchObject({ parameter });
    expect((res.jsonBody as { error: string }).error).toMatch(message);
  });

  it('accepts durations ago (since=24h) and caps limit at 1000', async () => {
    const res = await handler(get('?since=24h&limit=5000'), ctx());
    expect(res.status).toBe(200);
    const body = res.jsonBody as { since: string; until: string; limit: number };
    expect(Date.parse(body.until) - Date.parse(body.since)).toBe(86_400_000);
    expect(body.limit).toBe(1000);
  });

  it('503 with Retry-After when storage is unreachable', async () => {
    const port = await freePort();
    const cs = connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1`);
    const down = createAuditQueryHandler(() =>
      AuditStore.fromSettings(readSettings({ AzureWebJobsStorage: cs, AUDIT_TABLE_NAME: 'auditdown' }), { retry: { maxRetries: 0 } }),
    );
    const res = await down(get('?since=2024-07-01&until=2024-07-02'), ctx());
    expect(res.status).toBe(503);
    expect(res.headers).toMatchObject({ 'Retry-After': '5' });
    expect(JSON.stringify(res.jsonBody)).not.toContain('Eby8vdM02x');
  });

  describe('the registered handler (settings from process.env)', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const k of ['AzureWebJobsStorage', 'AUDIT_TABLE_NAME']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });

    it('reads AzureWebJobsStorage and AUDIT_TABLE_NAME through readSettings', async () => {
      process.env.AzureWebJobsStorage = connectionString;
      process.env.AUDIT_TABLE_NAME = table;
      const res = await auditQueryHandler(get('?since=2024-07-02&until=2024-07-02T10:30:00Z'), ctx());
      expect(res.status).toBe(200);
      expect((res.jsonBody as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(['h2']);
    });

    it('500 with a fix when no storage is configured', async () => {
      delete process.env.AzureWebJobsStorage;
      const res = await auditQueryHandler(get('?since=24h'), ctx());
      expect(res.status).toBe(500);
      expect((res.jsonBody as { error: string }).error).toMatch(/No table storage is configured\. Fix:/);
    });
  });
});

describe('GET /api/audit: server-side filters and pages (the console never loads everything)', () => {
  const t2 = `auditpage${Date.now().toString(36)}`;
  const s2 = readSettings({ AzureWebJobsStorage: connectionString, AUDIT_TABLE_NAME: t2 });
  const h2 = createAuditQueryHandler(() => AuditStore.fromSettings(s2));
  const at = (i: number) => new Date(Date.UTC(2024, 6, 1) + i * 3_600_000).toISOString();
  beforeAll(async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({
      id: `p${i}`,
      at: at(i),
      kind: i % 3 === 0 ? 'action' : 'decision',
      actor: 'orchestration',
      target: `${i % 2 === 0 ? 'prod' : 'prod2'}/${i % 4 < 2 ? 'shop' : 'pay'}/Deployment/api`,
      rule: i % 5 === 0 ? 'crashloop' : 'oom',
      decision: i % 2 === 0 ? 'start' : 'duplicate',
    }));
    await AuditStore.fromSettings(s2).write(rows as never);
  });
  const q = async (query: string) =>
    (await h2(new HttpRequest({ method: 'GET', url: `http://localhost/api/audit${query}` }), ctx())).jsonBody as {
      items: { id: string; target: string; rule: string }[];
      truncated: boolean;
      next?: string;
      error?: string;
    };

  it('filters by cluster (not a longer cluster name sharing the prefix), namespace, rule and decision', async () => {
    const w = '?since=2024-07-01&until=2024-07-04';
    const prod = await q(`${w}&cluster=prod&limit=1000`);
    expect(prod.items).toHaveLength(30);
    expect(prod.items.every((i) => i.target.startsWith('prod/'))).toBe(true);
    const shop = await q(`${w}&cluster=prod&namespace=shop&rule=crashloop&limit=1000`);
    expect(shop.items.map((i) => i.id)).toEqual(['p40', 'p20', 'p0']);
    const dup = await q(`${w}&decision=duplicate&limit=1000`);
    expect(dup.items).toHaveLength(30);
  });

  it('pages with the next cursor across UTC days: every row once, newest first, none skipped', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const r = await q(`?since=2024-07-01&until=2024-07-04&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...r.items.map((i) => i.id));
      if (!r.next) break;
      cursor = r.next;
    }
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => `p${59 - i}`));
  });

  it('names the parameter when a cursor or namespace is wrong', async () => {
    const bad = await h2(new HttpRequest({ method: 'GET', url: 'http://localhost/api/audit?cursor=abc' }), ctx());
    expect(bad).toMatchObject({ status: 400, jsonBody: { parameter: 'cursor' } });
    const ns = await h2(new HttpRequest({ method: 'GET', url: 'http://localhost/api/audit?namespace=shop' }), ctx());
    expect(ns).toMatchObject({ status: 400, jsonBody: { parameter: 'namespace' } });
  });
});
