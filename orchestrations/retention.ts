// Retention: the GFS policy (src/backup/retention.ts, evaluated in the backupRetentionPlan
// activity against the stored backups) and the deletion of what it expires, oldest first, each
// deletion audited. Runs at the end of scheduled backups (yield* applyRetention) and as its own
// orchestration `backupRetention` (on demand). Deterministic generator code.
import type { OrchestrationContext } from 'durable-functions';
import type { Gen } from './lib.js';
import type { AuditRecord } from '../src/domain/types.js';
import type { DeleteBackupInput, DeleteBackupOutput, RetentionInput, RetentionOutput, RetentionPlanOutput } from '../src/domain/retention-types.js';
import { RETENTION_ACTIVITY, WRITE_AUDIT_ACTIVITY } from '../src/backup/activity-names.js';

export { RETENTION_ACTIVITY };

export function* applyRetention(context: OrchestrationContext, cluster: string, dryRun = false): Gen<RetentionOutput> {
  const now = context.df.currentUtcDateTime.toISOString();
  const plan = (yield context.df.callActivity(RETENTION_ACTIVITY.plan, { cluster, now } satisfies RetentionInput)) as RetentionPlanOutput;
  const out: RetentionOutput = { kept: plan.keep.length, deleted: [] };
  for (const e of plan.expire) {
    const target = `${cluster}/backup/${e.backupId}`;
    const audit = (fields: Partial<AuditRecord>): AuditRecord => ({
      id: `${context.df.instanceId}:retention:${e.backupId}`,
      at: context.df.currentUtcDateTime.toISOString(),
      kind: 'action',
      actor: 'orchestration',
      instanceId: context.df.instanceId,
      runbook: 'backup-retention',
      target,
      decision: 'delete-backup',
      dryRun,
      detail: e.reason,
      ...fields,
    });
    if (dryRun) {
      yield context.df.callActivity(WRITE_AUDIT_ACTIVITY, audit({ result: 'would-delete' }));
      continue;
    }
    const deleted = (yield context.df.callActivity(RETENTION_ACTIVITY.delete, {
      cluster,
      backupId: e.backupId,
      reason: e.reason,
    } satisfies DeleteBackupInput)) as DeleteBackupOutput;
    out.deleted.push(deleted);
    yield context.df.callActivity(
      WRITE_AUDIT_ACTIVITY,
      audit({ result: 'deleted', detail: `${e.reason}; ${deleted.blobs} blob(s), ${deleted.snapshots} VolumeSnapshot(s)` }),
    );
  }
  return out;
}

/** `backupRetention` orchestration: input RetentionInput (`now` is ignored: orchestration time is used). */
export function* retentionOrchestrator(context: OrchestrationContext): Gen<RetentionOutput> {
  const input = context.df.getInput<RetentionInput>();
  context.df.setCustomStatus({ phase: 'retention', cluster: input.cluster });
  const out = yield* applyRetention(context, input.cluster, input.dryRun === true);
  context.df.setCustomStatus({ phase: 'done', cluster: input.cluster, deleted: out.deleted.length });
  return out;
}
