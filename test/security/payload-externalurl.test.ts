// Attack (#12 item 2): a crafted alert names the attacker's host as `externalURL`. Without
// `alertmanager.url` in config, closed-loop verification and silences used to call it with
// `Authorization: Bearer <ALERTMANAGER_API_TOKEN>`, take its `[]` as "cleared" and copy its body
// into the run status. Now only the configured Alertmanager URL is ever called.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertmanagerClient } from '../../src/adapters/alertmanager.js';
import { parseConfig } from '../../src/config/load.js';
import { configProblems } from '../../src/config/validate-warnings.js';
import { runConfigValidate } from '../../src/cli/config-validate.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silence, verifyRemediation, type ClosedLoopEnv } from '../../src/runbooks/closed-loop.js';
import type { VerifyInput } from '../../src/domain/types.js';

const TOKEN = 'am-api-token-SECRET-7f3a';
const seen: Array<{ url: string; authorization: string | undefined }> = [];
let attacker: Server;
let attackerUrl: string;

beforeAll(async () => {
  attacker = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (req.method === 'POST') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"silenceID":"evil"}');
    if ((req.url ?? '').startsWith('/api/v2/alerts')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    res.writeHead(404).end('internal-only body: db password=hunter2');
  });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => attacker.close(() => r())));

function env(yaml: string): ClosedLoopEnv {
  return {
    config: parseConfig(yaml),
    kube: {
      forCluster: async () => {
        throw new Error('not used');
      },
    } as never,
    isPaused: async () => ({ paused: false, reason: null }),
    alertmanager: (baseUrl) => new AlertmanagerClient({ baseUrl, token: TOKEN, timeoutMs: 2000 }),
  };
}
const NO_URL = 'version: 1\nclusters: [{ name: prod, kubeContext: prod }]\n';
const input = (): VerifyInput => ({
  runbook: 'none',
  params: {},
  target: { cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'api-1' },
  instanceId: 'rem-x',
  alert: { labels: { alertname: 'X' }, externalURL: attackerUrl },
});

describe('attack: payload externalURL as the Alertmanager to call', () => {
  it('verification never calls the payload URL, never sends the token there, and does not count the alert as cleared', async () => {
    seen.length = 0;
    const v = await verifyRemediation(env(NO_URL), input());
    expect(seen).toEqual([]);
    expect(v.alert).toBe('unknown');
    expect(v.detail).toMatch(/alertmanager\.url/);
    expect(JSON.stringify(v)).not.toContain(attackerUrl);
  });

  it('silences are neither created nor expired at the payload URL', async () => {
    seen.length = 0;
    const e = env(NO_URL);
    const created = await silence(e, {
      op: 'create',
      instanceId: 'rem-x',
      labels: { alertname: 'X', pod: 'api-1' },
      matchLabels: ['alertname', 'pod'],
      externalURL: attackerUrl,
      durationSeconds: 60,
      comment: 'c',
      at: new Date().toISOString(),
    });
    const expired = await silence(e, { op: 'expire', instanceId: 'rem-x', silenceId: 'abc', externalURL: attackerUrl });
    expect(seen).toEqual([]);
    expect(created.silenceId).toBeUndefined();
    expect(expired.detail).toMatch(/no Alertmanager URL/);
  });

  it('with alertmanager.url configured, the configured URL is called and the payload URL is not', async () => {
    seen.length = 0;
    const other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const configured = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const v = await verifyRemediation(env(`${NO_URL}alertmanager: { url: "${configured}" }\n`), input());
      expect(v.alert).toBe('cleared');
      expect(v.detail).toContain(configured);
      expect(seen).toEqual([]);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('config validation says so when alertmanager.url is missing', () => {
    expect(configProblems(parseConfig(NO_URL)).join('\n')).toMatch(
      /alertmanager\.url is not set: closed-loop verification and silences are off.*payload's externalURL is never called/,
    );
    expect(configProblems(parseConfig(`${NO_URL}alertmanager: { url: "http://am:9093" }\n`))).toEqual([]);
  });

  it('`aksops config validate` prints that warning (and still exits 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'ops.yaml'), NO_URL);
    const err: string[] = [];
    const code = await runConfigValidate(['--config', join(dir, 'ops.yaml')], {
      out: () => undefined,
      err: (l) => err.push(l),
      env: {},
      readStdin: () => '',
      cwd: dir,
    });
    expect(code).toBe(0);
    expect(err.join('\n')).toMatch(/^warning: alertmanager\.url is not set/);
  });
});
