// The error-budget step of a remediation (docs/slo.md), between the plan and the approval: a
// disruptive action (drain, rollout restart, scale-down, ...) on a scope whose SLO budget is
// spent or burning fast asks a human, or waits on durable timers until the budget allows it
// (or gives up after maxWait and escalates). Restorative actions and dry-runs pass without a
// look. Deterministic: the verdict comes from the errorBudgetGate activity, given the
// orchestration's time.
import type { RunbookPlan, Target } from '../src/domain/types.js';
import type { ErrorBudgetGateInput } from '../src/slo/activities.js';
import { runbookImpact } from '../src/slo/impact.js';
import type { GateVerdict } from '../src/slo/policy.js';
import type { Waiters } from './remediation-steps.js';
import { errorText, type Gen } from './lib.js';
import { ACTIVITY, type RemediationOutput, type Run } from './remediation-run.js';

export type BudgetHold = { approval?: string; end?: undefined } | { end: RemediationOutput };

export function* errorBudgetHold(run: Run, target: Target, plan: RunbookPlan, w: Waiters): Gen<BudgetHold> {
  if (!run.input.errorBudget || run.input.dryRun) return {};
  const impact = runbookImpact(run.input.runbook, plan);
  if (impact === 'restorative') return {};
  let waitedSeconds = 0;
  for (let check = 0; ; check++) {
    let v: GateVerdict;
    try {
      v = (yield run.context.df.callActivity(ACTIVITY.errorBudgetGate, { target, impact, at: run.now() } satisfies ErrorBudgetGateInput)) as GateVerdict;
    } catch (e) {
      // Fail closed: nobody can tell the service can afford a disruption, so a human decides.
      v = {
        verdict: 'approval',
        policy: 'error-budget',
        reason: `the error budget could not be read (${errorText(e)}): a human decides`,
        maxWaitSeconds: 0,
        recheckSeconds: 0,
      };
    }
    if (v.verdict === 'allow') {
      if (waitedSeconds > 0)
        yield run.audit(
          'policy',
          {
            decision: 'released',
            result: 'error-budget',
            detail: `${plan.summary}: the error budget allows it again after ${Math.round(waitedSeconds / 60)} minutes`,
          },
          ':released',
        );
      return {};
    }
    if (v.verdict === 'approval') {
      yield run.audit('policy', { decision: 'approval-required', result: 'error-budget', detail: `${plan.summary}: ${v.reason}` });
      return { approval: v.reason };
    }
    if (check === 0) {
      yield run.audit('policy', {
        decision: 'held',
        result: 'error-budget',
        detail: `${plan.summary}: ${v.reason}; looking again every ${Math.round(v.recheckSeconds / 60)} minutes for up to ${Math.round(v.maxWaitSeconds / 60)}`,
      });
    }
    if (waitedSeconds + v.recheckSeconds > v.maxWaitSeconds) {
      return { end: { outcome: 'timed-out', reason: `${v.reason}; still held after ${Math.round(waitedSeconds / 60)} minutes, so nothing was done` } };
    }
    run.status('held-by-error-budget', { approval: { reason: v.reason, deadline: run.at(v.maxWaitSeconds - waitedSeconds).toISOString() } });
    const timer = run.context.df.createTimer(run.at(v.recheckSeconds));
    const winner = yield* run.first([timer, w.resolved, w.cancel]);
    if (winner !== timer) {
      timer.cancel();
      return {
        end:
          winner === w.cancel
            ? { outcome: 'cancelled', reason: 'cancelled while held by the error-budget policy' }
            : { outcome: 'resolved-before-action', reason: 'the alert resolved while the error-budget policy held the action; nothing was done' },
      };
    }
    waitedSeconds += v.recheckSeconds;
  }
}
