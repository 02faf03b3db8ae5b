// A local HTTPS server speaking the Azure Communication Services Email data-plane API, strict
// about what it accepts (REST spec communication/data-plane/Email, as the generated client in
// @azure/communication-email 1.1 sends it):
//   POST /emails:send?api-version=...  body {senderAddress, content{subject, plainText|html},
//        recipients{to[{address}]}}, optional Operation-Id (UUID) header
//        -> 202 {id, status: "Running"} + Operation-Location + Retry-After
//   GET  /emails/operations/{id}?api-version=... -> 200 {id, status: "Running"|"Succeeded"}
//   errors {error: {code, message}}: 400 bad body, 401 bad signature, 429 + Retry-After, 5xx.
// Requests are authenticated like the service: HMAC-SHA256 over "VERB\npath?query\n
// x-ms-date;host;x-ms-content-sha256" with the base64 access key (communication-common's
// access-key policy), checked against the body's SHA-256. A repeated Operation-Id is the same
// operation: the email is not queued twice.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { vaultCertificate } from './keyvault-tls.js';

export interface SentEmail {
  operationId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
}

export interface AcsEmailServer {
  url: string;
  /** Emails the service accepted, one per operation. */
  sent: SentEmail[];
  requests: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  failNext(n: number, status: number): void;
  /** Drops the failures not yet used. */
  clearFailures(): void;
  close(): Promise<void>;
}

export async function startAcsEmail(accessKey: string): Promise<AcsEmailServer> {
  const failures: number[] = [];
  const ops = new Map<string, { polls: number; email: SentEmail }>();
  const state: AcsEmailServer = {
    url: '',
    sent: [],
    requests: [],
    failNext: (n, s) => void failures.push(...Array<number>(n).fill(s)),
    clearFailures: () => void failures.splice(0),
    close: async () => {},
  };
  const { certPem, keyPem } = vaultCertificate();
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  const error = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    json(res, status, { error: { code, message } }, headers);

  const signed = (req: IncomingMessage, body: string): boolean => {
    const date = req.headers['x-ms-date'];
    const hash = req.headers['x-ms-content-sha256'];
    const auth = req.headers['authorization'];
    if (typeof date !== 'string' || typeof hash !== 'string' || typeof auth !== 'string') return false;
    if (createHash('sha256').update(body).digest('base64') !== hash) return false;
    const m = /^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=(.+)$/.exec(auth);
    if (!m) return false;
    const toSign = `${req.method}\n${req.url}\n${date};${req.headers.host};${hash}`;
    return createHmac('sha256', Buffer.from(accessKey, 'base64')).update(toSign).digest('base64') === m[1];
  };

  const server: Server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      state.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      const url = new URL(req.url ?? '/', state.url);
      if (!url.searchParams.get('api-version')) return error(res, 400, 'MissingApiVersionParameter', 'The api-version query parameter is required.');
      if (!signed(req, text)) return error(res, 401, 'Denied', 'Denied by the resource provider.');
      const fail = failures.shift();
      if (fail !== undefined)
        return error(
          res,
          fail,
          fail === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
          fail === 429 ? 'Rate limit exceeded.' : 'The service is unavailable.',
          fail === 429 ? { 'retry-after': '0' } : {},
        );
      if (req.method === 'POST' && url.pathname === '/emails:send') {
        let b: {
          senderAddress?: unknown;
          content?: { subject?: unknown; plainText?: unknown; html?: unknown };
          recipients?: { to?: Array<{ address?: unknown }> };
        };
        try {
          b = JSON.parse(text) as typeof b;
        } catch {
          return error(res, 400, 'BadRequest', 'The request body is not JSON.');
        }
        if (typeof b.senderAddress !== 'string' || !b.senderAddress.includes('@')) return error(res, 400, 'InvalidSenderAddress', 'senderAddress is required.');
        if (typeof b.content?.subject !== 'string' || b.content.subject === '') return error(res, 400, 'BadRequest', 'content.subject is required.');
        if (typeof b.content.plainText !== 'string' && typeof b.content.html !== 'string')
          return error(res, 400, 'BadRequest', 'content.plainText or content.html is required.');
        const to = b.recipients?.to ?? [];
        if (to.length === 0 || to.some((r) => typeof r.address !== 'string' || !r.address.includes('@')))
          return error(res, 400, 'InvalidRecipients', 'recipients.to must list valid addresses.');
        const header = req.headers['operation-id'];
        const id = typeof header === 'string' && header !== '' ? header : randomUUID();
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return error(res, 400, 'BadRequest', 'Operation-Id must be a UUID.');
        if (!ops.has(id)) {
          const email: SentEmail = {
            operationId: id,
            from: b.senderAddress,
            to: to.map((r) => r.address as string),
            subject: b.content.subject,
            text: String(b.content.plainText ?? b.content.html),
          };
          ops.set(id, { polls: 0, email });
          state.sent.push(email);
        }
        return json(
          res,
          202,
          { id, status: 'Running' },
          { 'operation-location': `${state.url}/emails/operations/${id}?api-version=${url.searchParams.get('api-version')}`, 'retry-after': '0' },
        );
      }
      const poll = /^\/emails\/operations\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && poll) {
        const op = ops.get(decodeURIComponent(poll[1]!));
        if (!op) return error(res, 404, 'NotFound', 'The operation was not found.');
        op.polls++;
        return json(res, 200, { id: op.email.operationId, status: op.polls > 1 ? 'Succeeded' : 'Running' }, { 'retry-after': '0' });
      }
      return error(res, 404, 'NotFound', `${req.method} ${url.pathname} is not an Email API route`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}
