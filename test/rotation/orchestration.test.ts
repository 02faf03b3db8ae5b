// The rotation orchestration end to end with the `random` strategy: the real orchestrator and
// slots entity replayed through durable-functions' own executor, the real activities against the
// strict fake Key Vault (real SecretClient) and the strict fake Kubernetes API (real client-node)
// with the rollout simulation, audit rows in Azurite. Crashes after every step, the rollback
// path, approvals, stale requests, and a scan of everything produced for secret values.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { forEachCrashPoint, when, type ReplayHarness } from '../support/replay-harness.js';
import { START, allValues, leakNeedles, makeWorld, producedTexts, type World } from './world.js';
import type { RotationOutput } from '../../src/rotation/contracts.js';
import { TAG } from '../../src/rotation/model.js';
import { secretProviderClassPodStatus } from '../fakes/kube-rotation-resources.js';
import { policyDecisions, type BudgetHealth, type ErrorBudgetWorld } from '../support/error-budget.js';
import type { AuditRecord } from '../../src/domain/types.js';

const suffix = Math.random().toString(36).slice(2, 7);
let settings: Settings;
const worlds: World[] = [];
const INITIAL = 'initial-jwt-signing-key-0123456789abcdef';

beforeAll(() => {
  settings = readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, AUDIT_TABLE_NAME: `orch${suffix}` });
});
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.stop()));
});

const yaml =
  (opts: { approval?: boolean } = {}) =>
  (ctx: string) => `
version: 1
clusters: [{ name: prod, kubeContext: ${ctx} }]
rotation:
  rolloutTimeout: 10m
  pollInterval: 20s
  secrets:
    - name: shop-jwt-key
      strategy: random
      cluster: prod
      validityDays: 30
      random: { length: 40, alphabet: alphanumeric }
      targets: [shop/api-secrets/JWT_KEY]
      consumers: [shop/Deployment/api]
      approval: ${opts.approval === true}
`;

async function world(opts: { approval?: boolean; errorBudget?: ErrorBudgetWorld } = {}): Promise<World> {
  const w = await makeWorld({
    settings,
    rotationYaml: yaml(opts),
    ...(opts.errorBudget ? { errorBudget: opts.errorBudget } : {}),
    seed: ({ kv, kube }) => {
      kv.seed('shop-jwt-key', INITIAL, { tags: { team: 'shop' }, expiresOn: new Date(Date.now() + 5 * 86400_000) });
      kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 2 });
      kube.seed('secrets', {
        metadata: { name: 'api-secrets', namespace: 'shop' },
        data: { JWT_KEY: Buffer.from(INITIAL).toString('base64'), OTHER: Buffer.from('keep').toString('base64') },
      });
    },
  });
  worlds.push(w);
  return w;
}

function secretKey(w: World, key: string): string | undefined {
  const s = w.kube.get('secrets', 'shop', 'api-secrets') as { data?: Record<string, string> } | undefined;
  const b64 = s?.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}

function restarts(w: World) {
  return w.kube.writes().filter((r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/shop/deployments/api');
}

/** Audit rows of the world (orchestration time runs ahead of the wall clock: timers are virtual). */
async function rowsOf(w: World) {
  return (await w.audit.query({ since: '1d', until: new Date(Date.now() + 86400_000).toISOString(), limit: 1000 })).items;
}

async function expectNoLeak(w: World, harnesses: ReplayHarness[]) {
  const needles = leakNeedles(allValues(w, ['shop-jwt-key']));
  expect(needles.length).toBeGreaterThan(1);
  for (const { source, text } of await producedTexts(w, harnesses)) {
    for (const n of needles) expect(text.includes(n), `a secret value appears in ${source}`).toBe(false);
  }
}

describe('secret rotation orchestration (random strategy, real activities and clients)', () => {
  it('rotates: pending version, Kubernetes Secret updated, consumer rolled and verified, promoted; nothing leaks', async () => {
    const w = await world();
    const input = await w.input('shop-jwt-key');
    const h = w.harness(input);
    const result = await h.run();
    expect(result.status).toBe('completed');
    const out = result.output as RotationOutput;
    expect(out.outcome).toBe('rotated');
    const versions = w.kv.versions('shop-jwt-key');
    expect(versions).toHaveLength(2);
    const [old, next] = versions as [(typeof versions)[0], (typeof versions)[0]];
    expect(next.version).toBe(out.newVersion);
    expect(next.value).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(next.tags).toMatchObject({
      team: 'shop',
      [TAG.stage]: 'current',
      [TAG.rotation]: input.instanceId,
      [TAG.replaces]: old.version,
      [TAG.op]: 'create',
    });
    expect(next.exp! - next.created).toBeGreaterThanOrEqual(30 * 86400 - 5);
    expect(old.tags[TAG.stage]).toBe('previous');
    expect(secretKey(w, 'JWT_KEY')).toBe(next.value);
    expect(secretKey(w, 'OTHER')).toBe('keep');
    expect(restarts(w)).toHaveLength(1);
    expect(w.sim.rollouts.map((r) => r.phase)).toEqual(['started', 'completed']);
    // Custom status told a human where it stood, with versions only.
    expect((h.store.customStatusLog as Array<{ phase: string }>).map((s) => s.phase)).toEqual(
      expect.arrayContaining(['waiting-for-slot', 'preparing', 'creating', 'propagating', 'rolling-out', 'verifying', 'promoting', 'done']),
    );
    const rows = (await rowsOf(w)).filter((r) => r.instanceId === input.instanceId);
    expect(rows.map((r) => r.id.split(':').pop()).sort()).toEqual(['create', 'promote', 'propagate', 'result', 'roll', 'verify']);
    expect(w.notifications).toEqual([]);
    await expectNoLeak(w, [h]);
  });

  it('survives a crash after every step: one new version, one restart, same outcome, no leak anywhere', async () => {
    let current: World | undefined;
    const { points, clean } = await forEachCrashPoint(
      async () => {
        await current?.stop();
        current = await world();
        return current.harness(await current.input('shop-jwt-key'));
      },
      async (h, result, at) => {
        const w = current!;
        expect(result.status, `crash after ${at.what}`).toBe('completed');
        expect((result.output as RotationOutput).outcome, `crash after ${at.what}`).toBe('rotated');
        const versions = w.kv.versions('shop-jwt-key');
        expect(versions, `exactly one new version (crash after ${at.what})`).toHaveLength(2);
        expect(versions[1]!.tags[TAG.stage]).toBe('current');
        expect(versions[0]!.tags[TAG.stage]).toBe('previous');
        expect(secretKey(w, 'JWT_KEY'), `crash after ${at.what}`).toBe(versions[1]!.value);
        // A re-run roll finds restartedAt applied and does not patch again.
        expect(restarts(w), `crash after ${at.what}`).toHaveLength(1);
        await expectNoLeak(w, [h]);
      },
    );
    expect(clean.store.status).toBe('completed');
    expect(points).toBeGreaterThan(20);
  }, 600_000);

  it('rolls back when the rollout fails: old value restored as a new current version, re-synced, rolled again', async () => {
    const w = await world();
    w.sim.behave('shop', 'api', 'stuck');
    w.sim.onRollout = (e) => {
      if (e.phase === 'stuck') w.sim.behave('shop', 'api', 'complete');
    };
    const input = await w.input('shop-jwt-key');
    const h = w.harness(input);
    const result = await h.run();
    const out = result.output as RotationOutput;
    expect(out.outcome).toBe('rolled-back');
    expect(out.reason).toMatch(/ProgressDeadlineExceeded|progress deadline/);
    const versions = w.kv.versions('shop-jwt-key');
    expect(versions).toHaveLength(3);
    const [old, failed, restored] = versions as [(typeof versions)[0], (typeof versions)[0], (typeof versions)[0]];
    expect(restored.value).toBe(INITIAL);
    expect(restored.tags).toMatchObject({ [TAG.stage]: 'current', [TAG.op]: 'rollback', [TAG.replaces]: old.version });
    expect(failed).toMatchObject({ enabled: false });
    expect(failed.tags[TAG.stage]).toBe('failed');
    expect(secretKey(w, 'JWT_KEY')).toBe(INITIAL);
    expect(restarts(w)).toHaveLength(2);
    expect(w.notifications).toHaveLength(1);
    expect(w.notifications[0]).toMatch(/rolled-back: shop-jwt-key/);
    await expectNoLeak(w, [h]);
  });

  it('survives a crash after every step of the rollback path too: old value restored once, consumers back on it', async () => {
    let current: World | undefined;
    const { points } = await forEachCrashPoint(
      async () => {
        await current?.stop();
        current = await world();
        const w = current;
        w.sim.behave('shop', 'api', 'stuck');
        w.sim.onRollout = (e) => {
          if (e.phase === 'stuck') w.sim.behave('shop', 'api', 'complete');
        };
        return w.harness(await w.input('shop-jwt-key'));
      },
      async (h, result, at) => {
        const w = current!;
        expect((result.output as RotationOutput).outcome, `crash after ${at.what}`).toBe('rolled-back');
        const versions = w.kv.versions('shop-jwt-key');
        expect(versions, `one pending and one restored version (crash after ${at.what})`).toHaveLength(3);
        expect(versions[2]!.value).toBe(INITIAL);
        expect(versions[1]!.enabled).toBe(false);
        expect(secretKey(w, 'JWT_KEY'), `crash after ${at.what}`).toBe(INITIAL);
        expect(restarts(w), `crash after ${at.what}`).toHaveLength(2);
        await expectNoLeak(w, [h]);
      },
    );
    expect(points).toBeGreaterThan(20);
  }, 600_000);

  it('waits for approval before rolling consumers, and acts on approval', async () => {
    const w = await world({ approval: true });
    const input = await w.input('shop-jwt-key');
    const h = w.harness(input, {
      events: [{ name: 'rotationApproval', input: { approved: true, by: 'user:oncall@contoso.com' }, when: when.idleIn('awaiting-approval') }],
    });
    const result = await h.run();
    expect((result.output as RotationOutput).outcome).toBe('rotated');
    const rows = await rowsOf(w);
    expect(rows.find((r) => r.id === `${input.instanceId}:approval`)?.decision).toBe('approved');
  });

  it('rolls back a rejected rotation (value restored before any consumer was rolled)', async () => {
    const w = await world({ approval: true });
    const input = await w.input('shop-jwt-key');
    const h = w.harness(input, {
      events: [{ name: 'rotationApproval', input: { approved: false, by: 'user:oncall@contoso.com' }, when: when.idleIn('awaiting-approval') }],
    });
    const result = await h.run();
    expect((result.output as RotationOutput).outcome).toBe('rejected');
    expect(secretKey(w, 'JWT_KEY')).toBe(INITIAL);
    expect(w.kv.latest('shop-jwt-key')!.value).toBe(INITIAL);
  });

  it('does nothing for a stale request (the version is no longer current)', async () => {
    const w = await world();
    const input = await w.input('shop-jwt-key');
    w.kv.seed('shop-jwt-key', 'rotated-by-a-human-0000000000');
    const result = await w.harness(input).run();
    expect((result.output as RotationOutput).outcome).toBe('stale');
    expect(w.kv.versions('shop-jwt-key')).toHaveLength(2);
    expect(restarts(w)).toHaveLength(0);
  });

  it('dry-run says what it would do and changes nothing', async () => {
    const w = await world();
    const input = await w.input('shop-jwt-key', { dryRun: true });
    const result = await w.harness(input).run();
    expect(result.output).toMatchObject({ outcome: 'dry-run', reason: expect.stringMatching(/would store a new random value/) });
    expect(w.kv.versions('shop-jwt-key')).toHaveLength(1);
    expect(w.kube.writes()).toHaveLength(0);
  });

  describe('consumers that mount the secret with the Secrets Store CSI driver', () => {
    const csiYaml = (ctx: string) => `
version: 1
clusters: [{ name: prod, kubeContext: ${ctx} }]
rotation:
  secrets:
    - name: web-token
      strategy: random
      cluster: prod
      csi: { namespace: shop, secretProviderClass: kv-web }
      consumers: [shop/Deployment/web]
`;
    async function csiWorld(mountsNewVersion: boolean) {
      const w = await makeWorld({
        settings,
        rotationYaml: csiYaml,
        seed: ({ kv, kube }) => {
          const v = kv.seed('web-token', 'csi-initial-token-000000000000');
          const { pods } = kube.seedDeployment({ namespace: 'shop', name: 'web', replicas: 2 });
          for (const p of pods)
            kube.seed(
              'secretproviderclasspodstatuses',
              secretProviderClassPodStatus({
                namespace: 'shop',
                podName: p.metadata.name!,
                secretProviderClass: 'kv-web',
                objects: [{ id: 'secret/web-token', version: v }],
              }),
            );
        },
      });
      worlds.push(w);
      // The CSI driver mounts the vault's latest version into each new pod (or, when it has not
      // picked the new version up, the old one).
      w.sim.onRollout = (e) => {
        if (e.phase !== 'completed') return;
        const versions = w.kv.versions('web-token').filter((v) => v.enabled);
        const version = mountsNewVersion ? versions.at(-1)!.version : versions[0]!.version;
        for (const pod of e.pods) {
          if (!w.kube.get('secretproviderclasspodstatuses', 'shop', `${pod}-shop-kv-web`)) {
            w.kube.seed(
              'secretproviderclasspodstatuses',
              secretProviderClassPodStatus({ namespace: 'shop', podName: pod, secretProviderClass: 'kv-web', objects: [{ id: 'secret/web-token', version }] }),
            );
          }
        }
      };
      return w;
    }

    it('writes no Kubernetes Secret, rolls the consumer and verifies every new pod mounts the new version', async () => {
      const w = await csiWorld(true);
      const result = await w.harness(await w.input('web-token')).run();
      expect((result.output as RotationOutput).outcome).toBe('rotated');
      expect(w.kube.writes().filter((r) => r.path.includes('/secrets'))).toHaveLength(0);
      const rows = await rowsOf(w);
      expect(rows.find((r) => r.id.endsWith(':verify'))?.detail).toMatch(/2 pod\(s\) mount version [0-9a-f]{32} through the CSI driver/);
    });

    it('rolls back when the pods still mount the old version', async () => {
      const w = await csiWorld(false);
      const result = await w.harness(await w.input('web-token')).run();
      const out = result.output as RotationOutput;
      expect(out.outcome).toBe('rolled-back');
      expect(out.reason).toMatch(/mounts version [0-9a-f]{32} of web-token, not/);
      expect(w.kv.latest('web-token')!.value).toBe('csi-initial-token-000000000000');
    });
  });
});

describe('error-budget policy on the roll-out (replayed, crash after every step)', () => {
  // The harness starts at START; the budget is a function of minutes after it.
  const minutes = (at: string) => (Date.parse(at) - Date.parse(START)) / 60_000;
  const cases: { name: string; health: (m: number) => BudgetHealth; outcome: string; versions: number; restarts: number; audit: string[] }[] = [
    { name: 'healthy budget: rotates and rolls consumers once', health: () => 'healthy', outcome: 'rotated', versions: 2, restarts: 1, audit: [] },
    {
      name: 'spent budget that recovers: waits before creating anything, then rotates once',
      health: (m) => (m < 20 ? 'spent' : 'healthy'),
      outcome: 'rotated',
      versions: 2,
      restarts: 1,
      audit: ['held', 'released'],
    },
    {
      name: 'spent budget that never recovers: skipped after maxWait, nothing created or restarted',
      health: () => 'spent',
      outcome: 'skipped',
      versions: 1,
      restarts: 0,
      audit: ['held', 'expired'],
    },
  ];
  for (const c of cases) {
    it(c.name, { timeout: 600_000 }, async () => {
      let current: World | undefined;
      let rows: AuditRecord[] = [];
      // The healthy path is the crash test above plus one gate call: run it once (the machine is shared).
      const crashes =
        c.audit.length > 0
          ? forEachCrashPoint
          : async (
              make: () => Promise<ReplayHarness>,
              check: (h: ReplayHarness, r: Awaited<ReturnType<ReplayHarness['run']>>, at: { what: string }) => void,
            ) => {
              const h = await make();
              const r = await h.run();
              check(h, r, { what: 'nothing (clean run)' });
              return { clean: h, cleanResult: r };
            };
      const { clean, cleanResult } = await crashes(
        async () => {
          await current?.stop();
          rows = [];
          current = await world({
            errorBudget: { health: (at) => c.health(minutes(at)), scope: { clusters: ['prod'] }, maxWait: '1h', recheckEvery: '15m', rows },
          });
          return current.harness(await current.input('shop-jwt-key'));
        },
        (_h, result, at) => {
          const w = current!;
          expect((result.output as RotationOutput).outcome, `crash after ${at.what}`).toBe(c.outcome);
          expect(w.kv.versions('shop-jwt-key'), `crash after ${at.what}`).toHaveLength(c.versions);
          expect(restarts(w), `crash after ${at.what}`).toHaveLength(c.restarts);
          expect(policyDecisions(rows)).toEqual(c.audit);
        },
      );
      if (c.outcome === 'skipped') {
        expect((cleanResult.output as RotationOutput).reason).toMatch(
          /error budget of SLO api-availability is spent .*still held after 60 minutes, so nothing was done/,
        );
        expect(current!.notifications.join('\n')).toMatch(/skipped/);
      }
      expect(clean.store.invocations['errorBudgetGate']).toBe(c.audit.length === 0 ? 1 : c.outcome === 'skipped' ? 5 : 3);
    });
  }

  it('approval policy: a spent budget makes the roll-out wait for a human, who approves', async () => {
    const rows: AuditRecord[] = [];
    const w = await world({ errorBudget: { health: () => 'spent', whenExhausted: 'approval', rows } });
    const h = w.harness(await w.input('shop-jwt-key'), {
      events: [{ name: 'rotationApproval', input: { approved: true, by: 'alice@contoso.com' }, when: when.idleIn('awaiting-approval') }],
    });
    const r = await h.run();
    expect((r.output as RotationOutput).outcome).toBe('rotated');
    expect(restarts(w)).toHaveLength(1);
    expect(policyDecisions(rows)).toEqual(['approval-required']);
    expect(rows[0]).toMatchObject({
      kind: 'policy',
      target: 'keyvault/shop-jwt-key',
      detail: expect.stringMatching(/^rotation rotate shop-jwt-key on prod: the error budget of SLO api-availability is spent/),
    });
  });
});
