// The OpenAPI 3.1 document of the HTTP API, generated from src/api/routes.ts (zod -> JSON Schema
// draft 2020-12, which OpenAPI 3.1 uses as is). Served at GET /api/openapi.json.
import { z } from 'zod';
import { ROUTES, type RouteDoc } from './routes.js';

type Json = Record<string, unknown>;

/** Responses are described as sent (output); requests as accepted (input: a query number is a string). */
function schema(t: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(t, { unrepresentable: 'any', io }) as Json;
  return rest;
}

/** `runbooks/{name}` -> `/api/runbooks/{name}`; a catch-all `{*path}` becomes `{path}`. */
export const openApiPath = (route: string): string => `/api/${route.replace(/\{\*(\w+)\}/g, '{$1}')}`;

function operation(r: RouteDoc): Json {
  const params = [...openApiPath(r.route).matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  for (const [name, t] of Object.entries(r.query?.shape ?? {})) {
    const { description, ...s } = schema(t as z.ZodType, 'input');
    params.push({ name, in: 'query', required: false, schema: s, ...(description ? { description } : {}) } as never);
  }
  const responses: Json = {};
  for (const [status, t] of Object.entries(r.responses)) {
    responses[status] =
      'mediaType' in t
        ? { description: t.description, content: { [t.mediaType]: {} } }
        : { description: t.description ?? `HTTP ${status}`, content: { 'application/json': { schema: schema(t) } } };
  }
  return {
    operationId: `${r.name}${r.method === 'GET' && ROUTES.some((o) => o.name === r.name && o.method === 'POST') ? 'Page' : ''}`,
    summary: r.summary,
    tags: [r.tag],
    'x-aksops-identity': r.identity,
    ...(r.identity === 'anonymous' ? { security: [] } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
    responses,
  };
}

let cached: Json | undefined;

export function openApiDocument(version: string): Json {
  if (cached) return cached;
  const paths: Record<string, Json> = {};
  for (const r of ROUTES) (paths[openApiPath(r.route)] ??= {})[r.method.toLowerCase()] = operation(r);
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'aks-estate-ops',
      version,
      description: 'Day-2 operations for AKS estates. Identities and roles: docs/security.md. Every route is under /api.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: { securitySchemes: { functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' } } },
    security: [{ functionKey: [] }],
    paths,
  };
  return cached;
}
