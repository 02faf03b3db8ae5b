// The operator surface over HTTP (docs/console.md): the web console's files, the OpenAPI
// description, the live runs and the config overview the console reads. Thin: logic in
// src/console/ and src/api/.
//   GET /api/console/{*path}  static files (anonymous: no data in them; every call they make is protected)
//   GET /api/openapi.json     OpenAPI 3.1 of every route (anonymous)
//   GET /api/runs             ?since=&limit=  live runs, approvals waiting first (function key)
//   GET /api/overview         names from the operations config, rotation due dates from the audit (function key)
import { app, type HttpResponseInit } from '@azure/functions';
import { clientHttp } from './lib/durable-lazy.js';
import { auditStore, configLoader } from './lib/runtime.js';
import { validQuery } from './lib/http.js';
import type { runsQuery } from '../src/api/schemas.js';
import type { z } from 'zod';

const json = (status: number, body: unknown): HttpResponseInit => ({
  status,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  jsonBody: body,
});

app.http('consoleAssets', {
  route: 'console/{*path}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (request) => {
    const { serveAsset } = await import('../src/console/assets.js');
    const r = serveAsset(request.params['path'] ?? '', request.headers.get('if-none-match'));
    return { status: r.status, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}) };
  },
});

app.http('openApi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    const [{ openApiDocument }, { projectInfo }] = await Promise.all([import('../src/api/openapi.js'), import('../src/config/project-root.js')]);
    return json(200, openApiDocument(projectInfo().version));
  },
});

clientHttp('runsList', {
  route: 'runs',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (request, client, context) => {
    const [{ listRuns }, { parseRunsQuery }] = await Promise.all([import('../src/console/runs.js'), import('../src/console/runs-query.js')]);
    const checked = await validQuery<z.output<typeof runsQuery>>(request, 'runsList');
    if (!checked.ok) return checked.response;
    const q = parseRunsQuery(checked.value, new Date());
    if ('error' in q) return json(400, q);
    try {
      return json(
        200,
        await listRuns(
          { list: async (f) => (await client.getStatusBy({ ...f, runtimeStatus: f.runtimeStatus as never, showInput: false } as never)) as never },
          q,
        ),
      );
    } catch (e) {
      const { redactSecrets } = await import('../src/domain/redact.js');
      context.error(`list runs failed: ${redactSecrets((e as Error).message)}`);
      return { ...json(503, { error: 'the Durable Functions status query is unavailable; retry shortly' }), headers: { 'Retry-After': '5' } };
    }
  },
});

app.http('consoleOverview', {
  route: 'overview',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (_request, context) => {
    const [{ overview }, { ROTATION_LOOKBACK }, load] = await Promise.all([
      import('../src/console/overview.js'),
      import('../src/rotation/schedule.js'),
      configLoader(),
    ]);
    const cfg = load();
    // Rotation results for the due dates; without the audit the names still show (with a warning).
    const results = cfg.source.rotation?.secrets.length
      ? await auditStore()
          .then((a) => a.query({ since: ROTATION_LOOKBACK, cluster: 'keyvault', kind: 'result', limit: 1000 }))
          .then((r) => r.items)
          .catch(async (e: unknown) => {
            const { redactSecrets } = await import('../src/domain/redact.js');
            context.warn(`overview: audit query failed: ${redactSecrets((e as Error).message)}`);
            return null;
          })
      : [];
    return json(200, overview(cfg, results));
  },
});
