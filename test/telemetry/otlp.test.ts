// The app's own telemetry exported over OTLP/HTTP to a local receiver: one trace follows an alert
// from the webhook (the real intake) through the runRunbook activity (the real activity wrapper
// of functions/lib/durable-lazy.ts, continuing the trace the run carries) to the Kubernetes call
// (restart-pod against the strict fake API server); the metric names arrive; and no credential in
// play (webhook token, Kubernetes token) appears in anything exported.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeAccess } from '../../src/adapters/kube.js';
import { parseConfig } from '../../src/config/load.js';
import { readSettings } from '../../src/config/settings.js';
import type { RemediationInput, RunRunbookInput } from '../../src/domain/types.js';
import { handleAlertmanagerWebhook } from '../../src/intake/webhook.js';
import { runRunbook, type RunbookEnv } from '../../src/runbooks/run.js';
import { METRIC } from '../../src/telemetry/metrics.js';
import { startTelemetry, type TelemetryHandle } from '../../src/telemetry/setup.js';
import { traced } from '../../functions/lib/durable-lazy.js';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

const WEBHOOK_TOKEN = 'whk-3f9a1c77e2b04d55a0c1d2e3f4a5b6c7';
const KUBE_TOKEN = 'kube-secret-token-8e7d6c5b4a39281706f5e4d3c2b1a0ff';

let receiver: OtlpReceiver;
let telemetry: TelemetryHandle;
let kube: FakeKubeApiServer;
let dir: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  telemetry = (await startTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'aksops-test' }, { metricIntervalMs: 3_600_000 }))!;
  kube = await startFakeKubeApiServer({ token: KUBE_TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'otel-'));
});

afterAll(async () => {
  await telemetry?.shutdown();
  await kube?.stop();
  await receiver?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('telemetry over OTLP/HTTP', () => {
  it('starts only when configured', async () => {
    expect(await startTelemetry({})).toBeUndefined();
    expect(telemetry.exporters).toEqual(['otlp']);
  });

  it('one trace spans webhook -> activity -> Kubernetes call; metrics arrive; no secret leaks', async () => {
    const seeded = kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 2, crashLooping: true });
    const kc = kube.kubeConfig();
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kc.exportConfig());
    const config = parseConfig(`
version: 1
clusters: [{ name: e2e, kubeContext: ${kc.getCurrentContext()} }]
rules:
  - name: crashloop-restart
    matchers: ['alertname="KubePodCrashLooping"']
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
    dryRun: false
`);
    const pod = seeded.pods[0]!.metadata.name!;
    const payload = {
      version: '4',
      groupKey: 'g',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'aksops',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://am:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod },
          annotations: {},
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: '0e1000000000f001',
        },
      ],
    };
    let started: RemediationInput | undefined;
    const res = await handleAlertmanagerWebhook(
      { authorization: `Bearer ${WEBHOOK_TOKEN}`, contentLength: null, readBody: async () => JSON.stringify(payload) },
      {
        config: () => config,
        settings: readSettings({ ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN }),
        instances: {
          status: async () => null,
          start: async (i: RemediationInput) => ((started = i), 'started' as const),
          raiseResolved: async () => undefined,
        },
        audit: { write: async () => undefined },
        pause: async () => ({ paused: false, reason: null }),
        now: () => new Date('2026-01-01T00:01:00Z'),
        deliveryId: () => 'delivery-1',
      },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(started?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const env: RunbookEnv = { config, kube: createKubeAccess({ kubeconfigPath }), isPaused: async () => ({ paused: false, reason: null }) };
    const input: RunRunbookInput = {
      runbook: 'restart-pod',
      params: started!.params,
      target: started!.target,
      dryRun: false,
      restartedAt: '2026-01-01T00:01:00Z',
      instanceId: started!.instanceId,
      iteration: 0,
      traceparent: started!.traceparent!,
    };
    const activity = traced('runRunbook', ((i: unknown) => runRunbook(env, i as RunRunbookInput)) as never);
    const result = await (activity as unknown as (i: unknown, c: InvocationContext) => Promise<{ outcome: string }>)(
      input,
      new InvocationContext({ functionName: 'runRunbook', invocationId: 'i1' }),
    );
    expect(result.outcome).toBe('done');
    expect(kube.requests.some((r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/shop/deployments/api')).toBe(true);

    await telemetry.flush();
    const spans = receiver.spans();
    const webhook = spans.find((s) => s.name === 'alertmanager webhook')!;
    const act = spans.find((s) => s.name === 'activity runRunbook')!;
    const k8s = spans.find((s) => s.name === 'kubernetes restart-pod')!;
    expect(webhook && act && k8s).toBeTruthy();
    expect(act.traceId).toBe(webhook.traceId);
    expect(act.parentSpanId).toBe(webhook.spanId);
    expect(k8s.traceId).toBe(webhook.traceId);
    expect(k8s.parentSpanId).toBe(act.spanId);
    expect(k8s.attributes).toEqual(
      expect.arrayContaining([
        { key: 'k8s.namespace.name', value: { stringValue: 'shop' } },
        { key: 'aksops.outcome', value: { stringValue: 'done' } },
      ]),
    );

    expect(receiver.metricNames()).toEqual(expect.arrayContaining([METRIC.alertsReceived, METRIC.alertsDecided, METRIC.actions]));
    for (const body of receiver.bodies) {
      expect(body).not.toContain(WEBHOOK_TOKEN);
      expect(body).not.toContain(KUBE_TOKEN);
    }
  });
});
