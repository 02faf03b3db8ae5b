// The remediation orchestration: resolve the target, take its guard, plan the action, wait for
// a human's approval when the runbook, the rule or the scope requires it, silence the alert,
// act (and follow a long action to its end), verify in closed loop (Alertmanager and the
// target's health), expire the silence, give the guard back, notify and audit. Alert-driven
// runs (the webhook) and on-call runs (POST /api/runbooks/{name}) share it.
// Deterministic generator code: time comes from context.df.currentUtcDateTime, everything else
// from activities, the guard entity, durable timers and external events (alertResolved,
// approval, cancel). Registered as `remediation` in functions/. The long waits live in
// remediation-steps.ts, the shared small steps in remediation-run.ts.
import type { OrchestrationContext } from 'durable-functions';
import type { PlanRunbookInput, RunbookPlan, RunbookResult, Target } from '../src/domain/types.js';
import type { ReleaseOutcome } from '../src/domain/guard.js';
import { RUNBOOKS } from '../src/runbooks/catalogue.js';
import { GUARD_OP, guardEntityId, type GuardAcquireResponse } from './guard-entity.js';
import {
  ACTIVITY,
  EVENT_ALERT_RESOLVED,
  EVENT_APPROVAL,
  EVENT_CANCEL,
  Run,
  unwrap,
  type RemediationOutcome,
  type RemediationOutput,
} from './remediation-run.js';
import { clip, errorText, type Gen } from './lib.js';
import { actUntilDone, awaitApproval, createSilence, expireSilence, verify, type Waiters } from './remediation-steps.js';
import { errorBudgetHold } from './remediation-error-budget.js';
import { windowGate, windowScope } from './window-gate.js';

export { ACTIVITY, EVENT_ALERT_RESOLVED, EVENT_APPROVAL, EVENT_CANCEL };
export type { RemediationOutcome, RemediationOutput, RemediationPhase, RemediationStatus } from './remediation-run.js';

/** The guard lock outlives the run's longest waits by this much before another run may take it over. */
export const LEASE_MARGIN_SECONDS = 1800;

// ---- Activity contracts: defined in src/domain/types.ts (the activities in src/ implement them).
export type {
  ResolveTargetInput,
  RunRunbookInput,
  WriteAuditInput,
  NotifyInput,
  PlanRunbookInput,
  VerifyInput,
  VerifyResult,
  SilenceInput,
  SilenceResult,
} from '../src/domain/types.js';

export function* remediationOrchestrator(context: OrchestrationContext): Gen<RemediationOutput> {
  const run = new Run(context);
  // One waiter per event for the whole run, raced at every wait. The SDK hands an event to
  // whichever waiter is open (or buffers it until one is), so a fresh waiter per race could lose
  // the event to an older, abandoned one; a single task that stays completed cannot.
  const w: Waiters = {
    resolved: context.df.waitForExternalEvent(EVENT_ALERT_RESOLVED),
    cancel: context.df.waitForExternalEvent(EVENT_CANCEL),
    approval: context.df.waitForExternalEvent(EVENT_APPROVAL),
  };
  const def = RUNBOOKS[run.input.runbook];

  // notify-only changes nothing: no target to resolve, no guard, no action.
  if (def && !def.acts) {
    run.target = run.input.target;
    run.status('notifying');
    yield* run.tell('result', 'notified', def.describe(run.input.params), { severity: 'warning' });
    return yield* run.finish({ outcome: 'notified', reason: 'on-call notified; nothing was changed' });
  }

  // a. Resolve the target, raced against the alert clearing on its own and a cancel.
  run.status('resolving-target');
  const resolveTask = context.df.callActivity(ACTIVITY.resolveTarget, { target: run.input.target });
  const r0 = yield* run.first([resolveTask, w.resolved, w.cancel]);
  if (r0 === w.cancel) return yield* run.finish({ outcome: 'cancelled', reason: 'cancelled before the target was resolved' });
  if (r0 !== resolveTask) return yield* run.finish({ outcome: 'resolved-before-action', reason: 'alert resolved before the target was resolved' });
  if (resolveTask.isFaulted) return yield* run.finish({ outcome: 'failed', reason: `resolveTarget failed: ${errorText(resolveTask.result)}` });
  const target = resolveTask.result as Target;
  run.target = target;
  // Maintenance windows and freezes, at the moment of acting (docs/windows.md).
  const gate = yield* windowGate(context, run.input.runbook, windowScope(target, run.input.source === 'manual' ? 'runbooks' : 'remediation'), {
    override: run.input.overrideWindows === true,
    interrupt: [w.resolved, w.cancel],
  });
  if (gate.interruptedBy)
    return yield* run.finish(
      gate.interruptedBy === w.cancel
        ? { outcome: 'cancelled', reason: `cancelled while waiting: ${gate.reason}` }
        : { outcome: 'resolved-before-action', reason: `alert resolved while waiting: ${gate.reason}` },
    );
  if (gate.decision === 'skip') return yield* run.finish({ outcome: 'skipped', reason: gate.reason });
  run.windowApproval = gate.decision === 'approval' ? gate.reason : '';

  // b. Take the guard. If the alert clears meanwhile, still wait for the answer: a lock granted
  // to a run that stopped listening would stay held until its lease ran out.
  run.status('acquiring-guard');
  const acquireTask = context.df.callEntity(guardEntityId(target), GUARD_OP.acquire, {
    instanceId: run.instanceId,
    now: run.now(),
    policy: run.input.guard,
    leaseSeconds: leaseSeconds(run),
  });
  const first = yield* run.first([acquireTask, w.resolved, w.cancel]);
  let acquired: GuardAcquireResponse;
  try {
    acquired = (first === acquireTask ? unwrap(acquireTask) : yield acquireTask) as GuardAcquireResponse;
  } catch (e) {
    return yield* run.finish({ outcome: 'failed', reason: `guard acquire failed: ${errorText(e)}` });
  }
  if (first !== acquireTask) {
    if (acquired.granted) yield* run.release('noop');
    return yield* run.finish(
      first === w.cancel
        ? { outcome: 'cancelled', reason: 'cancelled before acting' }
        : { outcome: 'resolved-before-action', reason: 'alert resolved before acting' },
    );
  }
  if (!acquired.granted) return yield* run.refuse(acquired);

  // c-g. Plan, approve, act, verify; the guard is released whatever happens in between (an audit
  // write that fails still fails the run, but not before the lock is given back).
  let ended: Ended = { out: { outcome: 'failed' }, releaseAs: run.input.dryRun ? 'dry-run' : 'failed' };
  try {
    ended = yield* planApproveActVerify(run, target, w);
  } finally {
    yield* run.release(ended.releaseAs);
  }

  // h. Tell people, then the result row.
  yield* tell(run, ended);
  return yield* run.finish(ended.out);
}

interface Ended {
  out: RemediationOutput;
  releaseAs: ReleaseOutcome;
  /** Past planning: people hear about the end (result or escalation). */
  announce?: boolean;
  plan?: RunbookPlan;
}

function leaseSeconds(run: Run): number {
  const i = run.input;
  return (
    i.verifyAfterSeconds +
    (i.approval ? i.approval.timeoutSeconds : 0) +
    (i.progress?.timeoutSeconds ?? 0) +
    (i.errorBudget?.maxWaitSeconds ?? 0) +
    LEASE_MARGIN_SECONDS
  );
}

function* planApproveActVerify(run: Run, target: Target, w: Waiters): Gen<Ended> {
  const input = run.input;
  const noop: ReleaseOutcome = input.dryRun ? 'dry-run' : 'noop';

  // c. Plan: what will change, read from the cluster; refusals (paused Deployment, storage class
  // without expansion, no previous revision, pool budget, ...) end the run here.
  run.status('planning');
  const planInput: PlanRunbookInput = {
    runbook: input.runbook,
    params: input.params,
    target,
    instanceId: run.instanceId,
    at: run.now(),
    ...(input.alert ? { labels: input.alert.labels } : {}),
  };
  let plan: RunbookPlan;
  try {
    plan = (yield run.context.df.callActivity(ACTIVITY.planRunbook, planInput)) as RunbookPlan;
  } catch (e) {
    return { out: { outcome: 'failed', reason: `planRunbook failed: ${errorText(e)}` }, releaseAs: noop, announce: true };
  }
  run.showPlan(plan);
  run.status('planning');
  if (plan.refusal) {
    return { out: { outcome: 'skipped', reason: `${plan.summary}: ${plan.refusal}` }, releaseAs: noop, announce: true, plan };
  }

  // c'. Error-budget policy: a disruptive action while the scope's SLO budget is spent or
  // burning fast asks a human, or waits (orchestrations/remediation-error-budget.ts).
  const held = yield* errorBudgetHold(run, target, plan, w);
  if (held.end) return { out: held.end, releaseAs: noop, announce: true, plan };

  // d. Approval, when the runbook, the rule or the scope requires it, or the plan does (a
  // scale-down) and the rule did not waive it, or the error budget does. Dry-runs need none.
  const a = input.approval;
  const reasons = [
    a?.required ? (a.reason ?? 'approval required') : '',
    run.windowApproval,
    plan.requiresApproval && !(a?.waivePlan ?? false) ? plan.requiresApproval : '',
    held.approval ?? '',
  ].filter(Boolean);
  let approvedBy: string | undefined;
  if (reasons.length > 0 && !input.dryRun) {
    const decision = yield* awaitApproval(run, plan, reasons.join('; '), w);
    switch (decision.result) {
      case 'approved':
        approvedBy = decision.by;
        break;
      case 'rejected':
        return {
          out: { outcome: 'rejected', reason: `rejected by ${decision.by}${decision.comment ? `: ${decision.comment}` : ''}` },
          releaseAs: 'noop',
          announce: true,
          plan,
        };
      case 'timeout':
        return {
          out: {
            outcome: 'approval-timeout',
            reason: `nobody approved "${plan.summary}" within ${Math.round((a?.timeoutSeconds ?? 0) / 60)} minutes; nothing was done`,
          },
          releaseAs: 'noop',
          announce: true,
          plan,
        };
      case 'resolved':
        return {
          out: { outcome: 'resolved-before-action', reason: 'the alert resolved while waiting for approval; nothing was done' },
          releaseAs: 'noop',
          announce: true,
          plan,
        };
      case 'cancelled':
        return { out: { outcome: 'cancelled', reason: `cancelled by ${decision.by} while waiting for approval` }, releaseAs: 'noop', announce: true, plan };
    }
  } else if (w.cancel.isCompleted) {
    return { out: { outcome: 'cancelled', reason: 'cancelled before acting' }, releaseAs: noop, plan };
  }
  const withApprover = (o: RemediationOutput): RemediationOutput => (approvedBy ? { ...o, approvedBy } : o);

  // e. Silence the alert while acting and verifying (rules[].silence), expire it after.
  const silenceId =
    input.silence?.enabled && input.alert && !input.dryRun
      ? yield* createSilence(run, target, Math.min(input.silence.maxSeconds, input.verifyAfterSeconds + (input.progress?.timeoutSeconds ?? 0) + 600))
      : undefined;
  try {
    // f. Act, and follow a long action (rollout, drain, resize, Job) to its end.
    const acted = yield* actUntilDone(run, target, plan, w);
    const result = acted.result;
    run.status('acting', {
      result: { action: clip(result.action, 500), outcome: result.outcome, ...(result.detail ? { detail: clip(result.detail, 1000) } : {}) },
    });
    if (acted.cancelledBy)
      return {
        out: withApprover({ outcome: 'cancelled', reason: `cancelled by ${acted.cancelledBy} while the action was in progress`, result }),
        releaseAs: 'noop',
        announce: true,
        plan,
      };
    if (acted.timedOut)
      return {
        out: withApprover({ outcome: 'timed-out', reason: result.detail ?? 'timed out', result }),
        releaseAs: input.dryRun ? 'dry-run' : 'failed',
        announce: true,
        plan,
      };
    if (result.outcome === 'failed')
      return { out: withApprover({ outcome: 'failed', result }), releaseAs: input.dryRun ? 'dry-run' : 'failed', announce: true, plan };
    if (result.outcome === 'skipped') return { out: withApprover({ outcome: 'skipped', result }), releaseAs: 'noop', announce: true, plan };
    if (input.dryRun) return { out: { outcome: 'dry-run', result }, releaseAs: 'dry-run', announce: true, plan };

    // g. Closed loop.
    const v = yield* verify(run, target, plan, w);
    if (v.verdict === 'cancelled')
      return { out: withApprover({ outcome: 'cancelled', reason: `cancelled by ${v.by} while verifying`, result }), releaseAs: 'noop', announce: true, plan };
    const out = withApprover({ outcome: v.verdict, result, ...(v.verdict !== 'effective' ? { reason: clip(v.detail, 1000) } : {}) });
    return { out, releaseAs: v.verdict === 'effective' ? 'effective' : 'ineffective', announce: true, plan };
  } finally {
    yield* expireSilence(run, silenceId);
  }
}

const ESCALATE: Partial<Record<RemediationOutcome, true>> = { ineffective: true, unverified: true, failed: true, 'timed-out': true, 'approval-timeout': true };

/** One message at the end: an escalation when a human must look, else the result. */
function* tell(run: Run, ended: Ended): Gen<void> {
  if (!ended.announce) return;
  run.status('notifying');
  const o = ended.out;
  const text = describeEnd(o);
  const plan = ended.plan ? { plan: { summary: ended.plan.summary, steps: ended.plan.steps.slice(0, 40) } } : {};
  if (ESCALATE[o.outcome]) yield* run.tell('escalation', o.outcome, text, { severity: 'critical', ...plan });
  else yield* run.tell('result', o.outcome, text, { severity: o.outcome === 'effective' || o.outcome === 'dry-run' ? 'info' : 'warning', ...plan });
}

function describeEnd(o: RemediationOutput): string {
  const r: RunbookResult | undefined = o.result;
  const parts = [r ? `${r.action}${r.detail ? ` (${r.detail})` : ''}` : '', o.reason ?? '', o.approvedBy ? `approved by ${o.approvedBy}` : ''].filter(Boolean);
  return clip(`${o.outcome}: ${parts.join('; ')}`, 3000);
}
