// Budget notifications as messages for the app's notification targets (src/notify: Teams/Slack, delivery
// with retries, URLs read from app settings and never logged) and the audit log. Pure mapping
// here; the activity in functions/budgets.ts sends.
import type { AuditRecord, NotifyInput } from '../domain/types.js';
import { count } from '../telemetry/metrics.js';
import type { BudgetNotifyInput } from './types.js';

const SEVERITY: Record<BudgetNotifyInput['kind'], NonNullable<NotifyInput['severity']>> = {
  stage: 'warning',
  'dry-run': 'info',
  restore: 'info',
  approval: 'warning',
  drift: 'warning',
  failure: 'critical',
};

/** The shared notification shape (src/domain/types.ts NotifyInput) for a budget event. */
export function toNotifyInput(n: BudgetNotifyInput): NotifyInput {
  const out: NotifyInput = {
    id: n.id,
    kind: n.kind === 'approval' ? 'approval-request' : n.kind === 'failure' ? 'escalation' : 'result',
    at: n.at,
    instanceId: n.instanceId,
    rule: `budget:${n.budget}`,
    runbook: 'budget-enforcement',
    target: `budget/${n.budget}/${n.period}${n.stage ? `/${n.stage}` : ''}`,
    fingerprint: '',
    reason: `budget-${n.kind}`,
    detail: n.summary,
    severity: SEVERITY[n.kind],
    dryRun: n.mode === 'dry-run',
    plan: { summary: n.summary, steps: n.lines.slice(0, 40) },
  };
  if (n.targets) out.targets = n.targets;
  return out;
}

/** A stage fired (or would have, in dry-run): the aksops.budget.stages metric, by the notify activity. */
export function recordStageMetric(n: BudgetNotifyInput): void {
  if (n.kind === 'stage' || n.kind === 'dry-run') count('budgetStages', { budget: n.budget, stage: n.stage ?? 'unknown', mode: n.mode });
}

/** The audit row of a budget notification (its id is the notification's: written once). */
export function notificationAudit(n: BudgetNotifyInput): AuditRecord {
  return {
    id: n.id,
    at: n.at,
    kind: 'result',
    actor: 'orchestration',
    instanceId: n.instanceId,
    rule: `budget:${n.budget}`,
    runbook: 'budget-enforcement',
    target: `budget/${n.budget}/${n.period}`,
    decision: `notify-${n.kind}`,
    dryRun: n.mode === 'dry-run',
    result: n.stage ?? n.kind,
    detail: [n.summary, ...n.lines].join('\n').slice(0, 7000),
  };
}
