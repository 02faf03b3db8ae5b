// Attack (#12 item 8): one 976 kB delivery started 4,400 remediations on distinct pods in 285 ms;
// the guard works per target only. A generated storm of 4,400 crash-looping pods now starts at
// most the per-cluster limit, trips that cluster's storm breaker (escalated in the audit), and a
// second storm delivery starts nothing while the breaker is open. Real DurableClient against the
// fake Durable extension; counters, breakers and audit in a real Azurite table.
import type { Page } from '../../src/notify/paging.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { durableRemediationInstances } from '../../functions/lib/durable-instances.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { ControlStormStore } from '../../src/adapters/control-store.js';
import { loadConfigFile } from '../../src/config/load.js';
import { readSettings } from '../../src/config/settings.js';
import { handleAlertmanagerWebhook } from '../../src/intake/webhook.js';
import { admitStarts } from '../../src/intake/storm.js';

let durable: FakeDurableExtension;
const tag = `${process.pid}${Date.now().toString(36)}`;
const settings = () =>
  readSettings({
    AzureWebJobsStorage: inject('azurite').connectionString,
    AUDIT_TABLE_NAME: `secstorma${tag}`,
    CONTROL_TABLE_NAME: `secstormc${tag}`,
    STORM_MAX_CLUSTER_STARTS_PER_MINUTE: '20',
    STORM_MAX_STARTS_PER_MINUTE: '60',
  });
const config = loadConfigFile('examples/ops.yaml', process.cwd());

/** A storm: `n` crash-looping pods, each its own alert (distinct fingerprints and pods). */
export function stormPayload(n: number, wave: string): string {
  const alerts = Array.from({ length: n }, (_, i) => ({
    status: 'firing',
    labels: {
      alertname: 'KubePodCrashLooping',
      cluster: 'ms5-prod',
      container: 'api',
      namespace: 'backend',
      pod: `api-${wave}-${i.toString(36).padStart(5, '0')}`,
      reason: 'CrashLoopBackOff',
      severity: 'warning',
      job: 'kube-state-metrics',
    },
    annotations: { summary: 'Pod is crash looping.' },
    startsAt: '2026-11-22T02:58:31.201Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `${wave}${i.toString(16).padStart(12, '0')}`,
  }));
  return JSON.stringify({
    version: '4',
    groupKey: 'storm',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'aksops',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am',
    alerts,
  });
}

beforeAll(async () => {
  durable = await new FakeDurableExtension().start();
});
afterAll(async () => durable.stop());

const pages: Page[] = [];

async function deliver(body: string) {
  const s = settings();
  const { client } = durable.invocation('alertmanagerWebhook');
  return handleAlertmanagerWebhook(
    { authorization: null, contentLength: null, readBody: async () => body },
    {
      config: () => config,
      settings: s,
      instances: durableRemediationInstances(client),
      audit: AuditStore.fromSettings(s),
      storm: ControlStormStore.fromSettings(s),
      pause: async () => ({ paused: false }),
      page: async (p) => void pages.push(p),
      now: () => new Date(),
      deliveryId: () => `storm-${Math.random()}`,
    },
  );
}

describe('attack: an alert storm starts thousands of remediations', () => {
  it('4,400 pods in one delivery start at most the per-cluster limit, trip the breaker and escalate; the next wave starts nothing', async () => {
    const body = stormPayload(4400, 'aa');
    expect(body.length).toBeGreaterThan(900_000);
    const r = await deliver(body);
    expect(r.status).toBe(200);
    const decisions = r.body['decisions'] as Array<{ decision: string; reason?: string }>;
    expect(durable.starts.length).toBe(20);
    expect(decisions.filter((d) => d.decision === 'storm-limited')).toHaveLength(4380);
    expect(decisions.find((d) => d.decision === 'storm-limited')!.reason).toMatch(/storm breaker tripped/);
    const rows = (await AuditStore.fromSettings(settings()).query({ since: '1h', target: 'ms5-prod', limit: 100 })).items;
    expect(rows.filter((x) => x.decision === 'storm-breaker')).toEqual([expect.objectContaining({ target: 'ms5-prod', result: 'escalated' })]);
    // The on-call is paged once for the trip (paging.routes.critical).
    expect(pages).toEqual([
      expect.objectContaining({ action: 'trigger', severity: 'critical', source: 'ms5-prod', key: expect.stringMatching(/^storm-breaker:ms5-prod:/) }),
    ]);

    const again = await deliver(stormPayload(50, 'bb'));
    expect(durable.starts.length).toBe(20);
    expect((again.body['decisions'] as Array<{ reason?: string }>).every((d) => /storm breaker open for cluster ms5-prod/.test(d.reason ?? ''))).toBe(true);
    expect(pages).toHaveLength(1);
  }, 120_000);

  it('the estate-wide limit holds across clusters (pure decision)', () => {
    const clusters = Array.from({ length: 100 }, (_, i) => `c${i % 10}`);
    const v = admitStarts(clusters, {}, new Set(), { globalPerMinute: 30, clusterPerMinute: 5, breakerMinutes: 30 });
    expect(v.refused.filter((x) => x === null)).toHaveLength(30);
    expect(v.added['*']).toBe(30);
    expect(v.trip).toEqual([]);
  });
});
