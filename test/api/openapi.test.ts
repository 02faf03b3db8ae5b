// GET /api/openapi.json describes every registered HTTP route (from the registration capture the
// Functions host would see), and every response the suite observes through the real handlers
// validates against the description (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it).
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistrations, triggerOf } from '../support/registrations.js';
import { markAwaitingApproval, principalHeader, startConsoleWorld, BACKUP_ID, type ConsoleWorld } from '../support/console-world.js';
import { openApiPath } from '../../src/api/openapi.js';

let w: ConsoleWorld;
let doc: { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>> };

beforeAll(async () => {
  w = await startConsoleWorld({ auditRows: 120 });
  doc = (await (await fetch(`${w.host.url}/api/openapi.json`)).json()) as typeof doc;
});
afterAll(async () => w?.stop());

const approver = {
  'x-ms-client-principal': principalHeader('bob@contoso.com', ['Approver', 'Operator']),
  'x-ms-client-principal-name': 'bob@contoso.com',
  'content-type': 'application/json',
};

describe('OpenAPI 3.1 at GET /api/openapi.json', () => {
  it('is OpenAPI 3.1 and describes every route and method the app registers', () => {
    expect(doc.openapi).toBe('3.1.0');
    const regs = loadRegistrations().filter((r) => triggerOf(r).type === 'httpTrigger');
    expect(regs.length).toBeGreaterThan(25);
    const missing: string[] = [];
    for (const r of regs) {
      const t = triggerOf(r);
      for (const m of t.methods ?? []) if (!doc.paths[openApiPath(t.route!)]?.[m.toLowerCase()]) missing.push(`${m} ${t.route} (${r.name})`);
    }
    expect(missing).toEqual([]);
  });

  it('every JSON response observed through the real handlers validates against its description', async () => {
    const u = w.host.url;
    const get = (p: string, h: Record<string, string> = {}) => fetch(`${u}${p}`, { headers: h });
    const post = (p: string, body: unknown, h: Record<string, string> = approver) =>
      fetch(`${u}${p}`, { method: 'POST', headers: h, body: JSON.stringify(body) });
    await get('/api/audit?since=7d&limit=5');
    await get('/api/audit?since=nonsense');
    await get('/api/pause');
    await post('/api/pause', { paused: true, reason: 'maintenance INC-1' });
    await post('/api/pause', { paused: 'yes' });
    await get('/api/runbooks');
    const started = (await (
      await post(
        '/api/runbooks/drain-node',
        { params: { node: 'aks-compute-1-vmss000001' }, dryRun: false },
        { ...approver, 'x-ms-client-principal': principalHeader('alice@contoso.com', ['Operator']), 'x-ms-client-principal-name': 'alice@contoso.com' },
      )
    ).json()) as { id: string };
    markAwaitingApproval(w.durable, started.id);
    await get(`/api/runbooks/runs/${started.id}`);
    await get('/api/runs');
    await get('/api/runs?limit=0');
    await get('/api/overview');
    await post(`/api/runbooks/runs/${started.id}/approve`, { comment: 'ok' });
    await post(`/api/runbooks/runs/${started.id}/reject`, {});
    await get('/api/backups');
    await get(`/api/backups/${BACKUP_ID}?items=true`);
    await get('/api/backups/20990101T000000Z-none');
    const verify = (await (await post(`/api/backups/${BACKUP_ID}/verify`, { cluster: 'ms5-prod' })).json()) as { statusUri: string };
    await get(verify.statusUri);
    await post('/api/backups/not-an-id/verify', {});
    await get('/api/verifications/verify:ms5-prod:20990101T000000Z-none:20990101T000000Z');
    await get('/api/scaling/report?series=true&days=3');
    await get('/api/scaling/report?days=99');
    await get('/api/budgets/prod-nodes');
    await get('/api/budgets/nope');
    await get('/api/rotations/nope');

    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    const json = w.host.observed.filter((o) => o.contentType.includes('json'));
    expect(json.length).toBeGreaterThan(20);
    const failures: string[] = [];
    const seen = new Set<string>();
    for (const o of json) {
      const op = doc.paths[openApiPath(o.route)]?.[o.method.toLowerCase()];
      const schema = op?.responses[String(o.status)]?.content?.['application/json']?.schema;
      if (!schema) {
        failures.push(`${o.method} ${o.route} answered ${o.status}, which the description does not list`);
        continue;
      }
      seen.add(`${o.method} ${o.route} ${o.status}`);
      if (!ajv.validate(schema, o.body)) failures.push(`${o.method} ${o.route} ${o.status}: ${ajv.errorsText()}`);
    }
    expect(failures).toEqual([]);
    // The drive above reached the main routes and both success and error answers.
    for (const k of [
      'GET audit 200',
      'GET audit 400',
      'POST pause 200',
      'POST runbooks/{name} 202',
      'POST runbooks/runs/{id}/approve 202',
      'GET backups/{id} 200',
      'GET backups/{id} 404',
      'GET scaling/report 200',
      'GET runs 200',
      'GET runs 400',
      'GET budgets/{name} 200',
      'GET budgets/{name} 404',
    ])
      expect(seen).toContain(k);
  });

  it('the conformance check can fail: a response outside the schema is caught', () => {
    const ajv = new Ajv2020.default({ strict: false });
    const schema = doc.paths['/api/audit']!.get!.responses['200']!.content!['application/json']!.schema!;
    expect(ajv.validate(schema, { items: [{ id: 1 }], truncated: 'no' })).toBe(false);
  });
});
