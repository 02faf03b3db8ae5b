// A simulated month through the replay harness (durable-functions' own executor): one evaluation a
// day against a cost curve that crosses each stage, then the first days of the next period. Every
// day is also crashed after every step and resumed from the stored history; each resumed run must
// end exactly like the clean one (same estate, same writes, same entity state).
//
// The orchestration, the budget entity and the activities (src/budget/activities.ts) are the real
// code; only the estate (an in-memory AKS + Kubernetes with the ARM rules, test/budget/world.ts) and
// the cost curve are test doubles at the ports.
import { describe, expect, it } from 'vitest';
import type { BudgetState } from '../../src/budget/state.js';
import type { BudgetNotifyInput, BudgetSpec } from '../../src/budget/types.js';
import type { BudgetEnforcementOutput } from '../../orchestrations/budget-enforcement.js';
import { forEachCrashPoint, type ReplayHarness, type RunResult } from '../support/replay-harness.js';
import { budgetRun, FIXTURE, timeless, type Curve, type Run } from './replay-support.js';
import { World } from './world.js';

const BUDGET: BudgetSpec = FIXTURE.budgets[0]!; // 3000 EUR; warn 80 % actual, slow-down 100 % forecast, stop 100 % actual

/** Cost to date and forecast per day of March 2025 (evaluated at 06:00 UTC), then April. */
const CURVE: Curve = {};
for (let d = 1; d <= 21; d++) CURVE[`2025-03-${String(d).padStart(2, '0')}`] = [100 * d, 2900];
Object.assign(CURVE, {
  '2025-03-22': [2420, 2950], // 80.7 % actual: warn
  '2025-03-23': [2520, 2980],
  '2025-03-24': [2620, 2990],
  '2025-03-25': [2720, 3050], // forecast 101.7 %: slow-down
  '2025-03-26': [2790, 2990], // the scale-down lowers the forecast; a forecast stage is not restored within the period
  '2025-03-27': [2860, 2995],
  '2025-03-28': [2930, 3000], // forecast at 100 % again: slow-down has fired this period, it does not fire twice
  '2025-03-29': [3010, 3080], // 100.3 % actual: stop
  '2025-03-30': [3030, 3040],
  '2025-03-31': [3050, 3060],
  '2025-04-01': [15, null], // new period: data lags, no forecast yet -> restore everything March changed
  '2025-04-02': [110, 2800],
});

function dayRun(day: string, world: World, entities: Record<string, string>): Run {
  return budgetRun({ budget: BUDGET, curve: CURVE, day, world, entities });
}

const PROTECTED = [/^pool\/ms5-(dev|prod)\/system /, /^pool\/ms5-(dev|prod)\/database /, /^deployment\/ms5-prod\/(shop|monitoring)\//, /^cluster\/ms5-prod /];

describe('a simulated month of budget enforcement, crashed after every step', () => {
  it('fires each stage once, in order, never touches protected scopes, and the new period restores every value exactly', { timeout: 600_000 }, async () => {
    const initial = World.initial();
    let world = initial.copy();
    let entities: Record<string, string> = {};
    const outputs: Record<string, BudgetEnforcementOutput> = {};
    const notifications: BudgetNotifyInput[] = [];
    let crashPoints = 0;
    let writesBeforeApril: string[] = [];

    for (const day of Object.keys(CURVE)) {
      if (day === '2025-04-01') writesBeforeApril = [...world.state.writes];
      const start = world.copy();
      const startEntities = entities;
      // Crash everywhere: each crash point gets a fresh copy of the day's starting estate and state.
      let current: Run | undefined;
      let cleanRun: Run | undefined;
      const { clean, cleanResult, points } = await forEachCrashPoint(
        () => {
          current = dayRun(day, start.copy(), startEntities);
          cleanRun ??= current; // the first harness is the clean run
          return current.harness;
        },
        (resumed: ReplayHarness, result: RunResult, crashedAfter, cleanOutcome: RunResult) => {
          const at = `${day}, crash after step ${crashedAfter.n} (${crashedAfter.what})`;
          expect(result.status, at).toBe('completed');
          expect(result.output, at).toEqual(cleanOutcome.output);
          expect(current!.world.shape(), at).toEqual(cleanRun!.world.shape());
          // At-least-once activities never write twice: the same writes as the clean run.
          expect(current!.world.state.writes, at).toEqual(cleanRun!.world.state.writes);
          // Same state; only times may differ (a re-run activity can find a long-running operation already finished and skip a poll).
          expect(timeless(resumed.store.entities), at).toEqual(timeless(cleanRun!.harness.store.entities));
          expect([...current!.audits.keys()].sort(), at).toEqual([...cleanRun!.audits.keys()].sort());
        },
      );
      crashPoints += points;
      expect(cleanResult.status, day).toBe('completed');
      outputs[day] = cleanResult.output as BudgetEnforcementOutput;
      // the clean run's world/entities become the next day's start
      world = cleanRun!.world;
      entities = clean.store.entities;
      notifications.push(...cleanRun!.notes.values());
    }

    // Stages fired once each, in order, on the days the curve crossed them.
    const march = JSON.parse(entities['@budget@dev-estate.2025-03-01']!) as BudgetState;
    expect(march.fired.map((f) => [f.name, f.firedAt.slice(0, 10)])).toEqual([
      ['warn', '2025-03-22'],
      ['slow-down', '2025-03-25'],
      ['stop', '2025-03-29'],
    ]);
    expect(
      Object.entries(outputs)
        .filter(([, o]) => o.fired.length > 0)
        .map(([d, o]) => [d, o.fired]),
    ).toEqual([
      ['2025-03-22', ['warn']],
      ['2025-03-25', ['slow-down']],
      ['2025-03-29', ['stop']],
    ]);
    expect(notifications.filter((n) => n.kind === 'stage').map((n) => n.stage)).toEqual(['warn', 'slow-down', 'stop']);

    // What March changed, in order, and nothing protected.
    expect(writesBeforeApril).toEqual([
      'pool/ms5-dev/compute {"enableAutoScaling":true,"minCount":1,"maxCount":1}',
      'pool/ms5-prod/spot {"enableAutoScaling":true,"minCount":1,"maxCount":2}',
      'deployment/ms5-prod/preview/api replicas=0',
      'deployment/ms5-prod/preview/web replicas=0',
      'pool/ms5-prod/spot {"enableAutoScaling":false,"minCount":null,"maxCount":null}',
      'pool/ms5-prod/spot {"count":0}',
      'cluster/ms5-dev Stopped',
    ]);
    for (const w of world.state.writes) for (const p of PROTECTED) expect(w).not.toMatch(p);
    expect(march.actions.map((a) => [a.seq, a.target, a.before])).toEqual([
      [1, 'pool/ms5-dev/compute/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 10 }],
      [2, 'pool/ms5-prod/spot/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 10 }],
      [3, 'deployment/ms5-prod/preview/api/replicas', { replicas: 2 }],
      [4, 'deployment/ms5-prod/preview/web/replicas', { replicas: 3 }],
      [5, 'pool/ms5-prod/spot/autoscaler', { enableAutoScaling: true, minCount: 1, maxCount: 2 }],
      [6, 'pool/ms5-prod/spot/count', { count: 5 }],
      [7, 'cluster/ms5-dev/power', { power: 'Running' }],
    ]);

    // The new period restored everything, newest change first, to exactly the recorded values.
    expect(world.state.writes.slice(writesBeforeApril.length)).toEqual([
      'cluster/ms5-dev Running',
      'pool/ms5-prod/spot {"count":5}',
      'pool/ms5-prod/spot {"enableAutoScaling":true,"minCount":1,"maxCount":2}',
      'deployment/ms5-prod/preview/web replicas=3',
      'deployment/ms5-prod/preview/api replicas=2',
      'pool/ms5-prod/spot {"enableAutoScaling":true,"minCount":1,"maxCount":10}',
      'pool/ms5-dev/compute {"enableAutoScaling":true,"minCount":1,"maxCount":10}',
    ]);
    expect(world.shape()).toEqual(initial.shape());
    expect(march.actions.every((a) => a.status === 'restored')).toBe(true);
    expect(march.fired.every((f) => f.restoreReason === 'new-period')).toBe(true);
    expect(outputs['2025-04-01']).toMatchObject({ restored: 7, failed: 0, fired: [] });
    expect(outputs['2025-04-02']).toMatchObject({ restored: 0, applied: 0, fired: [] });
    expect(crashPoints).toBeGreaterThan(500);
  });
});
