// The HTTP helpers of every route: JSON answers, bodies read with a size limit, the caller's
// identity (src/oncall/identity.ts over the app settings) and the 503 for a failed dependency.
// Trigger files stay thin: they read the request here, call src/, and answer with json().
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { callerIdentity, type IdentityNeed, type IdentityResult } from '../../src/oncall/identity.js';
import { readBodyLimited } from './http-body.js';
import { appSettings } from './runtime.js';

export { readBodyLimited };

/** Largest JSON body of an on-call route (webhooks have WEBHOOK_MAX_BODY_BYTES). */
export const MAX_JSON_BODY = 64 * 1024;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  headers: { 'Content-Type': 'application/json', ...headers },
  jsonBody: body,
});

export type JsonBody = { ok: true; body: Record<string, unknown> } | { ok: false; response: HttpResponseInit };

/** The answer to a body over the limit. */
export const bodyTooLarge = (limit = MAX_JSON_BODY): HttpResponseInit => json(413, { error: `body larger than ${limit} bytes`, parameter: 'body' });

/** The JSON object in the body ({} when empty), or the 413/400 answer. */
export async function readJson(request: HttpRequest, limit = MAX_JSON_BODY): Promise<JsonBody> {
  const text = await readBodyLimited(request, limit);
  if (text === null) return { ok: false, response: bodyTooLarge(limit) };
  try {
    const v = JSON.parse(text === '' ? '{}' : text) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return { ok: true, body: v as Record<string, unknown> };
  } catch {
    /* answered below */
  }
  return { ok: false, response: json(400, { error: 'body: must be a JSON object', parameter: 'body' }) };
}

export type Valid<T> = { ok: true; value: T } | { ok: false; response: HttpResponseInit };

/**
 * A body checked with its route's schema (src/api/routes.ts: the one GET /api/openapi.json is
 * generated from), or the 400 naming the field and the fix. Loaded on first use (cold start).
 */
export async function validBody<T>(route: string, body: Record<string, unknown>): Promise<Valid<T>> {
  const r = (await import('../../src/api/validate.js')).checkBodyValue<T>(route, body);
  return r.ok ? r : { ok: false, response: json(r.invalid.status, r.invalid.body) };
}

/** The query checked with its route's schema, or the 400 naming the parameter and the fix. */
export async function validQuery<T>(request: HttpRequest, route: string): Promise<Valid<T>> {
  const r = (await import('../../src/api/validate.js')).checkQuery<T>(route, request.query);
  return r.ok ? r : { ok: false, response: json(r.invalid.status, r.invalid.body) };
}

/** The body as text, at most `limit` bytes (null when larger). */
export function readText(request: HttpRequest, limit = MAX_JSON_BODY): Promise<string | null> {
  return request.method === 'GET' ? Promise.resolve('') : readBodyLimited(request, limit);
}

/** The caller of this request, under the app's auth policy (docs/security.md). */
export function identify(request: HttpRequest, body: Record<string, unknown>, need: IdentityNeed = {}): IdentityResult {
  return callerIdentity(request.headers, body, appSettings(), need);
}

/** The 401/403 answer of a refused identity. */
export function refused(who: Extract<IdentityResult, { ok: false }>): HttpResponseInit {
  return json(
    who.status,
    { error: who.error, ...(who.parameter ? { parameter: who.parameter } : {}) },
    who.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
  );
}

/** Runs a handler; a thrown dependency failure becomes 503 with Retry-After and a redacted log line. */
export async function guarded(context: InvocationContext, what: string, fn: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await fn();
  } catch (e) {
    const { redactSecrets } = await import('../../src/domain/redact.js');
    context.error(`${what} failed: ${redactSecrets((e as Error).message ?? String(e))}`);
    return json(
      503,
      { error: `${what} failed: a dependency (Durable Functions or storage) is unavailable; retry shortly (invocation ${context.invocationId})` },
      { 'Retry-After': '5' },
    );
  }
}
