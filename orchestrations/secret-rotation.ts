// The secret-rotation orchestration: one durable, staged, verified cycle per (secret, version).
// Deterministic generator code: time from context.df.currentUtcDateTime, everything else from
// activities (src/rotation/activities.ts), the rotationSlots entity, durable timers and the
// rotationApproval event. Inputs, outputs and custom status carry references only (secret name,
// version IDs, credential labels), never values. Registered as `secretRotation` in functions/.
//
//   slot -> prepare -> create (pending) -> propagate -> [approval] -> roll + wait -> verify -> promote
//                                  \__________ failure at propagate .. verify __________/
//                                   rollback: previous value as a new current version, re-propagate, roll again
//
// The crash-safety argument per step is in docs/decisions/0008-secret-rotation.md.
import * as df from 'durable-functions';
import { actionGates } from './action-gates.js';
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { errorText, type Gen } from './lib.js';
import type { AuditRecord } from '../src/domain/types.js';
import {
  EVENT_ROTATION_APPROVAL,
  ROTATION_ACTIVITY as A,
  type ApprovalEvent,
  type CreateInput,
  type CreateOutput,
  type PrepareInput,
  type PrepareOutput,
  type PromoteInput,
  type PromoteOutput,
  type PropagateInput,
  type RevertProviderInput,
  type RollInput,
  type RollbackInput,
  type RollbackOutput,
  type RolloutStatusInput,
  type RolloutStatusOutput,
  type RotationInput,
  type RotationNotifyInput,
  type RotationOutcome,
  type RotationOutput,
  type RotationPhase,
  type RotationStatus,
  type VerifyInput,
  type VerifyOutput,
} from '../src/rotation/contracts.js';
import { ROTATION_SLOTS_ENTITY, ROTATION_SLOTS_KEY, SLOTS_OP, type AcquireResponse } from './rotation-slots.js';

/** How long to wait for a free slot before giving up (the next sweep or event tries again). */
export const SLOT_WAIT_SECONDS = 6 * 3600;
export const SLOT_RETRY_SECONDS = 60;

class StepFailed extends Error {}

export function* secretRotationOrchestrator(context: OrchestrationContext): Gen<RotationOutput> {
  const run = new Run(context);
  const input = run.input;
  const slots = new df.EntityId(ROTATION_SLOTS_ENTITY, ROTATION_SLOTS_KEY);

  // 0. A slot: at most maxConcurrent rotations, one per secret.
  run.status('waiting-for-slot');
  const giveUpAt = run.nowMs() + SLOT_WAIT_SECONDS * 1000;
  for (;;) {
    const res = (yield context.df.callEntity(slots, SLOTS_OP.acquire, {
      instanceId: run.instanceId,
      secret: input.secretName,
      max: input.maxConcurrent,
      now: run.now(),
      leaseSeconds: input.rolloutTimeoutSeconds * 2 + input.approval.timeoutSeconds + 3600,
    })) as AcquireResponse;
    if (res.granted) break;
    if (res.reason === 'secret-busy' || run.nowMs() >= giveUpAt) return yield* run.finish({ outcome: 'stale', reason: res.detail });
    yield context.df.createTimer(new Date(run.nowMs() + SLOT_RETRY_SECONDS * 1000));
  }

  let out: RotationOutput = { outcome: 'failed', reason: 'not run' };
  try {
    out = yield* rotate(context, run);
  } finally {
    yield context.df.callEntity(slots, SLOTS_OP.release, { instanceId: run.instanceId });
  }
  return yield* run.finish(out);
}

function* rotate(context: OrchestrationContext, run: Run): Gen<RotationOutput> {
  const input = run.input;

  // 1. Still the current version? (A stale or out-of-order request stops here, having changed nothing.)
  run.status('preparing');
  const prep = (yield run.call(A.prepare, {
    instanceId: run.instanceId,
    secretName: input.secretName,
    fromVersion: input.fromVersion,
  } satisfies PrepareInput)) as PrepareOutput;
  if (prep.state !== 'ready') return { outcome: 'stale', reason: prep.detail };
  // Maintenance: wait for the next allowed slot (the window's end); freeze: the approval step below.
  // Then the error-budget policy (docs/slo.md): the roll-out restarts healthy consumers, so while the
  // cluster's budget is spent or burning fast it waits, or needs the approval step below.
  const gate = input.dryRun
    ? null
    : yield* actionGates(
        context,
        `rotate ${input.secretName}`,
        { cluster: input.cluster, job: 'rotation' },
        { target: `keyvault/${input.secretName}`, impact: 'disruptive' },
      );
  if (gate?.decision === 'skip') return { outcome: 'skipped', reason: gate.reason };

  // 2. New credential, stored as a pending version.
  run.status('creating');
  let created: CreateOutput;
  try {
    created = (yield run.call(A.create, {
      instanceId: run.instanceId,
      secretName: input.secretName,
      fromVersion: input.fromVersion,
      dryRun: input.dryRun,
    } satisfies CreateInput)) as CreateOutput;
  } catch (e) {
    // Nothing consumers use has changed: the current version and its credential are untouched.
    yield run.audit('create', 'action', { result: 'failed', error: failureText(e) });
    return { outcome: 'failed', reason: `create failed: ${failureText(e)}` };
  }
  if (input.dryRun) {
    yield run.audit('create', 'action', { result: 'dry-run', detail: created.detail, dryRun: true });
    return { outcome: 'dry-run', reason: created.detail };
  }
  run.newVersion = created.version;
  yield run.audit('create', 'action', {
    result: created.created ? 'done' : 'already-done',
    detail: `${created.detail} (version ${created.version}, credential ${created.credential})`,
  });

  // 3-5. Propagate, [approve], roll, verify: any failure rolls back.
  let failure: string | undefined;
  let rejected = false;
  let restartedAt = run.now();
  try {
    run.status('propagating');
    const p = yield* run.step(
      A.propagate,
      { instanceId: run.instanceId, secretName: input.secretName, version: created.version, dryRun: false } satisfies PropagateInput,
      'propagate',
    );
    yield run.audit('propagate', 'action', { result: 'done', detail: String((p as { detail: string }).detail) });

    if (input.approval.required || gate?.decision === 'approval') {
      run.status('awaiting-approval');
      const askedAt = run.nowMs();
      const approval = yield* waitForApproval(context, run);
      yield run.audit('approval', 'decision', {
        decision: approval.approved ? 'approved' : 'rejected',
        detail: approval.detail,
        waitedSeconds: Math.round((run.nowMs() - askedAt) / 1000),
      });
      if (!approval.approved) {
        rejected = true;
        throw new StepFailed(`not approved: ${approval.detail}`);
      }
    }

    run.status('rolling-out');
    restartedAt = run.now();
    const rolled = yield* run.step(
      A.roll,
      { instanceId: run.instanceId, secretName: input.secretName, restartedAt, dryRun: false } satisfies RollInput,
      'roll',
    );
    yield run.audit('roll', 'action', { result: 'done', detail: String((rolled as { detail: string }).detail) });
    const rollout = yield* waitForRollout(context, run, restartedAt);
    if (rollout.state !== 'done') throw new StepFailed(`rollout ${rollout.state}: ${rollout.detail}`);

    run.status('verifying');
    const v = (yield* run.step(
      A.verify,
      { instanceId: run.instanceId, secretName: input.secretName, version: created.version, restartedAt } satisfies VerifyInput,
      'verify',
    )) as VerifyOutput;
    yield run.audit('verify', 'action', { result: v.ok ? 'ok' : 'failed', detail: v.detail });
    if (!v.ok) throw new StepFailed(`verification failed: ${v.detail}`);
  } catch (e) {
    failure = failureText(e);
  }

  if (failure !== undefined) {
    const rb = yield* rollback(context, run, created.version, failure);
    if (rejected && rb.outcome === 'rolled-back') return { ...rb, outcome: 'rejected' };
    return rb;
  }

  // 6. Promote: the new version is current; the strategy retires what it retires.
  run.status('promoting');
  try {
    const p = (yield run.call(A.promote, {
      instanceId: run.instanceId,
      secretName: input.secretName,
      version: created.version,
      fromVersion: input.fromVersion,
    } satisfies PromoteInput)) as PromoteOutput;
    yield run.audit('promote', 'action', { result: p.warnings.length > 0 ? 'done-with-warnings' : 'done', detail: [p.detail, ...p.warnings].join('; ') });
    return {
      outcome: p.warnings.length > 0 ? 'rotated-with-warnings' : 'rotated',
      newVersion: created.version,
      ...(p.warnings.length > 0 ? { reason: p.warnings.join('; ') } : {}),
    };
  } catch (e) {
    // Consumers run on the new, verified credential; the old one still works. Only the stage tags
    // and the retirement are missing: a human (or the next run) finishes them.
    yield run.audit('promote', 'action', { result: 'failed', error: failureText(e) });
    return { outcome: 'rotated-with-warnings', newVersion: created.version, reason: `promote failed: ${failureText(e)}` };
  }
}

function* rollback(context: OrchestrationContext, run: Run, failedVersion: string, why: string): Gen<RotationOutput> {
  const input = run.input;
  run.status('rolling-back');
  yield run.audit('failure', 'action', { result: 'failed', error: why });
  try {
    const rb = (yield run.call(A.rollback, {
      instanceId: run.instanceId,
      secretName: input.secretName,
      fromVersion: input.fromVersion,
      failedVersion,
    } satisfies RollbackInput)) as RollbackOutput;
    run.restoredVersion = rb.restoredVersion;
    yield run.call(A.propagate, {
      instanceId: run.instanceId,
      secretName: input.secretName,
      version: rb.restoredVersion,
      dryRun: false,
    } satisfies PropagateInput);
    const restartedAt = run.now();
    yield run.call(A.roll, { instanceId: run.instanceId, secretName: input.secretName, restartedAt, dryRun: false } satisfies RollInput);
    const rollout = yield* waitForRollout(context, run, restartedAt);
    let reverted = 'provider side left as it is (consumers not confirmed back on the restored credential)';
    if (rollout.state === 'done') {
      // Only now, with every consumer back on the restored credential, undo the failed one.
      try {
        reverted = (
          (yield run.call(A.revertProvider, {
            instanceId: run.instanceId,
            secretName: input.secretName,
            failedVersion,
            restoredVersion: rb.restoredVersion,
          } satisfies RevertProviderInput)) as { detail: string }
        ).detail;
      } catch (e) {
        reverted = `undoing the failed credential failed: ${failureText(e)}`;
      }
    }
    const detail = `${rb.detail}; re-propagated and rolled consumers (${rollout.state}: ${rollout.detail}); ${reverted}`;
    yield run.audit('rollback', 'action', { result: rollout.state === 'done' ? 'done' : 'incomplete', detail });
    return { outcome: 'rolled-back', newVersion: failedVersion, restoredVersion: rb.restoredVersion, reason: why };
  } catch (e) {
    yield run.audit('rollback', 'action', { result: 'failed', error: failureText(e) });
    return { outcome: 'rollback-failed', newVersion: failedVersion, reason: `${why}; rollback failed: ${failureText(e)}` };
  }
}

function* waitForRollout(context: OrchestrationContext, run: Run, restartedAt: string): Gen<RolloutStatusOutput> {
  const input = run.input;
  const deadline = run.nowMs() + input.rolloutTimeoutSeconds * 1000;
  for (;;) {
    const s = (yield run.call(A.rolloutStatus, { secretName: input.secretName, restartedAt } satisfies RolloutStatusInput)) as RolloutStatusOutput;
    run.rolled = { done: s.done, total: s.total };
    run.status(run.phase);
    if (s.state !== 'progressing') return s;
    if (run.nowMs() >= deadline) return { ...s, state: 'failed', detail: `timed out after ${input.rolloutTimeoutSeconds}s: ${s.detail}` };
    yield context.df.createTimer(new Date(Math.min(deadline, run.nowMs() + input.pollSeconds * 1000)));
  }
}

function* waitForApproval(context: OrchestrationContext, run: Run): Gen<{ approved: boolean; detail: string }> {
  const event = context.df.waitForExternalEvent(EVENT_ROTATION_APPROVAL);
  const timer: TimerTask = context.df.createTimer(new Date(run.nowMs() + run.input.approval.timeoutSeconds * 1000));
  const winner = yield context.df.Task.any([event, timer]);
  if (winner === event) {
    timer.cancel();
    const a = (event.result ?? {}) as Partial<ApprovalEvent>;
    const by = typeof a.by === 'string' ? a.by.slice(0, 200) : 'unknown';
    return { approved: a.approved === true, detail: `${a.approved === true ? 'approved' : 'rejected'} by ${by}` };
  }
  return { approved: false, detail: `no approval within ${run.input.approval.timeoutSeconds}s (escalated)` };
}

class Run {
  readonly input: RotationInput;
  readonly instanceId: string;
  phase: RotationPhase = 'waiting-for-slot';
  newVersion: string | undefined;
  restoredVersion: string | undefined;
  rolled: { done: number; total: number } | undefined;

  constructor(private readonly context: OrchestrationContext) {
    this.input = context.df.getInput<RotationInput>();
    this.instanceId = context.df.instanceId;
  }

  now(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  nowMs(): number {
    return this.context.df.currentUtcDateTime.getTime();
  }

  call(name: string, input: unknown): Task {
    return this.context.df.callActivity(name, input);
  }

  /** An activity whose failure is a step failure (thrown as StepFailed with the step's name). */
  *step(name: string, input: unknown, label: string): Gen<unknown> {
    try {
      return yield this.call(name, input);
    } catch (e) {
      throw new StepFailed(`${label} failed: ${failureText(e)}`);
    }
  }

  status(phase: RotationPhase, outcome?: RotationOutcome): void {
    this.phase = phase;
    const s: RotationStatus = { phase, secret: this.input.secretName, strategy: this.input.strategy, fromVersion: this.input.fromVersion };
    if (this.newVersion) s.newVersion = this.newVersion;
    if (this.restoredVersion) s.restoredVersion = this.restoredVersion;
    if (this.rolled && (phase === 'rolling-out' || phase === 'rolling-back')) s.rolled = this.rolled;
    if (outcome) s.outcome = outcome;
    this.context.df.setCustomStatus(s);
  }

  /** One audit row per step, id instanceId:step, so a replay or retry overwrites the same row. */
  audit(step: string, kind: AuditRecord['kind'], fields: Partial<AuditRecord>): Task {
    const record: AuditRecord = {
      id: `${this.instanceId}:${step}`,
      at: this.now(),
      kind,
      actor: this.input.actor,
      instanceId: this.instanceId,
      runbook: 'secret-rotation',
      rule: this.input.strategy,
      target: `keyvault/${this.input.secretName}`,
      dryRun: this.input.dryRun,
      ...fields,
    };
    return this.call(A.audit, record);
  }

  *finish(out: RotationOutput): Gen<RotationOutput> {
    this.status('auditing');
    const detail = [out.newVersion ? `new version ${out.newVersion}` : '', out.restoredVersion ? `restored as ${out.restoredVersion}` : '', out.reason ?? '']
      .filter((x) => x !== '')
      .join('; ');
    yield this.audit('result', 'result', { result: out.outcome, detail: detail || out.outcome });
    if (out.outcome !== 'rotated' && out.outcome !== 'dry-run' && out.outcome !== 'stale') {
      const n: RotationNotifyInput = {
        id: `${this.instanceId}:notify`,
        at: this.now(),
        instanceId: this.instanceId,
        secretName: this.input.secretName,
        outcome: out.outcome,
        detail: detail || out.outcome,
      };
      yield this.call(A.notify, n);
    }
    this.status('done', out.outcome);
    return out;
  }
}

/** A rotation step's failure, up to 400 characters. */
function failureText(e: unknown): string {
  return errorText(e, { max: 400 });
}
