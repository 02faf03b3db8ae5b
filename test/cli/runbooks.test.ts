// `aksops runbooks ...` against a local HTTP server that serves the on-call endpoints
// (src/oncall/runs.ts over the real DurableClient and the fake Durable extension).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { durableRuns } from '../../functions/lib/durable-runs.js';
import { parseConfig } from '../../src/config/load.js';
import { readSettings } from '../../src/config/settings.js';
import { cancelRun, decideRun, getRun, startRun, type OncallDeps, type OncallResponse } from '../../src/oncall/runs.js';

const KEY = 'fnkey-7d1c0ffee9a';
let durable: FakeDurableExtension;
let server: Server;
let url = '';
const seenKeys: Array<string | undefined> = [];

beforeAll(async () => {
  durable = await new FakeDurableExtension().start();
  const deps = (): OncallDeps => ({
    config: () => parseConfig('version: 1\nclusters: [{ name: dev, kubeContext: kind-dev }]\n'),
    settings: readSettings({}),
    runs: durableRuns(durable.invocation('cli').client),
    audit: { write: async () => undefined },
    now: () => new Date(),
    apiBase: `${url}/api`,
  });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      void (async () => {
        seenKeys.push(req.headers['x-functions-key'] as string | undefined);
        const u = new URL(req.url ?? '/', 'http://x');
        const headers = { get: (n: string) => (req.headers[n.toLowerCase()] as string | undefined) ?? null };
        let m: RegExpExecArray | null;
        let r: OncallResponse = { status: 404, body: { error: 'no route' } };
        if (req.method === 'POST' && (m = /^\/api\/runbooks\/runs\/([^/]+)\/(approve|reject|cancel)$/.exec(u.pathname))) {
          const q = { headers, body, params: { id: m[1]! } };
          r = m[2] === 'cancel' ? await cancelRun(deps(), q) : await decideRun(deps(), q, m[2] as 'approve' | 'reject');
        } else if (req.method === 'GET' && (m = /^\/api\/runbooks\/runs\/([^/]+)$/.exec(u.pathname)))
          r = await getRun(deps(), { headers, body, params: { id: m[1]! } });
        else if (req.method === 'POST' && (m = /^\/api\/runbooks\/([^/]+)$/.exec(u.pathname)))
          r = await startRun(deps(), { headers, body, params: { name: m[1]! } });
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(JSON.stringify(r.body));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await durable.stop();
});

function io(env: Record<string, string> = {}): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return {
    outLines,
    errLines,
    out: (l) => outLines.push(l),
    err: (l) => errLines.push(l),
    env: { AKSOPS_URL: url, AKSOPS_FUNCTION_KEY: KEY, AKSOPS_USER: 'dave@contoso.com', ...env },
    readStdin: () => '',
    cwd: process.cwd(),
  };
}

describe('aksops runbooks', () => {
  it('list prints the catalogue, --json as JSON', async () => {
    const t = io();
    expect(await main(['runbooks', 'list'], t)).toBe(0);
    expect(t.outLines.join('\n')).toMatch(/drain-node \(approval required\)/);
    expect(t.outLines.join('\n')).toMatch(/replicas\?:int\[0\.\.10000\]/);
    const j = io();
    expect(await main(['runbooks', 'list', '--json'], j)).toBe(0);
    expect((JSON.parse(j.outLines.join('\n')) as Array<{ name: string }>).length).toBe(11);
  });

  it('run starts a run (acting unless --dry-run), status shows it, approve and cancel send the identity', async () => {
    const t = io();
    expect(await main(['runbooks', 'run', 'drain-node', '--param', 'node=aks-compute-1-vmss000001', '--idempotency-key', 'INC-1'], t)).toBe(0);
    expect(t.outLines[0]).toMatch(/^started run run-[0-9a-f]{32} \(for real, waits for approval\); idempotency key INC-1/);
    const id = /run (run-[0-9a-f]{32})/.exec(t.outLines[0]!)![1]!;
    expect(durable.starts.at(-1)!.input).toMatchObject({
      runbook: 'drain-node',
      dryRun: false,
      requestedBy: 'dave@contoso.com',
      params: { node: 'aks-compute-1-vmss000001' },
    });
    expect(seenKeys.every((k) => k === KEY)).toBe(true);

    durable.instances.get(id)!.customStatus = {
      phase: 'awaiting-approval',
      plan: { summary: 'drain node aks-compute-1-vmss000001', steps: ['cordon'] },
      approval: { reason: 'runbook drain-node requires approval', deadline: '2025-03-01T10:30:00Z' },
    };
    const s = io();
    expect(await main(['runbooks', 'status', id], s)).toBe(0);
    expect(s.outLines.join('\n')).toMatch(/phase awaiting-approval[\s\S]*plan: drain node[\s\S]*approval: runbook drain-node requires approval; decide before/);

    // The requester may not approve their own run; another engineer may.
    const self = io();
    expect(await main(['runbooks', 'approve', id], self)).toBe(1);
    expect(self.errLines[0]).toMatch(/HTTP 403: dave@contoso.com started this run and may not approve it/);
    const other = io({ AKSOPS_USER: 'alice@contoso.com' });
    expect(await main(['runbooks', 'approve', id, '--comment', 'ok'], other)).toBe(0);
    expect(other.outLines[0]).toBe(`approved run ${id} as alice@contoso.com`);
    expect(durable.instances.get(id)!.events).toEqual([{ name: 'approval', data: { decision: 'approve', by: 'alice@contoso.com', comment: 'ok' } }]);
    expect(await main(['runbooks', 'cancel', id, '--reason', 'changed my mind'], io({ AKSOPS_USER: 'alice@contoso.com' }))).toBe(0);
    for (const l of [...t.outLines, ...s.outLines, ...other.outLines, ...self.errLines]) expect(l).not.toContain(KEY);
  });

  it("--dry-run asks for a dry-run; bad parameters print the server's 400; usage errors exit 2", async () => {
    const d = io();
    expect(await main(['runbooks', 'run', 'rollout-restart', '-p', 'namespace=shop', '-p', 'name=api', '--dry-run'], d)).toBe(0);
    expect(d.outLines[0]).toMatch(/\(dry-run\)/);
    const bad = io();
    expect(await main(['runbooks', 'run', 'scale-workload', '--param', 'namespace=shop', '--param', 'name=api', '--param', 'replicas=many'], bad)).toBe(1);
    expect(bad.errLines[0]).toMatch(/HTTP 400: parameter "replicas" "many" is not a whole number/);
    expect(await main(['runbooks', 'run'], io())).toBe(2);
    expect(await main(['runbooks', 'status'], io())).toBe(2);
    expect(await main(['runbooks', 'run', 'x', '--param', 'novalue'], io())).toBe(2);
    const noUrl = io({ AKSOPS_URL: '' });
    expect(await main(['runbooks', 'status', 'run-x'], { ...noUrl, env: { ...noUrl.env, AKSOPS_URL: undefined } })).toBe(2);
    const down = io({ AKSOPS_URL: 'http://127.0.0.1:1' });
    expect(await main(['runbooks', 'status', 'run-0123'], down)).toBe(1);
    expect(down.errLines[0]).toMatch(/cannot reach the app/);
  });
});
