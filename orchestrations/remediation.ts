// The remediation orchestration: resolve the target, take its guard, run the runbook once,
// wait for the alert to clear, give the guard back, audit. Deterministic generator code: time
// comes from context.df.currentUtcDateTime, everything else from activities, the guard entity,
// durable timers and the `alertResolved` event. Registered as `remediation` in functions/.
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { targetKey, type AuditRecord, type RemediationInput, type RunbookResult, type Target } from '../src/domain/types.js';
import type { ReleaseOutcome } from '../src/domain/guard.js';
import { redactSecrets } from '../src/domain/audit-query.js';
import { GUARD_OP, guardEntityId, type GuardAcquireResponse, type GuardReleaseResponse } from './guard-entity.js';

export const ACTIVITY = {
  resolveTarget: 'resolveTarget',
  runRunbook: 'runRunbook',
  writeAudit: 'writeAudit',
  notify: 'notify',
} as const;

/** Raised by the intake when Alertmanager reports the alert resolved (same value as src/intake/webhook.ts). */
export const EVENT_ALERT_RESOLVED = 'alertResolved';

/** The guard lock outlives the verification wait by this much before another run may take it over. */
export const LEASE_MARGIN_SECONDS = 1800;

// ---- Activity contracts: defined in src/domain/types.ts (the activities in src/ implement them).
export type { ResolveTargetInput, RunRunbookInput, WriteAuditInput, NotifyInput } from '../src/domain/types.js';
import type { NotifyInput, ResolveTargetInput, RunRunbookInput, WriteAuditInput } from '../src/domain/types.js';

export type RemediationOutcome = 'refused' | 'resolved-before-action' | 'effective' | 'unverified' | 'failed' | 'dry-run' | 'skipped';

export interface RemediationOutput {
  outcome: RemediationOutcome;
  reason?: string;
  result?: RunbookResult;
}

export type RemediationPhase = 'resolving-target' | 'acquiring-guard' | 'acting' | 'verifying' | 'releasing-guard' | 'auditing' | 'done';

export interface RemediationStatus {
  phase: RemediationPhase;
  runbook: string;
  dryRun: boolean;
  target?: string;
  outcome?: RemediationOutcome;
}

type Gen<T> = Generator<Task, T, unknown>;

export function* remediationOrchestrator(context: OrchestrationContext): Gen<RemediationOutput> {
  const run = new Run(context);
  // One waiter for the whole run, raced at every wait. The SDK hands an event to whichever waiter
  // is open (or buffers it until one is), so a fresh waiter per race could lose the event to an
  // older, abandoned one; a single task that stays completed cannot.
  const resolved = context.df.waitForExternalEvent(EVENT_ALERT_RESOLVED);

  // a. Resolve the target, raced against the alert clearing on its own.
  run.status('resolving-target');
  const resolveTask = context.df.callActivity(ACTIVITY.resolveTarget, { target: run.input.target } satisfies ResolveTargetInput);
  if ((yield context.df.Task.any([resolveTask, resolved])) !== resolveTask) {
    return yield* run.finish({ outcome: 'resolved-before-action', reason: 'alert resolved before the target was resolved' });
  }
  if (resolveTask.isFaulted) return yield* run.finish({ outcome: 'failed', reason: `resolveTarget failed: ${errorText(resolveTask.result)}` });
  const target = resolveTask.result as Target;
  run.target = target;

  // b. Take the guard. If the alert clears meanwhile, still wait for the answer: a lock granted
  // to a run that stopped listening would stay held until its lease ran out.
  run.status('acquiring-guard');
  const acquireTask = context.df.callEntity(guardEntityId(target), GUARD_OP.acquire, {
    instanceId: run.instanceId,
    now: run.now(),
    policy: run.input.guard,
    leaseSeconds: run.input.verifyAfterSeconds + LEASE_MARGIN_SECONDS,
  });
  const first = yield context.df.Task.any([acquireTask, resolved]);
  let acquired: GuardAcquireResponse;
  try {
    acquired = (first === acquireTask ? unwrap(acquireTask) : yield acquireTask) as GuardAcquireResponse;
  } catch (e) {
    return yield* run.finish({ outcome: 'failed', reason: `guard acquire failed: ${errorText(e)}` });
  }
  if (first !== acquireTask) {
    if (acquired.granted) yield* run.release('noop');
    return yield* run.finish({ outcome: 'resolved-before-action', reason: 'alert resolved before acting' });
  }
  if (!acquired.granted) return yield* run.refuse(acquired);

  // c-e. Act and verify; the guard is released whatever happens in between (an audit write that
  // fails still fails the run, but not before the lock is given back).
  let acted: ActResult = { outcome: 'failed', releaseAs: run.input.dryRun ? 'dry-run' : 'failed' };
  try {
    acted = yield* act(context, run, target, resolved);
  } finally {
    yield* run.release(acted.releaseAs);
  }

  // f. The result row.
  return yield* run.finish(acted.result ? { outcome: acted.outcome, result: acted.result } : { outcome: acted.outcome });
}

interface ActResult {
  outcome: RemediationOutcome;
  releaseAs: ReleaseOutcome;
  result?: RunbookResult;
}

function* act(context: OrchestrationContext, run: Run, target: Target, resolved: Task): Gen<ActResult> {
  const input = run.input;
  run.status('acting');
  const runbookInput: RunRunbookInput = {
    runbook: input.runbook,
    params: input.params,
    target,
    dryRun: input.dryRun,
    restartedAt: run.now(),
    instanceId: run.instanceId,
  };
  let result: RunbookResult;
  let error: string | undefined;
  try {
    result = (yield context.df.callActivity(ACTIVITY.runRunbook, runbookInput)) as RunbookResult;
  } catch (e) {
    error = errorText(e);
    result = { runbook: input.runbook, dryRun: input.dryRun, action: `${input.runbook} on ${targetKey(target)}`, actedOn: target, outcome: 'failed', detail: error };
  }
  yield run.audit('action', {
    dryRun: input.dryRun,
    result: result.outcome,
    detail: result.detail ? `${result.action} (${result.detail})` : result.action,
    ...(error ? { error } : {}),
  });

  if (result.outcome === 'failed') return { outcome: 'failed', releaseAs: input.dryRun ? 'dry-run' : 'failed', result };
  if (result.outcome === 'skipped') return { outcome: 'skipped', releaseAs: 'noop', result };
  if (input.dryRun) return { outcome: 'dry-run', releaseAs: 'dry-run', result };
  run.status('verifying');
  const verdict = yield* verify(context, input, resolved);
  return { outcome: verdict, releaseAs: verdict === 'effective' ? 'effective' : 'ineffective', result };
}

/**
 * d. Did the action work? Today: the alert resolved within verifyAfterSeconds. This is the slot
 * for closed-loop checks against Alertmanager (next issue): keep it a generator returning the verdict.
 * `resolved` is the run's single alertResolved waiter; it may have completed already (while acting).
 */
export function* verify(context: OrchestrationContext, input: RemediationInput, resolved: Task): Gen<'effective' | 'unverified'> {
  if (resolved.isCompleted) return 'effective';
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + input.verifyAfterSeconds * 1000);
  const timer: TimerTask = context.df.createTimer(deadline);
  const winner = yield context.df.Task.any([resolved, timer]);
  if (winner === resolved) {
    timer.cancel();
    return 'effective';
  }
  return 'unverified';
}

/** Per-run values and the small steps every path shares (status, audit rows, guard release). */
class Run {
  readonly input: RemediationInput;
  readonly instanceId: string;
  target: Target | undefined;

  constructor(private readonly context: OrchestrationContext) {
    this.input = context.df.getInput() as RemediationInput;
    this.instanceId = context.df.instanceId;
  }

  now(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  status(phase: RemediationPhase, outcome?: RemediationOutcome): void {
    const s: RemediationStatus = { phase, runbook: this.input.runbook, dryRun: this.input.dryRun };
    if (this.target) s.target = targetKey(this.target);
    if (outcome) s.outcome = outcome;
    this.context.df.setCustomStatus(s);
  }

  /** An audit row whose id is instanceId + step, so a re-run or retry overwrites the same row. */
  audit(step: 'guard' | 'action' | 'result', fields: Partial<AuditRecord>): Task {
    const { input } = this;
    const record: AuditRecord = {
      id: `${this.instanceId}:${step}`,
      at: this.now(),
      kind: step,
      actor: 'orchestration',
      instanceId: this.instanceId,
      fingerprint: input.alert.fingerprint,
      rule: input.rule,
      runbook: input.runbook,
      target: targetKey(this.target ?? input.target),
      dryRun: input.dryRun,
      ...fields,
    };
    const alertname = input.alert.labels['alertname'];
    if (alertname !== undefined) record.alertname = alertname;
    return this.context.df.callActivity(ACTIVITY.writeAudit, record satisfies WriteAuditInput);
  }

  escalate(reason: NotifyInput['reason'], detail: string): Task {
    const { input } = this;
    const n: NotifyInput = {
      id: `${this.instanceId}:escalation`,
      kind: 'escalation',
      at: this.now(),
      instanceId: this.instanceId,
      rule: input.rule,
      runbook: input.runbook,
      target: targetKey(this.target ?? input.target),
      fingerprint: input.alert.fingerprint,
      reason,
      detail,
    };
    const alertname = input.alert.labels['alertname'];
    if (alertname !== undefined) n.alertname = alertname;
    return this.context.df.callActivity(ACTIVITY.notify, n);
  }

  *refuse(refusal: Extract<GuardAcquireResponse, { granted: false }>): Gen<RemediationOutput> {
    this.status('done', 'refused');
    yield this.audit('guard', { decision: 'refused', result: refusal.reason, detail: refusal.detail });
    if (refusal.reason === 'circuit-open') yield this.escalate('circuit-open', refusal.detail);
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
      yield this.escalate('breaker-opened', `circuit breaker opened on ${targetKey(target)} after this ${outcome} remediation; automated actions on it stop until a human resets it`);
    }
  }

  *finish(out: RemediationOutput): Gen<RemediationOutput> {
    this.status('auditing');
    const fields: Partial<AuditRecord> = { result: out.outcome };
    const detail = out.reason ?? out.result?.action;
    if (detail !== undefined) fields.detail = detail;
    yield this.audit('result', fields);
    this.status('done', out.outcome);
    return out;
  }
}

/** A completed task's value, or its error thrown (Task.any hands back failed children without throwing). */
function unwrap(task: Task): unknown {
  if (task.isFaulted) throw task.result;
  return task.result;
}

/** First line of an error, redacted and bounded: activity errors can carry server bodies and credentials. */
function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const line = redactSecrets(text.split('\n')[0]!.trim());
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
