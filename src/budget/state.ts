// The enforcement state of one budget in one period, and the rules that change it. Pure functions
// over plain JSON: the durable entity (orchestrations/budget-entity.ts) stores the state, runs one
// operation at a time, and passes the orchestration's time in.
//
// Rules:
//  - Stages are levels. The level is the highest stage whose condition holds; reaching it fires
//    every lower stage not fired yet, in order (a forecast stage can be reached before a lower
//    actual one). Stages only escalate within a period: a stage fires at most once per period
//    (restored stages do not fire again), and a stage changes a target at most once (action id =
//    stage + target), so an action is never applied twice.
//  - Restore within the period: the highest active stages whose basis fell below
//    threshold - hysteresis are released, highest first (stages with restoreWithinPeriod only).
//  - Every change is recorded with the values found right before it (intent, written before the
//    change is made) and restored in reverse order to exactly those values.
//  - One evaluation acts at a time: a lease, taken over when its holder is presumed dead.
import { sameValues, type ActionRecord, type BudgetMode, type BudgetSpec, type Measurement, type Step, type Values } from './types.js';

export interface StageRecord {
  index: number;
  name: string;
  mode: BudgetMode;
  firedAt: string;
  /** The stage's basis as a percentage of the amount when it fired. */
  percent: number | null;
  restoredAt?: string;
  restoreReason?: 'hysteresis' | 'new-period';
}

export interface ApprovalRecord {
  stage: number;
  status: 'requested' | 'approved' | 'rejected' | 'expired';
  at: string;
  by?: string;
  instanceId: string;
}

export interface LastEvaluation {
  at: string;
  instanceId: string;
  actual: number | null;
  forecast: number | null;
  actualPercent: number | null;
  forecastPercent: number | null;
  currency: string;
  asOf: string;
  level: number;
  mode: BudgetMode;
  notes: string[];
}

export interface BudgetState {
  budget: string;
  period: string;
  lease: { instanceId: string; since: string; until: string } | null;
  /** Earlier periods were checked for actions still to restore. */
  lookbackDone: boolean;
  /** Stages fired in enforce mode, in firing order. */
  fired: StageRecord[];
  /** Stages reported in dry-run mode (each once per period). */
  dryRun: StageRecord[];
  actions: ActionRecord[];
  nextSeq: number;
  last: LastEvaluation | null;
  approvals: ApprovalRecord[];
  /** The last events, newest last (bounded). */
  log: Array<{ at: string; event: string }>;
}

export const LOG_LIMIT = 100;

export function initialBudgetState(budget = '', period = ''): BudgetState {
  return { budget, period, lease: null, lookbackDone: false, fired: [], dryRun: [], actions: [], nextSeq: 1, last: null, approvals: [], log: [] };
}

function withLog(state: BudgetState, at: string, event: string): BudgetState {
  const log = [...state.log, { at, event }];
  return { ...state, log: log.length > LOG_LIMIT ? log.slice(log.length - LOG_LIMIT) : log };
}

function ms(t: string): number {
  const v = Date.parse(t);
  if (!Number.isFinite(v)) throw new RangeError(`not a time: ${t}`);
  return v;
}

/** The stage waiting for a person: the newest requested approval of the evaluation that holds the lease. */
export function waitingApproval(state: BudgetState | null): ApprovalRecord | undefined {
  return state?.approvals.filter((a) => a.status === 'requested' && state.lease?.instanceId === a.instanceId).at(-1);
}

// ---------------------------------------------------------------- lease

export interface AcquireRequest {
  instanceId: string;
  now: string;
  leaseSeconds: number;
  budget: string;
  period: string;
}

export type AcquireResult = { granted: true; takeoverFrom?: string } | { granted: false; holder: string; until: string };

export function acquireLease(state: BudgetState, req: AcquireRequest): { state: BudgetState; result: AcquireResult } {
  const base = state.budget ? state : { ...state, budget: req.budget, period: req.period };
  const held = base.lease;
  if (held?.instanceId === req.instanceId) return { state: base, result: { granted: true } };
  if (held && ms(req.now) < ms(held.until)) return { state: base, result: { granted: false, holder: held.instanceId, until: held.until } };
  const lease = { instanceId: req.instanceId, since: req.now, until: new Date(ms(req.now) + req.leaseSeconds * 1000).toISOString() };
  const next = withLog({ ...base, lease }, req.now, held ? `lease taken over from ${held.instanceId} by ${req.instanceId}` : `lease to ${req.instanceId}`);
  return { state: next, result: held ? { granted: true, takeoverFrom: held.instanceId } : { granted: true } };
}

export function releaseLease(state: BudgetState, req: { instanceId: string; now: string }): { state: BudgetState; result: { released: boolean } } {
  if (state.lease?.instanceId !== req.instanceId) return { state, result: { released: false } };
  return { state: { ...state, lease: null }, result: { released: true } };
}

// ---------------------------------------------------------------- evaluation

export function percent(value: number | null, amount: number): number | null {
  return value === null ? null : Math.round((value / amount) * 10_000) / 100;
}

export interface StageCheck {
  index: number;
  name: string;
  basis: 'actual' | 'forecast';
  threshold: number;
  /** The basis as a percentage of the amount (null: no data). */
  percent: number | null;
  holds: boolean;
  /** Below this the stage is released (threshold - hysteresis). */
  releaseBelow: number;
}

/** Each stage's condition against a measurement, and the level reached (-1: none). */
export function checkStages(spec: Pick<BudgetSpec, 'amount' | 'stages'>, m: Pick<Measurement, 'actual' | 'forecast'>): { checks: StageCheck[]; level: number } {
  const actualPct = percent(m.actual, spec.amount);
  const forecastPct = percent(m.forecast, spec.amount);
  const checks = spec.stages.map((s): StageCheck => {
    const p = s.basis === 'actual' ? actualPct : forecastPct;
    return {
      index: s.index,
      name: s.name,
      basis: s.basis,
      threshold: s.threshold,
      percent: p,
      holds: p !== null && p >= s.threshold,
      releaseBelow: s.threshold - s.hysteresis,
    };
  });
  let level = -1;
  for (const c of checks) if (c.holds) level = Math.max(level, c.index);
  return { checks, level };
}

export interface Decision {
  level: number;
  /** Stages to fire now, lowest first. */
  fire: number[];
  /** Stages to restore now, highest first. */
  release: number[];
  checks: StageCheck[];
  /** Stages not fired because a human rejected them this period. */
  rejected: number[];
}

export interface EvaluateRequest {
  instanceId: string;
  now: string;
  mode: BudgetMode;
  spec: Pick<BudgetSpec, 'amount' | 'stages'>;
  measurement: Pick<Measurement, 'actual' | 'forecast' | 'currency' | 'asOf' | 'notes'>;
}

export function activeStages(state: BudgetState): StageRecord[] {
  return state.fired.filter((f) => f.restoredAt === undefined);
}

/** What an evaluation should do, without changing anything. */
export function decide(state: BudgetState, req: Omit<EvaluateRequest, 'instanceId' | 'now'>): Decision {
  const { checks, level } = checkStages(req.spec, req.measurement);
  const already = new Set((req.mode === 'enforce' ? state.fired : state.dryRun).map((f) => f.index));
  const rejected = new Set(state.approvals.filter((a) => a.status === 'rejected').map((a) => a.stage));
  const fire: number[] = [];
  const skippedRejected: number[] = [];
  for (let i = 0; i <= level; i++) {
    if (already.has(i)) continue;
    if (req.mode === 'enforce' && rejected.has(i)) {
      skippedRejected.push(i);
      break; // a rejected stage holds the ones above it back too
    }
    fire.push(i);
  }
  const release: number[] = [];
  if (req.mode === 'enforce') {
    const active = activeStages(state).sort((a, b) => b.index - a.index);
    for (const a of active) {
      const stage = req.spec.stages[a.index];
      const c = checks[a.index];
      if (!stage || !c || !stage.restoreWithinPeriod || c.percent === null || c.percent >= c.releaseBelow) break;
      release.push(a.index);
    }
  }
  return { level, fire, release, checks, rejected: skippedRejected };
}

/** Records the measurement and returns the decision. */
export function evaluate(state: BudgetState, req: EvaluateRequest): { state: BudgetState; result: Decision } {
  const d = decide(state, req);
  const last: LastEvaluation = {
    at: req.now,
    instanceId: req.instanceId,
    actual: req.measurement.actual,
    forecast: req.measurement.forecast,
    actualPercent: percent(req.measurement.actual, req.spec.amount),
    forecastPercent: percent(req.measurement.forecast, req.spec.amount),
    currency: req.measurement.currency,
    asOf: req.measurement.asOf,
    level: d.level,
    mode: req.mode,
    notes: req.measurement.notes,
  };
  return { state: { ...state, last }, result: d };
}

export function markStageFired(
  state: BudgetState,
  req: { index: number; name: string; mode: BudgetMode; now: string; percent: number | null },
): { state: BudgetState; result: { recorded: boolean } } {
  const list = req.mode === 'enforce' ? state.fired : state.dryRun;
  if (list.some((f) => f.index === req.index)) return { state, result: { recorded: false } };
  const rec: StageRecord = { index: req.index, name: req.name, mode: req.mode, firedAt: req.now, percent: req.percent };
  const next = req.mode === 'enforce' ? { ...state, fired: [...state.fired, rec] } : { ...state, dryRun: [...state.dryRun, rec] };
  return { state: withLog(next, req.now, `${req.mode === 'enforce' ? 'stage' : 'dry-run stage'} ${req.name} fired`), result: { recorded: true } };
}

export function markStageRestored(
  state: BudgetState,
  req: { index: number; now: string; reason: 'hysteresis' | 'new-period' },
): { state: BudgetState; result: { recorded: boolean } } {
  const i = state.fired.findIndex((f) => f.index === req.index && f.restoredAt === undefined);
  if (i < 0) return { state, result: { recorded: false } };
  const fired = [...state.fired];
  fired[i] = { ...fired[i]!, restoredAt: req.now, restoreReason: req.reason };
  return { state: withLog({ ...state, fired }, req.now, `stage ${fired[i].name} restored (${req.reason})`), result: { recorded: true } };
}

// ---------------------------------------------------------------- actions

export type IntentResult = { accepted: true; seq: number } | { accepted: false; existing: ActionRecord };

/** Records a change before it is made, with the values found right before it. Once per id. */
export function recordIntent(state: BudgetState, req: { step: Step; before: Values; now: string }): { state: BudgetState; result: IntentResult } {
  const existing = state.actions.find((a) => a.id === req.step.id);
  if (existing) return { state, result: { accepted: false, existing } };
  const rec: ActionRecord = { ...req.step, seq: state.nextSeq, before: req.before, status: 'intended', intendedAt: req.now };
  const next = { ...state, actions: [...state.actions, rec], nextSeq: state.nextSeq + 1 };
  return { state: next, result: { accepted: true, seq: rec.seq } };
}

function updateAction(state: BudgetState, id: string, patch: Partial<ActionRecord>): BudgetState | null {
  const i = state.actions.findIndex((a) => a.id === id);
  if (i < 0) return null;
  const actions = [...state.actions];
  actions[i] = { ...actions[i]!, ...patch };
  return { ...state, actions };
}

export function markApplied(
  state: BudgetState,
  req: { id: string; outcome: 'applied' | 'skipped' | 'failed'; now: string; detail?: string },
): { state: BudgetState; result: { recorded: boolean } } {
  const cur = state.actions.find((a) => a.id === req.id);
  if (!cur || cur.status !== 'intended') return { state, result: { recorded: false } };
  const patch: Partial<ActionRecord> = { status: req.outcome };
  if (req.outcome === 'applied') patch.appliedAt = req.now;
  if (req.detail !== undefined) patch.detail = req.detail;
  const next = updateAction(state, req.id, patch)!;
  return { state: withLog(next, req.now, `${req.outcome} ${cur.description}`), result: { recorded: true } };
}

export function markRestored(
  state: BudgetState,
  req: { id: string; outcome: 'restored' | 'drifted' | 'failed'; now: string; detail?: string },
): { state: BudgetState; result: { recorded: boolean } } {
  const cur = state.actions.find((a) => a.id === req.id);
  if (!cur || !isRestorable(cur)) return { state, result: { recorded: false } };
  const status = req.outcome === 'failed' ? 'restore-failed' : req.outcome;
  const patch: Partial<ActionRecord> = { status };
  if (req.outcome === 'restored') patch.restoredAt = req.now;
  if (req.detail !== undefined) patch.detail = req.detail;
  const next = updateAction(state, req.id, patch)!;
  return { state: withLog(next, req.now, `${status} ${cur.description}`), result: { recorded: true } };
}

/** Changes that may be in effect: everything intended or applied and not yet restored. */
export function isRestorable(a: ActionRecord): boolean {
  return a.status === 'intended' || a.status === 'applied' || a.status === 'failed' || a.status === 'restore-failed';
}

/** What to restore, newest change first (reverse apply order), for the given stages (all when omitted). */
export function restorePlan(state: BudgetState, stages?: number[]): ActionRecord[] {
  const filter = stages ? new Set(stages) : null;
  return state.actions.filter((a) => isRestorable(a) && (!filter || filter.has(a.stage))).sort((a, b) => b.seq - a.seq);
}

/** Clusters this period's actions stopped and have not started again. */
export function stoppedClusters(state: BudgetState): string[] {
  return state.actions.filter((a) => a.kind === 'cluster-power' && isRestorable(a) && a.after['power'] === 'Stopped').map((a) => a.cluster);
}

export function setLookbackDone(state: BudgetState, _req: { now: string }): { state: BudgetState; result: { recorded: boolean } } {
  if (state.lookbackDone) return { state, result: { recorded: false } };
  return { state: { ...state, lookbackDone: true }, result: { recorded: true } };
}

export function recordApproval(state: BudgetState, req: ApprovalRecord): { state: BudgetState; result: { recorded: boolean } } {
  const approvals = [...state.approvals.filter((a) => !(a.stage === req.stage && a.instanceId === req.instanceId)), req];
  return {
    state: withLog({ ...state, approvals }, req.at, `approval of stage ${req.stage}: ${req.status}${req.by ? ` by ${req.by}` : ''}`),
    result: { recorded: true },
  };
}

/** True when the values are what a step's record says was found before it (nothing left to restore). */
export function holdsBefore(a: ActionRecord, current: Values): boolean {
  return sameValues(a.before, current);
}
