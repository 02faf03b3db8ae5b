// The acting steps of a budget evaluation, each a generator over the BudgetRun
// (budget-run.ts): fire a stage (plan, then read -> intent -> compare-and-set change -> outcome
// per step, polling long-running ARM operations on durable timers), restore recorded changes,
// close restored stages, and wait for a human's approval.
import { actionGates } from './action-gates.js';
import type { EntityId } from 'durable-functions';
import { errorText, type Gen } from './lib.js';
import { isRestorable, percent, type BudgetState, type IntentResult } from '../src/budget/state.js';
import {
  BUDGET_ACTIVITY,
  EVENT_BUDGET_APPROVAL,
  sameValues,
  showValues,
  type ActionRecord,
  type BudgetApplyStepInput,
  type BudgetApprovalEvent,
  type BudgetCheckStepInput,
  type BudgetPlanInput,
  type BudgetReadStepInput,
  type BudgetReport,
  type BudgetReportInput,
  type Measurement,
  type StagePlan,
  type Step,
  type StepOutcome,
  type Values,
} from '../src/budget/types.js';
import { BUDGET_OP } from './budget-entity.js';
import { LRO_DEADLINE_SECONDS, MAX_THROTTLE_RETRIES, basisText, contextLines, type BudgetEnforcementOutput, type BudgetRun } from './budget-run.js';

// ------------------------------------------------------------ firing a stage

/** Plans and applies one stage. False when it was interrupted (paused) and must fire again later. */
export function* fireStage(run: BudgetRun, idx: number, m: Measurement, out: BudgetEnforcementOutput): Gen<boolean> {
  const { budget } = run.input;
  const stage = budget.stages[idx]!;
  run.stage = stage.name;
  run.status('acting');
  const planInput: BudgetPlanInput = { budget, stage: idx, existing: [...run.settled].sort(), stoppedClusters: [...run.stopped].sort() };
  let plan: StagePlan;
  try {
    plan = (yield run.context.df.callActivity(BUDGET_ACTIVITY.plan, planInput)) as StagePlan;
  } catch (e) {
    out.failed++;
    run.audit('action', {
      result: 'failed',
      decision: `stage ${stage.name}`,
      error: errorText(e),
      detail: 'planning failed; the stage fires again at the next evaluation',
    });
    yield* run.flushAudit();
    yield run.notify('failure', stage.name, `stage ${stage.name} could not be planned: ${errorText(e)}`, []);
    return false;
  }
  let report: BudgetReport | null = null;
  if (budget.allocationClusters.length > 0) {
    try {
      report = (yield run.context.df.callActivity(BUDGET_ACTIVITY.report, {
        budget,
        period: run.input.period,
        now: run.now(),
      } satisfies BudgetReportInput)) as BudgetReport;
    } catch (e) {
      report = { namespaces: [], idle: [], notes: [`namespace allocation unavailable: ${errorText(e)}`] };
    }
  }
  const head = `${budget.name} ${run.input.period.key}: ${basisText(budget, idx, m)} reached stage ${stage.name} (${stage.threshold} % of ${stage.basis}, amount ${budget.amount} ${budget.currency})`;
  const context = contextLines(m, report);
  if (run.mode === 'dry-run') {
    for (const s of plan.steps) run.audit('action', { decision: `stage ${stage.name}`, result: 'dry-run', detail: `would: ${s.description}` });
    yield* run.flushAudit();
    yield run.entity(BUDGET_OP.stageFired, {
      index: idx,
      name: stage.name,
      mode: 'dry-run',
      now: run.now(),
      percent: percent(stage.basis === 'actual' ? m.actual : m.forecast, budget.amount),
    });
    yield run.notify('dry-run', stage.name, `[dry-run] ${head}`, [
      ...plan.steps.map((s) => `would: ${s.description}`),
      ...plan.skipped.map((s) => `skipped ${s.target}: ${s.reason}`),
      ...context,
    ]);
    return true;
  }
  const lines: string[] = [];
  let n = 0;
  for (const s of plan.steps) {
    run.status('acting', undefined, { done: n++, total: plan.steps.length });
    const r = yield* applyStep(run, s, out);
    if (r === 'paused') {
      out.notes.push(`paused while acting on stage ${stage.name}; it fires again after the pause`);
      yield* run.flushAudit();
      return false;
    }
    lines.push(r);
  }
  yield* run.flushAudit();
  yield run.entity(BUDGET_OP.stageFired, {
    index: idx,
    name: stage.name,
    mode: 'enforce',
    now: run.now(),
    percent: percent(stage.basis === 'actual' ? m.actual : m.forecast, budget.amount),
  });
  yield run.notify('stage', stage.name, head, [...lines, ...plan.skipped.map((s) => `skipped ${s.target}: ${s.reason}`), ...context]);
  run.stage = undefined;
  return true;
}

/** read -> intent (values found) -> compare-and-set change -> outcome. Returns a line for humans, or 'paused'. */
export function* applyStep(run: BudgetRun, step: Step, out: BudgetEnforcementOutput): Gen<string> {
  // Maintenance windows and freezes (docs/windows.md), then the error-budget policy (docs/slo.md):
  // every budget step takes capacity away, so it waits, or is skipped, or needs the stage's approval.
  const gate = yield* actionGates(
    run.context,
    step.description,
    { cluster: step.cluster, ...(step.namespace ? { namespace: step.namespace } : {}), ...(step.pool ? { nodePool: step.pool } : {}), job: 'budgets' },
    { target: step.target, impact: 'disruptive' },
  );
  if (
    gate.decision === 'skip' ||
    (gate.decision === 'approval' && !(run.mode === 'enforce' && run.input.budget.stages[step.stage]?.approvalTimeoutSeconds != null))
  )
    return `skipped: ${gate.reason}`;
  let current: Values;
  try {
    current = (yield run.context.df.callActivity(BUDGET_ACTIVITY.readStep, { step } satisfies BudgetReadStepInput)) as Values;
  } catch (e) {
    out.failed++;
    run.audit('action', { target: step.target, result: 'failed', error: errorText(e), detail: `could not read before: ${step.description}` });
    return `failed to read ${step.target}: ${errorText(e)}`;
  }
  if (sameValues(current, step.after)) return `already so: ${step.target} (${showValues(step.after)})`;
  const intent = (yield run.entity(BUDGET_OP.intent, { step, before: current, now: run.now() })) as IntentResult;
  let before: Values;
  if (intent.accepted) before = current;
  else if (intent.existing.status === 'intended')
    before = intent.existing.before; // an interrupted earlier attempt: resume it
  else return `already recorded: ${step.description} (${intent.existing.status})`;
  const res = yield* changeWithPolling(run, step, before, 'apply');
  if (res.outcome === 'skipped' && /^paused/.test(res.detail)) return 'paused';
  const recorded =
    res.outcome === 'done' || res.outcome === 'already' ? 'applied' : res.outcome === 'drifted' || res.outcome === 'skipped' ? 'skipped' : 'failed';
  const detail = 'detail' in res ? res.detail : undefined;
  yield run.entity(BUDGET_OP.applied, { id: step.id, outcome: recorded, now: run.now(), ...(detail ? { detail } : {}) });
  run.settled.add(step.id);
  if (step.kind === 'cluster-power' && step.after['power'] === 'Stopped' && recorded !== 'skipped') run.stopped.add(step.cluster);
  if (recorded === 'applied') out.applied++;
  if (recorded === 'failed') out.failed++;
  run.audit('action', {
    target: step.target,
    decision: `stage ${run.input.budget.stages[step.stage]?.name ?? step.stage}`,
    result: recorded,
    detail: `${step.description}; before ${showValues(before)}${detail ? ` (${detail})` : ''}`,
  });
  return `${recorded}: ${step.description}${detail ? ` (${detail})` : ''}`;
}

/** One compare-and-set change, retried when throttled and polled while a long-running operation runs. */
export function* changeWithPolling(run: BudgetRun, step: Step, before: Values, direction: 'apply' | 'restore'): Gen<StepOutcome> {
  const input: BudgetApplyStepInput = { step, before, direction, dryRun: false, instanceId: run.instanceId };
  const target = direction === 'apply' ? step.after : before;
  const deadline = run.context.df.currentUtcDateTime.getTime() + LRO_DEADLINE_SECONDS * 1000;
  let throttled = 0;
  let res: StepOutcome;
  try {
    res = (yield run.context.df.callActivity(BUDGET_ACTIVITY.applyStep, input)) as StepOutcome;
  } catch (e) {
    return { outcome: 'failed', detail: errorText(e) };
  }
  for (;;) {
    if (res.outcome === 'throttled') {
      if (++throttled > MAX_THROTTLE_RETRIES) return { outcome: 'failed', detail: `still throttled after ${MAX_THROTTLE_RETRIES} retries: ${res.detail}` };
      yield run.wait(res.retryAfterSeconds);
      try {
        res = (yield run.context.df.callActivity(BUDGET_ACTIVITY.applyStep, input)) as StepOutcome;
      } catch (e) {
        return { outcome: 'failed', detail: errorText(e) };
      }
      continue;
    }
    if (res.outcome === 'pending') {
      if (run.context.df.currentUtcDateTime.getTime() >= deadline)
        return { outcome: 'failed', detail: `not finished after ${LRO_DEADLINE_SECONDS / 60} minutes: ${res.detail}` };
      yield run.wait(res.retryAfterSeconds);
      try {
        const check: BudgetCheckStepInput = { step, target };
        if (res.statusUrl) check.statusUrl = res.statusUrl;
        res = (yield run.context.df.callActivity(BUDGET_ACTIVITY.checkStep, check)) as StepOutcome;
      } catch (e) {
        return { outcome: 'failed', detail: errorText(e) };
      }
      continue;
    }
    return res;
  }
}

// ------------------------------------------------------------ restore

/** Restores recorded changes (given newest first). False when something is left to restore later. */
export function* restoreActions(
  run: BudgetRun,
  entityId: EntityId,
  periodKey: string,
  actions: ActionRecord[],
  reason: 'new-period' | 'hysteresis',
  out: BudgetEnforcementOutput,
): Gen<boolean> {
  if (run.input.forceDryRun) {
    for (const a of actions)
      run.audit('action', { target: a.target, result: 'dry-run', detail: `would restore (${reason}): ${a.description}; back to ${showValues(a.before)}` });
    yield* run.flushAudit();
    return false;
  }
  let complete = true;
  const lines: string[] = [];
  for (const a of actions) {
    const res = yield* changeWithPolling(run, a, a.before, 'restore');
    if (res.outcome === 'skipped' && /^paused/.test(res.detail)) {
      yield* run.flushAudit();
      return false;
    }
    const outcome = res.outcome === 'done' || res.outcome === 'already' ? 'restored' : res.outcome === 'drifted' ? 'drifted' : 'failed';
    const detail = 'detail' in res ? res.detail : undefined;
    yield run.context.df.callEntity(entityId, BUDGET_OP.restored, { id: a.id, outcome, now: run.now(), ...(detail ? { detail } : {}) });
    if (outcome === 'restored') out.restored++;
    if (outcome === 'restored' && a.kind === 'cluster-power' && entityId.key === run.entityId.key) run.stopped.delete(a.cluster);
    if (outcome === 'failed') {
      out.failed++;
      complete = false;
    }
    run.audit('action', {
      target: a.target,
      decision: `restore (${reason}, period ${periodKey})`,
      result: outcome,
      detail: `${a.description}; back to ${showValues(a.before)}${detail ? ` (${detail})` : ''}`,
    });
    if (outcome === 'drifted') lines.push(`not restored, changed by someone else since: ${a.description} (${detail ?? ''})`);
    else lines.push(`${outcome}: ${a.target} back to ${showValues(a.before)}`);
  }
  yield* run.flushAudit();
  if (reason === 'new-period' && actions.length > 0)
    yield run.notify('restore', undefined, `${run.input.budget.name}: period ${periodKey} is over; restored what it changed`, lines);
  if (lines.some((l) => l.startsWith('not restored')))
    yield run.notify(
      'drift',
      undefined,
      `${run.input.budget.name}: some changes were not restored because someone changed the target since`,
      lines.filter((l) => l.startsWith('not restored')),
    );
  return complete;
}

/** Marks the stages of the restored actions restored once none of their changes is left. */
export function* closeStages(
  run: BudgetRun,
  entityId: EntityId,
  before: BudgetState,
  restored: ActionRecord[],
  reason: 'new-period' | 'hysteresis',
): Gen<void> {
  const after = (yield run.context.df.callEntity(entityId, BUDGET_OP.get, {})) as BudgetState;
  const stages = new Set([...before.fired.filter((f) => f.restoredAt === undefined).map((f) => f.index), ...restored.map((a) => a.stage)]);
  for (const idx of [...stages].sort((a, b) => b - a)) {
    if (after.actions.some((a) => a.stage === idx && isRestorable(a))) continue;
    yield run.context.df.callEntity(entityId, BUDGET_OP.stageRestored, { index: idx, now: run.now(), reason });
  }
}

// ------------------------------------------------------------ approval

/** Asks for a human's decision on stage `idx`; true when approved before the timeout. */

export function* awaitStageApproval(run: BudgetRun, idx: number): Gen<boolean> {
  const stage = run.input.budget.stages[idx]!;
  run.stage = stage.name;
  yield run.entity(BUDGET_OP.approval, { stage: idx, status: 'requested', at: run.now(), instanceId: run.instanceId });
  yield run.notify(
    'approval',
    stage.name,
    `${run.input.budget.name}: stage ${stage.name} waits for approval (POST /api/budgets/${run.input.budget.name}/approval {"approve": true|false}) until ${new Date(run.context.df.currentUtcDateTime.getTime() + stage.approvalTimeoutSeconds! * 1000).toISOString()}`,
    [],
  );
  run.status('awaiting-approval');
  const deadline = new Date(run.context.df.currentUtcDateTime.getTime() + stage.approvalTimeoutSeconds! * 1000);
  const timer = run.context.df.createTimer(deadline);
  const waited = () => stage.approvalTimeoutSeconds! - Math.round((deadline.getTime() - run.context.df.currentUtcDateTime.getTime()) / 1000);
  for (;;) {
    const event = run.context.df.waitForExternalEvent(EVENT_BUDGET_APPROVAL);
    const winner = yield run.context.df.Task.any([event, timer]);
    if (winner !== event) {
      yield run.entity(BUDGET_OP.approval, { stage: idx, status: 'expired', at: run.now(), instanceId: run.instanceId });
      run.audit('decision', {
        decision: `stage ${stage.name}`,
        result: 'approval-expired',
        detail: 'no decision before the timeout: the stage did not act (it asks again at the next evaluation)',
        waitedSeconds: waited(),
      });
      yield* run.flushAudit();
      yield run.notify('approval', stage.name, `${run.input.budget.name}: no decision on stage ${stage.name} before the timeout; it did not act`, []);
      return false;
    }
    const d = event.result as BudgetApprovalEvent;
    if (d.stage !== undefined && d.stage !== stage.name) continue; // meant for another stage
    timer.cancel();
    yield run.entity(BUDGET_OP.approval, { stage: idx, status: d.approve ? 'approved' : 'rejected', at: run.now(), by: d.by, instanceId: run.instanceId });
    run.audit('decision', { actor: d.by, decision: `stage ${stage.name}`, result: d.approve ? 'approved' : 'rejected', waitedSeconds: waited() });
    yield* run.flushAudit();
    return d.approve;
  }
}
