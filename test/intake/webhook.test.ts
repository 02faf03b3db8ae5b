// The Alertmanager webhook through its real registration's handler: a real HttpRequest, the
// real durable-functions DurableClient talking HTTP to a fake Durable extension, and the
// audit log in a real Azurite.
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { HttpRequest } from '@azure/functions';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { alertmanagerWebhook } from '../../functions/alertmanager-webhook.js';
import { resetRuntime } from '../../functions/lib/runtime.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { readSettings } from '../../src/config/settings.js';
import { remediationInstanceId } from '../../src/intake/decide.js';

const TOKEN = 'am-webhook-token-5b1f0c7e9d';
const fixture = readFileSync('test/fixtures/alertmanager/crashloop-group.json', 'utf8');
const suffix = Math.random().toString(36).slice(2, 8);
const env = {
  AzureWebJobsStorage: '',
  OPS_CONFIG_PATH: 'examples/ops.yaml',
  AUDIT_TABLE_NAME: `auditwebhook${suffix}`,
  CONTROL_TABLE_NAME: `ctlwebhook${suffix}`,
  ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
  WEBHOOK_MAX_BODY_BYTES: '65536',
};

let durable: FakeDurableExtension;

function post(body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): HttpRequest {
  return new HttpRequest({
    url: 'http://localhost:7071/api/alerts/alertmanager',
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: { string: body },
  });
}

async function call(body: string, headers?: Record<string, string>) {
  const { context, client } = durable.invocation('alertmanagerWebhook');
  const res = await alertmanagerWebhook(post(body, headers), client, context);
  return { status: res.status ?? 200, body: res.jsonBody as Record<string, unknown>, headers: res.headers as Record<string, string> };
}

function audit() {
  return AuditStore.fromSettings(readSettings({ ...process.env }));
}

const crashloopId = remediationInstanceId('a1b2c3d4e5f60718', '2026-11-22T02:58:31.201Z', 'crashloop-restart');

beforeAll(async () => {
  env.AzureWebJobsStorage = inject('azurite').connectionString;
  Object.assign(process.env, env);
  resetRuntime();
  durable = await new FakeDurableExtension().start();
});

afterAll(async () => {
  await durable.stop();
  for (const k of Object.keys(env)) delete process.env[k];
  resetRuntime();
});

beforeEach(() => {
  process.env['OPS_PAUSED'] = 'false';
  resetRuntime();
});

describe('POST /api/alerts/alertmanager', () => {
  it('starts one remediation for the firing crash-loop and audits every decision', async () => {
    const res = await call(fixture);
    expect(res.status).toBe(200);
    const decisions = (res.body['decisions'] as { decision: string; result?: string }[]).map((d) => d.decision);
    expect(decisions).toEqual(['start', 'resolve', 'no-match', 'protected', 'invalid', 'no-match']);
    expect(durable.starts).toHaveLength(1);
    expect(durable.starts[0]).toMatchObject({
      name: 'remediation',
      instanceId: crashloopId,
      input: { runbook: 'restart-pod', params: { namespace: 'backend', pod: 'api-7d9f8b6c5-x2x4q' }, dryRun: true },
    });

    const rows = await audit().query({ since: new Date(Date.now() - 3_600_000).toISOString(), limit: 1000 });
    const mine = rows.items.filter((r) => r.id && (r.fingerprint === 'a1b2c3d4e5f60718' || r.fingerprint === '9999aaaabbbbcccc'));
    expect(mine.map((r) => r.decision).sort()).toEqual(['invalid', 'start']);
    expect(mine.find((r) => r.decision === 'start')).toMatchObject({
      instanceId: crashloopId,
      rule: 'crashloop-restart',
      target: 'ms5-prod/backend/Pod/api-7d9f8b6c5-x2x4q',
      result: 'started',
      alertname: 'KubePodCrashLooping',
    });
  });

  it('treats a resend (repeat_interval, HA peer) as a duplicate and starts nothing', async () => {
    const before = durable.starts.length;
    const res = await call(fixture);
    expect(res.status).toBe(200);
    expect((res.body['decisions'] as { decision: string }[])[0]!.decision).toBe('duplicate');
    expect(durable.starts.length).toBe(before);
  });

  it('never restarts a finished remediation when the alert is re-sent', async () => {
    durable.setStatus(crashloopId, 'Completed');
    const before = durable.starts.length;
    const res = await call(fixture);
    expect((res.body['decisions'] as { decision: string }[])[0]!.decision).toBe('duplicate');
    expect(durable.starts.length).toBe(before);
    durable.setStatus(crashloopId, 'Running');
  });

  it('raises alertResolved to the running remediation when its alert resolves', async () => {
    const resolved = JSON.parse(fixture) as { alerts: Record<string, unknown>[]; status: string };
    resolved.alerts = [{ ...resolved.alerts[0]!, status: 'resolved', endsAt: '2026-11-22T03:20:00Z' }];
    const before = durable.starts.length;
    const res = await call(JSON.stringify(resolved));
    expect(res.status).toBe(200);
    expect((res.body['decisions'] as { decision: string; result: string }[])[0]).toMatchObject({ decision: 'resolve', result: 'resolved event raised' });
    expect(durable.instances.get(crashloopId)!.events).toEqual([{ name: 'alertResolved', data: { endsAt: '2026-11-22T03:20:00Z' } }]);
    expect(durable.starts.length).toBe(before);
  });

  it('answers 503 (so Alertmanager retries) when Durable Functions fails, and the retry starts exactly once', async () => {
    const p = JSON.parse(fixture) as { alerts: Record<string, unknown>[] };
    p.alerts = [{ ...p.alerts[0]!, fingerprint: 'feedfacecafe0001' }];
    const body = JSON.stringify(p);
    durable.failNext(503, /^POST \/durabletask\/orchestrators/);
    const before = durable.starts.length;
    const first = await call(body);
    expect(first.status).toBe(503);
    expect(first.headers['Retry-After']).toBe('10');
    expect(durable.starts.length).toBe(before);
    const retry = await call(body);
    expect(retry.status).toBe(200);
    expect(durable.starts.length).toBe(before + 1);
    const again = await call(body);
    expect((again.body['decisions'] as { decision: string }[])[0]!.decision).toBe('duplicate');
    expect(durable.starts.length).toBe(before + 1);
  });

  it('refuses requests without the configured credential, and changes nothing', async () => {
    const before = durable.requests.length;
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    ]) {
      const res = await call(fixture, headers);
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    }
    expect(durable.requests.length).toBe(before);
  });

  it('refuses bodies over the limit with 413, declared or streamed', async () => {
    const big = JSON.stringify({ version: '4', pad: 'x'.repeat(70_000) });
    expect((await call(big, { authorization: `Bearer ${TOKEN}`, 'content-length': String(big.length) })).status).toBe(413);
    expect((await call(big)).status).toBe(413);
  });

  it('names the field of a malformed payload with 400 and starts nothing', async () => {
    const before = durable.starts.length;
    const res = await call('{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"pod":7}}]}');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'alerts[0].labels.pod' });
    expect(durable.starts.length).toBe(before);
  });

  it('starts nothing while paused by the app setting, and audits why', async () => {
    process.env['OPS_PAUSED'] = 'true';
    resetRuntime();
    const p = JSON.parse(fixture) as { alerts: Record<string, unknown>[] };
    p.alerts = [{ ...p.alerts[0]!, fingerprint: 'feedfacecafe0002' }];
    const before = durable.starts.length;
    const res = await call(JSON.stringify(p));
    expect(res.status).toBe(200);
    expect(res.body['paused']).toBe(true);
    expect((res.body['decisions'] as { result: string }[])[0]!.result).toMatch(/not started: automation is paused/);
    expect(durable.starts.length).toBe(before);
  });

  it('never writes the webhook credential into the audit log', async () => {
    const rows = await audit().query({ since: new Date(Date.now() - 3_600_000).toISOString(), limit: 1000 });
    expect(rows.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows.items)).not.toContain(TOKEN);
  });
});
