// A drain that needs approval, end to end with real parts: the real orchestrator and guard
// entity replayed through durable-functions' executor, the real activities (plan, act, verify)
// through the AKS access adapter and client-node against the strict fake API server, whose
// eviction subresource answers 429 while a PodDisruptionBudget allows no disruption. Crashed
// after every step and resumed: the node is cordoned once, every pod is evicted exactly once
// (no eviction is forced, none repeated), and the run ends the same way.
import { windowGateActivity } from '../support/window-gate.js';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { finishTerminatingPods, pdbObject, seedDaemonSetPod, seedNode } from '../fakes/kube-controllers.js';
import { createReplayHarness, forEachCrashPoint, when, type ReplayHarness } from '../support/replay-harness.js';
import { remediationOrchestrator, type RemediationOutput } from '../../orchestrations/remediation.js';
import { guardEntity } from '../../orchestrations/guard-entity.js';
import { parseConfig } from '../../src/config/load.js';
import { createKubeAccess } from '../../src/adapters/kube.js';
import { AlertmanagerClient } from '../../src/adapters/alertmanager.js';
import { planRunbook, resolveTarget, runRunbook, type RunbookEnv } from '../../src/runbooks/run.js';
import { verifyRemediation } from '../../src/runbooks/closed-loop.js';
import { RUNBOOKS } from '../../src/runbooks/catalogue.js';
import { approvalPolicy, progressPolicy } from '../../src/runbooks/policy.js';
import type { AuditRecord, NotifyInput, PlanRunbookInput, RemediationInput, ResolveTargetInput, RunRunbookInput, VerifyInput } from '../../src/domain/types.js';

const dir = mkdtempSync(join(tmpdir(), 'rb-e2e-'));
const servers: FakeKubeApiServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const NODE = 'aks-compute-12345678-vmss000001';

interface World {
  harness: ReplayHarness;
  kube: FakeKubeApiServer;
  audit: Map<string, AuditRecord>;
  notes: NotifyInput[];
}

let n = 0;
async function world(): Promise<World> {
  const kube = await startFakeKubeApiServer({ token: 'rb-e2e-token' });
  servers.push(kube);
  seedNode(kube, NODE, { pool: 'compute' });
  seedNode(kube, 'aks-compute-12345678-vmss000002', { pool: 'compute' });
  const { pods } = kube.seedDeployment({ namespace: 'backend', name: 'api', replicas: 2, nodeName: NODE });
  for (const p of pods) kube.modify('pods', 'backend', p.metadata.name!, (o) => ((o.status ??= {})['conditions'] = [{ type: 'Ready', status: 'True' }]));
  seedDaemonSetPod(kube, 'monitoring', 'node-exporter', NODE);
  kube.seed(
    'poddisruptionbudgets',
    pdbObject('backend', 'api-pdb', {
      matchLabels: { app: 'api' },
      maxUnavailable: 1,
      status: { currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 1 },
    }),
  );
  const kc = kube.kubeConfig();
  const kubeconfigPath = join(dir, `kubeconfig-${++n}`);
  writeFileSync(kubeconfigPath, kc.exportConfig());
  const config = parseConfig(`
version: 1
clusters: [{ name: e2e, kubeContext: ${kc.getCurrentContext()} }]
runbooks: { progressInterval: 30s, drain-node: { timeout: 10m, pools: { compute: { maxUnavailable: 1 } } } }
`);
  const env: RunbookEnv = { config, kube: createKubeAccess({ kubeconfigPath }), isPaused: async () => ({ paused: false, reason: null }) };
  const target = RUNBOOKS['drain-node']!.target('e2e', { node: NODE });
  const input: RemediationInput = {
    instanceId: 'run-0123456789abcdef0123456789abcd01',
    rule: 'manual',
    runbook: 'drain-node',
    params: { node: NODE },
    target,
    dryRun: false,
    guard: config.defaultGuard,
    verifyAfterSeconds: 300,
    source: 'manual',
    requestedBy: 'dave@contoso.com',
    approval: approvalPolicy(config, RUNBOOKS['drain-node']!, target, undefined)!,
    progress: progressPolicy(config, 'drain-node'),
  };
  const audit = new Map<string, AuditRecord>();
  const notes: NotifyInput[] = [];
  const controllers = () => {
    // Between checks: the kubelet removes terminated pods; the disruption controller sees the
    // evicted replica replaced elsewhere and allows one disruption again.
    if (finishTerminatingPods(kube, 'backend') > 0)
      kube.modify('poddisruptionbudgets', 'backend', 'api-pdb', (p) => (p.status = { ...p.status, disruptionsAllowed: 1 }));
  };
  const harness = createReplayHarness({
    orchestrator: remediationOrchestrator,
    name: 'remediation',
    instanceId: input.instanceId,
    input,
    activities: {
      ...windowGateActivity(),
      resolveTarget: (i: unknown) => resolveTarget(env, i as ResolveTargetInput),
      planRunbook: (i: unknown) => planRunbook(env, i as PlanRunbookInput),
      runRunbook: (i: unknown) => ((i as RunRunbookInput).iteration ? controllers() : undefined, runRunbook(env, i as RunRunbookInput)),
      verifyRemediation: (i: unknown) =>
        verifyRemediation({ ...env, alertmanager: () => new AlertmanagerClient({ baseUrl: 'http://127.0.0.1:1' }) }, i as VerifyInput),
      silence: () => ({ detail: 'none' }),
      writeAudit: (r: unknown) => void audit.set((r as AuditRecord).id, r as AuditRecord),
      notify: (x: unknown) => void notes.push(x as NotifyInput),
    },
    entities: { guard: guardEntity },
    events: [{ name: 'approval', input: { decision: 'approve', by: 'alice@contoso.com' }, when: when.idleIn('awaiting-approval') }],
  });
  return { harness, kube, audit, notes };
}

function evictions(kube: FakeKubeApiServer) {
  return kube.requests.filter((r) => r.path.endsWith('/eviction'));
}

describe('drain-node end to end (approval, PDB 429s, durable waits, crash everywhere)', () => {
  it('waits for approval, evicts each pod once through the Eviction API, retries the 429, and verifies', async () => {
    const w = await world();
    const r = await w.harness.run();
    expect(r.status).toBe('completed');
    const out = r.output as RemediationOutput;
    expect(out).toMatchObject({ outcome: 'effective', approvedBy: 'alice@contoso.com', result: { outcome: 'done', progress: { done: 2, total: 2 } } });
    const ev = evictions(w.kube);
    expect(ev.map((e) => e.status)).toEqual([201, 429, 201]);
    expect(new Set(ev.filter((e) => e.status === 201).map((e) => e.path)).size).toBe(2);
    expect(w.kube.writes().filter((x) => x.method === 'DELETE')).toEqual([]);
    expect(
      w.kube
        .writes()
        .filter((x) => x.method === 'PATCH')
        .map((x) => x.body),
    ).toEqual([{ spec: { unschedulable: true } }]);
    expect(w.kube.get('nodes', undefined, NODE)!.spec!['unschedulable']).toBe(true);
    expect(w.kube.list('pods', 'monitoring')).toHaveLength(1); // the DaemonSet pod stays
    expect([...w.audit.values()].map((a) => a.kind).sort()).toEqual(['action', 'approval', 'result']);
    expect(w.audit.get('run-0123456789abcdef0123456789abcd01:approval')).toMatchObject({ actor: 'user:alice@contoso.com', decision: 'approved' });
    expect(w.notes.map((x) => `${x.kind}:${x.reason}`)).toEqual(['approval-request:approval', 'result:effective']);
  });

  it('crash after every step: the same end, one cordon, each pod evicted once', async () => {
    const worlds: World[] = [];
    const { points } = await forEachCrashPoint(
      async () => {
        const w = await world();
        worlds.push(w);
        return w.harness;
      },
      (_h, r, at) => {
        expect(r.status, `crash after ${at.what}`).toBe('completed');
        expect((r.output as RemediationOutput).outcome, `crash after ${at.what}`).toBe('effective');
      },
    );
    expect(points).toBeGreaterThan(20);
    for (const w of worlds) {
      const ok = evictions(w.kube)
        .filter((e) => e.status === 201)
        .map((e) => e.path);
      expect(ok.length, 'evictions').toBe(2);
      expect(new Set(ok).size).toBe(2);
      expect(w.kube.writes().filter((x) => x.method === 'PATCH' && x.query['dryRun'] === undefined)).toHaveLength(1);
      expect(w.kube.writes().filter((x) => x.method === 'DELETE')).toEqual([]);
    }
  }, 300_000);
});
