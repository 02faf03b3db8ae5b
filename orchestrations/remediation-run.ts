// Per-run values and the small steps every path of the remediation shares: custom status,
// audit rows, notifications, waits, guard release and the final result row. Deterministic:
// time from context.df.currentUtcDateTime, everything else from activities and entities.
import type { OrchestrationContext, Task } from 'durable-functions';
import { clip, type Gen } from './lib.js';
import {
  targetKey,
  type AuditRecord,
  type EscalationPageInput,
  type NotifyInput,
  type RemediationInput,
  type RunbookPlan,
  type RunbookResult,
  type Target,
  type WriteAuditInput,
} from '../src/domain/types.js';
import type { ReleaseOutcome } from '../src/domain/guard.js';
import { REMEDIATION_ACTIVITY } from '../src/domain/remediation-activities.js';
import { GUARD_OP, guardEntityId, type GuardAcquireResponse, type GuardReleaseResponse } from './guard-entity.js';

/** The activity names (declared once in src/domain/remediation-activities.ts, shared with the registrations). */
export const ACTIVITY = REMEDIATION_ACTIVITY;

/** Raised by the intake when Alertmanager reports the alert resolved (same value as src/intake/webhook.ts). */
export const EVENT_ALERT_RESOLVED = 'alertResolved';
/** Raised by POST /api/runbooks/runs/{id}/approve|reject: {decision: 'approve'|'reject', by, comment?}. */
export const EVENT_APPROVAL = 'approval';
/** Raised by POST /api/runbooks/runs/{id}/cancel: {by, reason?}. */
export const EVENT_CANCEL = 'cancel';

export type RemediationOutcome =
  | 'refused'
  | 'resolved-before-action'
  | 'effective'
  | 'ineffective'
  | 'unverified'
  | 'failed'
  | 'timed-out'
  | 'dry-run'
  | 'skipped'
  | 'rejected'
  | 'approval-timeout'
  | 'cancelled'
  | 'notified';

export interface RemediationOutput {
  outcome: RemediationOutcome;
  reason?: string;
  result?: RunbookResult;
  /** Who approved (or rejected) the action, when approval was needed. */
  approvedBy?: string;
}

export type RemediationPhase =
  | 'resolving-target'
  | 'acquiring-guard'
  | 'planning'
  | 'awaiting-approval'
  | 'held-by-error-budget'
  | 'silencing'
  | 'acting'
  | 'waiting-for-progress'
  | 'verifying'
  | 'releasing-guard'
  | 'notifying'
  | 'auditing'
  | 'done';

/** What GET /api/runbooks/runs/{id} and the CLI show (the orchestration's custom status). No secrets. */
export interface RemediationStatus {
  phase: RemediationPhase;
  runbook: string;
  dryRun: boolean;
  target?: string;
  outcome?: RemediationOutcome;
  source?: 'alert' | 'manual';
  requestedBy?: string;
  plan?: { summary: string; steps: string[]; refusal?: string };
  approval?: { reason: string; deadline: string; decision?: 'approve' | 'reject' | 'timeout'; by?: string };
  progress?: { done: number; total: number; detail?: string };
  result?: { action: string; outcome: string; detail?: string };
  verification?: { alert: string; healthy: boolean | null; detail: string };
}

const MAX_STEPS_SHOWN = 40;

export class Run {
  readonly input: RemediationInput;
  readonly instanceId: string;
  target: Target | undefined;
  /** A freeze's reason when a window requires an approval (window-gate.ts), else ''. */
  windowApproval = '';
  private readonly shown: Omit<RemediationStatus, 'phase' | 'runbook' | 'dryRun'> = {};

  constructor(readonly context: OrchestrationContext) {
    this.input = context.df.getInput<RemediationInput>();
    this.instanceId = context.df.instanceId;
    if (this.input.source) this.shown.source = this.input.source;
    if (this.input.requestedBy) this.shown.requestedBy = this.input.requestedBy;
  }

  now(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  at(offsetSeconds: number): Date {
    return new Date(this.context.df.currentUtcDateTime.getTime() + offsetSeconds * 1000);
  }

  get alertname(): string | undefined {
    return this.input.alert?.labels['alertname'];
  }

  /** Sets the custom status; `extra` fields stay until replaced. */
  status(phase: RemediationPhase, extra: Partial<Omit<RemediationStatus, 'phase' | 'runbook' | 'dryRun'>> = {}): void {
    Object.assign(this.shown, extra);
    const s: RemediationStatus = { phase, runbook: this.input.runbook, dryRun: this.input.dryRun, ...this.shown };
    if (this.target) s.target = targetKey(this.target);
    this.context.df.setCustomStatus(s);
  }

  showPlan(plan: RunbookPlan): void {
    const steps =
      plan.steps.length > MAX_STEPS_SHOWN ? [...plan.steps.slice(0, MAX_STEPS_SHOWN), `... ${plan.steps.length - MAX_STEPS_SHOWN} more`] : plan.steps;
    this.shown.plan = { summary: plan.summary, steps, ...(plan.refusal ? { refusal: plan.refusal } : {}) };
  }

  /** An audit row whose id is instanceId + step, so a re-run or retry overwrites the same row. */
  audit(step: 'guard' | 'action' | 'result' | 'approval' | 'policy', fields: Partial<AuditRecord>, idSuffix = ''): Task {
    const { input } = this;
    const record: AuditRecord = {
      id: `${this.instanceId}:${step}${idSuffix}`,
      at: this.now(),
      kind: step,
      actor: input.source === 'manual' && input.requestedBy ? `user:${input.requestedBy}` : 'orchestration',
      instanceId: this.instanceId,
      ...(input.alert ? { fingerprint: input.alert.fingerprint } : {}),
      rule: input.rule,
      runbook: input.runbook,
      target: targetKey(this.target ?? input.target),
      dryRun: input.dryRun,
      ...fields,
    };
    const alertname = this.alertname;
    if (alertname !== undefined) record.alertname = alertname;
    return this.context.df.callActivity(ACTIVITY.writeAudit, record satisfies WriteAuditInput);
  }

  /** A notification; `key` makes its id unique within the run (approval-request, result, escalation:<reason>). */
  notify(kind: NotifyInput['kind'], reason: string, detail: string, extra: Partial<Pick<NotifyInput, 'severity' | 'plan' | 'deadline'>> = {}): Task {
    const { input } = this;
    const n: NotifyInput = {
      id: kind === 'escalation' ? `${this.instanceId}:escalation:${reason}` : `${this.instanceId}:${kind}`,
      kind,
      at: this.now(),
      instanceId: this.instanceId,
      rule: input.rule,
      runbook: input.runbook,
      target: targetKey(this.target ?? input.target),
      fingerprint: input.alert?.fingerprint ?? '',
      reason,
      detail,
      dryRun: input.dryRun,
      ...extra,
    };
    if (input.notify) n.targets = input.notify;
    const alertname = this.alertname;
    if (alertname !== undefined) n.alertname = alertname;
    return this.context.df.callActivity(ACTIVITY.notify, n);
  }

  /** Sends a message; a notify activity that fails (e.g. the audit table is down) never fails the run. */
  *tell(kind: NotifyInput['kind'], reason: string, detail: string, extra: Partial<Pick<NotifyInput, 'severity' | 'plan' | 'deadline'>> = {}): Gen<void> {
    try {
      yield this.notify(kind, reason, detail, extra);
    } catch {
      // The activity logs its own failures; the remediation goes on.
    }
  }

  /** Triggers or resolves escalation level `level` of the approval wait; one incident per run and level. A paging failure never fails the run. */
  *page(level: number, action: EscalationPageInput['action'], why: string): Gen<void> {
    const receivers = this.input.approval?.escalation?.[level]?.receivers ?? [];
    const target = targetKey(this.target ?? this.input.target);
    const input: EscalationPageInput = {
      key: `${this.instanceId}:awaiting-approval:level-${level}`,
      action,
      receivers,
      level,
      instanceId: this.instanceId,
      summary: clip(`${this.input.runbook} on ${target} waits for approval, level ${level + 1}: ${why}`, 1000),
      source: target.split('/')[0] ?? 'aksops',
      at: this.now(),
    };
    try {
      yield this.context.df.callActivity(ACTIVITY.escalationPage, input);
    } catch {
      // The activity logs and audits its own failures.
    }
  }

  *escalate(reason: string, detail: string): Gen<void> {
    yield* this.tell('escalation', reason, detail, { severity: 'critical' });
  }

  /** The first of `tasks` to finish; a task that already finished wins without yielding (waiters are raced only while open). */
  *first(tasks: Task[]): Gen<Task> {
    const done = tasks.find((t) => t.isCompleted || t.isFaulted);
    if (done) return done;
    return (yield this.context.df.Task.any(tasks)) as Task;
  }

  *refuse(refusal: Extract<GuardAcquireResponse, { granted: false }>): Gen<RemediationOutput> {
    this.status('done', { outcome: 'refused' });
    yield this.audit('guard', { decision: 'refused', result: refusal.reason, detail: refusal.detail });
    if (refusal.reason === 'circuit-open') yield* this.escalate('circuit-open', refusal.detail);
    return { outcome: 'refused', reason: refusal.reason };
  }

  *release(outcome: ReleaseOutcome): Gen<void> {
    this.status('releasing-guard');
    const target = this.target;
    if (!target) return;
    const res = (yield this.context.df.callEntity(guardEntityId(target), GUARD_OP.release, {
      instanceId: this.instanceId,
      now: this.now(),
      outcome,
    })) as GuardReleaseResponse;
    if (res.released && res.breakerOpened) {
      yield* this.escalate(
        'breaker-opened',
        `circuit breaker opened on ${targetKey(target)} after this ${outcome} remediation; automated actions on it stop until a human resets it`,
      );
    }
  }

  *finish(out: RemediationOutput): Gen<RemediationOutput> {
    this.status('auditing');
    const fields: Partial<AuditRecord> = { result: out.outcome };
    // The action row has the action's detail; this row says how the run ended.
    const detail = out.reason ?? out.result?.action;
    if (detail !== undefined) fields.detail = clip(detail, 2000);
    yield this.audit('result', fields);
    this.status('done', { outcome: out.outcome });
    return out;
  }
}

/** A completed task's value, or its error thrown (Task.any hands back failed children without throwing). */
export function unwrap(task: Task): unknown {
  if (task.isFaulted) throw task.result;
  return task.result;
}
