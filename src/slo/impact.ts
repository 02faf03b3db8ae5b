// Which runbooks take capacity away or restart healthy parts (disruptive) and which restore a
// broken service (restorative), for the error-budget policy. Every runbook is listed on purpose:
// a new runbook without a decision here is treated as disruptive (and a test names it).
import type { RunbookPlan } from '../domain/types.js';
import type { ActionImpact } from './policy.js';

export const RUNBOOK_IMPACT: Readonly<Record<string, ActionImpact>> = {
  'restart-pod': 'restorative', // the pod is already failing
  'rollback-deployment': 'restorative',
  'expand-pvc': 'restorative',
  'uncordon-node': 'restorative', // gives capacity back
  'delete-failed-jobs': 'restorative',
  'notify-only': 'restorative',
  'rollout-restart': 'disruptive', // restarts every healthy replica
  'cordon-node': 'disruptive',
  'drain-node': 'disruptive',
  'run-job': 'disruptive', // a one-off change (migration, vacuum) to the running service
  'scale-workload': 'restorative', // up; a scale-down is decided from the plan below
};

/** The impact of a planned runbook run; a scale-down (the plan asks approval for it) is disruptive. */
export function runbookImpact(runbook: string, plan?: Pick<RunbookPlan, 'requiresApproval'>): ActionImpact {
  if (runbook === 'scale-workload') return plan?.requiresApproval ? 'disruptive' : 'restorative';
  return RUNBOOK_IMPACT[runbook] ?? 'disruptive';
}
