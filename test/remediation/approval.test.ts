// Approvals, long actions, closed-loop verdicts, silences and notify-only, replayed through the
// SDK executor (test/support/replay-harness.ts). Every scenario also runs crashed after every
// step and resumed from the stored history: same end, the cluster changed at most once, one
// audit row per step, one message per kind.
import { describe, expect, it } from 'vitest';
import type { GuardState } from '../../src/domain/guard.js';
import type { RemediationInput } from '../../src/domain/types.js';
import { ACTIVITY, EVENT_ALERT_RESOLVED, EVENT_APPROVAL, EVENT_CANCEL, type RemediationOutput } from '../../orchestrations/remediation.js';
import { guardEntityId } from '../../orchestrations/guard-entity.js';
import { EVENT, forEachCrashPoint, when, type PlannedEvent, type ReplayHarness } from '../support/replay-harness.js';
import { DEPLOYMENT, newWorld, notificationsOf, remediationHarness, remediationInput, type World } from '../support/replay-remediation-world.js';

const GUARD = guardEntityId(DEPLOYMENT);
const APPROVAL = { required: true, reason: 'runbook drain-node requires approval', timeoutSeconds: 1800 };
const approve = (by = 'alice@contoso.com'): PlannedEvent => ({
  name: EVENT_APPROVAL,
  input: { decision: 'approve', by },
  when: when.idleIn('awaiting-approval'),
});
const reject = (by = 'bob@contoso.com'): PlannedEvent => ({
  name: EVENT_APPROVAL,
  input: { decision: 'reject', by, comment: 'not during the sale' },
  when: when.idleIn('awaiting-approval'),
});
const resolvedWhileVerifying: PlannedEvent = { name: EVENT_ALERT_RESOLVED, input: { endsAt: '2025-01-01T00:30:00Z' }, when: when.idleIn('verifying') };

interface Scenario {
  name: string;
  input?: Partial<RemediationInput>;
  world?: (w: World) => void;
  events?: PlannedEvent[];
  outcome: RemediationOutput['outcome'];
  approvedBy?: string;
  mutations: number;
  runbookRuns: number;
  auditKinds: string[];
  approvalAudit?: { decision: string; actor: string };
  notes: { approvalRequests: number; results: string[]; escalations: string[] };
  guard: Partial<GuardState> | 'untouched';
  timers: number;
  silences?: Map<string, boolean>;
}

const scenarios: Scenario[] = [
  {
    name: 'approval required and approved: acts once, records the approver',
    input: { approval: APPROVAL },
    events: [approve(), resolvedWhileVerifying],
    outcome: 'effective',
    approvedBy: 'alice@contoso.com',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'approval', 'result'],
    approvalAudit: { decision: 'approved', actor: 'user:alice@contoso.com' },
    notes: { approvalRequests: 1, results: ['effective'], escalations: [] },
    guard: { holder: null, consecutiveFailures: 0 },
    timers: 2,
  },
  {
    name: 'approval rejected: nothing is done, who rejected is recorded',
    input: { approval: APPROVAL },
    events: [reject()],
    outcome: 'rejected',
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['approval', 'result'],
    approvalAudit: { decision: 'rejected', actor: 'user:bob@contoso.com' },
    notes: { approvalRequests: 1, results: ['rejected'], escalations: [] },
    guard: { holder: null, actions: [], lastActionAt: null },
    timers: 1,
  },
  {
    name: 'nobody decides: the timeout escalates and does not act',
    input: { approval: APPROVAL },
    outcome: 'approval-timeout',
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['approval', 'result'],
    approvalAudit: { decision: 'timeout', actor: 'orchestration' },
    notes: { approvalRequests: 1, results: [], escalations: ['approval-timeout'] },
    guard: { holder: null, actions: [], lastActionAt: null, consecutiveFailures: 0 },
    timers: 1,
  },
  {
    name: 'the alert resolves while waiting for approval: the run is cancelled',
    input: { approval: APPROVAL },
    events: [{ name: EVENT_ALERT_RESOLVED, input: { endsAt: '2025-01-01T00:05:00Z' }, when: when.idleIn('awaiting-approval') }],
    outcome: 'resolved-before-action',
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['approval', 'result'],
    approvalAudit: { decision: 'resolved', actor: 'orchestration' },
    notes: { approvalRequests: 1, results: ['resolved-before-action'], escalations: [] },
    guard: { holder: null, actions: [] },
    timers: 1,
  },
  {
    name: 'cancelled over HTTP while waiting for approval',
    input: { approval: APPROVAL },
    events: [{ name: EVENT_CANCEL, input: { by: 'carol@contoso.com' }, when: when.idleIn('awaiting-approval') }],
    outcome: 'cancelled',
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['approval', 'result'],
    approvalAudit: { decision: 'cancelled', actor: 'user:carol@contoso.com' },
    notes: { approvalRequests: 1, results: ['cancelled'], escalations: [] },
    guard: { holder: null, actions: [] },
    timers: 1,
  },
  {
    name: 'a plan that needs approval (a scale-down) waits even when the rule did not ask',
    world: (w) => {
      w.planRequiresApproval = 'scaling deployment shop/api down from 4 to 2 replicas';
    },
    events: [approve(), resolvedWhileVerifying],
    outcome: 'effective',
    approvedBy: 'alice@contoso.com',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'approval', 'result'],
    notes: { approvalRequests: 1, results: ['effective'], escalations: [] },
    guard: { holder: null },
    timers: 2,
  },
  {
    name: "a rule with approval: none waives the plan's request",
    input: { approval: { required: false, waivePlan: true, timeoutSeconds: 1800 } },
    world: (w) => {
      w.planRequiresApproval = 'scaling down';
    },
    events: [resolvedWhileVerifying],
    outcome: 'effective',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: ['effective'], escalations: [] },
    guard: { holder: null },
    timers: 1,
  },
  {
    name: 'dry-runs need no approval',
    input: { approval: APPROVAL, dryRun: true },
    outcome: 'dry-run',
    mutations: 0,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: ['dry-run'], escalations: [] },
    guard: { holder: null, actions: [] },
    timers: 0,
  },
  {
    name: 'the plan refuses (paused deployment): skipped, told, nothing done',
    world: (w) => {
      w.planRefusal = 'the deployment is paused';
    },
    outcome: 'skipped',
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['result'],
    notes: { approvalRequests: 0, results: ['skipped'], escalations: [] },
    guard: { holder: null, actions: [], lastActionAt: null },
    timers: 0,
  },
  {
    name: 'a long action: checked again on durable timers until done, acted once',
    world: (w) => {
      w.pendingChecks = 3;
    },
    events: [resolvedWhileVerifying],
    outcome: 'effective',
    mutations: 1,
    runbookRuns: 4,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: ['effective'], escalations: [] },
    guard: { holder: null },
    timers: 4,
  },
  {
    name: 'a long action that does not finish in time: timed out, reported, escalated, counted',
    input: { progress: { timeoutSeconds: 100, intervalSeconds: 30 } },
    world: (w) => {
      w.pendingChecks = 1000;
    },
    outcome: 'timed-out',
    mutations: 1,
    runbookRuns: 5,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: [], escalations: ['timed-out'] },
    guard: { holder: null, consecutiveFailures: 1 },
    timers: 4,
  },
  {
    name: 'cancelled while the action is in progress',
    world: (w) => {
      w.pendingChecks = 1000;
    },
    events: [{ name: EVENT_CANCEL, input: { by: 'carol@contoso.com' }, when: when.idleIn('waiting-for-progress') }],
    outcome: 'cancelled',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: ['cancelled'], escalations: [] },
    guard: { holder: null, consecutiveFailures: 0 },
    timers: 1,
  },
  {
    name: 'Alertmanager still shows the alert: ineffective, escalated, counts toward the breaker',
    world: (w) => {
      w.verifyAlert = 'firing';
    },
    outcome: 'ineffective',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: [], escalations: ['ineffective'] },
    guard: { holder: null, consecutiveFailures: 1 },
    timers: 1,
  },
  {
    name: 'the alert cleared but the target is unhealthy: ineffective',
    world: (w) => {
      w.verifyAlert = 'cleared';
      w.verifyHealthy = false;
    },
    outcome: 'ineffective',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: [], escalations: ['ineffective'] },
    guard: { holder: null, consecutiveFailures: 1 },
    timers: 1,
  },
  {
    name: 'Alertmanager confirms the alert cleared without a resolved notification: effective',
    world: (w) => {
      w.verifyAlert = 'cleared';
    },
    outcome: 'effective',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: ['effective'], escalations: [] },
    guard: { holder: null, consecutiveFailures: 0 },
    timers: 1,
  },
  {
    name: 'a rule with silence: created before acting, expired after verifying',
    input: { silence: { enabled: true, maxSeconds: 3600 } },
    world: (w) => {
      w.verifyAlert = 'cleared';
    },
    outcome: 'effective',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: ['effective'], escalations: [] },
    guard: { holder: null },
    timers: 1,
    silences: new Map([['silence-rem-0123456789abcdef0123456789abcdef', true]]),
  },
  {
    name: 'notify-only: one message, no guard, no action',
    input: { runbook: 'notify-only', params: { namespace: 'shop', subject: 'postgres' } },
    outcome: 'notified',
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['result'],
    notes: { approvalRequests: 0, results: ['notified'], escalations: [] },
    guard: 'untouched',
    timers: 0,
  },
  {
    name: "a manual run (no alert): verified by the target's health alone",
    input: { alert: undefined, source: 'manual', requestedBy: 'dave@contoso.com', rule: 'manual' },
    world: (w) => {
      w.verifyAlert = 'none';
    },
    outcome: 'effective',
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    notes: { approvalRequests: 0, results: ['effective'], escalations: [] },
    guard: { holder: null },
    timers: 1,
  },
];

interface Run {
  h: ReplayHarness;
  world: World;
}

function start(s: Scenario): Run {
  const world = newWorld();
  s.world?.(world);
  const input = remediationInput(s.input);
  if (s.input && 'alert' in s.input && s.input.alert === undefined) delete (input as Partial<RemediationInput>).alert;
  return { h: remediationHarness(world, input, s.events), world };
}

function check(s: Scenario, h: ReplayHarness, world: World, output: RemediationOutput): void {
  expect(output.outcome).toBe(s.outcome);
  expect(output.approvedBy).toBe(s.approvedBy);
  expect(world.mutations).toBe(s.mutations);
  expect([...world.audit.values()].map((r) => r.kind).sort()).toEqual([...s.auditKinds].sort());
  if (s.approvalAudit) expect([...world.audit.values()].find((r) => r.kind === 'approval')).toMatchObject(s.approvalAudit);
  expect(notificationsOf(world, 'approval-request')).toHaveLength(s.notes.approvalRequests);
  expect(notificationsOf(world, 'result').map((n) => n.reason)).toEqual(s.notes.results);
  expect(
    notificationsOf(world, 'escalation')
      .map((n) => n.reason)
      .sort(),
  ).toEqual(s.notes.escalations);
  if (s.guard === 'untouched') expect(h.entityState(GUARD)).toBeUndefined();
  else expect(h.entityState<GuardState>(GUARD)).toMatchObject(s.guard);
  expect(world.silences).toEqual(s.silences ?? new Map());
}

describe('remediation approvals, long actions and closed loop (replayed)', () => {
  for (const s of scenarios) {
    describe(s.name, () => {
      it('ends as expected', async () => {
        const { h, world } = start(s);
        const r = await h.run();
        expect(r.status, r.error).toBe('completed');
        check(s, h, world, r.output as RemediationOutput);
        expect(h.store.invocations[ACTIVITY.runRunbook] ?? 0).toBe(s.runbookRuns);
        expect(h.store.history.filter((e) => e.EventType === EVENT.TimerCreated)).toHaveLength(s.timers);
        const again = await h.replay();
        expect(again.newActions).toEqual([]);
      });

      it('crash after every step: same end, never a duplicated action or message', async () => {
        const runs: Run[] = [];
        const make = () => {
          const r = start(s);
          runs.push(r);
          return r.h;
        };
        const { points } = await forEachCrashPoint(make, (h, r, _at, clean) => {
          const run = runs.at(-1)!;
          expect(r.status).toBe('completed');
          expect((r.output as RemediationOutput).outcome).toBe((clean.output as RemediationOutput).outcome);
          check(s, h, run.world, r.output as RemediationOutput);
        });
        expect(points).toBeGreaterThan(5);
      }, 120_000);
    });
  }

  it('shows the plan, the approval request and the decision in the custom status', async () => {
    const h = remediationHarness(newWorld(), remediationInput({ approval: APPROVAL }), [approve(), resolvedWhileVerifying]);
    await h.run();
    const waiting = h.store.customStatusLog.find((c) => (c as { phase: string }).phase === 'awaiting-approval') as Record<string, unknown>;
    expect(waiting).toMatchObject({
      plan: { summary: 'restart deployment shop/api', steps: ['patch restartedAt'] },
      approval: { reason: APPROVAL.reason, deadline: '2025-01-01T00:30:04.000Z' },
    }); // one virtual-clock tick per message: resolve, window gate, guard, plan
    expect(h.store.customStatus).toMatchObject({ phase: 'done', outcome: 'effective', approval: { decision: 'approve', by: 'alice@contoso.com' } });
  });

  it('sends the approval request with the plan and the deadline, and the guard lease covers the wait', async () => {
    const world = newWorld();
    const h = remediationHarness(world, remediationInput({ approval: APPROVAL }), [approve(), resolvedWhileVerifying]);
    await h.run();
    const [request] = notificationsOf(world, 'approval-request');
    expect(request).toMatchObject({
      kind: 'approval-request',
      severity: 'warning',
      plan: { summary: 'restart deployment shop/api' },
      deadline: '2025-01-01T00:30:04.000Z',
      target: 'aks-prod/shop/Deployment/api',
    });
    const acquire = h.store.history.find((e) => e.EventType === EVENT.EventSent)!;
    const req = JSON.parse(JSON.parse(acquire['Input'] as string).input as string) as { leaseSeconds: number };
    expect(req.leaseSeconds).toBeGreaterThanOrEqual(600 + 1800);
  });

  it('an approval event that is not an explicit approve is a rejection', async () => {
    const world = newWorld();
    const h = remediationHarness(world, remediationInput({ approval: APPROVAL }), [
      { name: EVENT_APPROVAL, input: { decision: 'yes please', by: 'mallory' }, when: when.idleIn('awaiting-approval') },
    ]);
    const r = await h.run();
    expect((r.output as RemediationOutput).outcome).toBe('rejected');
    expect(world.mutations).toBe(0);
  });
});
