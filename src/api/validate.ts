// Request validation with the route's own zod schemas: the ones in src/api/routes.ts that the
// OpenAPI description is generated from. One home for "is this body/query well formed": a handler
// names its route and gets the typed value, or the 400 that names the field and the fix. Checks
// that need the config (is this cluster known, is this runbook parameter valid) stay with the
// feature; shapes, types, enums and ranges live in the schema only.
import type { z } from 'zod';
import { ROUTES, type Method, type RouteDoc } from './routes.js';

export interface Invalid {
  status: 400;
  body: { error: string; parameter: string; problems?: string[] };
}
export type Checked<T> = { ok: true; value: T } | { ok: false; invalid: Invalid };

/** The route description of a handler (throws at first use when a handler names a route that is not described). */
export function routeDoc(name: string, method: Method = 'POST'): RouteDoc {
  const r = ROUTES.find((x) => x.name === name && x.method === method);
  if (!r) throw new Error(`route ${method} ${name} is not described in src/api/routes.ts`);
  return r;
}

const pathText = (path: ReadonlyArray<PropertyKey>, where: 'body' | 'query'): string => (path.length ? path.map(String).join('.') : where);

/** What the caller sent at `path`, short (never a long value back: it may be a pasted secret). */
function got(value: unknown, path: ReadonlyArray<PropertyKey>): string {
  let v: unknown = value;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  if (v === undefined) return 'got nothing';
  const text = JSON.stringify(v) ?? typeof v;
  return `got ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

function invalid(where: 'body' | 'query', r: RouteDoc, error: z.ZodError, value: unknown): Invalid {
  const fix = `Fix: see the ${where === 'body' ? 'requestBody' : 'parameters'} of ${r.method} /api/${r.route} in GET /api/openapi.json.`;
  const seen = new Set<string>();
  const problems = error.issues.flatMap((i) => {
    // An unknown key is reported at the object; name the key itself.
    const keys = i.code === 'unrecognized_keys' ? i.keys : [];
    const path = keys.length === 1 ? [...i.path, keys[0]!] : i.path;
    const at = pathText(path, where);
    const text = `${at}: ${i.message}${i.code === 'unrecognized_keys' ? '' : ` (${got(value, path)})`}`;
    if (seen.has(text)) return [];
    seen.add(text);
    return [{ at, text }];
  });
  const first = problems[0]!;
  return {
    status: 400,
    body: {
      error: `${problems.map((p) => p.text).join('; ')}. ${fix}`,
      parameter: first.at,
      ...(problems.length > 1 ? { problems: problems.map((p) => p.text) } : {}),
    },
  };
}

/** Parses a JSON body text ('' is {}) with the route's body schema. */
export function checkBody<T = Record<string, unknown>>(name: string, text: string, method: Method = 'POST'): Checked<T> {
  const r = routeDoc(name, method);
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch {
    return {
      ok: false,
      invalid: {
        status: 400,
        body: {
          error: `body: not valid JSON. Fix: send a JSON object as described by ${r.method} /api/${r.route} in GET /api/openapi.json.`,
          parameter: 'body',
        },
      },
    };
  }
  return checkValue<T>(r, 'body', value);
}

/** Checks an already parsed body object with the route's body schema. */
export function checkBodyValue<T = Record<string, unknown>>(name: string, value: unknown, method: Method = 'POST'): Checked<T> {
  return checkValue<T>(routeDoc(name, method), 'body', value);
}

/** Checks the query string with the route's query schema (only its own keys are read: `code` is the function key). */
export function checkQuery<T = Record<string, string | undefined>>(
  name: string,
  params: { get(name: string): string | null },
  method: Method = 'GET',
): Checked<T> {
  const r = routeDoc(name, method);
  const shape = r.query?.shape ?? {};
  const value: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const v = params.get(key);
    if (v !== null && v !== '') value[key] = v; // ?limit= is the default, as if absent
  }
  return checkValue<T>(r, 'query', value);
}

function checkValue<T>(r: RouteDoc, where: 'body' | 'query', value: unknown): Checked<T> {
  const schema = where === 'body' ? r.body : r.query;
  if (!schema) throw new Error(`route ${r.method} ${r.name} has no ${where} schema in src/api/routes.ts`);
  if (where === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    return {
      ok: false,
      invalid: {
        status: 400,
        body: { error: `body: must be a JSON object. Fix: see the requestBody of ${r.method} /api/${r.route} in GET /api/openapi.json.`, parameter: 'body' },
      },
    };
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data as T } : { ok: false, invalid: invalid(where, r, parsed.error, value) };
}
