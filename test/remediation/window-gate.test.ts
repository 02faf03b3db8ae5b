// The window gate inside the remediation orchestration, replayed through the SDK executor with a
// crash after every step: an action blocked by a maintenance window waits on a durable timer
// until the window ends and then acts exactly once; a freeze turns it into an approval; an
// expired wait and a "skip" window end the run as skipped, recorded in the audit.
import { describe, expect, it } from 'vitest';
import { windowsSchema } from '../../src/config/windows-schema.js';
import { EVENT_ALERT_RESOLVED, EVENT_APPROVAL } from '../../orchestrations/remediation.js';
import { remediationOrchestrator } from '../../orchestrations/remediation.js';
import { GUARD_ENTITY, guardEntity } from '../../orchestrations/guard-entity.js';
import { ACTIVITY } from '../../orchestrations/remediation-run.js';
import { createReplayHarness, EVENT, forEachCrashPoint, when, type PlannedEvent, type ReplayHarness } from '../support/replay-harness.js';
import { DEPLOYMENT, RESTARTED_AT, activitiesFor, newWorld, notificationsOf, remediationInput, type World } from '../support/replay-remediation-world.js';
import { targetKey, type RemediationInput } from '../../src/domain/types.js';

// Saturday 24 October 2026 is the last Saturday of BST: 02:00-04:00 London = 01:00-03:00Z.
const WINDOWS = (over: Record<string, unknown> = {}) =>
  windowsSchema.parse({
    timeIntervals: [
      { name: 'tsdb-upgrade', time_intervals: [{ weekdays: ['saturday'], times: [{ start_time: '02:00', end_time: '04:00' }], location: 'Europe/London' }] },
      { name: 'december', time_intervals: [{ months: ['december'], location: 'Europe/London' }] },
    ],
    policies: [
      { name: 'tsdb-upgrade', kind: 'maintenance', intervals: ['tsdb-upgrade'], scope: { clusters: ['aks-prod'], namespaces: ['shop'] }, ...over },
      { name: 'december-freeze', kind: 'freeze', intervals: ['december'] },
    ],
  });

const resolvedWhileVerifying: PlannedEvent = { name: EVENT_ALERT_RESOLVED, input: { endsAt: '2026-10-24T03:05:00Z' }, when: when.idleIn('verifying') };

function harness(
  world: World,
  startTime: string,
  input: RemediationInput = remediationInput(),
  events: PlannedEvent[] = [resolvedWhileVerifying],
): ReplayHarness {
  return createReplayHarness({
    orchestrator: remediationOrchestrator,
    name: 'remediation',
    instanceId: input.instanceId,
    input,
    activities: activitiesFor(world),
    entities: { [GUARD_ENTITY]: guardEntity },
    events,
    startTime,
  });
}

const windowRows = (w: World) => [...w.audit.values()].filter((r) => r.id.startsWith('window:'));

describe('remediation inside a maintenance window (replayed, crash after every step)', () => {
  it('waits on a durable timer until the window ends (04:00 London = 03:00Z), then acts once', async () => {
    const worlds = new Map<ReplayHarness, World>();
    const make = () => {
      const world = newWorld();
      world.windows = WINDOWS();
      const h = harness(world, '2026-10-24T01:30:00.000Z');
      worlds.set(h, world);
      return h;
    };
    const { clean, cleanResult, points } = await forEachCrashPoint(make, (h, result, at) => {
      // The restarted harness shares the crashed one's world (the last one made).
      const world = [...worlds.values()].at(-1)!;
      expect(result.status).toBe('completed');
      expect(result.output).toMatchObject({ outcome: 'effective' });
      expect(world.mutations).toBe(1);
      const rerun = at.kind === 'ran' && at.what.startsWith(`ran ${ACTIVITY.runRunbook}`);
      expect(h.store.invocations[ACTIVITY.runRunbook]).toBe(rerun ? 2 : 1); // at-least-once: a re-run changes nothing
      expect(h.store.history.filter((e) => e.EventType === EVENT.TimerCreated)[0]?.['FireAt']).toBe('2026-10-24T03:00:00.000Z');
    });
    expect(points).toBeGreaterThan(20);
    expect(cleanResult.output).toMatchObject({ outcome: 'effective' });
    const world = worlds.get(clean)!;
    // The action happened after the window, never inside it.
    expect(Date.parse(world.deployments.get(targetKey(DEPLOYMENT))![RESTARTED_AT]!)).toBeGreaterThanOrEqual(Date.parse('2026-10-24T03:00:00Z'));
    const timers = clean.store.history.filter((e) => e.EventType === EVENT.TimerCreated).map((e) => e['FireAt']);
    expect(timers[0]).toBe('2026-10-24T03:00:00.000Z');
    const [row] = windowRows(world);
    expect(row).toMatchObject({
      kind: 'decision',
      decision: 'window-wait',
      result: 'suppressed (maintenance tsdb-upgrade): waiting until 2026-10-24T03:00:00.000Z',
    });
    expect(world.gateCalls).toBe(2); // blocked, then re-checked at the end
  });

  it('an alert that resolves during the wait ends the run without acting', async () => {
    const world = newWorld();
    world.windows = WINDOWS();
    const h = harness(world, '2026-10-24T01:30:00.000Z', remediationInput(), [
      { name: EVENT_ALERT_RESOLVED, input: { endsAt: '2026-10-24T01:40:00Z' }, when: when.phase('waiting-for-window') },
    ]);
    const r = await h.run();
    expect(r.output).toMatchObject({ outcome: 'resolved-before-action' });
    expect(world.mutations).toBe(0);
  });

  it('a window that outlasts maxWait expires the action: skipped, audited, nothing changed', async () => {
    const world = newWorld();
    world.windows = WINDOWS({ maxWait: '30m' });
    const r = await harness(world, '2026-10-24T01:10:00.000Z').run();
    expect(r.output).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/^suppressed \(maintenance tsdb-upgrade\): the window outlasts maxWait 30m/),
    });
    expect(world.mutations).toBe(0);
    expect(windowRows(world)[0]).toMatchObject({ decision: 'window-skip' });
  });

  it('whenBlocked skip: the alert is recorded as suppressed and nothing waits', async () => {
    const world = newWorld();
    world.windows = WINDOWS({ whenBlocked: 'skip' });
    const h = harness(world, '2026-10-24T01:30:00.000Z');
    const r = await h.run();
    expect(r.output).toEqual({ outcome: 'skipped', reason: 'suppressed (maintenance tsdb-upgrade)' });
    expect(h.store.history.filter((e) => e.EventType === EVENT.TimerCreated)).toHaveLength(0);
  });

  it('on-call override acts inside the window and the audit says so', async () => {
    const world = newWorld();
    world.windows = WINDOWS();
    const r = await harness(world, '2026-10-24T01:30:00.000Z', remediationInput({ source: 'manual', overrideWindows: true })).run();
    expect(r.output).toMatchObject({ outcome: 'effective' });
    expect(windowRows(world)[0]).toMatchObject({ decision: 'window-proceed', result: 'maintenance tsdb-upgrade overridden by on-call' });
  });

  it('a December freeze turns the automated action into an approval request', async () => {
    const world = newWorld();
    world.windows = WINDOWS();
    const h = harness(world, '2026-12-03T10:00:00.000Z', remediationInput(), []);
    const r = await h.run();
    expect(r.output).toMatchObject({ outcome: 'approval-timeout' });
    expect(JSON.stringify(notificationsOf(world, 'approval-request'))).toContain('freeze december-freeze: automated actions need an approval');
    expect(world.mutations).toBe(0);
    expect(windowRows(world)[0]).toMatchObject({ decision: 'window-approval' });

    const approved = newWorld();
    approved.windows = WINDOWS();
    const approve: PlannedEvent = { name: EVENT_APPROVAL, input: { decision: 'approve', by: 'alice@contoso.com' }, when: when.idleIn('awaiting-approval') };
    const r2 = await harness(approved, '2026-12-03T10:00:00.000Z', remediationInput(), [
      approve,
      { ...resolvedWhileVerifying, input: { endsAt: '2026-12-03T10:30:00Z' } },
    ]).run();
    expect(r2.output).toMatchObject({ outcome: 'effective', approvedBy: 'alice@contoso.com' });
    expect(approved.mutations).toBe(1);
  });
});

describe('window gate unavailable', () => {
  it('a failing windowGate activity (storage down) means not acting: skipped with the reason', async () => {
    const world = newWorld();
    const input = remediationInput();
    const h = createReplayHarness({
      orchestrator: remediationOrchestrator,
      name: 'remediation',
      instanceId: input.instanceId,
      input,
      activities: {
        ...activitiesFor(world),
        windowGate: () => {
          throw new Error('control table unavailable (503)');
        },
      },
      entities: { [GUARD_ENTITY]: guardEntity },
      startTime: '2026-10-24T01:30:00.000Z',
    });
    const r = await h.run();
    expect(r.output).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('window gate unavailable, not acting') });
    expect(world.mutations).toBe(0);
  });
});
