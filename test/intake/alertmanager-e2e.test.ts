// A real Alertmanager HA pair (two unclustered instances, both fed the same alerts as
// Prometheus feeds both) delivering to the webhook handler through a local HTTP server.
// Their real payloads, repeat_interval resends, duplicate deliveries and resolutions must
// produce exactly one remediation per alert occurrence.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { HttpRequest } from '@azure/functions';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { alertmanagerWebhook } from '../../functions/alertmanager-webhook.js';
import { resetRuntime } from '../../functions/lib/runtime.js';
import { remediationInstanceId } from '../../src/intake/decide.js';
import { ALERTMANAGER_BIN, freePort, startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';

const TOKEN = 'e2e-token-8c41d2a9';
const suffix = Math.random().toString(36).slice(2, 8);
const env: Record<string, string> = {
  OPS_CONFIG_PATH: 'examples/ops.yaml',
  AUDIT_TABLE_NAME: `auditame2e${suffix}`,
  CONTROL_TABLE_NAME: `ctlame2e${suffix}`,
  ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
  OPS_PAUSED: 'false',
};

interface Delivery {
  status: number;
  payload: { status: string; alerts: { status: string; fingerprint: string; startsAt: string; labels: Record<string, string> }[] };
  decisions: { decision: string; instanceId: string | null; fingerprint: string }[];
}

let durable: FakeDurableExtension;
let receiver: Server;
const deliveries: Delivery[] = [];
const pair: RunningAlertmanager[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; deliveries: ${deliveries.length}\n${pair.map((a) => a.output()).join('\n')}`);
    await sleep(100);
  }
}

function crashloop(pod: string, startsAt: string, endsAt?: string): object {
  return {
    labels: { alertname: 'KubePodCrashLooping', cluster: 'ms5-prod', namespace: 'backend', pod, container: 'api', severity: 'warning' },
    annotations: { summary: 'Pod is crash looping.' },
    startsAt,
    ...(endsAt ? { endsAt } : {}),
    generatorURL: 'http://prometheus:9090/graph',
  };
}

beforeAll(async () => {
  Object.assign(process.env, env, { AzureWebJobsStorage: inject('azurite').connectionString });
  resetRuntime();
  durable = await new FakeDurableExtension().start();
  // Completed remediations stay around: a resend must not start them again.
  const port = await freePort();
  receiver = createServer(
    (req, res) =>
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const { context, client } = durable.invocation('alertmanagerWebhook');
        const out = await alertmanagerWebhook(
          new HttpRequest({ url: `http://127.0.0.1:${port}${req.url}`, method: 'POST', headers, body: { string: text } }),
          client,
          context,
        );
        const body = out.jsonBody as { decisions?: Delivery['decisions'] };
        deliveries.push({ status: out.status ?? 200, payload: JSON.parse(text) as Delivery['payload'], decisions: body.decisions ?? [] });
        res.writeHead(out.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out.jsonBody));
      })(),
  );
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
  const config = `
route:
  receiver: aksops
  group_by: ['alertname', 'namespace']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: aksops
    webhook_configs:
      - url: http://127.0.0.1:${port}/api/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: ${TOKEN}
`;
  if (ALERTMANAGER_BIN) pair.push(await startAlertmanager(config), await startAlertmanager(config));
}, 60_000);

afterAll(async () => {
  await Promise.all(pair.map((a) => a.stop()));
  await new Promise((r) => receiver?.close(r));
  await durable?.stop();
  for (const k of [...Object.keys(env), 'AzureWebJobsStorage']) delete process.env[k];
  resetRuntime();
});

describe.skipIf(!ALERTMANAGER_BIN && !process.env['CI'])('real Alertmanager HA pair -> webhook', () => {
  it('starts exactly one remediation per alert occurrence across resends, HA duplicates and resolution', async () => {
    const t0 = new Date(Date.now() - 60_000).toISOString();
    const alerts = [crashloop('api-7d9f8b6c5-aaaaa', t0), crashloop('api-7d9f8b6c5-bbbbb', t0)];
    // Prometheus re-sends firing alerts every evaluation; so do we, to both members of the pair.
    for (const am of pair) await am.postAlerts(alerts);

    // Wait until each instance has delivered the group at least twice (group_wait, then repeat_interval).
    await until('resends from both Alertmanagers', () => deliveries.filter((d) => d.payload.status === 'firing').length >= 4);
    for (const am of pair) await am.postAlerts(alerts);
    // 503 is a legitimate answer under load (a slow dependency); Alertmanager retries it. Never 4xx.
    expect(deliveries.filter((d) => d.status !== 200 && d.status !== 503).map((d) => d.status)).toEqual([]);
    expect(deliveries.some((d) => d.status === 200)).toBe(true);

    const fps = new Set(deliveries.flatMap((d) => d.payload.alerts.map((a) => a.fingerprint)));
    expect(fps.size).toBe(2);
    const ids = [...fps].map((fp) =>
      remediationInstanceId(fp, deliveries.flatMap((d) => d.payload.alerts).find((a) => a.fingerprint === fp)!.startsAt, 'crashloop-restart'),
    );
    // Exactly one start per occurrence, whatever the number of deliveries.
    expect(durable.starts.map((s) => s.instanceId).sort()).toEqual([...ids].sort());
    const decisions = deliveries.flatMap((d) => d.decisions.map((x) => x.decision));
    expect(decisions.filter((d) => d === 'start')).toHaveLength(2);
    expect(decisions.filter((d) => d === 'duplicate').length).toBeGreaterThanOrEqual(2);

    // Resolve one alert: Alertmanager sends it as resolved (inside a group that may still be firing).
    const now = new Date().toISOString();
    for (const am of pair) await am.postAlerts([crashloop('api-7d9f8b6c5-aaaaa', t0, now), alerts[1]!]);
    await until('the resolved notification', () => deliveries.some((d) => d.payload.alerts.some((a) => a.status === 'resolved')));
    const resolvedFp = deliveries.flatMap((d) => d.payload.alerts).find((a) => a.status === 'resolved')!.fingerprint;
    const resolvedId = ids.find((id) => id === remediationInstanceId(resolvedFp, t0, 'crashloop-restart'))!;
    await until('the resolved event', () => durable.instances.get(resolvedId)!.events.length >= 1);
    expect(durable.instances.get(resolvedId)!.events[0]!.name).toBe('alertResolved');
    expect(durable.starts).toHaveLength(2);

    // A new occurrence of the same alert (new startsAt) is a new remediation, started once.
    // Alertmanager merges a re-posted alert into the old one when its startsAt falls inside the
    // old alert's active range (provider/mem: StartsAt within [old.StartsAt, old.EndsAt]); that
    // is the same occurrence. A new one starts after the resolution's endsAt.
    const t1 = new Date(Date.parse(now) + 1000).toISOString();
    while (Date.now() <= Date.parse(t1)) await sleep(100);
    for (const am of pair) await am.postAlerts([crashloop('api-7d9f8b6c5-aaaaa', t1)]);
    await until('the new occurrence', () => durable.starts.length >= 3);
    await sleep(2500); // let both instances resend at least once more
    expect(durable.starts).toHaveLength(3);
    expect(durable.starts[2]!.instanceId).toBe(remediationInstanceId(resolvedFp, t1, 'crashloop-restart'));
  }, 180_000);
});
