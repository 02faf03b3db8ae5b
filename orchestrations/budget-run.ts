// The state and plumbing of one budget evaluation (orchestrations/budget-enforcement.ts): its
// input and mode, the entity it talks to, custom status, buffered audit rows, notifications and
// durable waits. The steps that act are in budget-steps.ts. Deterministic: time from
// context.df.currentUtcDateTime only.
import type { EntityId, OrchestrationContext, Task, TimerTask } from 'durable-functions';
import type { Gen } from './lib.js';
import type { AuditRecord } from '../src/domain/types.js';
import { percent, stoppedClusters, type BudgetState } from '../src/budget/state.js';
import {
  BUDGET_ACTIVITY,
  type BudgetEnforcementInput,
  type BudgetMode,
  type BudgetNotifyInput,
  type BudgetReport,
  type BudgetSpec,
  type Measurement,
} from '../src/budget/types.js';
import { budgetEntityId } from './budget-entity.js';

/** Earlier periods checked for changes still to restore when a new period starts. */
export const LOOKBACK_PERIODS = 3;
/** How long one long-running ARM operation may take before the step counts as failed. */
export const LRO_DEADLINE_SECONDS = 45 * 60;
/** Retries of one ARM write that was throttled (429). */
export const MAX_THROTTLE_RETRIES = 5;
/** Wait between polls when ARM names no Retry-After. */
const DEFAULT_POLL_SECONDS = 30;

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

export function pct(p: number | null): string {
  return p === null ? 'n/a' : `${p} %`;
}

export function basisText(budget: BudgetSpec, idx: number, m: Measurement): string {
  const s = budget.stages[idx]!;
  return `${s.basis} ${pct(percent(s.basis === 'actual' ? m.actual : m.forecast, budget.amount))}`;
}

export function contextLines(m: Measurement, report: BudgetReport | null): string[] {
  const lines = m.drivers.map((d) => `cost driver: ${d.name} ${d.cost.toFixed(2)} ${m.currency}`);
  if (report) {
    for (const ns of report.namespaces.slice(0, 10)) lines.push(`namespace ${ns.cluster}/${ns.namespace}: ${ns.cost.toFixed(2)} ${m.currency}`);
    for (const i of report.idle) lines.push(`idle capacity ${i.cluster}: ${i.cost.toFixed(2)} ${m.currency}`);
    lines.push(...report.notes);
  }
  return lines;
}

export class BudgetRun {
  readonly input: BudgetEnforcementInput;
  readonly instanceId: string;
  readonly mode: BudgetMode;
  readonly entityId: EntityId;
  private auditSeq = 0;
  /** The stage being fired (shown in custom status). */
  stage: string | undefined;
  private pendingAudit: AuditRecord[] = [];
  /** Ids of this period's actions that are no longer 'intended' (a stage changes a target once). */
  readonly settled = new Set<string>();
  /** Clusters this period's actions stopped and did not start again. */
  readonly stopped = new Set<string>();

  constructor(readonly context: OrchestrationContext) {
    this.input = context.df.getInput<BudgetEnforcementInput>();
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

  wait(seconds: number): TimerTask {
    const s = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 3600) : DEFAULT_POLL_SECONDS;
    return this.context.df.createTimer(new Date(this.context.df.currentUtcDateTime.getTime() + s * 1000));
  }
}
