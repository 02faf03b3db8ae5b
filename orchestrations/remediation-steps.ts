// The long waits of a remediation, as generator helpers of the orchestration: the approval
// (an external event raced against a durable timer), the action followed to its end (short
// runRunbook checks between durable timers), the closed-loop verification (a durable timer,
// then Alertmanager and the target's health), and the Alertmanager silence around it all.
// Deterministic: no clock, no I/O; every decision comes from a task's result.
import type { Task, TimerTask } from 'durable-functions';
import {
  targetKey,
  type RunbookPlan,
  type RunbookResult,
  type RunRunbookInput,
  type SilenceInput,
  type SilenceResult,
  type Target,
  type VerifyInput,
  type VerifyResult,
} from '../src/domain/types.js';
import { ACTIVITY, type Run } from './remediation-run.js';
import { clip, errorText, type Gen } from './lib.js';

/** The run's single waiter per external event: raced at every wait (see remediationOrchestrator). */
export interface Waiters {
  resolved: Task;
  cancel: Task;
  approval: Task;
}

export interface ApprovalEvent {
  decision: 'approve' | 'reject';
  by: string;
  comment?: string;
}

export type ApprovalOutcome =
  | { result: 'approved'; by: string; comment?: string }
  | { result: 'rejected'; by: string; comment?: string }
  | { result: 'timeout' }
  | { result: 'resolved' }
  | { result: 'cancelled'; by: string };

function cancelledBy(cancel: Task): string {
  const v = cancel.result as { by?: unknown } | undefined;
  return typeof v?.by === 'string' && v.by !== '' ? v.by : 'unknown';
}

/**
 * Asks for approval (notification with the plan and links) and waits for the `approval` event,
 * the alert resolving, a cancel, or the timeout, whichever comes first. Records the decision.
 */
export function* awaitApproval(run: Run, plan: RunbookPlan, reason: string, w: Waiters): Gen<ApprovalOutcome> {
  const timeout = run.input.approval?.timeoutSeconds ?? 1800;
  const deadline = run.at(timeout);
  run.status('awaiting-approval', { approval: { reason, deadline: deadline.toISOString() } });
  yield* run.tell('approval-request', 'approval', `${plan.summary}: approval needed (${reason}); decide before ${deadline.toISOString()}`, {
    severity: 'warning',
    plan: { summary: plan.summary, steps: plan.steps.slice(0, 40) },
    deadline: deadline.toISOString(),
  });
  const timer: TimerTask = run.context.df.createTimer(deadline);
  const { winner, paged } = yield* waitEscalating(run, deadline.getTime() - timeout * 1000, reason, [w.cancel, w.resolved, w.approval], timer);
  if (winner !== timer) timer.cancel();
  let outcome: ApprovalOutcome;
  if (winner === w.cancel) outcome = { result: 'cancelled', by: cancelledBy(w.cancel) };
  else if (winner === w.resolved) outcome = { result: 'resolved' };
  else if (winner === timer) outcome = { result: 'timeout' };
  else {
    const ev = (w.approval.result ?? {}) as Partial<ApprovalEvent>;
    const by = typeof ev.by === 'string' && ev.by !== '' ? ev.by : 'unknown';
    const comment = typeof ev.comment === 'string' && ev.comment !== '' ? clip(ev.comment, 500) : undefined;
    // Anything but an explicit approve is a rejection: a malformed event never lets the action through.
    outcome =
      ev.decision === 'approve' ? { result: 'approved', by, ...(comment ? { comment } : {}) } : { result: 'rejected', by, ...(comment ? { comment } : {}) };
  }
  const decision = outcome.result === 'approved' ? 'approve' : outcome.result === 'rejected' ? 'reject' : outcome.result === 'timeout' ? 'timeout' : undefined;
  if (decision) {
    run.status('awaiting-approval', { approval: { reason, deadline: deadline.toISOString(), decision, ...('by' in outcome ? { by: outcome.by } : {}) } });
  }
  const detail =
    outcome.result === 'approved'
      ? `approved by ${outcome.by}${outcome.comment ? `: ${outcome.comment}` : ''}`
      : outcome.result === 'rejected'
        ? `rejected by ${outcome.by}${outcome.comment ? `: ${outcome.comment}` : ''}`
        : outcome.result === 'timeout'
          ? `nobody decided within ${Math.round(timeout / 60)} minutes; the action was not taken`
          : outcome.result === 'resolved'
            ? 'the alert resolved while waiting for approval; the run is cancelled'
            : `cancelled by ${outcome.by} while waiting for approval`;
  yield run.audit('approval', {
    actor: 'by' in outcome ? `user:${outcome.by}` : 'orchestration',
    decision: outcome.result,
    result: decision ?? outcome.result,
    detail: `${plan.summary}: ${detail}`,
    ...(decision ? { waitedSeconds: timeout - Math.round((deadline.getTime() - run.context.df.currentUtcDateTime.getTime()) / 1000) } : {}),
  });
  // Approved, rejected, cancelled or resolved: nobody needs to be woken any more. A timeout keeps
  // the pages open (the run escalates approval-timeout: someone still has to look).
  if (outcome.result !== 'timeout') for (const level of paged) yield* run.page(level, 'resolve', `${plan.summary}: ${detail}`);
  return outcome;
}

/**
 * Races the waiters and the approval deadline against the escalation levels (paging.escalation):
 * each level's durable timer that wins pages its receivers once (escalationPage, deduplicated by
 * run and level) and the wait goes on. Returns the task that ended the wait and the levels paged.
 */
function* waitEscalating(run: Run, requestedAtMs: number, reason: string, waiters: Task[], deadline: TimerTask): Gen<{ winner: Task; paged: number[] }> {
  const levels = run.input.approval?.escalation ?? [];
  const paged: number[] = [];
  for (let level = 0; ; level++) {
    const next = levels[level];
    const esc = next ? run.context.df.createTimer(new Date(requestedAtMs + next.afterSeconds * 1000)) : undefined;
    const winner = yield* run.first([...waiters, deadline, ...(esc ? [esc] : [])]);
    if (esc && winner === esc) {
      yield* run.page(level, 'trigger', `nobody approved within ${Math.round(next!.afterSeconds / 60)} minutes (${reason})`);
      paged.push(level);
      continue;
    }
    esc?.cancel();
    return { winner, paged };
  }
}

export interface ActOutcome {
  result: RunbookResult;
  /** The action itself threw (an API server error after retries): the message. */
  error?: string;
  timedOut?: boolean;
  cancelledBy?: string;
}

const MAX_CHECK_ERRORS = 3;

/**
 * Runs the runbook once, then while it reports `pending`, waits on a durable timer and checks
 * again (runRunbook with the next iteration), until it is done, fails, the progress timeout
 * passes (the result says what is left) or the run is cancelled. A check that throws (a
 * transient API error) is retried at the next interval, up to MAX_CHECK_ERRORS in a row.
 */
export function* actUntilDone(run: Run, target: Target, plan: RunbookPlan, w: Waiters): Gen<ActOutcome> {
  const input = run.input;
  run.status('acting');
  const base: RunRunbookInput = {
    runbook: input.runbook,
    params: input.params,
    target,
    dryRun: input.dryRun,
    restartedAt: run.now(),
    instanceId: run.instanceId,
    fixed: plan.fixed,
    iteration: 0,
    ...(input.alert ? { labels: input.alert.labels } : {}),
    ...(input.source ? { source: input.source } : {}),
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  };
  let result: RunbookResult;
  let error: string | undefined;
  try {
    result = (yield run.context.df.callActivity(ACTIVITY.runRunbook, base)) as RunbookResult;
  } catch (e) {
    error = errorText(e);
    result = {
      runbook: input.runbook,
      dryRun: input.dryRun,
      action: `${input.runbook} on ${targetKey(target)}`,
      actedOn: target,
      outcome: 'failed',
      detail: error,
    };
  }
  yield run.audit('action', {
    dryRun: input.dryRun,
    result: result.outcome,
    detail: clip(result.detail ? `${result.action} (${result.detail})` : result.action, 2000),
    ...(error ? { error } : {}),
  });
  if (error) return { result, error };
  if (input.dryRun || !result.pending || result.outcome === 'failed' || result.outcome === 'skipped') return { result: settle(result) };

  const first = result;
  const progress = input.progress ?? { timeoutSeconds: 900, intervalSeconds: 30 };
  const deadline = run.at(progress.timeoutSeconds).getTime();
  let errors = 0;
  let lastError = '';
  for (let iteration = 1; ; iteration++) {
    const pending = result.pending;
    if (!pending && errors === 0) break;
    run.status('waiting-for-progress', {
      progress: { done: result.progress?.done ?? 0, total: result.progress?.total ?? 0, detail: clip(pending?.reason ?? lastError, 500) },
    });
    const now = run.context.df.currentUtcDateTime.getTime();
    if (now >= deadline) {
      const left = pending?.reason ?? lastError;
      return {
        result: {
          ...first,
          outcome: 'failed',
          detail: `timed out after ${Math.round(progress.timeoutSeconds / 60)} minutes; left: ${left}`,
          ...(result.progress ? { progress: result.progress } : {}),
        },
        timedOut: true,
      };
    }
    const wait = Math.max(1, Math.min(pending?.retryAfterSeconds ?? progress.intervalSeconds, progress.intervalSeconds * 10));
    const timer: TimerTask = run.context.df.createTimer(new Date(Math.min(now + wait * 1000, deadline)));
    const winner = yield* run.first([w.cancel, timer]);
    if (winner === w.cancel) {
      timer.cancel();
      return { result: { ...first, detail: `cancelled while ${pending?.reason ?? 'checking progress'}` }, cancelledBy: cancelledBy(w.cancel) };
    }
    try {
      const next = (yield run.context.df.callActivity(ACTIVITY.runRunbook, { ...base, iteration } satisfies RunRunbookInput)) as RunbookResult;
      errors = 0;
      result = next;
      if (next.outcome === 'failed' || next.outcome === 'skipped')
        return {
          result: {
            ...first,
            outcome: next.outcome === 'failed' ? 'failed' : first.outcome,
            detail: next.detail ?? next.action,
            ...(next.progress ? { progress: next.progress } : {}),
          },
        };
    } catch (e) {
      errors++;
      lastError = `check ${iteration} failed: ${errorText(e)}`;
      if (errors >= MAX_CHECK_ERRORS)
        return { result: { ...first, outcome: 'failed', detail: `${MAX_CHECK_ERRORS} checks in a row failed; last: ${lastError}` }, error: lastError };
      result = { ...result, pending: { reason: lastError, retryAfterSeconds: progress.intervalSeconds } };
    }
  }
  // Done: the first call's action and outcome (done or already-done), the last check's detail and progress.
  return { result: settle({ ...first, ...(result.detail ? { detail: result.detail } : {}), ...(result.progress ? { progress: result.progress } : {}) }) };
}

/** A finished result carries no `pending`. */
function settle(r: RunbookResult): RunbookResult {
  if (!r.pending) return r;
  const { pending: _p, ...rest } = r;
  return rest;
}

export type Verdict =
  { verdict: 'effective' | 'ineffective' | 'unverified'; detail: string; verification?: VerifyResult } | { verdict: 'cancelled'; by: string };

/**
 * d. Did the action work? Wait verifyAfterSeconds (a durable timer; the alert resolving ends the
 * wait early), then ask verifyRemediation: is the alert still in Alertmanager (active, silenced
 * or inhibited all count as firing), and is the target healthy?
 * - effective: the alert is gone (or the run had no alert) and the target is healthy;
 * - ineffective: the alert still fires, or the target is unhealthy;
 * - unverified: Alertmanager could not be read and no resolved notification came.
 */
export function* verify(run: Run, target: Target, plan: RunbookPlan, w: Waiters): Gen<Verdict> {
  const input = run.input;
  run.status('verifying');
  if (!w.resolved.isCompleted) {
    const timer: TimerTask = run.context.df.createTimer(run.at(input.verifyAfterSeconds));
    const winner = yield* run.first([w.cancel, w.resolved, timer]);
    if (winner !== timer) timer.cancel();
    if (winner === w.cancel) return { verdict: 'cancelled', by: cancelledBy(w.cancel) };
  }
  const vin: VerifyInput = {
    runbook: input.runbook,
    params: input.params,
    target,
    fixed: plan.fixed,
    instanceId: run.instanceId,
    ...(input.alert ? { alert: { labels: input.alert.labels, externalURL: input.alert.externalURL } } : {}),
  };
  let v: VerifyResult;
  try {
    v = (yield run.context.df.callActivity(ACTIVITY.verifyRemediation, vin)) as VerifyResult;
  } catch (e) {
    v = { alert: 'unknown', healthy: null, detail: `verification failed: ${errorText(e)}` };
  }
  run.status('verifying', { verification: { alert: v.alert, healthy: v.healthy, detail: clip(v.detail, 500) } });
  const resolvedEvent = w.resolved.isCompleted;
  if (v.alert === 'firing') return { verdict: 'ineffective', detail: `the alert is still firing: ${v.detail}`, verification: v };
  if (v.healthy === false) return { verdict: 'ineffective', detail: `the target is not healthy: ${v.detail}`, verification: v };
  if (v.alert === 'unknown' && !resolvedEvent) return { verdict: 'unverified', detail: `could not confirm the alert cleared: ${v.detail}`, verification: v };
  return { verdict: 'effective', detail: v.detail, verification: v };
}

/** Creates the run's silence; undefined when Alertmanager refused or was unreachable (the run goes on). */
export function* createSilence(run: Run, target: Target, durationSeconds: number): Gen<string | undefined> {
  const alert = run.input.alert;
  if (!alert) return undefined;
  run.status('silencing');
  const params = Object.values(run.input.params);
  // The alert's name, namespace and the labels the rule took its parameters from: the target's alerts, not every alert.
  const matchLabels = Object.keys(alert.labels).filter((k) => k === 'alertname' || k === 'namespace' || params.includes(alert.labels[k]!));
  const input: SilenceInput = {
    op: 'create',
    instanceId: run.instanceId,
    labels: alert.labels,
    matchLabels,
    externalURL: alert.externalURL,
    durationSeconds,
    comment: `aksops remediation ${run.instanceId}: ${run.input.runbook} on ${targetKey(target)}`,
    at: run.now(),
  };
  try {
    const r = (yield run.context.df.callActivity(ACTIVITY.silence, input)) as SilenceResult;
    return r.silenceId;
  } catch {
    return undefined;
  }
}

export function* expireSilence(run: Run, silenceId: string | undefined): Gen<void> {
  const alert = run.input.alert;
  if (!silenceId || !alert) return;
  try {
    yield run.context.df.callActivity(ACTIVITY.silence, {
      op: 'expire',
      instanceId: run.instanceId,
      silenceId,
      externalURL: alert.externalURL,
    } satisfies SilenceInput);
  } catch {
    // The silence ends on its own at its endsAt.
  }
}
