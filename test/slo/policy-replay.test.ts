// The error-budget policy in the remediation, replayed through the SDK executor with a crash
// after every step: the same alert (a rollout restart, which restarts healthy replicas) acts
// when the budget is healthy, waits while it is spent and acts once it recovers, gives up and
// escalates when it never does, asks a human under an `approval` policy, fails closed when the
// state cannot be read, and never holds a restorative restart of a crash-looping pod.
import { describe, expect, it } from 'vitest';
import { sloSchema, errorBudgetPolicySchema } from '../../src/config/slo-schema.js';
import type { OpsConfig } from '../../src/config/schema.js';
import type { RemediationInput } from '../../src/domain/types.js';
import { sloState, type SloState } from '../../src/slo/budget.js';
import { errorBudgetGateActivity, type ErrorBudgetGateInput } from '../../src/slo/activities.js';
import type { StoredSlo } from '../../src/adapters/slo-store.js';
import { ACTIVITY, EVENT_APPROVAL, remediationOrchestrator, type RemediationOutput } from '../../orchestrations/remediation.js';
import { GUARD_ENTITY, guardEntity } from '../../orchestrations/guard-entity.js';
import { EVENT, createReplayHarness, forEachCrashPoint, when, type ReplayHarness } from '../support/replay-harness.js';
import { activitiesFor, newWorld, notificationsOf, remediationInput, type World } from '../support/replay-remediation-world.js';

const slo = sloSchema.parse({
  name: 'api-availability',
  service: 'fastapi-backend',
  objective: 99.5,
  window: '28d',
  sli: { events: { good: 'g[{{window}}]', total: 't[{{window}}]' } },
});

function config(whenExhausted: 'wait' | 'approval'): OpsConfig {
  const policy = errorBudgetPolicySchema.parse({
    name: 'shop-freeze',
    slos: ['api-availability'],
    scope: { clusters: ['aks-prod'], namespaces: ['shop'] },
    whenExhausted,
    maxWait: '1h',
    recheckEvery: '15m',
  });
  return { slo: { prometheus: { url: 'http://prometheus:9090', auth: 'none' }, objectives: [slo], policies: [policy] } } as unknown as OpsConfig;
}

const ALL = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];
const ratios = (windowRatio: number) => Object.fromEntries([...ALL.map((w) => [w, 0.001]), ['28d', windowRatio]]);
const HEALTHY = (at: string): SloState => sloState(slo, ratios(0.001), at);
const SPENT = (at: string): SloState => sloState(slo, ratios(0.006), at);

interface Case {
  whenExhausted: 'wait' | 'approval';
  /** The budget as the gate reads it, by orchestration time (minutes after the start): a function of time, not of calls, so an activity that runs twice (at least once) reads the same. */
  budget: (minutes: number) => 'healthy' | 'spent' | 'unreadable';
  runbook?: string;
  approve?: boolean;
}

function start(c: Case): { h: ReplayHarness; world: World; gateCalls: () => number } {
  const world = newWorld();
  const cfg = config(c.whenExhausted);
  let calls = 0;
  const gate = async (input: ErrorBudgetGateInput) => {
    const b = c.budget((Date.parse(input.at) - Date.parse('2025-01-01T00:00:00Z')) / 60_000);
    calls++;
    if (b === 'unreadable') throw new Error('control table unavailable (503)');
    const state = b === 'healthy' ? HEALTHY(input.at) : SPENT(input.at);
    return errorBudgetGateActivity({ config: cfg, store: { all: async () => new Map<string, StoredSlo>([[slo.name, { state, lastNotified: null }]]) } }, input);
  };
  const input: RemediationInput = remediationInput({ runbook: c.runbook ?? 'rollout-restart', errorBudget: { maxWaitSeconds: 3600 } });
  const h = createReplayHarness({
    orchestrator: remediationOrchestrator,
    name: 'remediation',
    instanceId: input.instanceId,
    input,
    activities: { ...activitiesFor(world), [ACTIVITY.errorBudgetGate]: gate },
    entities: { [GUARD_ENTITY]: guardEntity },
    events: c.approve ? [{ name: EVENT_APPROVAL, input: { decision: 'approve', by: 'alice@contoso.com' }, when: when.idleIn('awaiting-approval') }] : [],
  });
  return { h, world, gateCalls: () => calls };
}

interface Expect {
  outcome: RemediationOutput['outcome'];
  mutations: number;
  policyAudit: string[];
  escalations: string[];
  timers: number;
}

const cases: [string, Case, Expect][] = [
  [
    'healthy budget: the rollout restart acts at once',
    { whenExhausted: 'wait', budget: () => 'healthy' },
    { outcome: 'unverified', mutations: 1, policyAudit: [], escalations: ['unverified'], timers: 1 },
  ],
  [
    'spent budget: the same alert waits, then acts once the budget recovers',
    { whenExhausted: 'wait', budget: (m) => (m < 25 ? 'spent' : 'healthy') },
    { outcome: 'unverified', mutations: 1, policyAudit: ['held', 'released'], escalations: ['unverified'], timers: 3 },
  ],
  [
    'spent budget that never recovers: nothing is done, the run escalates',
    { whenExhausted: 'wait', budget: () => 'spent' },
    { outcome: 'timed-out', mutations: 0, policyAudit: ['held'], escalations: ['timed-out'], timers: 4 },
  ],
  [
    'approval policy: a human approves, then it acts',
    { whenExhausted: 'approval', budget: () => 'spent', approve: true },
    { outcome: 'unverified', mutations: 1, policyAudit: ['approval-required'], escalations: ['unverified'], timers: 2 },
  ],
  [
    'unreadable budget: fails closed to an approval',
    { whenExhausted: 'wait', budget: () => 'unreadable', approve: true },
    { outcome: 'unverified', mutations: 1, policyAudit: ['approval-required'], escalations: ['unverified'], timers: 2 },
  ],
  [
    'restart of a crash-looping pod (restorative) runs although the budget is spent',
    { whenExhausted: 'wait', budget: () => 'spent', runbook: 'restart-pod' },
    { outcome: 'unverified', mutations: 1, policyAudit: [], escalations: ['unverified'], timers: 1 },
  ],
];

function check(e: Expect, h: ReplayHarness, world: World, out: RemediationOutput): void {
  expect(out.outcome).toBe(e.outcome);
  expect(world.mutations).toBe(e.mutations);
  const policy = [...world.audit.values()].filter((r) => r.kind === 'policy');
  expect(policy.map((r) => r.decision)).toEqual(e.policyAudit);
  for (const r of policy) expect(r.detail).toMatch(/error budget of SLO api-availability is spent|allows it again|error budget could not be read/);
  expect(notificationsOf(world, 'escalation').map((n) => n.reason)).toEqual(e.escalations);
  expect(h.store.history.filter((x) => x.EventType === EVENT.TimerCreated)).toHaveLength(e.timers);
}

describe('error-budget policy in the remediation (replayed)', () => {
  for (const [name, c, e] of cases) {
    describe(name, () => {
      it('ends as the policy says', async () => {
        const { h, world, gateCalls } = start(c);
        const r = await h.run();
        expect(r.status, r.error).toBe('completed');
        check(e, h, world, r.output as RemediationOutput);
        if (c.runbook === 'restart-pod') expect(gateCalls()).toBe(0);
        if (c.budget(0) === 'unreadable') expect(notificationsOf(world, 'approval-request')[0]?.detail).toMatch(/error budget could not be read/);
        expect((await h.replay()).newActions).toEqual([]);
      });

      it('crash after every step: same end, the action at most once', async () => {
        const worlds: World[] = [];
        const { points } = await forEachCrashPoint(
          () => {
            const s = start(c);
            worlds.push(s.world);
            return s.h;
          },
          (h, r) => {
            expect(r.status).toBe('completed');
            check(e, h, worlds.at(-1)!, r.output as RemediationOutput);
          },
        );
        expect(points).toBeGreaterThan(5);
      }, 120_000);
    });
  }

  it('the guard lease covers the longest hold', async () => {
    const { h } = start({ whenExhausted: 'wait', budget: () => 'healthy' });
    await h.run();
    const acquire = h.store.history.find((x) => x.EventType === EVENT.EventSent)!;
    const req = JSON.parse(JSON.parse(acquire['Input'] as string).input as string) as { leaseSeconds: number };
    expect(req.leaseSeconds).toBeGreaterThanOrEqual(600 + 3600);
  });
});
