// Attack: a chat receiver (or a proxy in front of it) that echoes the request URL in its error
// page. The webhook URL's path is its secret; a failed delivery's error text is logged, returned
// and written to the audit by notifyOps and the digest, so the secret must be scrubbed there.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { parseConfig } from '../../src/config/load.js';
import { notifyOps } from '../../src/notify/ops-event.js';
import type { AuditRecord } from '../../src/domain/types.js';
import type { Claim, DigestItem } from '../../src/adapters/notify-store.js';

const SECRET_PATH = '/webhookb2/0f0f0f0f-secret-path/IncomingWebhook/abcdef0123456789';
let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(404, { 'content-type': 'text/plain' }).end(`no webhook at ${req.url ?? ''} (http://127.0.0.1${req.url ?? ''})`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}${SECRET_PATH}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

it('an echoed webhook URL never reaches the report, the log or the audit', async () => {
  const config = parseConfig('version: 1\nclusters: [{name: c1, kubeContext: c1}]\nnotifications: [{name: teams, type: teams, urlSetting: TEAMS_URL}]\n');
  const rows: AuditRecord[] = [];
  const logs: string[] = [];
  const claims = new Map<string, boolean>();
  const store = {
    claim: async (k: string): Promise<Claim> => (claims.has(k) ? { granted: false, why: 'sent' } : (claims.set(k, false), { granted: true, etag: '*' })),
    settle: async (k: string, ok: boolean) => void (ok ? claims.set(k, true) : claims.delete(k)),
    enqueue: async (_i: DigestItem) => {},
  };
  const r = await notifyOps(
    {
      config,
      secret: () => url,
      send: { sleep: async () => {}, attempts: 1 },
      audit: { write: async (x: AuditRecord[]) => void rows.push(...x) },
      store,
      now: () => new Date('2026-12-08T10:00:00Z'),
      log: (_l, m) => void logs.push(m),
    },
    { key: 'backup-partial:b1', severity: 'warning', component: 'backup', source: 'c1', summary: 'backup partial', at: '2026-12-08T10:00:00Z' },
  );
  expect(r.failed).toEqual([expect.objectContaining({ target: 'teams', error: expect.stringContaining('HTTP 404') })]);
  expect(rows[0]!.detail).toContain('failed: teams');
  const everything = JSON.stringify([r, rows, logs]);
  expect(everything).not.toContain('secret-path');
  expect(everything).not.toContain('abcdef0123456789');
});
