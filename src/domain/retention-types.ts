// Contracts of the retention orchestration (orchestrations/retention.ts) and its activities
// (backupRetentionPlan, backupDelete in src/backup/catalog.ts). JSON in the durable history.

export interface RetentionInput {
  cluster: string;
  /** Orchestration time: the "now" of the policy. */
  now: string;
  dryRun?: boolean;
}

export interface RetentionPlanOutput {
  expire: Array<{ backupId: string; reason: string }>;
  keep: Array<{ backupId: string; reasons: string[] }>;
}

export interface DeleteBackupInput {
  cluster: string;
  backupId: string;
  reason: string;
}

export interface DeleteBackupOutput {
  backupId: string;
  blobs: number;
  /** Blobs deleted from the secondary account (same retention on both copies). */
  secondaryBlobs?: number;
  snapshots: number;
}

export interface RetentionOutput {
  kept: number;
  deleted: DeleteBackupOutput[];
}
