// The refusals planRunbook and runRunbook make before any Kubernetes call (src/runbooks/run.ts),
// over the strict fake API server through the real client: unknown runbooks, protected namespaces,
// the pause switch, and a plan the cluster forbids. Mutation testing (issue #19) runs this file.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { freePort } from '../support/net.js';
import { KubeCallError, planFor } from '../../src/runbooks/module.js';
import { parseConfig } from '../../src/config/load.js';
import { createKubeAccess } from '../../src/adapters/kube.js';
import { MODULES, planRunbook, runRunbook, type RunbookEnv } from '../../src/runbooks/run.js';
import type { PlanRunbookInput, RunRunbookInput, Target } from '../../src/domain/types.js';

let kube: FakeKubeApiServer;
let kubeconfigPath: string;
let context: string;
const AT = '2025-03-01T10:15:00Z';

beforeAll(async () => {
  kube = await startFakeKubeApiServer({ token: 'kube-test-token' });
  const kc = kube.kubeConfig();
  kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'plan-refusal-')), 'kubeconfig');
  writeFileSync(kubeconfigPath, kc.exportConfig());
  context = kc.getCurrentContext();
});
afterAll(async () => {
  await kube.stop();
});

function env(paused: { paused: boolean; reason: string | null } = { paused: false, reason: null }, path = kubeconfigPath): RunbookEnv {
  const config = parseConfig(`
version: 1
protected: { namespaces: [monitoring] }
clusters: [{ name: ms5-prod, kubeContext: ${context}, protectedNamespaces: [payments] }]
`);
  return { config, kube: createKubeAccess({ kubeconfigPath: path }), isPaused: async () => paused };
}
const deploy = (namespace: string): Target => ({ cluster: 'ms5-prod', namespace, kind: 'Deployment', name: 'api' });
const plan = (runbook: string, target: Target): PlanRunbookInput => ({ runbook, params: {}, target, instanceId: 'rem-test-0001', at: AT });
const run = (runbook: string, target: Target, over: Partial<RunRunbookInput> = {}): RunRunbookInput => ({
  runbook,
  params: {},
  target,
  instanceId: 'rem-test-0001',
  restartedAt: AT,
  dryRun: false,
  source: 'alert',
  ...over,
});

describe('planRunbook refuses before reading the cluster', () => {
  it('a runbook this version does not implement is a refusal naming it, not an error', async () => {
    const p = await planRunbook(env(), plan('delete-everything', deploy('shop')));
    expect(p.refusal).toBe('runbook delete-everything has no implementation in this version');
    expect(p.summary).toBe('delete-everything on ms5-prod/shop/Deployment/api');
    expect(p.steps).toEqual([]);
  });

  it("a namespace protected by the cluster's config or globally, or always, is refused with the reason", async () => {
    const before = kube.requests.length;
    const payments = await planRunbook(env(), plan('rollout-restart', deploy('payments')));
    expect(payments.refusal).toBe('protected: namespace payments is protected by config');
    expect(payments.steps).toEqual([]);
    expect((await planRunbook(env(), plan('rollout-restart', deploy('monitoring')))).refusal).toBe('protected: namespace monitoring is protected by config');
    expect((await planRunbook(env(), plan('rollout-restart', deploy('kube-system')))).refusal).toBe('protected: namespace kube-system is always protected');
    expect(kube.requests.length).toBe(before);
  });

  it('a plan the cluster forbids (403) is a "cannot plan" refusal; an ordinary namespace is planned from the cluster', async () => {
    kube.seed('deployments', {
      metadata: { name: 'api', namespace: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'x:1' }] } },
      },
    });
    const ok = await planRunbook(env(), plan('rollout-restart', deploy('shop')));
    expect(ok.refusal).toBeUndefined();
    expect(ok.target).toEqual(deploy('shop'));
    kube.forbid('get', 'deployments');
    const denied = await planRunbook(env(), plan('rollout-restart', deploy('shop')));
    expect(denied.refusal?.startsWith('cannot plan: cluster ms5-prod: get deployment shop/api failed: ')).toBe(true);
    expect(denied.steps).toEqual([]);
  });

  it('notify-only plans without a cluster call, even for a cluster the config does not know', async () => {
    const before = kube.requests.length;
    const p = await planRunbook(env(), plan('notify-only', deploy('shop')));
    expect(p.refusal).toBeUndefined();
    expect(p.steps).toEqual(['tell the notification targets; change nothing']);
    expect(kube.requests.length).toBe(before);
    const elsewhere = await planRunbook(env(), plan('notify-only', { ...deploy('shop'), cluster: 'elsewhere' }));
    expect(elsewhere.refusal).toBeUndefined();
  });
});

describe("planRunbook hands the alert's labels to the runbook's plan", () => {
  // run-job passes them to its Job as ALERT_LABEL_* variables; the plan is where a runbook first sees them.
  it('an acting and a notify-only runbook get the labels when the alert has them, and no labels field when it has none', async () => {
    const labels = { alertname: 'KubePodCrashLooping', severity: 'critical' };
    const acting = vi.spyOn(MODULES['rollout-restart'], 'plan');
    const notify = vi.spyOn(MODULES['notify-only'], 'plan');
    try {
      await planRunbook(env(), { ...plan('rollout-restart', deploy('shop')), labels });
      await planRunbook(env(), plan('rollout-restart', deploy('shop')));
      await planRunbook(env(), { ...plan('notify-only', deploy('shop')), labels });
      await planRunbook(env(), plan('notify-only', deploy('shop')));
      for (const spy of [acting, notify]) {
        const args = spy.mock.calls.map((c) => c[1]);
        expect(args).toHaveLength(2);
        expect(args[0]).toMatchObject({ target: deploy('shop'), at: AT, instanceId: 'rem-test-0001', labels });
        expect(args[0]?.labels).toStrictEqual(labels);
        expect(Object.keys(args[1] ?? {})).not.toContain('labels');
      }
    } finally {
      acting.mockRestore();
      notify.mockRestore();
    }
  });
});

describe("planRunbook re-checks the namespace of the plan's own target", () => {
  // Defence in depth: a runbook may plan on another object than the alert's (run-job plans its Job in the
  // template's namespace). No runbook of this version plans into a protected namespace without refusing,
  // so a runbook that would is simulated by replacing rollout-restart's plan.
  it('a plan whose target is in a protected namespace is refused naming it; a refusal the runbook made itself is kept', async () => {
    const moved: Target = { ...deploy('payments'), kind: 'Job', name: 'cleanup' };
    const spy = vi.spyOn(MODULES['rollout-restart'], 'plan');
    try {
      spy.mockResolvedValueOnce(planFor('rollout-restart', moved, 'run job payments/cleanup', ['create job payments/cleanup']));
      const p = await planRunbook(env(), plan('rollout-restart', deploy('shop')));
      expect(p.refusal).toBe('protected: namespace payments is protected by config');
      expect(p.target).toEqual(moved);
      spy.mockResolvedValueOnce(planFor('rollout-restart', moved, 'run job payments/cleanup', [], { refusal: 'namespace payments is protected' }));
      expect((await planRunbook(env(), plan('rollout-restart', deploy('shop')))).refusal).toBe('namespace payments is protected');
      spy.mockResolvedValueOnce(planFor('rollout-restart', { ...moved, namespace: 'jobs' }, 'run job jobs/cleanup', ['create job jobs/cleanup']));
      expect((await planRunbook(env(), plan('rollout-restart', deploy('shop')))).refusal).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('planRunbook throws what a retry can fix, and what is not a cluster answer', () => {
  it('an unreachable API server (retryable) is thrown for the activity retry, not turned into a refusal', async () => {
    const closed = join(mkdtempSync(join(tmpdir(), 'plan-refusal-closed-')), 'kubeconfig');
    const original = readFileSync(kubeconfigPath, 'utf8');
    const moved = original.replace(/(https?:\/\/127\.0\.0\.1:)\d+/, `$1${await freePort()}`);
    expect(moved).not.toBe(original);
    writeFileSync(closed, moved);
    const e: unknown = await planRunbook(env(undefined, closed), plan('rollout-restart', deploy('shop'))).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(KubeCallError);
    expect((e as KubeCallError).retryable).toBe(true);
  });

  it('an acting runbook on a cluster the config does not know is an error, not a "cannot plan" refusal', async () => {
    const e: unknown = await planRunbook(env(), plan('rollout-restart', { ...deploy('shop'), cluster: 'elsewhere' })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(KubeCallError);
  });
});

describe('runRunbook refuses before acting', () => {
  it('an unknown runbook, a protected namespace: skipped with the reason, nothing written', async () => {
    expect(await runRunbook(env(), run('delete-everything', deploy('shop')))).toEqual({
      runbook: 'delete-everything',
      dryRun: false,
      action: 'nothing',
      actedOn: deploy('shop'),
      outcome: 'skipped',
      detail: 'runbook delete-everything has no implementation in this version',
    });
    expect(await runRunbook(env(), run('rollout-restart', deploy('payments')))).toMatchObject({
      outcome: 'skipped',
      action: 'nothing',
      detail: 'protected: namespace payments is protected by config',
    });
    expect(kube.writes()).toEqual([]);
  });

  it('the pause switch stops automated runs with its reason (or a default), never manual ones', async () => {
    expect(await runRunbook(env({ paused: true, reason: 'incident 42' }), run('rollout-restart', deploy('shop')))).toMatchObject({
      outcome: 'skipped',
      detail: 'paused: incident 42',
    });
    expect(await runRunbook(env({ paused: true, reason: null }), run('rollout-restart', deploy('shop')))).toMatchObject({
      outcome: 'skipped',
      detail: 'paused: automation is paused',
    });
    expect(kube.writes()).toEqual([]);
    const manual = await runRunbook(env({ paused: true, reason: 'incident 42' }), run('rollout-restart', deploy('shop'), { source: 'manual', dryRun: true }));
    expect(manual.outcome).not.toBe('skipped');
    expect(manual.detail ?? '').not.toMatch(/^paused/);
  });
});
