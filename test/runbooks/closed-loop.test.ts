// The closed loop against a real Alertmanager (Debian prometheus-alertmanager): the
// verification reads its API v2 (/api/v2/alerts filtered by the alert's labels), the run's
// silence is created there and expired there, and a retried activity reuses its silence. The
// target's health is read through the real AKS access adapter and client-node from the fake
// Kubernetes API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALERTMANAGER_BIN, startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { rolloutDeployment } from '../fakes/kube-controllers.js';
import { AlertmanagerClient, alertmanagerBaseUrl } from '../../src/adapters/alertmanager.js';
import { createKubeAccess } from '../../src/adapters/kube.js';
import { parseConfig } from '../../src/config/load.js';
import { silence, verifyRemediation, type ClosedLoopEnv } from '../../src/runbooks/closed-loop.js';
import type { Target, VerifyInput } from '../../src/domain/types.js';

const AM_CONFIG = `
route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
`;

const dir = mkdtempSync(join(tmpdir(), 'closed-loop-'));
let am: RunningAlertmanager;
let kube: FakeKubeApiServer;
let env: ClosedLoopEnv;

const LABELS = {
  alertname: 'KubeDeploymentReplicasMismatch',
  cluster: 'ms5-prod',
  namespace: 'shop',
  deployment: 'api',
  severity: 'warning',
  job: 'kube-state-metrics',
};
const OTHER = { ...LABELS, deployment: 'web' };
const TARGET: Target = { cluster: 'ms5-prod', namespace: 'shop', kind: 'Deployment', name: 'api' };
const future = () => new Date(Date.now() + 3600_000).toISOString();

function verifyInput(externalURL: string): VerifyInput {
  return {
    runbook: 'rollout-restart',
    params: { namespace: 'shop', name: 'api' },
    target: TARGET,
    fixed: {},
    instanceId: 'rem-closedloop-1',
    alert: { labels: LABELS, externalURL },
  };
}

beforeAll(async () => {
  if (!ALERTMANAGER_BIN) throw new Error('Alertmanager is not installed. Fix: apt-get install prometheus-alertmanager (.ci/run does it)');
  am = await startAlertmanager(AM_CONFIG);
  kube = await startFakeKubeApiServer({ token: 'closed-loop-token' });
  kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 2 });
  const kc = kube.kubeConfig();
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kc.exportConfig());
  const config = parseConfig(`version: 1\nclusters: [{ name: ms5-prod, kubeContext: ${kc.getCurrentContext()} }]\nalertmanager: { url: "${am.url}" }\n`);
  env = {
    config,
    kube: createKubeAccess({ kubeconfigPath }),
    isPaused: async () => ({ paused: false, reason: null }),
    alertmanager: (baseUrl) => new AlertmanagerClient({ baseUrl, timeoutMs: 3000 }),
  };
  await am.postAlerts([
    {
      labels: LABELS,
      annotations: { summary: 'replicas mismatch' },
      startsAt: new Date(Date.now() - 600_000).toISOString(),
      endsAt: future(),
      generatorURL: 'http://prometheus:9090/graph',
    },
    { labels: OTHER, startsAt: new Date().toISOString(), endsAt: future() },
  ]);
}, 60_000);

afterAll(async () => {
  await am?.stop();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('closed loop against a real Alertmanager', () => {
  it('sees the alert firing through GET /api/v2/alerts filtered by its labels', async () => {
    const v = await verifyRemediation(env, verifyInput(am.url));
    expect(v.alert).toBe('firing');
    expect(v.detail).toMatch(/Alertmanager still has the alert \(active since/);
    // Only this series matches: the other deployment's alert is not counted.
    const client = new AlertmanagerClient({ baseUrl: am.url });
    expect((await client.alerts(LABELS)).map((a) => a.labels['deployment'])).toEqual(['api']);
  });

  it('creates the silence there (matchers naming the target), reuses it on a retry, and the alert still counts as firing while silenced', async () => {
    const input = {
      op: 'create' as const,
      instanceId: 'rem-closedloop-1',
      labels: LABELS,
      matchLabels: ['alertname', 'namespace', 'deployment'],
      externalURL: am.url,
      durationSeconds: 1800,
      comment: 'aksops remediation rem-closedloop-1: rollout-restart on ms5-prod/shop/Deployment/api',
      at: new Date().toISOString(),
    };
    const created = await silence(env, input);
    expect(created.silenceId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await silence(env, input);
    expect(again).toEqual({ silenceId: created.silenceId, detail: `silence ${created.silenceId} already exists` });

    const s = (await (await fetch(`${am.url}/api/v2/silence/${created.silenceId}`)).json()) as {
      status: { state: string };
      matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>;
      createdBy: string;
      comment: string;
    };
    expect(s.status.state).toBe('active');
    expect(s.createdBy).toBe('aksops');
    expect(s.matchers.map((m) => `${m.name}=${m.value}`).sort()).toEqual(['alertname=KubeDeploymentReplicasMismatch', 'deployment=api', 'namespace=shop']);
    expect(s.matchers.every((m) => !m.isRegex && m.isEqual)).toBe(true);

    const client = new AlertmanagerClient({ baseUrl: am.url });
    const alerts = await client.alerts(LABELS);
    expect(alerts[0]!.status).toMatchObject({ state: 'suppressed', silencedBy: [created.silenceId] });
    expect((await client.alerts(OTHER))[0]!.status.state).toBe('active');
    expect((await verifyRemediation(env, verifyInput(am.url))).alert).toBe('firing');

    // Expired after the run; expiring again is harmless.
    expect(await silence(env, { op: 'expire', instanceId: 'rem-closedloop-1', silenceId: created.silenceId!, externalURL: am.url })).toEqual({
      detail: `silence ${created.silenceId} expired`,
    });
    const expired = (await (await fetch(`${am.url}/api/v2/silence/${created.silenceId}`)).json()) as { status: { state: string } };
    expect(expired.status.state).toBe('expired');
    expect((await silence(env, { op: 'expire', instanceId: 'rem-closedloop-1', silenceId: created.silenceId!, externalURL: am.url })).detail).toMatch(
      /expired|already gone/,
    );
    expect((await client.alerts(LABELS))[0]!.status.state).toBe('active');
  });

  it('the alert resolved and the rollout finished: cleared and healthy', async () => {
    expect((await verifyRemediation(env, verifyInput(am.url))).healthy).toBe(true);
    // Prometheus resolves an alert by sending it with endsAt now.
    await am.postAlerts([{ labels: LABELS, startsAt: new Date(Date.now() - 600_000).toISOString(), endsAt: new Date().toISOString() }]);
    await new Promise((r) => setTimeout(r, 50));
    const v = await verifyRemediation(env, verifyInput(am.url));
    expect(v).toMatchObject({ alert: 'cleared', healthy: true });
    expect(v.detail).toContain(`the alert is no longer in Alertmanager ${am.url}`);
  });

  it('the target is not healthy (a rollout in progress): healthy false', async () => {
    kube.modify('deployments', 'shop', 'api', (d) => (d.metadata.generation = Number(d.metadata.generation) + 1));
    const v = await verifyRemediation(env, verifyInput(am.url));
    expect(v.healthy).toBe(false);
    expect(v.detail).toMatch(/target: Waiting for deployment spec update to be observed/);
    rolloutDeployment(kube, 'shop', 'api');
    expect((await verifyRemediation(env, verifyInput(am.url))).healthy).toBe(true);
  });

  it('an unreachable Alertmanager gives unknown, and creating a silence there does not throw', async () => {
    const down = { ...env, config: { ...env.config, alertmanager: { ...env.config.alertmanager, url: 'http://127.0.0.1:1' } } };
    const v = await verifyRemediation(down, verifyInput('http://127.0.0.1:1'));
    expect(v.alert).toBe('unknown');
    expect(v.detail).toMatch(/Alertmanager http:\/\/127.0.0.1:1 is unreachable/);
    const s = await silence(down, {
      op: 'create',
      instanceId: 'x',
      labels: LABELS,
      matchLabels: ['alertname'],
      externalURL: 'http://127.0.0.1:1',
      durationSeconds: 60,
      comment: 'x',
      at: new Date().toISOString(),
    });
    expect(s.silenceId).toBeUndefined();
    expect(s.detail).toMatch(/^no silence: /);
  });

  it('only the configured alertmanager.url is used (test/security/payload-externalurl.test.ts); credentials in it are dropped', () => {
    expect(alertmanagerBaseUrl('http://am.monitoring:9093/')).toBe('http://am.monitoring:9093');
    expect(alertmanagerBaseUrl('https://user:pw@am.example/alertmanager/?x=1')).toBe('https://am.example/alertmanager');
    expect(alertmanagerBaseUrl('file:///etc/passwd')).toBeNull();
    expect(alertmanagerBaseUrl(undefined)).toBeNull();
  });
});
