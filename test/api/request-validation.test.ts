// Every route with a body or a query validates it with the zod schema GET /api/openapi.json is
// generated from (src/api/routes.ts, src/api/validate.ts). Driven through the app's real HTTP
// handlers (test/support/app-host.ts over Azurite and the fakes): one invalid request per route
// family answers 400 naming the field and the fix, and the published description rejects the
// same request (ajv), so handler and description cannot drift apart.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalHeader, startConsoleWorld, BACKUP_ID, type ConsoleWorld } from '../support/console-world.js';
import { ROUTES } from '../../src/api/routes.js';
import { openApiPath } from '../../src/api/openapi.js';

let w: ConsoleWorld;
type Op = { parameters?: Array<{ name: string; schema: object }>; requestBody?: { content: Record<string, { schema: object }> } };
let doc: { paths: Record<string, Record<string, Op>> };
const ajv = new Ajv2020.default({ strict: false, allErrors: true });

beforeAll(async () => {
  w = await startConsoleWorld({ auditRows: 20 });
  doc = (await (await fetch(`${w.host.url}/api/openapi.json`)).json()) as typeof doc;
});
afterAll(async () => w?.stop());

const headers = {
  'x-ms-client-principal': principalHeader('bob@contoso.com', ['Approver', 'Operator']),
  'x-ms-client-principal-name': 'bob@contoso.com',
  'content-type': 'application/json',
};

interface Case {
  route: string;
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  parameter: string;
  message: RegExp;
}

const BODY_CASES: Case[] = [
  {
    route: 'runbooks/{name}',
    method: 'POST',
    url: '/api/runbooks/restart-pod',
    body: { params: { pod: 'x' }, dryRun: 'no' },
    parameter: 'dryRun',
    message: /dryRun: must be true or false/,
  },
  {
    route: 'runbooks/{name}',
    method: 'POST',
    url: '/api/runbooks/restart-pod',
    body: { params: { pod: ['x'] } },
    parameter: 'params.pod',
    message: /params\.pod: must be a string, number or boolean/,
  },
  {
    route: 'runbooks/{name}',
    method: 'POST',
    url: '/api/runbooks/restart-pod',
    body: { params: {}, dryrun: false },
    parameter: 'dryrun',
    message: /dryrun: Unrecognized key/,
  },
  {
    route: 'runbooks/runs/{id}/approve',
    method: 'POST',
    url: `/api/runbooks/runs/run-${'a'.repeat(32)}/approve`,
    body: { comment: 42 },
    parameter: 'comment',
    message: /comment: must be a string \(got 42\)/,
  },
  {
    route: 'runbooks/runs/{id}/cancel',
    method: 'POST',
    url: `/api/runbooks/runs/run-${'a'.repeat(32)}/cancel`,
    body: { reason: 'x'.repeat(501) },
    parameter: 'reason',
    message: /reason: longer than 500 characters/,
  },
  {
    route: 'pause',
    method: 'POST',
    url: '/api/pause',
    body: { paused: 'yes', reason: 'x' },
    parameter: 'paused',
    message: /paused: must be true or false .*\(got "yes"\)/,
  },
  {
    route: 'rotations',
    method: 'POST',
    url: '/api/rotations',
    body: { secret: 'redis password' },
    parameter: 'secret',
    message: /secret: must be a Key Vault secret name/,
  },
  {
    route: 'rotations/{instanceId}/approval',
    method: 'POST',
    url: '/api/rotations/rotation-x/approval',
    body: { approved: 'yes' },
    parameter: 'approved',
    message: /approved: must be true or false/,
  },
  {
    route: 'budgets/{name}/evaluate',
    method: 'POST',
    url: '/api/budgets/prod-nodes/evaluate',
    body: { mode: 'now' },
    parameter: 'mode',
    message: /mode: expected "dry-run" or "enforce"/,
  },
  {
    route: 'budgets/{name}/approval',
    method: 'POST',
    url: '/api/budgets/prod-nodes/approval',
    body: { approve: 1 },
    parameter: 'approve',
    message: /approve: must be true or false .*\(got 1\)/,
  },
  {
    route: 'backups',
    method: 'POST',
    url: '/api/backups',
    body: { parts: ['objects', 'everything'] },
    parameter: 'parts.1',
    message: /parts\.1: must be one of objects, databases/,
  },
  {
    route: 'restores',
    method: 'POST',
    url: '/api/restores',
    body: { backupId: BACKUP_ID, conflict: 'overwrite' },
    parameter: 'conflict',
    message: /conflict: must be "skip" or "update"/,
  },
  {
    route: 'windows',
    method: 'POST',
    url: '/api/windows',
    body: { cluster: 'ms5-prod', duration: '2h', reason: 'x', jobs: [] },
    parameter: 'jobs',
    message: /jobs: must be a non-empty list of remediation/,
  },
  {
    route: 'windows/{id}/close',
    method: 'POST',
    url: '/api/windows/w-00000000/close',
    body: { reason: 7 },
    parameter: 'reason',
    message: /reason: must be a string/,
  },
];

const QUERY_CASES: Case[] = [
  { route: 'audit', method: 'GET', url: '/api/audit?limit=ten', parameter: 'limit', message: /limit: must be a whole number of at least 1/ },
  { route: 'runs', method: 'GET', url: '/api/runs?limit=501', parameter: 'limit', message: /limit: must be a whole number from 1 to 500 \(got "501"\)/ },
  { route: 'scaling/report', method: 'GET', url: '/api/scaling/report?days=31', parameter: 'days', message: /days: must be a whole number from 1 to 30/ },
  { route: 'scaling/report', method: 'GET', url: '/api/scaling/report?series=yes', parameter: 'series', message: /series: must be true or false/ },
  { route: 'backups/{id}', method: 'GET', url: `/api/backups/${BACKUP_ID}?items=all`, parameter: 'items', message: /items: must be true or false/ },
  { route: 'backups', method: 'GET', url: `/api/backups?cluster=${'c'.repeat(600)}`, parameter: 'cluster', message: /cluster: longer than 512 characters/ },
  { route: 'budgets/{name}', method: 'GET', url: `/api/budgets/prod-nodes?at=${'1'.repeat(600)}`, parameter: 'at', message: /at: longer than 512 characters/ },
];

async function send(c: Case) {
  const res = await fetch(`${w.host.url}${c.url}`, c.method === 'POST' ? { method: 'POST', headers, body: JSON.stringify(c.body) } : { headers });
  return { status: res.status, body: (await res.json()) as { error: string; parameter: string } };
}

describe('request bodies are checked with the schemas the OpenAPI description is generated from', () => {
  it.each(BODY_CASES.map((c) => [`${c.method} ${c.url.slice(0, 60)} ${JSON.stringify(c.body).slice(0, 50)}`, c] as const))(
    '%s: 400 naming the field, and the description rejects it too',
    async (_name, c) => {
      const r = await send(c);
      expect(r.status).toBe(400);
      expect(r.body.parameter).toBe(c.parameter);
      expect(r.body.error).toMatch(c.message);
      expect(r.body.error).toContain('Fix: see the requestBody of POST /api/');
      const schema = doc.paths[openApiPath(c.route)]![c.method.toLowerCase()]!.requestBody!.content['application/json']!.schema;
      expect(ajv.validate(schema, c.body)).toBe(false);
    },
  );

  it('a well-formed body passes the schema and reaches the feature checks (which still name their field)', async () => {
    const r = await send({
      route: 'windows',
      method: 'POST',
      url: '/api/windows',
      body: { cluster: 'nope', duration: '2h', reason: 'upgrade' },
      parameter: 'cluster',
      message: /must name a configured cluster/,
    });
    expect(r).toMatchObject({ status: 400, body: { parameter: 'cluster', error: expect.stringMatching(/must name a configured cluster \(ms5-prod\)/) } });
  });
});

describe('query strings are checked with the route schema', () => {
  it.each(QUERY_CASES.map((c) => [c.url.slice(0, 70), c] as const))('%s: 400 naming the parameter', async (_name, c) => {
    const r = await send(c);
    expect(r.status).toBe(400);
    expect(r.body.parameter).toBe(c.parameter);
    expect(r.body.error).toMatch(c.message);
    const text = new URL(c.url, 'http://x').searchParams.get(c.parameter);
    const param = doc.paths[openApiPath(c.route)]!.get!.parameters!.find((p) => p.name === c.parameter)! as { schema: { type?: string } };
    const value = param.schema.type === 'integer' ? Number(text) : text; // how a client serialises an integer parameter
    expect(ajv.validate(param.schema, value)).toBe(false);
  });

  it('the function key (?code=) and empty values are not errors', async () => {
    const res = await fetch(`${w.host.url}/api/runs?code=abc&limit=`, { headers });
    expect(res.status).toBe(200);
  });
});

describe('every route with a body or a query uses the route schema', () => {
  const sources = ['functions', 'src']
    .flatMap((d) => readdirSync(d, { recursive: true, encoding: 'utf8' }).map((f) => join(d, f)))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  it.each(ROUTES.filter((r) => (r.body && !r.bodyCheckedBy) || r.query).map((r) => [`${r.method} ${r.route}`, r] as const))('%s', (_n, r) => {
    // checkBody/checkBodyValue/checkQuery (src/api/validate.ts) or validBody/validQuery (functions/lib/http.ts) with the route's name.
    expect(sources).toMatch(new RegExp(`\\b(checkBody|checkBodyValue|checkQuery|validBody|validQuery)\\b[^\\n]*'${r.name}'`));
  });
});
