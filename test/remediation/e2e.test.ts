// The remediation end to end with real parts: the real orchestrator and guard entity, replayed
// through durable-functions' own executor; the real activities (src/runbooks/run.ts) using the
// real AKS access adapter and @kubernetes/client-node against the strict fake API server; the
// audit log and pause switch in a real Azurite. Crashes after every step must still restart
// the Deployment exactly once and leave exactly one audit row per event.
import { windowGateActivity } from '../support/window-gate.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { rolloutDeployment } from '../fakes/kube-controllers.js';
import { createReplayHarness, forEachCrashPoint, when, type ReplayHarness } from '../support/replay-harness.js';
import { remediationOrchestrator, type RemediationOutput } from '../../orchestrations/remediation.js';
import { guardEntity } from '../../orchestrations/guard-entity.js';
import { parseConfig } from '../../src/config/load.js';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { createKubeAccess } from '../../src/adapters/kube.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { ControlStore, isPaused } from '../../src/adapters/control-store.js';
import { planRunbook, resolveTarget, runRunbook, type RunbookEnv } from '../../src/runbooks/run.js';
import { silence, verifyRemediation } from '../../src/runbooks/closed-loop.js';
import { AlertmanagerClient } from '../../src/adapters/alertmanager.js';
import { decideAlerts } from '../../src/intake/decide.js';
import type {
  AlertmanagerWebhook,
  AuditRecord,
  NotifyInput,
  PlanRunbookInput,
  ResolveTargetInput,
  RunRunbookInput,
  SilenceInput,
  VerifyInput,
} from '../../src/domain/types.js';

const TOKEN = 'kube-e2e-token-3f9a';
const dir = mkdtempSync(join(tmpdir(), 'rem-e2e-'));
const suffix = Math.random().toString(36).slice(2, 7);
let settings: Settings;
const servers: FakeKubeApiServer[] = [];

beforeAll(() => {
  settings = readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, CONTROL_TABLE_NAME: `ctle2e${suffix}` });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const opsYaml = (context: string) => `
version: 1
clusters: [{ name: e2e, kubeContext: ${context} }]
rules:
  - name: crashloop-restart
    matchers: ['alertname="KubePodCrashLooping"']
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
    dryRun: false
    verifyAfter: 10m
`;

/** A payload for the seeded pod, decided by the real intake: the orchestration input is what the webhook would start. */
function inputFor(config: ReturnType<typeof parseConfig>, pod: string) {
  const payload: AlertmanagerWebhook = {
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
        startsAt: '2025-01-01T00:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: 'e2e0000000000001',
      },
    ],
  };
  const [d] = decideAlerts(payload, config);
  expect(d!.decision).toBe('start');
  return d!.input!;
}

interface Run {
  harness: ReplayHarness;
  kube: FakeKubeApiServer;
  audit: AuditStore;
}

let runs = 0;
async function makeRun(opts: { paused?: boolean } = {}): Promise<Run> {
  const n = ++runs;
  const kube = await startFakeKubeApiServer({ token: TOKEN });
  servers.push(kube);
  const seeded = kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 2, crashLooping: true });
  const kc = kube.kubeConfig();
  const kubeconfigPath = join(dir, `kubeconfig-${n}`);
  writeFileSync(kubeconfigPath, kc.exportConfig());
  const config = parseConfig(opsYaml(kc.getCurrentContext()));
  const audit = AuditStore.fromSettings({ ...settings, auditTableName: `rem${suffix}${n}` });
  const env: RunbookEnv = {
    config,
    kube: createKubeAccess({ kubeconfigPath }),
    isPaused: opts.paused ? async () => ({ paused: true, reason: 'maintenance window' }) : () => isPaused(settings, ControlStore.fromSettings(settings)),
  };
  const input = inputFor(config, seeded.pods[0]!.metadata.name as string);
  const harness = createReplayHarness({
    orchestrator: remediationOrchestrator,
    instanceId: input.instanceId,
    input,
    name: 'remediation',
    activities: {
      ...windowGateActivity(),
      resolveTarget: (i: unknown) => resolveTarget(env, i as ResolveTargetInput),
      planRunbook: (i: unknown) => planRunbook(env, i as PlanRunbookInput),
      runRunbook: (i: unknown) => runRunbook(env, i as RunRunbookInput),
      // The deployment controller finishes the rollout during the verification wait (the fake runs no controllers).
      // Alertmanager is not reachable here (the closed loop against a real one: closed-loop-alertmanager.test.ts):
      // verification says 'unknown' and the resolved notification decides.
      verifyRemediation: (i: unknown) => (
        rolloutDeployment(kube, 'shop', 'api'),
        verifyRemediation({ ...env, alertmanager: () => new AlertmanagerClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 }) }, i as VerifyInput)
      ),
      silence: (i: unknown) =>
        silence({ ...env, alertmanager: () => new AlertmanagerClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 }) }, i as SilenceInput),
      writeAudit: (r: unknown) => audit.write([r as AuditRecord]),
      // As functions/remediation.ts: escalations and approval requests are audited, results only sent.
      notify: (i: unknown) =>
        (i as NotifyInput).kind === 'result'
          ? undefined
          : audit.write([{ id: (i as NotifyInput).id, at: (i as NotifyInput).at, kind: 'result', actor: 'orchestration', decision: 'escalated' }]),
    },
    entities: { guard: guardEntity },
    events: [{ name: 'alertResolved', input: { endsAt: '2025-01-01T00:05:00Z' }, when: when.idleIn('verifying') }],
  });
  return { harness, kube, audit };
}

function restartPatches(kube: FakeKubeApiServer) {
  return kube.writes().filter((w) => w.method === 'PATCH' && w.path === '/apis/apps/v1/namespaces/shop/deployments/api' && w.query['dryRun'] === undefined);
}

async function auditRows(audit: AuditStore) {
  return (await audit.query({ since: '2024-12-31T00:00:00Z', until: '2025-01-02T00:00:00Z', limit: 100 })).items;
}

describe('remediation end to end (real orchestrator, entity, activities, client-node, Azurite)', () => {
  it('rollout-restarts the owning Deployment once, verifies on resolution, and audits each step once', async () => {
    const { harness, kube, audit } = await makeRun();
    const result = await harness.run();
    expect(result.status).toBe('completed');
    expect((result.output as RemediationOutput).outcome).toBe('effective');
    const patches = restartPatches(kube);
    expect(patches).toHaveLength(1);
    expect(patches[0]!.contentType).toBe('application/strategic-merge-patch+json');
    const dep = kube.get('deployments', 'shop', 'api') as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    expect(dep.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^2025-01-01T/);
    const rows = await auditRows(audit);
    expect(rows.map((r) => r.kind).sort()).toEqual(['action', 'result']);
    expect(rows.find((r) => r.kind === 'action')).toMatchObject({ target: 'e2e/shop/Deployment/api', dryRun: false });
  });

  it('survives a crash after every step: one restart, one row per event, same outcome', async () => {
    const { points } = await forEachCrashPoint(
      async () => (await makeRun()).harness,
      (_h, result, at, clean) => {
        expect(result.status, `crash after ${at.what}`).toBe('completed');
        const out = result.output as RemediationOutput;
        expect(out.outcome, `crash after ${at.what}`).toBe((clean.output as RemediationOutput).outcome);
        // Crashing after the runbook ran but before its result was durable re-runs it (at least
        // once): the re-run must find the restart already applied and not patch again.
        expect(out.result?.outcome, `crash after ${at.what}`).toBe(at.kind === 'ran' && at.what.includes('runRunbook') ? 'already-done' : 'done');
      },
    );
    expect(points).toBeGreaterThan(10);
    // forEachCrashPoint builds a fresh world per point; check each of them.
    const worlds = servers.slice(-(points + 1));
    expect(worlds).toHaveLength(points + 1);
    for (const kube of worlds) expect(restartPatches(kube), `world ${servers.indexOf(kube)}`).toHaveLength(1);
  }, 240_000);

  it('acts on nothing while automation is paused, and says so', async () => {
    const { harness, kube, audit } = await makeRun({ paused: true });
    const result = await harness.run();
    expect(result.status).toBe('completed');
    expect(restartPatches(kube)).toHaveLength(0);
    expect(kube.writes()).toHaveLength(0);
    const action = (await auditRows(audit)).find((r) => r.kind === 'action');
    expect(action?.detail ?? action?.result ?? '').toMatch(/paused: maintenance window/);
  });
});
