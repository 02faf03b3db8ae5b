// The remediation orchestration replayed through the SDK's executor (test/support/replay-harness.ts):
// each scenario runs cleanly, then crashes after every history step and resumes from the stored
// history, and must end the same way with every side effect applied once.
import { describe, expect, it } from 'vitest';
import { EVENT_ALERT_RESOLVED as INTAKE_EVENT } from '../../src/intake/webhook.js';
import { targetKey, type GuardPolicy, type RemediationInput } from '../../src/domain/types.js';
import type { GuardState } from '../../src/domain/guard.js';
import { ACTIVITY, EVENT_ALERT_RESOLVED, type RemediationOutput } from '../../orchestrations/remediation.js';
import { guardEntityId } from '../../orchestrations/guard-entity.js';
import { EVENT, forEachCrashPoint, when, type PlannedEvent, type ReplayHarness, type RunResult } from '../support/replay-harness.js';
import {
  DEPLOYMENT,
  POD,
  RESTARTED_AT,
  newWorld,
  notificationsOf,
  remediationHarness,
  remediationInput,
  type World,
} from '../support/replay-remediation-world.js';

const START = Date.parse('2025-01-01T00:00:00.000Z'); // the harness's default start
const GUARD = guardEntityId(DEPLOYMENT);
const ID = remediationInput().instanceId;
const resolvedWhileVerifying: PlannedEvent = { name: EVENT_ALERT_RESOLVED, input: { endsAt: '2025-01-01T00:03:00Z' }, when: when.idleIn('verifying') };

/** Another run's guard history, written through the real entity before this run starts. */
async function guardCycle(h: ReplayHarness, id: string, atSec: number, outcome: 'effective' | 'failed' | null, policy: GuardPolicy): Promise<void> {
  const now = START + atSec * 1000;
  const granted = (await h.operateEntity(GUARD, 'acquire', { instanceId: id, now, policy, leaseSeconds: 3600 })) as { granted: boolean };
  expect(granted.granted).toBe(true);
  if (outcome) await h.operateEntity(GUARD, 'release', { instanceId: id, now, outcome });
}

interface Scenario {
  name: string;
  input?: Partial<RemediationInput>;
  world?: (w: World) => void;
  seed?: (h: ReplayHarness, policy: GuardPolicy) => Promise<void>;
  events?: PlannedEvent[];
  status?: RunResult['status'];
  output?: RemediationOutput;
  error?: RegExp;
  mutations: number;
  runbookRuns: number;
  auditKinds: string[];
  /** Escalation reasons sent (sorted). */
  escalations?: string[];
  guard: Partial<GuardState> | 'untouched';
  verifyTimer?: boolean;
}

const done = { runbook: 'restart-deployment', dryRun: false, action: 'restart deployment shop/api', actedOn: DEPLOYMENT, outcome: 'done' } as const;

const scenarios: Scenario[] = [
  {
    name: 'happy path: acts once, alert resolves while verifying -> effective',
    events: [resolvedWhileVerifying],
    output: { outcome: 'effective', result: done },
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    guard: { holder: null, consecutiveFailures: 0, breaker: null },
    verifyTimer: true,
  },
  {
    name: 'alert does not resolve within verifyAfterSeconds and Alertmanager cannot be read -> unverified, counts toward the breaker, escalates',
    output: { outcome: 'unverified', result: done, reason: 'could not confirm the alert cleared: alertmanager: unknown' },
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    escalations: ['unverified'],
    guard: { holder: null, consecutiveFailures: 1, breaker: null },
    verifyTimer: true,
  },
  {
    name: 'dry-run: nothing changes, nothing counts, no verification wait',
    input: { dryRun: true },
    output: { outcome: 'dry-run', result: { ...done, dryRun: true, action: 'would restart deployment shop/api' } },
    mutations: 0,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    guard: { holder: null, actions: [], lastActionAt: null, consecutiveFailures: 0 },
  },
  {
    name: 'guard refuses: busy (another run holds the target)',
    seed: (h, p) => guardCycle(h, 'rem-other', -60, null, p),
    output: { outcome: 'refused', reason: 'busy' },
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['guard'],
    guard: { holder: expect.objectContaining({ instanceId: 'rem-other' }) as GuardState['holder'] },
  },
  {
    name: 'guard refuses: cooldown after a recent action',
    seed: (h, p) => guardCycle(h, 'rem-earlier', -120, 'effective', p),
    output: { outcome: 'refused', reason: 'cooldown' },
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['guard'],
    guard: { holder: null, lastActionAt: START - 120_000 },
  },
  {
    name: 'guard refuses: circuit open -> escalates to a human',
    seed: async (h, p) => {
      await guardCycle(h, 'rem-a', -7200, 'failed', p);
      await guardCycle(h, 'rem-b', -3600, 'failed', p);
    },
    output: { outcome: 'refused', reason: 'circuit-open' },
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['guard'],
    escalations: ['circuit-open'],
    guard: { breaker: expect.objectContaining({ since: START - 3_600_000 }) as GuardState['breaker'] },
  },
  {
    name: 'alert resolved before the target was even resolved -> no guard, no action',
    events: [{ name: EVENT_ALERT_RESOLVED, when: when.start }],
    output: { outcome: 'resolved-before-action', reason: 'alert resolved before the target was resolved' },
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['result'],
    guard: 'untouched',
  },
  {
    name: 'target cannot be resolved -> failed, nothing guarded or acted on',
    world: (w) => {
      w.resolveError = 'pods "api-7d9f8-abcde" not found';
    },
    output: { outcome: 'failed', reason: `resolveTarget failed: Activity function 'resolveTarget' failed: pods "api-7d9f8-abcde" not found` },
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['result'],
    guard: 'untouched',
  },
  {
    name: 'alert resolved while taking the guard -> lock given back, no action',
    events: [{ name: EVENT_ALERT_RESOLVED, when: when.phase('acquiring-guard') }],
    output: { outcome: 'resolved-before-action', reason: 'alert resolved before acting' },
    mutations: 0,
    runbookRuns: 0,
    auditKinds: ['result'],
    guard: { holder: null, actions: [], lastActionAt: null },
  },
  {
    name: 'alert resolved while the runbook ran -> effective without a verification wait',
    events: [{ name: EVENT_ALERT_RESOLVED, when: when.phase('acting') }],
    output: { outcome: 'effective', result: done },
    mutations: 1,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    guard: { holder: null, consecutiveFailures: 0 },
  },
  {
    name: 'action fails (activity throws) -> audited failed, guard released as failed, run completes',
    world: (w) => {
      w.runbookError = 'Internal error occurred: etcdserver: request timed out (HTTP 500)';
    },
    output: {
      outcome: 'failed',
      result: {
        ...done,
        action: 'restart-deployment on aks-prod/shop/Deployment/api',
        outcome: 'failed',
        detail: "Activity function 'runRunbook' failed: Internal error occurred: etcdserver: request timed out (HTTP 500)",
      },
    },
    mutations: 0,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    escalations: ['failed'],
    guard: { holder: null, consecutiveFailures: 1, breaker: null },
  },
  {
    name: 'a failure that reaches the threshold opens the breaker and escalates',
    seed: (h, p) => guardCycle(h, 'rem-a', -7200, 'failed', p),
    world: (w) => {
      w.runbookError = 'forbidden (HTTP 403)';
    },
    output: {
      outcome: 'failed',
      result: {
        ...done,
        action: 'restart-deployment on aks-prod/shop/Deployment/api',
        outcome: 'failed',
        detail: "Activity function 'runRunbook' failed: forbidden (HTTP 403)",
      },
    },
    mutations: 0,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    escalations: ['breaker-opened', 'failed'],
    guard: {
      holder: null,
      consecutiveFailures: 2,
      breaker: expect.objectContaining({ reason: expect.stringContaining('2 consecutive') }) as GuardState['breaker'],
    },
  },
  {
    name: 'global pause: the activity skips, the run reports skipped and nothing counts',
    world: (w) => {
      w.paused = true;
    },
    output: { outcome: 'skipped', result: { ...done, outcome: 'skipped', detail: 'paused' } },
    mutations: 0,
    runbookRuns: 1,
    auditKinds: ['action', 'result'],
    guard: { holder: null, lastActionAt: null, consecutiveFailures: 0 },
  },
  {
    name: 'audit write fails after acting -> the run fails, but only after giving the guard back',
    world: (w) => {
      w.auditFailsFor = 'action';
    },
    events: [resolvedWhileVerifying],
    status: 'failed',
    error: /audit table unavailable/,
    mutations: 1,
    runbookRuns: 1,
    auditKinds: [],
    guard: { holder: null, consecutiveFailures: 1 },
  },
];

interface Run {
  h: ReplayHarness;
  world: World;
}

async function start(s: Scenario): Promise<Run> {
  const world = newWorld();
  s.world?.(world);
  const input = remediationInput(s.input);
  const h = remediationHarness(world, input, s.events);
  await s.seed?.(h, input.guard);
  return { h, world };
}

function auditKinds(w: World): string[] {
  return [...w.audit.values()].map((r) => r.kind).sort();
}

describe('remediation orchestration (replayed through the SDK executor)', () => {
  for (const s of scenarios) {
    describe(s.name, () => {
      it('ends as expected', async () => {
        const { h, world } = await start(s);
        const r = await h.run();
        expect(r.status).toBe(s.status ?? 'completed');
        if (s.output) expect(r.output).toEqual(s.output);
        if (s.error) expect(r.error).toMatch(s.error);
        expect(world.mutations).toBe(s.mutations);
        expect(h.store.invocations[ACTIVITY.runRunbook] ?? 0).toBe(s.runbookRuns);
        expect(auditKinds(world)).toEqual([...s.auditKinds].sort());
        for (const rec of world.audit.values()) expect(rec.id).toBe(`${ID}:${rec.kind}`);
        expect(
          notificationsOf(world, 'escalation')
            .map((n) => n.reason)
            .sort(),
        ).toEqual(s.escalations ?? []);
        if (s.guard === 'untouched') expect(h.entityState(GUARD)).toBeUndefined();
        else expect(h.entityState<GuardState>(GUARD)).toMatchObject(s.guard);
        const timers = h.store.history.filter((e) => e.EventType === EVENT.TimerCreated);
        expect(timers).toHaveLength(s.verifyTimer ? 1 : 0);
      });

      it('crash after every step, resume from history: same end, side effects once (at-least-once re-run is idempotent)', async () => {
        const runs = new Map<ReplayHarness, Run>();
        let clean: Run | undefined;
        let rerunsOfRunbook = 0;
        const make = async () => {
          const run = await start(s);
          clean ??= run;
          runs.set(run.h, run);
          return run.h;
        };
        const { points } = await forEachCrashPoint(make, (h, r, at, cleanResult) => {
          // The restarted harness shares the crashed one's world (same activity fakes).
          const run = [...runs.values()].at(-1)!;
          const c = clean!;
          expect(r.status).toBe(cleanResult.status);
          expect(r.error).toEqual(cleanResult.error);
          const runbookRerun = at.kind === 'ran' && at.what.startsWith(`ran ${ACTIVITY.runRunbook}`);
          if (runbookRerun) {
            rerunsOfRunbook++;
            // Ran twice, changed the cluster once, and said so; the run's verdict is unchanged.
            expect(h.store.invocations[ACTIVITY.runRunbook]).toBe(2);
            const out = r.output as RemediationOutput | undefined;
            const cleanOut = cleanResult.output as RemediationOutput | undefined;
            if (out && cleanOut) {
              expect(out.outcome).toBe(cleanOut.outcome);
              if (s.mutations > 0) expect(out.result?.outcome).toBe('already-done');
            }
          } else {
            expect(r.output).toEqual(cleanResult.output);
            expect(h.store.invocations[ACTIVITY.runRunbook] ?? 0).toBe(s.runbookRuns);
          }
          expect(run.world.mutations).toBe(c.world.mutations);
          expect(run.world.deployments).toEqual(c.world.deployments);
          // Same rows (ids are instanceId + step); after a runbook re-run its row reports what the re-run saw.
          expect([...run.world.audit.keys()].sort()).toEqual([...c.world.audit.keys()].sort());
          for (const [id, row] of c.world.audit) {
            if (runbookRerun && s.mutations > 0 && row.kind === 'action')
              expect(run.world.audit.get(id)).toMatchObject({ ...row, result: 'already-done', detail: expect.stringContaining('restartedAt already') });
            else expect(run.world.audit.get(id)).toEqual(row);
          }
          // Ids (one per message kind and reason) must match; after a runbook re-run the result text says already-done.
          if (runbookRerun && s.mutations > 0) expect([...run.world.notifications.keys()].sort()).toEqual([...c.world.notifications.keys()].sort());
          else expect(run.world.notifications).toEqual(c.world.notifications);
          expect(h.entityState(GUARD)).toEqual(clean!.h.entityState(GUARD));
        });
        expect(points).toBeGreaterThan(10);
        expect(rerunsOfRunbook).toBe(s.runbookRuns);
      });

      it('is deterministic: replaying the final history yields no new actions', async () => {
        const { h } = await start(s);
        const r = await h.run();
        const again = await h.replay();
        expect(again.newActions).toEqual([]);
        if (r.status === 'completed') expect(again).toMatchObject({ isDone: true, output: r.output });
        else expect(again.error).toEqual(r.error);
      });
    });
  }

  it('acts on the resolved target (the Deployment), guards it, and stamps restartedAt with orchestration time', async () => {
    const world = newWorld();
    const h = remediationHarness(world, remediationInput(), [resolvedWhileVerifying]);
    await h.run();
    expect(h.entityState(guardEntityId(POD))).toBeUndefined();
    const scheduled = h.store.history.find((e) => e.EventType === EVENT.TaskScheduled && e['Name'] === ACTIVITY.runRunbook)!;
    const input = JSON.parse(scheduled['Input'] as string) as { restartedAt: string; target: unknown; instanceId: string };
    expect(input.target).toEqual(DEPLOYMENT);
    expect(input.instanceId).toBe(ID);
    expect(world.deployments.get(targetKey(DEPLOYMENT))?.[RESTARTED_AT]).toBe(input.restartedAt);
    // Orchestration time of the episode that scheduled it, not the wall clock.
    expect(Date.parse(input.restartedAt) - START).toBeLessThan(60_000);
    const action = world.audit.get(`${ID}:action`)!;
    expect(action).toMatchObject({
      kind: 'action',
      actor: 'orchestration',
      target: 'aks-prod/shop/Deployment/api',
      alertname: 'KubePodCrashLooping',
      rule: 'crashloop-restart',
      result: 'done',
      dryRun: false,
    });
  });

  it('reports its phases in the custom status', async () => {
    const h = remediationHarness(newWorld(), remediationInput(), [resolvedWhileVerifying]);
    await h.run();
    expect(h.store.customStatusLog.map((s) => (s as { phase: string }).phase)).toEqual([
      'resolving-target',
      'acquiring-guard',
      'planning',
      'acting',
      'verifying',
      'releasing-guard',
      'notifying',
      'auditing',
      'done',
    ]);
    expect(h.store.customStatus).toMatchObject({
      phase: 'done',
      runbook: 'restart-deployment',
      dryRun: false,
      target: 'aks-prod/shop/Deployment/api',
      outcome: 'effective',
      plan: { summary: 'restart deployment shop/api' },
    });
  });

  it('a second alert for the same target right after a remediation is refused by cooldown', async () => {
    const world = newWorld();
    const first = remediationHarness(world, remediationInput(), [resolvedWhileVerifying]);
    await first.run();
    const second = remediationHarness(world, remediationInput({ instanceId: 'rem-second' }));
    second.store.entities = structuredClone(first.store.entities);
    const r = await second.run();
    expect(r.output).toEqual({ outcome: 'refused', reason: 'cooldown' });
    expect(world.mutations).toBe(1);
  });

  it('keeps credentials an activity error carries out of the output and the audit', async () => {
    const world = newWorld();
    world.runbookError = 'Unauthorized: Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl rejected';
    const h = remediationHarness(world, remediationInput());
    const r = await h.run();
    const text = JSON.stringify([r.output, [...world.audit.values()]]);
    expect(text).not.toContain('eyJhbGciOiJSUzI1NiJ9');
    expect(text).toContain('[REDACTED]');
  });

  it('uses the event name the intake raises', () => {
    expect(EVENT_ALERT_RESOLVED).toBe(INTAKE_EVENT);
  });
});
