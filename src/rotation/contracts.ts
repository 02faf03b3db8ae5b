// Contracts of the secret-rotation orchestration and its activities. They cross the durable
// history as JSON: references only (secret name, version IDs, credential labels such as a role
// name or key1/key2), never values. Activities fetch values from Key Vault where they use them.
// (Kept beside the rotation code rather than in src/domain/types.ts, which other jobs edit.)
import type { RotationStrategyName } from '../config/rotation-schema.js';

export type RotationReason = 'near-expiry' | 'expired' | 'sweep' | 'manual';

/** Orchestration input. */
export interface RotationInput {
  instanceId: string;
  secretName: string;
  /** The version being replaced (the current one when the rotation was requested). */
  fromVersion: string;
  strategy: RotationStrategyName;
  cluster: string;
  reason: RotationReason;
  /** Who asked: "eventgrid", "sweep", "user:alice@contoso.com". */
  actor: string;
  dryRun: boolean;
  approval: { required: boolean; timeoutSeconds: number };
  rolloutTimeoutSeconds: number;
  pollSeconds: number;
  maxConcurrent: number;
}

export type RotationPhase =
  | 'waiting-for-slot'
  | 'preparing'
  | 'creating'
  | 'propagating'
  | 'awaiting-approval'
  | 'rolling-out'
  | 'verifying'
  | 'promoting'
  | 'rolling-back'
  | 'auditing'
  | 'done';

export type RotationOutcome = 'rotated' | 'rotated-with-warnings' | 'rolled-back' | 'rollback-failed' | 'failed' | 'stale' | 'dry-run' | 'rejected' | 'skipped';

export interface RotationStatus {
  phase: RotationPhase;
  secret: string;
  strategy: RotationStrategyName;
  fromVersion: string;
  newVersion?: string;
  restoredVersion?: string;
  outcome?: RotationOutcome;
  /** Consumers rolled out / total, while rolling. */
  rolled?: { done: number; total: number };
}

export interface RotationOutput {
  outcome: RotationOutcome;
  newVersion?: string;
  restoredVersion?: string;
  reason?: string;
}

/** Raised by POST /api/rotations/{instanceId}/approval (or the CLI): {approved, by}. */
export const EVENT_ROTATION_APPROVAL = 'rotationApproval';
export interface ApprovalEvent {
  approved: boolean;
  by: string;
}

// ---- activities

export const ROTATION_ACTIVITY = {
  prepare: 'rotationPrepare',
  create: 'rotationCreate',
  propagate: 'rotationPropagate',
  roll: 'rotationRoll',
  rolloutStatus: 'rotationRolloutStatus',
  verify: 'rotationVerify',
  promote: 'rotationPromote',
  rollback: 'rotationRollback',
  revertProvider: 'rotationRevertProvider',
  audit: 'rotationAudit',
  notify: 'rotationNotify',
} as const;

/** rotationPrepare: is `fromVersion` still the current version (or is this rotation already under way)? */
export interface PrepareInput {
  instanceId: string;
  secretName: string;
  fromVersion: string;
}
export interface PrepareOutput {
  state: 'ready' | 'stale' | 'missing' | 'not-enrolled';
  currentVersion?: string;
  /** Credential label of fromVersion (role, key name, password fingerprint). */
  credential?: string;
  detail: string;
}

/**
 * rotationCreate: create the new credential provider-side and store it as a new Key Vault version
 * (stage pending, expiry now + validity, the source's tags copied). Idempotent: a version tagged
 * with this instance and op=create is returned as it is.
 */
export interface CreateInput {
  instanceId: string;
  secretName: string;
  fromVersion: string;
  dryRun: boolean;
}
export interface CreateOutput {
  version: string;
  credential: string;
  /** false when an earlier attempt had already stored it. */
  created: boolean;
  detail: string;
}

/** rotationPropagate: write `version`'s value into the Kubernetes Secret targets (no-op for CSI consumers). */
export interface PropagateInput {
  instanceId: string;
  secretName: string;
  version: string;
  dryRun: boolean;
}
export interface PropagateOutput {
  updated: string[];
  unchanged: string[];
  detail: string;
}

/** rotationRoll: restartedAt patch of every consumer (the same value on a retry: already-done). */
export interface RollInput {
  instanceId: string;
  secretName: string;
  restartedAt: string;
  dryRun: boolean;
}
export interface RollOutput {
  rolled: string[];
  skipped: string[];
  detail: string;
}

/** rotationRolloutStatus: have the consumers finished rolling out `restartedAt`? */
export interface RolloutStatusInput {
  secretName: string;
  restartedAt: string;
}
export interface RolloutStatusOutput {
  state: 'done' | 'progressing' | 'failed';
  done: number;
  total: number;
  detail: string;
}

/** rotationVerify: consumers available on the new version, targets hold it, provider login works. */
export interface VerifyInput {
  instanceId: string;
  secretName: string;
  version: string;
  restartedAt: string;
}
export interface VerifyOutput {
  ok: boolean;
  detail: string;
}

/** rotationPromote: stage current on the new version, previous on the old; retire per strategy. */
export interface PromoteInput {
  instanceId: string;
  secretName: string;
  version: string;
  fromVersion: string;
}
export interface PromoteOutput {
  warnings: string[];
  detail: string;
}

/**
 * rotationRollback: write fromVersion's value as a new current version (the failed one becomes
 * stage failed and disabled) and undo what the strategy added provider-side. Idempotent.
 */
export interface RollbackInput {
  instanceId: string;
  secretName: string;
  fromVersion: string;
  failedVersion: string;
}
export interface RollbackOutput {
  restoredVersion: string;
  detail: string;
}

/**
 * rotationRevertProvider: after the rolled-back consumers are back on the old credential, undo the
 * failed credential provider-side where the strategy can (redis: remove its password; storage:
 * regenerate the failed key). Never touches the restored credential.
 */
export interface RevertProviderInput {
  instanceId: string;
  secretName: string;
  failedVersion: string;
  restoredVersion: string;
}

/** rotationNotify: the on-call message (and the function log); no values. */
export interface RotationNotifyInput {
  id: string;
  at: string;
  instanceId: string;
  secretName: string;
  outcome: RotationOutcome;
  detail: string;
}
