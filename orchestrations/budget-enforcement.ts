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
import { windowGate } from './window-gate.js';
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import type { EntityId } from 'durable-functions';
import type { AuditRecord } from '../src/domain/types.js';
import { redactSecrets } from '../src/domain/audit-query.js';
import { periodsBefore } from '../src/budget/period.js';
import { isRestorable, percent, restorePlan, stoppedClusters, type BudgetState, type Decision, type IntentResult } from '../src/budget/state.js';
import {
  sameValues,
  showValues,
  type ActionRecord,
  type BudgetApplyStepInput,
  type BudgetCheckStepInput,
  type BudgetMeasureInput,
  type BudgetMode,
  type BudgetNotifyInput,
  type BudgetPlanInput,
  type BudgetReadStepInput,
  type BudgetReport,
  type BudgetReportInput,
  type BudgetSpec,
  type Measurement,
  type StagePlan,
  type Step,
  type StepOutcome,
  type Values,
} from '../src/budget/types.js';
import { EVENT_BUDGET_APPROVAL, type EvaluationInput } from '../src/budget/http.js';
import { BUDGET_OP, budgetEntityId } from './budget-entity.js';

export { BUDGET_ORCHESTRATION } from '../src/budget/http.js';

export const BUDGET_ACTIVITY = {
  gate: 'budgetGate',
  measure: 'budgetMeasure',
  plan: 'budgetPlan',
  readStep: 'budgetReadStep',
  applyStep: 'budgetApplyStep',
  checkStep: 'budgetCheckStep',
  report: 'budgetReport',
  notify: 'budgetNotify',
  /** Writes a batch of audit records (idempotent: rows keyed by record id). */
  audit: 'budgetAudit',
} as const;

/** Raised by POST /api/budgets/{name}/approval to the instance waiting for a decision. */
export { EVENT_BUDGET_APPROVAL };

/** Earlier periods checked for changes still to restore when a new period starts. */
export const LOOKBACK_PERIODS = 3;
/** How long one long-running ARM operation may take before the step counts as failed. */
export const LRO_DEADLINE_SECONDS = 45 * 60;
/** Retries of one ARM write that was throttled (429). */
export const MAX_THROTTLE_RETRIES = 5;
const DEFAULT_POLL_SECONDS = 30;

/** The orchestration's input (src/budget/http.ts starts it). */
export type BudgetEnforcementInput = EvaluationInput;

export interface BudgetApprovalEvent {
  approve: boolean;
  by: string;
  /** Stage name the decision is for (a decision for another stage is ignored). */
  stage?: string;
}

export type BudgetPhase = 'acquiring-lease' | 'restoring-earlier-periods' | 'measuring' | 'restoring' | 'awaiting-approval' | 'acting' | 'releasing' | 'done';

export interface BudgetStatus {
  phase: BudgetPhase;
  budget: string;
  period: string;
  mode: BudgetMode;
  stage?: string;
  done?: number;
  total?: number;
  outcome?: string;
}

export interface BudgetEnforcementOutput {
  outcome: 'busy' | 'evaluated' | 'paused' | 'no-data';
  mode: BudgetMode;
  level: number;
  actualPercent: number | null;
  forecastPercent: number | null;
  fired: string[];
  released: string[];
  applied: number;
  restored: number;
  failed: number;
  notes: string[];
}

type Gen<T> = Generator<Task, T, unknown>;

export function* budgetEnforcementOrchestrator(context: OrchestrationContext): Gen<BudgetEnforcementOutput> {
  const run = new BudgetRun(context);
  const { budget, period } = run.input;
  const out: BudgetEnforcementOutput = { outcome: 'evaluated', mode: run.mode, level: -1, actualPercent: null, forecastPercent: null, fired: [], released: [], applied: 0, restored: 0, failed: 0, notes: [] };

  run.status('acquiring-lease');
  const acquired = (yield run.entity(BUDGET_OP.acquire, { instanceId: run.instanceId, now: run.now(), leaseSeconds: run.leaseSeconds(), budget: budget.name, period: period.key })) as { granted: boolean; holder?: string };
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
        const r = yield* run.restoreActions(id, p.key, todo, 'new-period', out);
        complete &&= r;
        if (r) yield* run.closeStages(id, old, todo, 'new-period');
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
      m = (yield context.df.callActivity(BUDGET_ACTIVITY.measure, { budget, period, now: run.now(), refresh: run.input.refresh } satisfies BudgetMeasureInput)) as Measurement;
    } catch (e) {
      m = { period: period.key, actual: null, forecast: null, currency: budget.currency, asOf: run.now(), drivers: [], notes: [`cost data unavailable: ${errorText(e)}`], cached: false };
    }
    out.notes.push(...m.notes);
    out.actualPercent = percent(m.actual, budget.amount);
    out.forecastPercent = percent(m.forecast, budget.amount);
    if (m.actual === null && m.forecast === null) out.outcome = 'no-data';

    // 3. Decide.
    const decision = (yield run.entity(BUDGET_OP.evaluate, { instanceId: run.instanceId, now: run.now(), mode: run.mode, spec: budget, measurement: m })) as Decision;
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
        const ok = yield* run.restoreActions(run.entityId, period.key, todo, 'hysteresis', out);
        if (!ok) break;
        yield run.entity(BUDGET_OP.stageRestored, { index: idx, now: run.now(), reason: 'hysteresis' });
        out.released.push(budget.stages[idx]!.name);
        yield run.notify('restore', budget.stages[idx]!.name, `stage ${budget.stages[idx]!.name} restored: ${basisText(budget, idx, m)} is below ${budget.stages[idx]!.threshold - budget.stages[idx]!.hysteresis} %`, todo.map((a) => `restored ${a.description}`));
      }
    }
    // A budget switched back to dry-run gives back what it changed (unless everything is forced to dry-run).
    if (run.mode === 'dry-run' && !run.input.forceDryRun) {
      const cur = (yield run.entity(BUDGET_OP.get, {})) as BudgetState;
      const todo = restorePlan(cur);
      if (todo.length > 0) {
        run.status('restoring');
        const ok = yield* run.restoreActions(run.entityId, period.key, todo, 'hysteresis', out);
        if (ok) yield* run.closeStages(run.entityId, cur, todo, 'hysteresis');
      }
    }

    // 5. Fire reached stages, lowest first.
    for (const idx of decision.fire) {
      const stage = budget.stages[idx]!;
      if (run.mode === 'enforce' && stage.approvalTimeoutSeconds !== null) {
        const approved = yield* run.approval(idx);
        if (!approved) break;
      }
      const fired = yield* run.fireStage(idx, m, out);
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

function pct(p: number | null): string {
  return p === null ? 'n/a' : `${p} %`;
}

function basisText(budget: BudgetSpec, idx: number, m: Measurement): string {
  const s = budget.stages[idx]!;
  return `${s.basis} ${pct(percent(s.basis === 'actual' ? m.actual : m.forecast, budget.amount))}`;
}

class BudgetRun {
  readonly input: BudgetEnforcementInput;
  readonly instanceId: string;
  readonly mode: BudgetMode;
  readonly entityId: EntityId;
  private auditSeq = 0;
  private stage: string | undefined;
  private pendingAudit: AuditRecord[] = [];
  /** Ids of this period's actions that are no longer 'intended' (a stage changes a target once). */
  readonly settled = new Set<string>();
  /** Clusters this period's actions stopped and did not start again. */
  readonly stopped = new Set<string>();

  constructor(private readonly context: OrchestrationContext) {
    this.input = context.df.getInput() as BudgetEnforcementInput;
    this.instanceId = context.df.instanceId;
    this.mode = this.input.budget.mode === 'enforce' && !this.input.forceDryRun ? 'enforce' : 'dry-run';
    this.entityId = budgetEntityId(this.input.budget.name, this.input.period.key);
  }

  now(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  /** Seeds what the run knows of this period's actions from the entity state read at its start. */
  track(state: BudgetState): void {
    for (const a of state.actions) if (a.status !== 'intended') this.settled.add(a.id);
    for (const c of stoppedClusters(state)) this.stopped.add(c);
  }

  /** Long enough for an approval wait and a cluster stop; a crashed run's lease expires after it. */
  leaseSeconds(): number {
    const approval = Math.max(0, ...this.input.budget.stages.map((s) => s.approvalTimeoutSeconds ?? 0));
    return approval + 2 * 3600;
  }

  entity(op: string, input: unknown): Task {
    return this.context.df.callEntity(this.entityId, op, input);
  }

  status(phase: BudgetPhase, outcome?: string, progress?: { done: number; total: number }): void {
    const s: BudgetStatus = { phase, budget: this.input.budget.name, period: this.input.period.key, mode: this.mode };
    if (this.stage) s.stage = this.stage;
    if (progress) Object.assign(s, progress);
    if (outcome) s.outcome = outcome;
    this.context.df.setCustomStatus(s);
  }

  /**
   * Buffers an audit row (written by flushAudit, one activity per batch). Its id is the instance +
   * a per-run sequence, so a replay or a re-run writes the same rows.
   */
  audit(kind: AuditRecord['kind'], fields: Partial<AuditRecord>): void {
    this.pendingAudit.push({
      id: `${this.instanceId}:${++this.auditSeq}`,
      at: this.now(),
      kind,
      actor: this.input.requestedBy ?? 'orchestration',
      instanceId: this.instanceId,
      rule: `budget:${this.input.budget.name}`,
      runbook: 'budget-enforcement',
      target: `budget/${this.input.budget.name}/${this.input.period.key}`,
      dryRun: this.mode === 'dry-run',
      ...fields,
    });
  }

  /** Writes the buffered audit rows (nothing when there are none). */
  *flushAudit(): Gen<void> {
    if (this.pendingAudit.length === 0) return;
    const batch = this.pendingAudit;
    this.pendingAudit = [];
    yield this.context.df.callActivity(BUDGET_ACTIVITY.audit, batch);
  }

  notify(kind: BudgetNotifyInput['kind'], stage: string | undefined, summary: string, lines: string[]): Task {
    const n: BudgetNotifyInput = {
      id: `${this.instanceId}:notify:${++this.auditSeq}`,
      at: this.now(),
      kind,
      budget: this.input.budget.name,
      period: this.input.period.key,
      instanceId: this.instanceId,
      mode: this.mode,
      summary,
      lines,
      targets: this.input.budget.notify,
    };
    if (stage !== undefined) n.stage = stage;
    return this.context.df.callActivity(BUDGET_ACTIVITY.notify, n);
  }

  // ------------------------------------------------------------ firing a stage

  /** Plans and applies one stage. False when it was interrupted (paused) and must fire again later. */
  *fireStage(idx: number, m: Measurement, out: BudgetEnforcementOutput): Gen<boolean> {
    const { budget } = this.input;
    const stage = budget.stages[idx]!;
    this.stage = stage.name;
    this.status('acting');
    const planInput: BudgetPlanInput = { budget, stage: idx, existing: [...this.settled].sort(), stoppedClusters: [...this.stopped].sort() };
    let plan: StagePlan;
    try {
      plan = (yield this.context.df.callActivity(BUDGET_ACTIVITY.plan, planInput)) as StagePlan;
    } catch (e) {
      out.failed++;
      this.audit('action', { result: 'failed', decision: `stage ${stage.name}`, error: errorText(e), detail: 'planning failed; the stage fires again at the next evaluation' });
      yield* this.flushAudit();
      yield this.notify('failure', stage.name, `stage ${stage.name} could not be planned: ${errorText(e)}`, []);
      return false;
    }
    let report: BudgetReport | null = null;
    if (budget.allocationClusters.length > 0) {
      try {
        report = (yield this.context.df.callActivity(BUDGET_ACTIVITY.report, { budget, period: this.input.period, now: this.now() } satisfies BudgetReportInput)) as BudgetReport;
      } catch (e) {
        report = { namespaces: [], idle: [], notes: [`namespace allocation unavailable: ${errorText(e)}`] };
      }
    }
    const head = `${budget.name} ${this.input.period.key}: ${basisText(budget, idx, m)} reached stage ${stage.name} (${stage.threshold} % of ${stage.basis}, amount ${budget.amount} ${budget.currency})`;
    const context = contextLines(m, report);
    if (this.mode === 'dry-run') {
      for (const s of plan.steps) this.audit('action', { decision: `stage ${stage.name}`, result: 'dry-run', detail: `would: ${s.description}` });
      yield* this.flushAudit();
      yield this.entity(BUDGET_OP.stageFired, { index: idx, name: stage.name, mode: 'dry-run', now: this.now(), percent: percent(stage.basis === 'actual' ? m.actual : m.forecast, budget.amount) });
      yield this.notify('dry-run', stage.name, `[dry-run] ${head}`, [...plan.steps.map((s) => `would: ${s.description}`), ...plan.skipped.map((s) => `skipped ${s.target}: ${s.reason}`), ...context]);
      return true;
    }
    const lines: string[] = [];
    let n = 0;
    for (const s of plan.steps) {
      this.status('acting', undefined, { done: n++, total: plan.steps.length });
      const r = yield* this.applyStep(s, out);
      if (r === 'paused') {
        out.notes.push(`paused while acting on stage ${stage.name}; it fires again after the pause`);
        yield* this.flushAudit();
        return false;
      }
      lines.push(r);
    }
    yield* this.flushAudit();
    yield this.entity(BUDGET_OP.stageFired, { index: idx, name: stage.name, mode: 'enforce', now: this.now(), percent: percent(stage.basis === 'actual' ? m.actual : m.forecast, budget.amount) });
    yield this.notify('stage', stage.name, head, [...lines, ...plan.skipped.map((s) => `skipped ${s.target}: ${s.reason}`), ...context]);
    this.stage = undefined;
    return true;
  }

  /** read -> intent (values found) -> compare-and-set change -> outcome. Returns a line for humans, or 'paused'. */
  *applyStep(step: Step, out: BudgetEnforcementOutput): Gen<string | 'paused'> {
    const gate = yield* windowGate(this.context, step.description, { cluster: step.cluster, ...(step.namespace ? { namespace: step.namespace } : {}), ...(step.pool ? { nodePool: step.pool } : {}), job: 'budgets' }, { target: step.target });
    if (gate.decision === 'skip' || (gate.decision === 'approval' && !(this.mode === 'enforce' && this.input.budget.stages[step.stage]?.approvalTimeoutSeconds != null))) return `skipped: ${gate.reason}`;
    let current: Values;
    try {
      current = (yield this.context.df.callActivity(BUDGET_ACTIVITY.readStep, { step } satisfies BudgetReadStepInput)) as Values;
    } catch (e) {
      out.failed++;
      this.audit('action', { target: step.target, result: 'failed', error: errorText(e), detail: `could not read before: ${step.description}` });
      return `failed to read ${step.target}: ${errorText(e)}`;
    }
    if (sameValues(current, step.after)) return `already so: ${step.target} (${showValues(step.after)})`;
    const intent = (yield this.entity(BUDGET_OP.intent, { step, before: current, now: this.now() })) as IntentResult;
    let before: Values;
    if (intent.accepted) before = current;
    else if (intent.existing.status === 'intended') before = intent.existing.before; // an interrupted earlier attempt: resume it
    else return `already recorded: ${step.description} (${intent.existing.status})`;
    const res = yield* this.changeWithPolling(step, before, 'apply');
    if (res.outcome === 'skipped' && /^paused/.test(res.detail)) return 'paused';
    const recorded = res.outcome === 'done' || res.outcome === 'already' ? 'applied' : res.outcome === 'drifted' || res.outcome === 'skipped' ? 'skipped' : 'failed';
    const detail = 'detail' in res ? res.detail : undefined;
    yield this.entity(BUDGET_OP.applied, { id: step.id, outcome: recorded, now: this.now(), ...(detail ? { detail } : {}) });
    this.settled.add(step.id);
    if (step.kind === 'cluster-power' && step.after['power'] === 'Stopped' && recorded !== 'skipped') this.stopped.add(step.cluster);
    if (recorded === 'applied') out.applied++;
    if (recorded === 'failed') out.failed++;
    this.audit('action', {
      target: step.target,
      decision: `stage ${this.input.budget.stages[step.stage]?.name ?? step.stage}`,
      result: recorded,
      detail: `${step.description}; before ${showValues(before)}${detail ? ` (${detail})` : ''}`,
    });
    return `${recorded}: ${step.description}${detail ? ` (${detail})` : ''}`;
  }

  /** One compare-and-set change, retried when throttled and polled while a long-running operation runs. */
  *changeWithPolling(step: Step, before: Values, direction: 'apply' | 'restore'): Gen<StepOutcome> {
    const input: BudgetApplyStepInput = { step, before, direction, dryRun: false, instanceId: this.instanceId };
    const target = direction === 'apply' ? step.after : before;
    const deadline = this.context.df.currentUtcDateTime.getTime() + LRO_DEADLINE_SECONDS * 1000;
    let throttled = 0;
    let res: StepOutcome;
    try {
      res = (yield this.context.df.callActivity(BUDGET_ACTIVITY.applyStep, input)) as StepOutcome;
    } catch (e) {
      return { outcome: 'failed', detail: errorText(e) };
    }
    for (;;) {
      if (res.outcome === 'throttled') {
        if (++throttled > MAX_THROTTLE_RETRIES) return { outcome: 'failed', detail: `still throttled after ${MAX_THROTTLE_RETRIES} retries: ${res.detail}` };
        yield this.wait(res.retryAfterSeconds);
        try {
          res = (yield this.context.df.callActivity(BUDGET_ACTIVITY.applyStep, input)) as StepOutcome;
        } catch (e) {
          return { outcome: 'failed', detail: errorText(e) };
        }
        continue;
      }
      if (res.outcome === 'pending') {
        if (this.context.df.currentUtcDateTime.getTime() >= deadline) return { outcome: 'failed', detail: `not finished after ${LRO_DEADLINE_SECONDS / 60} minutes: ${res.detail}` };
        yield this.wait(res.retryAfterSeconds);
        try {
          const check: BudgetCheckStepInput = { step, target };
          if (res.statusUrl) check.statusUrl = res.statusUrl;
          res = (yield this.context.df.callActivity(BUDGET_ACTIVITY.checkStep, check)) as StepOutcome;
        } catch (e) {
          return { outcome: 'failed', detail: errorText(e) };
        }
        continue;
      }
      return res;
    }
  }

  wait(seconds: number): TimerTask {
    const s = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 3600) : DEFAULT_POLL_SECONDS;
    return this.context.df.createTimer(new Date(this.context.df.currentUtcDateTime.getTime() + s * 1000));
  }

  // ------------------------------------------------------------ restore

  /** Restores recorded changes (given newest first). False when something is left to restore later. */
  *restoreActions(entityId: EntityId, periodKey: string, actions: ActionRecord[], reason: 'new-period' | 'hysteresis', out: BudgetEnforcementOutput): Gen<boolean> {
    if (this.input.forceDryRun) {
      for (const a of actions) this.audit('action', { target: a.target, result: 'dry-run', detail: `would restore (${reason}): ${a.description}; back to ${showValues(a.before)}` });
      yield* this.flushAudit();
      return false;
    }
    let complete = true;
    const lines: string[] = [];
    for (const a of actions) {
      const res = yield* this.changeWithPolling(a, a.before, 'restore');
      if (res.outcome === 'skipped' && /^paused/.test(res.detail)) {
        yield* this.flushAudit();
        return false;
      }
      const outcome = res.outcome === 'done' || res.outcome === 'already' ? 'restored' : res.outcome === 'drifted' ? 'drifted' : 'failed';
      const detail = 'detail' in res ? res.detail : undefined;
      yield this.context.df.callEntity(entityId, BUDGET_OP.restored, { id: a.id, outcome, now: this.now(), ...(detail ? { detail } : {}) });
      if (outcome === 'restored') out.restored++;
      if (outcome === 'restored' && a.kind === 'cluster-power' && entityId.key === this.entityId.key) this.stopped.delete(a.cluster);
      if (outcome === 'failed') {
        out.failed++;
        complete = false;
      }
      this.audit('action', { target: a.target, decision: `restore (${reason}, period ${periodKey})`, result: outcome, detail: `${a.description}; back to ${showValues(a.before)}${detail ? ` (${detail})` : ''}` });
      if (outcome === 'drifted') lines.push(`not restored, changed by someone else since: ${a.description} (${detail ?? ''})`);
      else lines.push(`${outcome}: ${a.target} back to ${showValues(a.before)}`);
    }
    yield* this.flushAudit();
    if (reason === 'new-period' && actions.length > 0) yield this.notify('restore', undefined, `${this.input.budget.name}: period ${periodKey} is over; restored what it changed`, lines);
    if (lines.some((l) => l.startsWith('not restored'))) yield this.notify('drift', undefined, `${this.input.budget.name}: some changes were not restored because someone changed the target since`, lines.filter((l) => l.startsWith('not restored')));
    return complete;
  }

  /** Marks the stages of the restored actions restored once none of their changes is left. */
  *closeStages(entityId: EntityId, before: BudgetState, restored: ActionRecord[], reason: 'new-period' | 'hysteresis'): Gen<void> {
    const after = (yield this.context.df.callEntity(entityId, BUDGET_OP.get, {})) as BudgetState;
    const stages = new Set([...before.fired.filter((f) => f.restoredAt === undefined).map((f) => f.index), ...restored.map((a) => a.stage)]);
    for (const idx of [...stages].sort((a, b) => b - a)) {
      if (after.actions.some((a) => a.stage === idx && isRestorable(a))) continue;
      yield this.context.df.callEntity(entityId, BUDGET_OP.stageRestored, { index: idx, now: this.now(), reason });
    }
  }

  // ------------------------------------------------------------ approval

  *approval(idx: number): Gen<boolean> {
    const stage = this.input.budget.stages[idx]!;
    this.stage = stage.name;
    yield this.entity(BUDGET_OP.approval, { stage: idx, status: 'requested', at: this.now(), instanceId: this.instanceId });
    yield this.notify('approval', stage.name, `${this.input.budget.name}: stage ${stage.name} waits for approval (POST /api/budgets/${this.input.budget.name}/approval {"approve": true|false}) until ${new Date(this.context.df.currentUtcDateTime.getTime() + stage.approvalTimeoutSeconds! * 1000).toISOString()}`, []);
    this.status('awaiting-approval');
    const deadline = new Date(this.context.df.currentUtcDateTime.getTime() + stage.approvalTimeoutSeconds! * 1000);
    const timer = this.context.df.createTimer(deadline);
    for (;;) {
      const event = this.context.df.waitForExternalEvent(EVENT_BUDGET_APPROVAL);
      const winner = yield this.context.df.Task.any([event, timer]);
      if (winner !== event) {
        yield this.entity(BUDGET_OP.approval, { stage: idx, status: 'expired', at: this.now(), instanceId: this.instanceId });
        this.audit('decision', { decision: `stage ${stage.name}`, result: 'approval-expired', detail: 'no decision before the timeout: the stage did not act (it asks again at the next evaluation)' });
        yield* this.flushAudit();
        yield this.notify('approval', stage.name, `${this.input.budget.name}: no decision on stage ${stage.name} before the timeout; it did not act`, []);
        return false;
      }
      const d = event.result as BudgetApprovalEvent;
      if (d.stage !== undefined && d.stage !== stage.name) continue; // meant for another stage
      timer.cancel();
      yield this.entity(BUDGET_OP.approval, { stage: idx, status: d.approve ? 'approved' : 'rejected', at: this.now(), by: d.by, instanceId: this.instanceId });
      this.audit('decision', { actor: d.by, decision: `stage ${stage.name}`, result: d.approve ? 'approved' : 'rejected' });
      yield* this.flushAudit();
      return d.approve;
    }
  }
}

function contextLines(m: Measurement, report: BudgetReport | null): string[] {
  const lines = m.drivers.map((d) => `cost driver: ${d.name} ${d.cost.toFixed(2)} ${m.currency}`);
  if (report) {
    for (const ns of report.namespaces.slice(0, 10)) lines.push(`namespace ${ns.cluster}/${ns.namespace}: ${ns.cost.toFixed(2)} ${m.currency}`);
    for (const i of report.idle) lines.push(`idle capacity ${i.cluster}: ${i.cost.toFixed(2)} ${m.currency}`);
    lines.push(...report.notes);
  }
  return lines;
}

/** First line of an error, redacted and bounded. */
function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const line = redactSecrets(text.split('\n')[0]!.trim());
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
