// The budget enforcement orchestration: one evaluation of one budget in one period.
//
//   lease -> restore what earlier periods left changed -> measure (cost to date, forecast) ->
//   decide (budget entity) -> restore released stages -> fire reached stages (approval first when
//   configured): for each planned step, read the values, record them in the entity (intent), make
//   the change (compare-and-set), poll long-running ARM operations on durable timers, record the
//   outcome -> audit and notify -> give the lease back.
//
// Deterministic generator code: time from context.df.currentUtcDateTime, I/O in activities, state
// in the `budget` entity. Activities run at least once; they are compare-and-set, so a re-run finds
// its change already made. Registered as `budgetEnforcement` in functions/budgets.ts.
import type { OrchestrationContext } from 'durable-functions';
import type { Gen } from './lib.js';
import { periodsBefore } from '../src/budget/period.js';
import { percent, restorePlan, type BudgetState, type Decision } from '../src/budget/state.js';
import { BUDGET_ACTIVITY, type BudgetMeasureInput, type Measurement } from '../src/budget/types.js';
import { BUDGET_OP, budgetEntityId } from './budget-entity.js';
import { BudgetRun, LOOKBACK_PERIODS, basisText, pct, type BudgetEnforcementOutput } from './budget-run.js';
import { awaitStageApproval, closeStages, fireStage, restoreActions } from './budget-steps.js';
import { errorText } from './lib.js';

export { BUDGET_ACTIVITY, BUDGET_ORCHESTRATION, EVENT_BUDGET_APPROVAL, type BudgetApprovalEvent, type BudgetEnforcementInput } from '../src/budget/types.js';
export {
  LOOKBACK_PERIODS,
  LRO_DEADLINE_SECONDS,
  MAX_THROTTLE_RETRIES,
  type BudgetEnforcementOutput,
  type BudgetPhase,
  type BudgetStatus,
} from './budget-run.js';

export function* budgetEnforcementOrchestrator(context: OrchestrationContext): Gen<BudgetEnforcementOutput> {
  const run = new BudgetRun(context);
  const { budget, period } = run.input;
  const out: BudgetEnforcementOutput = {
    outcome: 'evaluated',
    mode: run.mode,
    level: -1,
    actualPercent: null,
    forecastPercent: null,
    fired: [],
    released: [],
    applied: 0,
    restored: 0,
    failed: 0,
    notes: [],
  };

  run.status('acquiring-lease');
  const acquired = (yield run.entity(BUDGET_OP.acquire, {
    instanceId: run.instanceId,
    now: run.now(),
    leaseSeconds: run.leaseSeconds(),
    budget: budget.name,
    period: period.key,
  })) as { granted: boolean; holder?: string };
  if (!acquired.granted) {
    out.outcome = 'busy';
    out.notes.push(`another evaluation (${acquired.holder ?? '?'}) holds this budget and period`);
    run.status('done', 'busy');
    return out;
  }

  try {
    // 1. A new period restores what earlier periods changed, newest change first.
    const state = (yield run.entity(BUDGET_OP.get, {})) as BudgetState;
    run.track(state);
    if (!state.lookbackDone) {
      run.status('restoring-earlier-periods');
      let complete = true;
      for (const p of periodsBefore(budget.period, period, LOOKBACK_PERIODS)) {
        const id = budgetEntityId(budget.name, p.key);
        const old = (yield context.df.callEntity(id, BUDGET_OP.get, {})) as BudgetState;
        const todo = restorePlan(old);
        if (todo.length === 0) continue;
        const r = yield* restoreActions(run, id, p.key, todo, 'new-period', out);
        complete &&= r;
        if (r) yield* closeStages(run, id, old, todo, 'new-period');
      }
      if (complete) yield run.entity(BUDGET_OP.lookbackDone, { now: run.now() });
    }

    // 2. Measure.
    run.status('measuring');
    let gate: { paused: boolean; reason: string | null };
    try {
      gate = (yield context.df.callActivity(BUDGET_ACTIVITY.gate, {})) as { paused: boolean; reason: string | null };
    } catch (e) {
      gate = { paused: true, reason: `the pause switch could not be read (${errorText(e)}); failing closed` };
    }
    let m: Measurement;
    try {
      m = (yield context.df.callActivity(BUDGET_ACTIVITY.measure, {
        budget,
        period,
        now: run.now(),
        refresh: run.input.refresh,
      } satisfies BudgetMeasureInput)) as Measurement;
    } catch (e) {
      m = {
        period: period.key,
        actual: null,
        forecast: null,
        currency: budget.currency,
        asOf: run.now(),
        drivers: [],
        notes: [`cost data unavailable: ${errorText(e)}`],
        cached: false,
      };
    }
    out.notes.push(...m.notes);
    out.actualPercent = percent(m.actual, budget.amount);
    out.forecastPercent = percent(m.forecast, budget.amount);
    if (m.actual === null && m.forecast === null) out.outcome = 'no-data';

    // 3. Decide.
    const decision = (yield run.entity(BUDGET_OP.evaluate, {
      instanceId: run.instanceId,
      now: run.now(),
      mode: run.mode,
      spec: budget,
      measurement: m,
    })) as Decision;
    out.level = decision.level;
    if (gate.paused) {
      out.outcome = 'paused';
      out.notes.push(`automation is paused: ${gate.reason ?? ''}`.trim());
      run.audit('decision', { decision: 'paused', detail: `level ${decision.level}; nothing changed or restored while paused` });
      yield* run.flushAudit();
      return out;
    }
    for (const i of decision.rejected) out.notes.push(`stage ${budget.stages[i]?.name ?? i} was rejected by a human this period`);

    // 4. Stages whose basis fell below threshold - hysteresis: restore, highest first.
    if (decision.release.length > 0) {
      run.status('restoring');
      for (const idx of decision.release) {
        const cur = (yield run.entity(BUDGET_OP.get, {})) as BudgetState;
        const todo = restorePlan(cur, [idx]);
        const ok = yield* restoreActions(run, run.entityId, period.key, todo, 'hysteresis', out);
        if (!ok) break;
        yield run.entity(BUDGET_OP.stageRestored, { index: idx, now: run.now(), reason: 'hysteresis' });
        out.released.push(budget.stages[idx]!.name);
        yield run.notify(
          'restore',
          budget.stages[idx]!.name,
          `stage ${budget.stages[idx]!.name} restored: ${basisText(budget, idx, m)} is below ${budget.stages[idx]!.threshold - budget.stages[idx]!.hysteresis} %`,
          todo.map((a) => `restored ${a.description}`),
        );
      }
    }
    // A budget switched back to dry-run gives back what it changed (unless everything is forced to dry-run).
    if (run.mode === 'dry-run' && !run.input.forceDryRun) {
      const cur = (yield run.entity(BUDGET_OP.get, {})) as BudgetState;
      const todo = restorePlan(cur);
      if (todo.length > 0) {
        run.status('restoring');
        const ok = yield* restoreActions(run, run.entityId, period.key, todo, 'hysteresis', out);
        if (ok) yield* closeStages(run, run.entityId, cur, todo, 'hysteresis');
      }
    }

    // 5. Fire reached stages, lowest first.
    for (const idx of decision.fire) {
      const stage = budget.stages[idx]!;
      if (run.mode === 'enforce' && stage.approvalTimeoutSeconds !== null) {
        const approved = yield* awaitStageApproval(run, idx);
        if (!approved) break;
      }
      const fired = yield* fireStage(run, idx, m, out);
      if (!fired) break;
      out.fired.push(stage.name);
    }
  } finally {
    run.status('releasing');
    yield run.entity(BUDGET_OP.release, { instanceId: run.instanceId, now: run.now() });
  }
  run.audit('result', {
    result: out.outcome,
    detail: `level ${out.level}; actual ${pct(out.actualPercent)}, forecast ${pct(out.forecastPercent)}; fired [${out.fired.join(', ')}], restored stages [${out.released.join(', ')}]; ${out.applied} applied, ${out.restored} restored, ${out.failed} failed`,
  });
  yield* run.flushAudit();
  run.status('done', out.outcome);
  return out;
}
