// A local stand-in for the Functions host's HTTP front end: imports the app's real registrations
// (functions/index.ts), captures every app.http route with its handler (what the host would
// index), and serves them on 127.0.0.1 with real HttpRequest objects and, for Durable client
// routes, the durableClient binding of the fake Durable extension. Every response is recorded
// so tests can check it against the OpenAPI description. App settings come from process.env,
// which the caller sets before start (the runtime reads them on first use).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions, { type HttpHandler, type HttpResponseInit } from '@azure/functions';

// Default import: plain Node ESM (npm run bench) cannot name these CommonJS exports.
const { app, HttpRequest } = functions;
import type { FakeDurableExtension } from '../fakes/durable-extension.js';

export interface CapturedRoute {
  name: string;
  route: string;
  methods: string[];
  authLevel: string;
  handler: HttpHandler;
  pattern: RegExp;
}

export interface Observed {
  name: string;
  method: string;
  route: string;
  status: number;
  contentType: string;
  body: unknown;
}

let captured: CapturedRoute[] | undefined;

function pattern(route: string): RegExp {
  const re = route
    .split('/')
    .map((seg) =>
      seg
        .replace(/\./g, '\\.')
        .replace(/\{\*(\w+)\}/, '(?<$1>.*)')
        .replace(/\{(\w+)\}/, '(?<$1>[^/]+)'),
    )
    .join('/');
  return new RegExp(`^/api/${re}$`);
}

/** The app's HTTP registrations (imports functions/index.ts once, with app.http captured). */
export async function appRoutes(): Promise<CapturedRoute[]> {
  if (captured) return captured;
  const list: CapturedRoute[] = [];
  const original = { http: app.http, generic: app.generic, timer: app.timer, eventGrid: app.eventGrid };
  // Non-HTTP triggers are not served here; skip them quietly (test mode would warn for each).
  app.generic = app.timer = app.eventGrid = (() => undefined) as never;
  app.http = (name: string, o: { route?: string; methods?: string[]; authLevel?: string; handler: HttpHandler }) => {
    const route = o.route ?? name;
    list.push({ name, route, methods: o.methods ?? ['GET', 'POST'], authLevel: o.authLevel ?? 'anonymous', handler: o.handler, pattern: pattern(route) });
  };
  try {
    await import('../../functions/index.js');
  } finally {
    Object.assign(app, original);
  }
  // Literal segments win over parameters (runbooks/runs/{id} before runbooks/{name}), like the host's router.
  captured = list.sort((a, b) => b.route.replace(/\{[^}]+\}/g, '').length - a.route.replace(/\{[^}]+\}/g, '').length);
  return captured;
}

export interface AppHost {
  url: string;
  observed: Observed[];
  stop(): Promise<void>;
}

async function write(res: import('node:http').ServerResponse, r: HttpResponseInit): Promise<{ status: number; contentType: string; body: unknown }> {
  const headers = new Headers(r.headers);
  let payload: Buffer | string | undefined;
  if (r.jsonBody !== undefined) {
    payload = JSON.stringify(r.jsonBody);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (typeof r.body === 'string' || Buffer.isBuffer(r.body)) payload = r.body;
  else if (r.body instanceof Uint8Array) payload = Buffer.from(r.body);
  const status = r.status ?? 200;
  res.writeHead(status, Object.fromEntries(headers));
  res.end(payload);
  const contentType = headers.get('content-type') ?? '';
  return {
    status,
    contentType,
    body: r.jsonBody !== undefined ? r.jsonBody : contentType.includes('json') && payload ? JSON.parse(payload.toString()) : undefined,
  };
}

export async function startAppHost(durable: FakeDurableExtension): Promise<AppHost> {
  const routes = await appRoutes();
  const observed: Observed[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const method = req.method ?? 'GET';
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let params: Record<string, string> | undefined;
      const route = routes.find(
        (r) => r.methods.includes(method) && (params = { ...(r.pattern.exec(url.pathname)?.groups ?? {}) }) && r.pattern.test(url.pathname),
      );
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return void res.end(`no function for ${method} ${url.pathname}`);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const request = new HttpRequest({
        method,
        url: url.href,
        headers,
        params: Object.fromEntries(Object.entries(params ?? {}).map(([k, v]) => [k, decodeURIComponent(v)])),
        ...(chunks.length ? { body: { bytes: Buffer.concat(chunks) } } : {}),
      });
      const { context } = durable.invocation(route.name);
      try {
        const r = await route.handler(request, context);
        const w = await write(res, r);
        observed.push({ name: route.name, method, route: route.route, ...w });
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`unhandled: ${(e as Error).message}`);
        observed.push({ name: route.name, method, route: route.route, status: 500, contentType: 'text/plain', body: String(e) });
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    observed,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
