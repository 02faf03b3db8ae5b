// GET /api/audit?since=&until=&target=&instanceId=&limit=  (function key)
// Thin: checks the query parameters and calls AuditStore.query. Answers {items, truncated, ...}.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { AuditStore, AuditQueryError, StoreError, isTransientStoreError, redactSecrets } from '../src/adapters/audit-store.js';
import { readSettings } from '../src/config/settings.js';
import type { AuditQuery } from '../src/domain/audit-query.js';
import type { auditQuery } from '../src/api/schemas.js';
import type { z } from 'zod';
import { validQuery } from './lib/http.js';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** The HTTP answer for a failure: 400 bad parameter, 503 storage unavailable, 500 otherwise. Never leaks credentials. */
export function errorResponse(err: unknown, context: InvocationContext, what: string): HttpResponseInit {
  if (err instanceof AuditQueryError) {
    return { status: 400, jsonBody: { error: err.message, parameter: err.parameter } };
  }
  const message = redactSecrets(err instanceof Error ? err.message : String(err));
  if (isTransientStoreError(err)) {
    context.warn(`${what}: storage unavailable: ${message}`);
    return { status: 503, headers: { 'Retry-After': '5' }, jsonBody: { error: `Storage is unavailable right now; retry shortly. ${message}` } };
  }
  context.error(`${what} failed: ${message}`);
  if (err instanceof StoreError) return { status: 500, jsonBody: { error: message } };
  return { status: 500, jsonBody: { error: `${what} failed unexpectedly; see the function logs (invocation ${context.invocationId}).` } };
}

/** Builds the handler around a store factory (tests pass one bound to Azurite). */
export function createAuditQueryHandler(store: () => AuditStore): Handler {
  return async (request, context) => {
    try {
      const q = await validQuery<z.output<typeof auditQuery>>(request, 'auditQuery');
      if (!q.ok) return q.response;
      const result = await store().query(q.value satisfies AuditQuery);
      return { status: 200, jsonBody: result };
    } catch (err) {
      return errorResponse(err, context, 'audit query');
    }
  };
}

export const auditQueryHandler: Handler = createAuditQueryHandler(() => AuditStore.fromSettings(readSettings(process.env)));

app.http('auditQuery', {
  route: 'audit',
  methods: ['GET'],
  authLevel: 'function',
  handler: auditQueryHandler,
});
