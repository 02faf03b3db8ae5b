// The on-call HTTP runbooks (function keys; Easy Auth documented in docs/runbooks/README.md).
// Thin: the logic is in src/oncall/runs.ts; this file adapts the request and the Durable client.
//   GET  /api/runbooks                        list with parameter schemas
//   POST /api/runbooks/{name}                 start (202 with status URLs)
//   GET  /api/runbooks/runs/{id}              status
//   POST /api/runbooks/runs/{id}/approve      approve (GET: confirmation page)
//   POST /api/runbooks/runs/{id}/reject       reject  (GET: confirmation page)
//   POST /api/runbooks/runs/{id}/cancel       cancel
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import type { OncallDeps, OncallRequest, OncallResponse } from '../src/oncall/runs.js';
import { appSettings, auditStore, configLoader } from './lib/runtime.js';
import { clientHttp } from './lib/durable-lazy.js';
import { durableRuns } from './lib/durable-runs.js';
import { guarded, MAX_JSON_BODY, readText } from './lib/http.js';

async function deps(request: HttpRequest, client: DurableClient): Promise<OncallDeps> {
  const settings = appSettings();
  const [audit, config] = await Promise.all([auditStore(), configLoader()]);
  return { config, settings, runs: durableRuns(client), audit, now: () => new Date(), apiBase: `${settings.publicBaseUrl ?? new URL(request.url).origin}/api` };
}

/** The request for src/oncall/runs.ts; a body over the limit becomes one src/ refuses as too large. */
async function toRequest(request: HttpRequest): Promise<OncallRequest> {
  const text = await readText(request, MAX_JSON_BODY);
  return { headers: request.headers, body: text ?? ' '.repeat(MAX_JSON_BODY + 1), params: { ...request.params } };
}

function respond(r: OncallResponse): HttpResponseInit {
  return { status: r.status, headers: { 'Content-Type': 'application/json', ...r.headers }, jsonBody: r.body };
}

clientHttp('runbooksList', {
  route: 'runbooks',
  methods: ['GET'],
  authLevel: 'function',
  handler: async () => respond((await import('../src/oncall/runs.js')).listRunbooks()),
});

clientHttp('runbooksStart', {
  route: 'runbooks/{name}',
  methods: ['POST'],
  authLevel: 'function',
  handler: (request, client, context) =>
    guarded(context, 'start runbook', async () =>
      respond(await (await import('../src/oncall/runs.js')).startRun(await deps(request, client), await toRequest(request))),
    ),
});

clientHttp('runbooksRunStatus', {
  route: 'runbooks/runs/{id}',
  methods: ['GET'],
  authLevel: 'function',
  handler: (request, client, context) =>
    guarded(context, 'read run', async () =>
      respond(await (await import('../src/oncall/runs.js')).getRun(await deps(request, client), await toRequest(request))),
    ),
});

for (const decision of ['approve', 'reject'] as const) {
  clientHttp(`runbooksRun${decision === 'approve' ? 'Approve' : 'Reject'}`, {
    route: `runbooks/runs/{id}/${decision}`,
    methods: ['GET', 'POST'],
    authLevel: 'function',
    handler: (request, client, context) =>
      guarded(context, `${decision} run`, async () => {
        const m = await import('../src/oncall/runs.js');
        const d = await deps(request, client);
        if (request.method === 'GET') {
          const page = await m.approvalPage(d, await toRequest(request), decision);
          return {
            status: page.status,
            headers: {
              'Content-Type': 'text/html; charset=utf-8',
              'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; connect-src 'self'",
              'X-Frame-Options': 'DENY',
            },
            body: page.html,
          };
        }
        return respond(await m.decideRun(d, await toRequest(request), decision));
      }),
  });
}

clientHttp('runbooksRunCancel', {
  route: 'runbooks/runs/{id}/cancel',
  methods: ['POST'],
  authLevel: 'function',
  handler: (request, client, context) =>
    guarded(context, 'cancel run', async () =>
      respond(await (await import('../src/oncall/runs.js')).cancelRun(await deps(request, client), await toRequest(request))),
    ),
});
