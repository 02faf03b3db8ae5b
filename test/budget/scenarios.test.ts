// Budget orchestration scenarios through the replay harness: dry-run, restore within the period by
// hysteresis, approval before a stage (approved, rejected, timed out), the global pause, and the
// evaluation lease. Crash-at-every-step where the scenario has waits or restores.
import { describe, expect, it } from 'vitest';
import type { BudgetState } from '../../src/budget/state.js';
import type { BudgetSpec } from '../../src/budget/types.js';
import { EVENT_BUDGET_APPROVAL, type BudgetEnforcementOutput } from '../../orchestrations/budget-enforcement.js';
import { budgetEntityId } from '../../orchestrations/budget-entity.js';
import { forEachCrashPoint, when, type PlannedEvent } from '../support/replay-harness.js';
import { fixtureBudget, BUDGET_YAML } from './fixtures.js';
import { budgetRun, FIXTURE, timeless, type Curve, type Run } from './replay-support.js';
import { World } from './world.js';
import { errorBudgetGateActivityFor, policyDecisions, type BudgetHealth } from '../support/error-budget.js';
import type { AuditRecord } from '../../src/domain/types.js';

const BUDGET: BudgetSpec = FIXTURE.budgets[0]!;
const MARCH = budgetEntityId(BUDGET.name, '2025-03-01');
const CURVE: Curve = {
  '2025-03-29': [3010, 3080],
  '2025-03-30': [2820, 3000], // 94 % actual: below stop's 100 - 5
  '2025-03-31': [3100, 3150],
};

function stateOf(r: Run): BudgetState {
  return r.harness.entityState<BudgetState>(MARCH)!;
}

async function runClean(o: Parameters<typeof budgetRun>[0]): Promise<{ r: Run; out: BudgetEnforcementOutput }> {
  const r = budgetRun(o);
  const res = await r.harness.run();
  expect(res.status).toBe('completed');
  return { r, out: res.output as BudgetEnforcementOutput };
}

/** Clean run plus a crash after every step; every resumed run must end like the clean one. */
async function runEverywhere(make: () => Run): Promise<{ r: Run; out: BudgetEnforcementOutput }> {
  let first: Run | undefined;
  let current: Run | undefined;
  const { cleanResult } = await forEachCrashPoint(
    () => {
      current = make();
      first ??= current;
      return current.harness;
    },
    (resumed, result, at, clean) => {
      const where = `crash after step ${at.n} (${at.what})`;
      expect(result.status, where).toBe(clean.status);
      expect(result.output, where).toEqual(clean.output);
      expect(current!.world.shape(), where).toEqual(first!.world.shape());
      expect(current!.world.state.writes, where).toEqual(first!.world.state.writes);
      expect(timeless(resumed.store.entities), where).toEqual(timeless(first!.harness.store.entities));
    },
  );
  return { r: first!, out: cleanResult.output as BudgetEnforcementOutput };
}

describe('dry-run budgets', () => {
  it('report what each stage would do, once per period, and change nothing', async () => {
    const budget: BudgetSpec = { ...BUDGET, mode: 'dry-run' };
    const world = World.initial();
    const { r, out } = await runClean({ budget, curve: CURVE, day: '2025-03-29', world, entities: {} });
    expect(out).toMatchObject({ mode: 'dry-run', fired: ['warn', 'slow-down', 'stop'], applied: 0 });
    expect(world.state.writes).toEqual([]);
    const notes = [...r.notes.values()];
    expect(notes.map((n) => [n.kind, n.stage])).toEqual([
      ['dry-run', 'warn'],
      ['dry-run', 'slow-down'],
      ['dry-run', 'stop'],
    ]);
    expect(notes[2]!.lines).toEqual(
      expect.arrayContaining([
        'would: ms5-dev: stop the cluster (power Running -> Stopped)',
        'would: ms5-prod pool spot: count -> 0',
        'cost driver: Virtual Machines 2408.00 EUR',
        'namespace ms5-prod/preview: 420.00 EUR',
      ]),
    );
    expect(stateOf(r)).toMatchObject({ fired: [], actions: [] });
    expect(stateOf(r).dryRun.map((d) => d.name)).toEqual(['warn', 'slow-down', 'stop']);
    const again = await runClean({ budget, curve: CURVE, day: '2025-03-29', time: '07:00:00.000Z', world, entities: r.harness.store.entities });
    expect(again.out.fired).toEqual([]);
    expect(again.r.notes.size).toBe(0);
  });

  it('OPS_FORCE_DRY_RUN makes an enforce budget a dry-run', async () => {
    const world = World.initial();
    const { out } = await runClean({ budget: BUDGET, curve: CURVE, day: '2025-03-29', world, entities: {}, forceDryRun: true });
    expect(out).toMatchObject({ mode: 'dry-run', applied: 0 });
    expect(world.state.writes).toEqual([]);
  });
});

describe('restore within the period (hysteresis)', () => {
  it('restores the stop stage when actual falls below 95 %, keeps the forecast stage, and does not fire stop twice', { timeout: 300_000 }, async () => {
    const initial = World.initial();
    const day29 = await runClean({ budget: BUDGET, curve: CURVE, day: '2025-03-29', world: initial.copy(), entities: {} });
    expect(day29.out.fired).toEqual(['warn', 'slow-down', 'stop']);
    const afterSlowDown = World.initial();
    // Expected estate after the restore: only the slow-down stage's changes remain.
    Object.assign(
      afterSlowDown.state.pools.find((p) => p.cluster === 'ms5-dev' && p.name === 'compute')!,
      { maxCount: 1 },
    );
    Object.assign(
      afterSlowDown.state.pools.find((p) => p.cluster === 'ms5-prod' && p.name === 'spot')!,
      { maxCount: 2 },
    );

    const start = day29.r.world.copy();
    const { r, out } = await runEverywhere(() =>
      budgetRun({ budget: BUDGET, curve: CURVE, day: '2025-03-30', world: start.copy(), entities: day29.r.harness.store.entities }),
    );
    expect(out).toMatchObject({ released: ['stop'], restored: 5, failed: 0, fired: [] });
    expect(r.world.shape()).toEqual(afterSlowDown.shape());
    expect(r.world.state.writes.slice(day29.r.world.state.writes.length)).toEqual([
      'cluster/ms5-dev Running',
      'pool/ms5-prod/spot {"count":5}',
      'pool/ms5-prod/spot {"enableAutoScaling":true,"minCount":1,"maxCount":2}',
      'deployment/ms5-prod/preview/web replicas=3',
      'deployment/ms5-prod/preview/api replicas=2',
    ]);
    const state = stateOf(r);
    expect(state.fired.map((f) => [f.name, f.restoreReason ?? null])).toEqual([
      ['warn', null],
      ['slow-down', null],
      ['stop', 'hysteresis'],
    ]);
    expect(state.actions.filter((a) => a.stage === 2).every((a) => a.status === 'restored')).toBe(true);
    expect(state.actions.filter((a) => a.stage === 1).every((a) => a.status === 'applied')).toBe(true);

    const day31 = await runClean({ budget: BUDGET, curve: CURVE, day: '2025-03-31', world: r.world, entities: r.harness.store.entities });
    expect(day31.out.fired).toEqual([]);
    expect(day31.r.world.shape()).toEqual(afterSlowDown.shape());
  });
});

describe('approval before a stage', () => {
  const withApproval = fixtureBudget(BUDGET_YAML.replace('      - name: stop\n', '      - name: stop\n        approval: { timeout: 1h }\n'));
  const CURVE2: Curve = { '2025-03-29': [3010, 3080] };
  const decision = (approve: boolean): PlannedEvent => ({
    name: EVENT_BUDGET_APPROVAL,
    input: { approve, by: 'user:alice@contoso.com', stage: 'stop' },
    when: when.idleIn('awaiting-approval'),
  });

  it('acts after a human approves (crash after every step)', { timeout: 300_000 }, async () => {
    // warn and slow-down fire at 05:00 (forecast over 100 %, actual under); stop waits for approval at 06:00.
    const curve: Curve = { '2025-03-29': [3010, 3080] };
    const prelude = await runClean({
      budget: withApproval,
      curve: { '2025-03-29': [2950, 3080] },
      day: '2025-03-29',
      time: '05:00:00.000Z',
      world: World.initial(),
      entities: {},
    });
    expect(prelude.out.fired).toEqual(['warn', 'slow-down']);
    const start = prelude.r.world.copy();
    const { r, out } = await runEverywhere(() =>
      budgetRun({ budget: withApproval, curve, day: '2025-03-29', world: start.copy(), entities: prelude.r.harness.store.entities, events: [decision(true)] }),
    );
    expect(out.fired).toEqual(['stop']);
    expect(r.world.state.writes).toContain('cluster/ms5-dev Stopped');
    expect(stateOf(r).approvals.map((a) => [a.stage, a.status, a.by ?? null])).toEqual([[2, 'approved', 'user:alice@contoso.com']]);
    expect([...r.notes.values()].map((n) => n.kind)).toEqual(['approval', 'stage']);
    expect([...r.audits.values()].some((a) => a.actor === 'user:alice@contoso.com' && a.result === 'approved')).toBe(true);
  });

  it('does not act when rejected, and does not ask again this period', async () => {
    const { r, out } = await runClean({
      budget: withApproval,
      curve: CURVE2,
      day: '2025-03-29',
      world: World.initial(),
      entities: {},
      events: [decision(false)],
    });
    expect(out.fired).toEqual(['warn', 'slow-down']);
    expect(r.world.state.writes.some((w) => w.startsWith('cluster/') || w.startsWith('deployment/'))).toBe(false);
    const later = await runClean({
      budget: withApproval,
      curve: CURVE2,
      day: '2025-03-29',
      time: '08:00:00.000Z',
      world: r.world,
      entities: r.harness.store.entities,
    });
    expect(later.out.fired).toEqual([]);
    expect(later.out.notes).toContain('stage stop was rejected by a human this period');
    expect(later.r.notes.size).toBe(0);
  });

  it('does not act without a decision before the timeout; the next evaluation asks again', { timeout: 300_000 }, async () => {
    const { r, out } = await runEverywhere(() => budgetRun({ budget: withApproval, curve: CURVE2, day: '2025-03-29', world: World.initial(), entities: {} }));
    expect(out.fired).toEqual(['warn', 'slow-down']);
    expect(stateOf(r).approvals.map((a) => a.status)).toEqual(['expired']);
    expect(r.world.state.writes.some((w) => w.startsWith('cluster/'))).toBe(false);
    const next = await runClean({
      budget: withApproval,
      curve: CURVE2,
      day: '2025-03-29',
      time: '08:00:00.000Z',
      world: r.world,
      entities: r.harness.store.entities,
      events: [decision(true)],
    });
    expect(next.out.fired).toEqual(['stop']);
  });
});

describe('pause and lease', () => {
  it('changes and restores nothing while paused; the stage fires once the pause is lifted', async () => {
    const world = World.initial();
    const paused = await runClean({ budget: BUDGET, curve: CURVE, day: '2025-03-29', world, entities: {}, paused: true });
    expect(paused.out).toMatchObject({ outcome: 'paused', fired: [], applied: 0 });
    expect(world.state.writes).toEqual([]);
    const resumed = await runClean({
      budget: BUDGET,
      curve: CURVE,
      day: '2025-03-29',
      time: '07:00:00.000Z',
      world,
      entities: paused.r.harness.store.entities,
    });
    expect(resumed.out.fired).toEqual(['warn', 'slow-down', 'stop']);
  });

  it('a second evaluation while one holds the lease does nothing', async () => {
    const r = budgetRun({ budget: BUDGET, curve: CURVE, day: '2025-03-29', world: World.initial(), entities: {} });
    await r.harness.operateEntity(MARCH, 'acquire', {
      instanceId: 'other-run',
      now: '2025-03-29T05:59:00.000Z',
      leaseSeconds: 7200,
      budget: BUDGET.name,
      period: '2025-03-01',
    });
    const res = await r.harness.run();
    expect(res.output).toMatchObject({ outcome: 'busy', fired: [] });
    expect(r.harness.store.invocations['budgetMeasure']).toBeUndefined();
  });
});

describe('error-budget policy on budget stops (replayed, crash after every step)', () => {
  // warn and slow-down fire at 05:00; the stop stage fires at 06:00 under a policy on ms5-dev only:
  // the other steps of the stage act, the cluster stop asks the error budget.
  const STOP_DEV = 'cluster/ms5-dev Stopped';
  const prelude = () =>
    runClean({ budget: BUDGET, curve: { '2025-03-29': [2950, 3080] }, day: '2025-03-29', time: '05:00:00.000Z', world: World.initial(), entities: {} });
  // crash: a crash after every step (the hold that is released: it holds, then acts once); else one clean run.
  const stopRun = async (health: (minutes: number) => BudgetHealth, crash = false) => {
    const p = await prelude();
    const rowsByRun: AuditRecord[][] = [];
    const eb = (at: string) => health((Date.parse(at) - Date.parse('2025-03-29T06:00:00Z')) / 60_000);
    const make = () => {
      const rows: AuditRecord[] = [];
      rowsByRun.push(rows);
      const gate = errorBudgetGateActivityFor({ health: eb, scope: { clusters: ['ms5-dev'] }, maxWait: '1h', recheckEvery: '15m', rows });
      return budgetRun({
        budget: BUDGET,
        curve: { '2025-03-29': [3010, 3080] },
        day: '2025-03-29',
        world: p.r.world.copy(),
        entities: p.r.harness.store.entities,
        activities: gate,
      });
    };
    const res = crash
      ? await runEverywhere(make)
      : await (async () => {
          const r = make();
          const out = await r.harness.run();
          expect(out.status).toBe('completed');
          return { r, out: out.output as BudgetEnforcementOutput };
        })();
    return { ...res, rows: rowsByRun[0]!, before: p.r.world.state.writes.length };
  };

  it('healthy budget: the cluster stops, once', { timeout: 900_000 }, async () => {
    const { r, out, rows, before } = await stopRun(() => 'healthy');
    expect(out.fired).toEqual(['stop']);
    expect(r.world.state.writes.slice(before).filter((w) => w === STOP_DEV)).toHaveLength(1);
    expect(policyDecisions(rows)).toEqual([]);
  });

  it('spent budget that recovers: the stop waits, then acts once; held and released are audited', { timeout: 900_000 }, async () => {
    const { r, out, rows, before } = await stopRun((m) => (m < 20 ? 'spent' : 'healthy'), true);
    expect(out.fired).toEqual(['stop']);
    const writes = r.world.state.writes.slice(before);
    expect(writes.filter((w) => w === STOP_DEV)).toHaveLength(1);
    expect(writes.indexOf(STOP_DEV)).toBe(writes.length - 1); // the other (unscoped) steps did not wait
    expect(policyDecisions(rows)).toEqual(['held', 'released']);
    expect(rows[0]).toMatchObject({
      kind: 'policy',
      target: 'cluster/ms5-dev/power',
      detail: expect.stringMatching(/^budgets ms5-dev: stop the cluster .* on ms5-dev: the error budget of SLO api-availability is spent/),
    });
  });

  it('spent budget that never recovers: the stop is skipped after maxWait, nothing stopped', { timeout: 900_000 }, async () => {
    const { r, rows, before } = await stopRun(() => 'spent');
    expect(r.world.state.writes.slice(before)).not.toContain(STOP_DEV);
    expect(r.world.state.writes.slice(before).length).toBeGreaterThan(0);
    expect(policyDecisions(rows)).toEqual(['held', 'expired']);
    const stage = [...r.notes.values()].find((n) => n.kind === 'stage');
    expect(stage?.lines.join('\n')).toMatch(/skipped: .*error budget of SLO api-availability is spent.*still held after 60 minutes, so nothing was done/);
  });
});
