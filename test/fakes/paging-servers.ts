// Local HTTP servers speaking the PagerDuty Events API v2 and the Opsgenie Alert API, strict
// about what they accept (developer.pagerduty.com events-API-v2; docs.opsgenie.com Alert API):
// PagerDuty: POST /v2/enqueue, JSON {routing_key (32 chars), event_action trigger|acknowledge|resolve,
// dedup_key, payload{summary, source, severity critical|error|warning|info}} for triggers;
// 202 {status: "success", message: "Event processed", dedup_key}; 400 {status: "invalid event",
// message, errors[]}. Opsgenie: "Authorization: GenieKey <key>", POST /v2/alerts {message (<=130),
// alias, priority P1-P5, ...} and POST /v2/alerts/{alias}/close?identifierType=alias; 202
// {result: "Request will be processed", took, requestId}; 401/422 otherwise.
// Both keep incidents by dedup key / alias, can answer the next N requests with 429 + Retry-After
// or 5xx, and record every request body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface Incident {
  key: string;
  status: 'triggered' | 'resolved';
  triggers: number;
  summary: string;
  severity: string;
}

export interface PagingServer {
  url: string;
  incidents: Map<string, Incident>;
  requests: { path: string; headers: IncomingMessage['headers']; body: unknown }[];
  /** The next `n` requests are answered with `status` (429 carries Retry-After: 0). */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

function start(handle: (req: IncomingMessage, body: unknown, res: ServerResponse, s: PagingServer) => void): Promise<PagingServer> {
  const failures: number[] = [];
  const state = {
    url: '',
    incidents: new Map<string, Incident>(),
    requests: [] as PagingServer['requests'],
    failNext: (n: number, status: number) => failures.push(...Array(n).fill(status)),
    close: async () => {},
  } as PagingServer;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = undefined;
      }
      state.requests.push({ path: req.url ?? '', headers: req.headers, body });
      const fail = failures.shift();
      if (fail !== undefined) {
        res
          .writeHead(fail, { 'content-type': 'application/json', ...(fail === 429 ? { 'retry-after': '0' } : {}) })
          .end(JSON.stringify({ status: 'throttle', message: fail === 429 ? 'Requests for this service are arriving too quickly.' : 'internal error' }));
        return;
      }
      if (body === undefined)
        return void res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ['bad JSON'] }));
      handle(req, body, res, state);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address() as { port: number };
      state.url = `http://127.0.0.1:${addr.port}`;
      state.close = () => new Promise((r) => server.close(() => r()));
      resolve(state);
    });
  });
}

export function startPagerDuty(routingKey: string): Promise<PagingServer> {
  return start((req, body, res, s) => {
    const json = (status: number, b: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
    const invalid = (m: string) => json(400, { status: 'invalid event', message: 'Event object is invalid', errors: [m] });
    if (req.method !== 'POST' || req.url !== '/v2/enqueue') return json(404, { status: 'not found' });
    const b = body as Record<string, unknown>;
    if (b['routing_key'] !== routingKey) return invalid("'routing_key' is invalid");
    const action = b['event_action'];
    if (!['trigger', 'acknowledge', 'resolve'].includes(action as string)) return invalid("'event_action' is invalid");
    const dk = b['dedup_key'];
    if (typeof dk !== 'string' || dk.length > 255) return invalid("'dedup_key' is invalid");
    if (action === 'trigger') {
      const p = b['payload'] as Record<string, unknown> | undefined;
      if (
        !p ||
        typeof p['summary'] !== 'string' ||
        typeof p['source'] !== 'string' ||
        !['critical', 'error', 'warning', 'info'].includes(p['severity'] as string)
      )
        return invalid("'payload' is invalid or missing summary, source or severity");
      const open = s.incidents.get(dk);
      if (open && open.status === 'triggered') open.triggers++;
      else s.incidents.set(dk, { key: dk, status: 'triggered', triggers: 1, summary: p['summary'], severity: p['severity'] as string });
    } else if (action === 'resolve') {
      const open = s.incidents.get(dk);
      if (open) open.status = 'resolved';
    }
    json(202, { status: 'success', message: 'Event processed', dedup_key: dk });
  });
}

export function startOpsgenie(apiKey: string): Promise<PagingServer> {
  return start((req, body, res, s) => {
    const json = (status: number, b: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
    if (req.headers['authorization'] !== `GenieKey ${apiKey}`) return json(401, { message: 'Key format is not valid!', took: 0.001, requestId: randomUUID() });
    const ok = () => json(202, { result: 'Request will be processed', took: 0.02, requestId: randomUUID() });
    const b = body as Record<string, unknown>;
    const close = /^\/v2\/alerts\/([^/?]+)\/close\?identifierType=alias$/.exec(req.url ?? '');
    if (req.method === 'POST' && close) {
      const open = s.incidents.get(decodeURIComponent(close[1]!));
      if (open) open.status = 'resolved';
      return ok();
    }
    if (req.method !== 'POST' || req.url !== '/v2/alerts') return json(404, { message: 'not found' });
    const msg = b['message'];
    if (typeof msg !== 'string' || msg.length === 0 || msg.length > 130)
      return json(422, {
        message: 'Request body is not processable. Please check the errors.',
        errors: { message: 'Message can not be empty or longer than 130' },
      });
    if (!['P1', 'P2', 'P3', 'P4', 'P5'].includes(b['priority'] as string))
      return json(422, { message: 'Request body is not processable.', errors: { priority: 'invalid' } });
    const alias = typeof b['alias'] === 'string' ? b['alias'] : randomUUID();
    const open = s.incidents.get(alias);
    if (open && open.status === 'triggered')
      open.triggers++; // Opsgenie de-duplicates open alerts by alias (count + 1)
    else s.incidents.set(alias, { key: alias, status: 'triggered', triggers: 1, summary: msg, severity: b['priority'] as string });
    ok();
  });
}
