// The jobs' metrics exported over OTLP/HTTP to a local receiver, recorded where they happen:
// backup duration/size (the manifest activity of a real backup run: replayed orchestration,
// Azurite, fake API server) and verify result (the verify activity); Azure throttling counted by
// the pipeline policy when the fake Key Vault answers 429 to the real SecretClient; approval wait
// and rotation result from the audit rows the activities write; budget stages from the notify
// activity's mapping. Every name arrives with its attributes, and no secret value (the shop's
// Secret data, the Key Vault secret) appears in anything exported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupOrchestrator } from '../../orchestrations/backup.js';
import { createVaultSecrets } from '../../src/adapters/keyvault.js';
import { backupActivities } from '../../src/backup/activities.js';
import { BACKUP_ACTIVITY } from '../../src/backup/activity-names.js';
import { backupIdFor } from '../../src/backup/manifest.js';
import { recordStageMetric } from '../../src/budget/notify-message.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { writeAudit } from '../../src/rotation/activities.js';
import type { RotationEnv } from '../../src/rotation/activities.js';
import { METRIC, recordAuditMetrics } from '../../src/telemetry/metrics.js';
import { startTelemetry, type TelemetryHandle } from '../../src/telemetry/setup.js';
import { CLUSTER, SECRET_VALUES, createWorld, seedShop, type World } from '../backup/world.js';
import { startFakeKeyVault, type FakeKeyVault } from '../fakes/keyvault-server.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { createReplayHarness } from '../support/replay-harness.js';

const KV_SECRET = 'kv-value-7d1e0c2b9a8f4e3d2c1b0a99';
let receiver: OtlpReceiver;
let telemetry: TelemetryHandle;
let world: World;
let kv: FakeKeyVault;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  telemetry = (await startTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'aksops-test' }, { metricIntervalMs: 3_600_000 }))!;
  world = await createWorld({ tag: 'otel' });
  kv = await startFakeKeyVault({ vaultName: 'kv-otel', versionSeed: 'otel' });
});

afterAll(async () => {
  await telemetry?.shutdown();
  await world?.stop();
  await kv?.stop();
  await receiver?.stop();
});

interface OtlpPoint {
  attributes?: { key: string; value: { stringValue?: string } }[];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
  sum?: number;
}

/** The data points of one metric, attributes flattened, from every export. */
function points(name: string): { attrs: Record<string, string>; value: number }[] {
  const out: { attrs: Record<string, string>; value: number }[] = [];
  for (const body of receiver.bodies) {
    const doc = JSON.parse(body) as {
      resourceMetrics?: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: OtlpPoint[] }; histogram?: { dataPoints: OtlpPoint[] } }[] }[] }[];
    };
    for (const rm of doc.resourceMetrics ?? [])
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics.filter((x) => x.name === name))
          for (const p of [...(m.sum?.dataPoints ?? []), ...(m.histogram?.dataPoints ?? [])]) {
            const attrs = Object.fromEntries((p.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? '']));
            out.push({ attrs, value: m.histogram ? Number(p.sum) : Number(p.asInt ?? p.asDouble) });
          }
  }
  return out;
}

describe('job metrics over OTLP/HTTP', () => {
  it('every job metric arrives from where it is recorded, and no secret is in any attribute', async () => {
    // Backup: a real run (objects part) through the replayed orchestration, then the verify activity.
    seedShop(world.kube, 'shop');
    const started = '2025-01-01T02:00:00.000Z';
    const backupId = backupIdFor(new Date(started), 'nightly');
    const activities = { ...backupActivities(world.env), writeAudit: async () => undefined };
    const h = createReplayHarness({
      orchestrator: backupOrchestrator,
      name: 'backup',
      instanceId: `backup:${CLUSTER}:${backupId}`,
      input: { backupId, cluster: CLUSTER, parts: ['objects'], trigger: 'schedule', requestedBy: 'nightly', applyRetention: false },
      activities,
      startTime: started,
    });
    const run = await h.run();
    expect(run.status, run.error).toBe('completed');
    const verified = await backupActivities(world.env)[BACKUP_ACTIVITY.verifyLatest]({ cluster: CLUSTER });
    expect(verified.ok).toBe(true);

    // Azure throttling: two 429s from Key Vault, retried by the SDK, each counted.
    kv.seed('db-password', KV_SECRET);
    const vault = createVaultSecrets({
      vaultUrl: kv.vaultUrl,
      credential: kv.credential(),
      clientOptions: { ...kv.clientOptions(), retryOptions: { maxRetries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 5 } },
    });
    const latest = (await vault.latest('db-password'))!;
    kv.throttleNext(2, 0);
    expect(await vault.value('db-password', latest.version)).toBe(KV_SECRET);

    // Approval wait (the remediation's approval row) and a rotation's result (the rotation audit activity).
    recordAuditMetrics([
      {
        id: 'rem-1:approval',
        at: started,
        kind: 'approval',
        actor: 'user:alice@contoso.com',
        runbook: 'drain-node',
        decision: 'approved',
        result: 'approve',
        waitedSeconds: 420,
      },
    ]);
    const rows: AuditRecord[] = [];
    await writeAudit({ audit: async (r: AuditRecord[]) => void rows.push(...r) } as unknown as RotationEnv, {
      id: 'rot-1:result',
      at: started,
      kind: 'result',
      actor: 'orchestration',
      runbook: 'secret-rotation',
      rule: 'random',
      result: 'rotated',
      target: 'keyvault/db-password',
    });
    expect(rows).toHaveLength(1);

    // Budget stage: the notify activity's mapping for a fired stage (and nothing for a restore).
    recordStageMetric({
      id: 'b-1:notify:1',
      at: started,
      kind: 'stage',
      stage: 'stop',
      budget: 'ms5',
      period: '2025-03-01',
      instanceId: 'b-1',
      mode: 'enforce',
      summary: 's',
      lines: [],
      targets: [],
    });
    recordStageMetric({
      id: 'b-1:notify:2',
      at: started,
      kind: 'restore',
      budget: 'ms5',
      period: '2025-03-01',
      instanceId: 'b-1',
      mode: 'enforce',
      summary: 's',
      lines: [],
      targets: [],
    });

    await telemetry.flush();
    expect(receiver.metricNames()).toEqual(
      expect.arrayContaining([
        METRIC.backupDuration,
        METRIC.backupSize,
        METRIC.backupVerify,
        METRIC.azureThrottled,
        METRIC.approvalWait,
        METRIC.rotationResults,
        METRIC.budgetStages,
      ]),
    );
    expect(points(METRIC.backupSize)[0]).toMatchObject({ attrs: { cluster: CLUSTER, status: 'complete', trigger: 'schedule' } });
    expect(points(METRIC.backupSize)[0]!.value).toBeGreaterThan(0);
    expect(points(METRIC.backupDuration)[0]!.value).toBeGreaterThanOrEqual(0);
    expect(points(METRIC.backupVerify)).toEqual([{ attrs: { cluster: CLUSTER, result: 'ok' }, value: 1 }]);
    expect(points(METRIC.azureThrottled)).toEqual([{ attrs: { service: 'keyvault' }, value: 2 }]);
    expect(points(METRIC.approvalWait)).toEqual([{ attrs: { runbook: 'drain-node', decision: 'approve' }, value: 420 }]);
    expect(points(METRIC.rotationResults)).toEqual([{ attrs: { outcome: 'rotated', strategy: 'random' }, value: 1 }]);
    expect(points(METRIC.budgetStages)).toEqual([{ attrs: { budget: 'ms5', stage: 'stop', mode: 'enforce' }, value: 1 }]);

    const needles = [KV_SECRET, ...SECRET_VALUES];
    for (const body of receiver.bodies) for (const n of needles) expect(body.includes(n), `a secret value appears in an export`).toBe(false);
  }, 120_000);
});
