// The replay harness itself, on small orchestrators that use each feature it emulates.
import { describe, expect, it } from 'vitest';
import * as df from 'durable-functions';
import type { EntityContext, OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { EVENT, HarnessError, createReplayHarness, forEachCrashPoint, when, type HarnessOptions, type ReplayHarness } from './replay-harness.js';

const counter = new df.EntityId('counter', 'c1');

/** A counter entity: add returns the new value. */
function counterEntity(context: EntityContext<number>): void {
  const value = context.df.getState(() => 0) ?? 0;
  if (context.df.operationName === 'add') {
    const next = value + (context.df.getInput<number>() ?? 0);
    context.df.setState(next);
    context.df.return(next);
  } else if (context.df.operationName === 'boom') {
    throw new Error('entity says no');
  } else {
    context.df.return(value);
  }
}

/** Activity, entity call, timer, and an event raced against a timer: every feature once. */
function* tour(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const t0 = context.df.currentUtcDateTime.toISOString();
  context.df.setCustomStatus({ phase: 'charging' });
  const charged = yield context.df.callActivity('charge', { amount: 5, at: t0 });
  const total = yield context.df.callEntity(counter, 'add', 5);
  context.df.setCustomStatus({ phase: 'sleeping' });
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
  const t1 = context.df.currentUtcDateTime.toISOString();
  context.df.setCustomStatus({ phase: 'waiting' });
  const approval = context.df.waitForExternalEvent('approve');
  const timeout = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 3_600_000));
  const winner = yield context.df.Task.any([approval, timeout]);
  if (winner === approval) timeout.cancel();
  context.df.setCustomStatus({ phase: 'done' });
  return { charged, total, t0, t1, approved: winner === approval ? approval.result : null };
}

interface Bank {
  charges: Map<string, number>;
  calls: number;
}

/** An idempotent side effect: a charge keyed by its idempotency key applies once. */
function bankActivities(bank: Bank): HarnessOptions['activities'] {
  return {
    charge: (input: { amount: number; at: string }) => {
      bank.calls++;
      const key = `charge@${input.at}`;
      const already = bank.charges.has(key);
      bank.charges.set(key, input.amount);
      return already ? 'already-charged' : 'charged';
    },
  };
}

function tourHarness(extra: Partial<HarnessOptions> = {}): { h: ReplayHarness; bank: Bank } {
  const bank: Bank = { charges: new Map(), calls: 0 };
  const h = createReplayHarness({
    orchestrator: tour,
    instanceId: 'tour-1',
    input: null,
    activities: bankActivities(bank),
    entities: { counter: counterEntity },
    events: [{ name: 'approve', input: { by: 'alice' }, when: when.idleIn('waiting') }],
    ...extra,
  });
  return { h, bank };
}

describe('replay harness', () => {
  it('drives activities, entities, timers and events through the SDK executor', async () => {
    const { h, bank } = tourHarness();
    const r = await h.run();
    expect(r.status).toBe('completed');
    expect(r.output).toEqual({ charged: 'charged', total: 5, t0: '2025-01-01T00:00:00.000Z', t1: expect.any(String), approved: { by: 'alice' } });
    // The durable timer moved orchestration time forward by at least its minute.
    const out = r.output as { t0: string; t1: string };
    expect(Date.parse(out.t1) - Date.parse(out.t0)).toBeGreaterThanOrEqual(60_000);
    expect(bank.calls).toBe(1);
    expect(h.entityState<number>(counter)).toBe(5);
    expect(h.store.customStatusLog.map((s) => (s as { phase: string }).phase)).toEqual(['charging', 'sleeping', 'waiting', 'done']);
    const types = h.store.history.map((e) => e.EventType);
    for (const t of [
      EVENT.ExecutionStarted,
      EVENT.TaskScheduled,
      EVENT.TaskCompleted,
      EVENT.EventSent,
      EVENT.TimerCreated,
      EVENT.TimerFired,
      EVENT.EventRaised,
      EVENT.ExecutionCompleted,
    ]) {
      expect(types).toContain(t);
    }
    // Entity calls look like the extension's: EventSent "op" to @name@key, answered by an event named with the request id.
    const sent = h.store.history.find((e) => e.EventType === EVENT.EventSent)!;
    expect(sent).toMatchObject({ Name: 'op', InstanceId: '@counter@c1' });
    const request = JSON.parse(sent['Input'] as string) as { op: string; id: string; input: string };
    expect(request).toMatchObject({ op: 'add', input: '5', parent: 'tour-1' });
    expect(h.store.history.some((e) => e.EventType === EVENT.EventRaised && e['Name'] === request.id && e['Input'] === JSON.stringify({ result: '5' }))).toBe(
      true,
    );
  });

  it('replaying the finished history yields no new actions and the same output', async () => {
    const { h } = tourHarness();
    const r = await h.run();
    const again = await h.replay();
    expect(again).toEqual({ isDone: true, output: r.output, newActions: [] });
  });

  it('V1 (flattened) and V4 (nested) action formats produce the same history', async () => {
    const v4 = tourHarness();
    const v1 = tourHarness({ schemaVersion: 0 });
    await v4.h.run();
    await v1.h.run();
    expect(v1.h.store.history).toEqual(v4.h.store.history);
  });

  it('a crash after any step resumes from the stored history to the same result; only the at-least-once point re-runs the side effect', async () => {
    let points = 0;
    let reruns = 0;
    await forEachCrashPoint(
      () => tourHarness().h,
      (h, r, at, cleanResult) => {
        points++;
        expect(r.status).toBe('completed');
        const rerun = at.kind === 'ran' && at.what.startsWith('ran charge');
        reruns += rerun ? 1 : 0;
        // The re-run is visible in the activity's answer, not in the effect: the charge applied once.
        expect(r.output).toEqual(rerun ? { ...(cleanResult.output as object), charged: 'already-charged' } : cleanResult.output);
        expect(h.store.invocations['charge']).toBe(rerun ? 2 : 1);
        expect(h.entityState<number>(counter)).toBe(5);
      },
    );
    expect(points).toBeGreaterThan(20);
    expect(reruns).toBe(1);
  });

  it('without the activity being idempotent the at-least-once crash shows up as a double effect', async () => {
    let total = 0;
    const make = () =>
      createReplayHarness({
        orchestrator: tour,
        instanceId: 'tour-2',
        input: null,
        activities: {
          charge: (i: { amount: number }) => {
            total += i.amount;
            return 'charged';
          },
        },
        entities: { counter: counterEntity },
        events: [{ name: 'approve', when: when.idleIn('waiting') }],
      });
    const h = make();
    const ranAt = await (async () => {
      const c = make();
      await c.run();
      return c.store.steps.find((s) => s.what.startsWith('ran charge'))!.n;
    })();
    total = 0;
    expect((await h.run({ crashAfterStep: ranAt })).status).toBe('crashed');
    await h.restart().run();
    expect(total).toBe(10);
  });

  it('an event raised before anyone waits is buffered by the SDK and consumed by the first wait', async () => {
    const { h } = tourHarness({ events: [{ name: 'approve', input: 'early', when: when.start }] });
    const r = await h.run();
    expect((r.output as { approved: unknown }).approved).toBe('early');
    // The hour-long timeout was cancelled, so the run ended without waiting for it.
    expect(h.store.history.filter((e) => e.EventType === EVENT.TimerFired)).toHaveLength(1);
  });

  it('the timer wins when the event never comes, and the instance waits when nothing is left', async () => {
    const timedOut = tourHarness({ events: [] });
    const r = await timedOut.h.run();
    expect(r.status).toBe('completed');
    expect((r.output as { approved: unknown }).approved).toBeNull();

    const waits = createReplayHarness({
      orchestrator: function* (c) {
        return yield c.df.waitForExternalEvent('never');
      },
      instanceId: 'w',
      input: null,
      activities: {},
    });
    expect((await waits.run()).status).toBe('waiting');
  });

  it('activity errors arrive as TaskFailed and throw at the yield; orchestrator errors fail the instance', async () => {
    const h = createReplayHarness({
      orchestrator: function* (c) {
        try {
          yield c.df.callActivity('flaky', 1);
          return 'no error?';
        } catch (e) {
          return `caught: ${(e as Error).message.split('\n')[0]}`;
        }
      },
      instanceId: 'f',
      input: null,
      activities: {
        flaky: () => {
          throw new Error('HTTP 500 from the API server');
        },
      },
    });
    expect(await h.run()).toMatchObject({ status: 'completed', output: "caught: Activity function 'flaky' failed: HTTP 500 from the API server " });
    expect(h.store.history.some((e) => e.EventType === EVENT.TaskFailed)).toBe(true);

    const failing = createReplayHarness({
      orchestrator: function* (c) {
        yield c.df.callActivity('a');
        throw new Error('bug in orchestrator');
      },
      instanceId: 'g',
      input: null,
      activities: { a: () => 1 },
    });
    const r = await failing.run();
    expect(r.status).toBe('failed');
    expect(r.error).toContain('bug in orchestrator');
    expect(failing.store.history.at(-2)).toMatchObject({ EventType: EVENT.ExecutionCompleted, OrchestrationStatus: 'Failed' });
  });

  it('an entity operation that throws fails the call in the orchestrator, leaving the state alone', async () => {
    const h = createReplayHarness({
      orchestrator: function* (c) {
        yield c.df.callEntity(counter, 'add', 2);
        try {
          yield c.df.callEntity(counter, 'boom');
        } catch {
          return 'entity failed';
        }
        return 'no error?';
      },
      instanceId: 'e',
      input: null,
      activities: {},
      entities: { Counter: counterEntity },
    });
    expect((await h.run()).output).toBe('entity failed');
    expect(h.entityState<number>(counter)).toBe(2);
    expect(await h.operateEntity(counter, 'add', 1)).toBe(3);
  });

  it('tasks an orchestration stopped waiting for still run (their results are dropped)', async () => {
    let ran = 0;
    const h = createReplayHarness({
      orchestrator: function* (c) {
        const slow = c.df.callActivity('slow');
        const stop = c.df.waitForExternalEvent('stop');
        const w = yield c.df.Task.any([slow, stop]);
        return w === stop ? 'stopped' : 'finished';
      },
      instanceId: 'd',
      input: null,
      activities: {
        slow: () => {
          ran++;
          return 1;
        },
      },
      events: [{ name: 'stop', when: when.start }],
    });
    const r = await h.run();
    expect(r.output).toBe('stopped');
    expect(ran).toBe(1);
    expect(h.store.dropped).toEqual(['task:0']);
  });

  it('detects a non-deterministic orchestrator when new code replays an old history', async () => {
    const v1: OrchestrationHandler = function* (c) {
      yield c.df.callActivity('a');
      yield c.df.waitForExternalEvent('go');
      yield c.df.callActivity('b');
      return 'v1';
    };
    const v2: OrchestrationHandler = function* (c) {
      yield c.df.callActivity('renamed');
      yield c.df.waitForExternalEvent('go');
      return 'v2';
    };
    const activities = { a: () => 1, b: () => 2, renamed: () => 3 };
    const old = createReplayHarness({ orchestrator: v1, instanceId: 'n', input: null, activities });
    expect((await old.run()).status).toBe('waiting');
    const upgraded = createReplayHarness({
      orchestrator: v2,
      instanceId: 'n',
      input: null,
      activities,
      store: old.store,
      events: [{ name: 'go', when: when.start }],
    });
    await expect(upgraded.run()).rejects.toThrow(HarnessError);
    await expect(upgraded.run()).rejects.toThrow(/non-deterministic.*callActivity renamed.*TaskScheduled a/);
  });

  it('refuses APIs it does not emulate instead of pretending', async () => {
    const h = createReplayHarness({
      orchestrator: function* (c) {
        return yield c.df.callActivityWithRetry('a', new df.RetryOptions(1000, 3));
      },
      instanceId: 'r',
      input: null,
      activities: { a: () => 1 },
    });
    await expect(h.run()).rejects.toThrow(/does not emulate callActivityWithRetry/);
  });
});
