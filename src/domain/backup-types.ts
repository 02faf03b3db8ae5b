// Contracts of the backup, restore and drill orchestrations and their activities (retention: retention-types.ts).
// They cross the durable history as JSON: no secret values, ever (data keys stay in the
// activities; Key Vault and Grafana credentials are app-setting names).
import type { ResourceTypeRef } from '../backup/objects.js';
import type { BackupPartType, SnapshotRecord } from '../backup/manifest.js';
import type { RestoreStage } from '../backup/restore-order.js';
import type { RetentionOutput } from './retention-types.js';

// ---------------------------------------------------------------------------- backup

/** Input of `backupVerification`: the schedule names the cluster only (its newest complete backup); HTTP names the backup and who asked. */
export interface VerifyInput {
  cluster: string;
  backupId?: string;
  requestedBy?: string;
}

/** Input of the `backup` orchestration. Instance ID: backupInstanceId(cluster, backupId). */
export interface BackupInput {
  backupId: string;
  cluster: string;
  /** Which parts (default all configured). */
  parts: BackupPartType[];
  /** Narrows the config: only these namespaces / databases. */
  scope?: { namespaces?: string[]; databases?: string[] };
  trigger: 'schedule' | 'http' | 'cli';
  /** Schedule name, or who asked ("user:alice@contoso.com"). */
  requestedBy: string;
  /** Apply the retention policy once the manifest is written. */
  applyRetention: boolean;
}

export interface SnapshotTarget {
  namespace: string;
  pvc: string;
  volumeSnapshotClass: string;
  readyTimeoutSeconds: number;
}

/** backupPlan: BackupPlanInput -> BackupPlan. Discovers what to back up; writes key.json once. */
export interface BackupPlanInput {
  backupId: string;
  cluster: string;
  parts: BackupPartType[];
  scope?: BackupInput['scope'];
}

export interface BackupPlan {
  backupId: string;
  cluster: string;
  /** Namespaces whose objects are backed up (one part each). */
  namespaces: string[];
  /** Namespaced resource types to list in every namespace. */
  namespacedTypes: ResourceTypeRef[];
  /** Cluster-scoped types with the object names to include ("*" for all). */
  clusterTypes: Array<{ type: ResourceTypeRef; names: string[] }>;
  objects: boolean;
  databases: string[];
  snapshots: SnapshotTarget[];
  grafana: boolean;
  keyVault: boolean;
  /** Configured Redis and Prometheus instances (by name) to back up. */
  redis: string[];
  prometheus: string[];
  /** Configured S3 entries (by name) to back up. */
  s3?: string[];
  /** PVCs copied file by file (src/backup/volumes.ts); absent in plans made before volumes existed. */
  volumes?: BackupVolumeInputRef[];
  /** Discovery problems (an unavailable API group): recorded in the manifest. */
  warnings: string[];
  /** Parts running at the same time (backups.concurrency). */
  concurrency: number;
}

/** backupObjects: one namespace (or the cluster-scoped part when namespace is null). */
export interface BackupObjectsInput {
  backupId: string;
  cluster: string;
  namespace: string | null;
  types: ResourceTypeRef[];
  /** Cluster part only: the namespaces backed up (their Namespace objects are stored). */
  namespaces?: string[];
  clusterTypes?: BackupPlan['clusterTypes'];
}

export interface BackupDatabaseInput {
  backupId: string;
  cluster: string;
  database: string;
}

/** backupRedis, backupPrometheus: one configured instance. */
export interface BackupRedisInput {
  backupId: string;
  cluster: string;
  name: string;
}

export type BackupPrometheusInput = BackupRedisInput;

/** A PVC of a volume backup. */
export interface BackupVolumeInputRef {
  namespace: string;
  pvc: string;
}

/** backupVolume: one PVC. */
export interface BackupVolumeInput extends BackupVolumeInputRef {
  backupId: string;
  cluster: string;
}

export interface BackupSimplePartInput {
  backupId: string;
  cluster: string;
}

/** What a part activity reports (the full item list is in the part record blob). */
export interface PartSummary {
  part: string;
  items: number;
  bytes: number;
  objects: number;
  warnings: number;
  /** The part record already existed: an earlier attempt finished it. */
  resumed: boolean;
}

/** backupCreateSnapshots: creates one VolumeSnapshot per target (idempotent names). */
export interface CreateSnapshotsInput {
  backupId: string;
  cluster: string;
  targets: SnapshotTarget[];
}

export interface SnapshotState {
  namespace: string;
  pvc: string;
  name: string;
  volumeSnapshotClass: string;
  /** Set when creating failed. */
  error?: string;
}

/** backupCheckSnapshots: reads each snapshot's status. */
export interface CheckSnapshotsInput {
  cluster: string;
  snapshots: SnapshotState[];
}

export type CheckSnapshotsOutput = SnapshotRecord[];

/** backupRecordSnapshots: writes the snapshots part record. */
export interface RecordSnapshotsInput {
  backupId: string;
  cluster: string;
  records: SnapshotRecord[];
}

/** backupWriteManifest: the completion marker. Idempotent (an existing manifest is returned). */
export interface WriteManifestInput {
  backupId: string;
  cluster: string;
  /** Parts that finished (their records are read). */
  parts: string[];
  failed: Array<{ part: string; error: string }>;
  warnings: string[];
  trigger: string;
  requestedBy: string;
  startedAt: string;
  finishedAt: string;
}

export interface ManifestSummary {
  backupId: string;
  cluster: string;
  status: 'complete' | 'partial';
  items: number;
  bytes: number;
  objects: number;
  warnings: number;
  path: string;
}

export type BackupOutcome = 'complete' | 'partial' | 'failed';

/** A backup copied to the secondary account in the paired region (src/backup/secondary.ts). */
export interface SecondaryCopyReport {
  cluster: string;
  backupId: string;
  /** Blobs copied now, and found already copied by an earlier run. */
  copied: number;
  alreadyThere: number;
  bytes: number;
  /** Manifest items whose size and SHA-256 were re-read and checked on the secondary. */
  verified: number;
  /** Seconds from the backup's completion (manifest finishedAt) to its verified copy. */
  lagSeconds: number;
  finishedAt: string;
}

export interface BackupOutput {
  backupId: string;
  cluster: string;
  outcome: BackupOutcome;
  manifest?: ManifestSummary;
  failed: Array<{ part: string; error: string }>;
  retention?: RetentionOutput;
  /** The copy in the secondary region; null when no secondary account is configured. */
  secondary?: SecondaryCopyReport | null;
  error?: string;
}

export interface BackupStatus {
  phase: 'planning' | 'snapshotting' | 'backing-up' | 'waiting-for-snapshots' | 'writing-manifest' | 'copying-to-secondary' | 'retention' | 'done';
  backupId: string;
  cluster: string;
  namespacesDone: number;
  namespacesTotal: number;
  partsDone: number;
  partsTotal: number;
  bytes: number;
  failedParts: number;
  outcome?: BackupOutcome;
}

// ---------------------------------------------------------------------------- restore

export type ConflictPolicy = 'skip' | 'update';

/** Input of the `restore` orchestration. */
export interface RestoreInput {
  restoreId: string;
  cluster: string;
  /** Source cluster of the backup (default: cluster). */
  sourceCluster?: string;
  backupId: string;
  namespaces?: string[];
  /** Kinds, plurals or qualified plurals (as in the config filters). */
  kinds?: string[];
  namespaceMap?: Record<string, string>;
  conflict: ConflictPolicy;
  dryRun: boolean;
  /** Databases to restore: dump name -> target database (created if missing is the operator's job). */
  databases?: Record<string, string>;
  /** PVCs to restore into new PVCs: "namespace/pvc" -> new PVC name (in the mapped namespace); never over an existing PVC. */
  volumes?: Record<string, string>;
  /**
   * Drills: also every PVC copy of the restored namespaces, each into a new PVC `<pvc>-drill` in
   * the mapped namespace (the object restore already made an empty `<pvc>` there).
   */
  drillVolumes?: boolean;
  /** Grafana dashboards to restore, by uid (["*"]: all in the backup), into their folders. */
  dashboards?: string[];
  /** Key Vault secrets to restore, by name (["*"]: all in the backup). */
  keyVaultSecrets?: string[];
  /** S3 entries (backups.clusters[].s3[].name) whose objects to restore (["*"]: all in the backup). */
  buckets?: string[];
  /** S3 entry name -> target bucket on the same server (default: the entry's own bucket). */
  bucketMap?: Record<string, string>;
  /** Restore PVCs from the backup's VolumeSnapshots when restoring in place. */
  fromSnapshots?: boolean;
  /** Label restored namespaces aksops.io/scratch=<value> (drills: only such namespaces are deleted). */
  scratchLabel?: string;
  /**
   * Restore ClusterRoles and ClusterRoleBindings (cluster-wide privileges). Off unless asked for
   * explicitly; POST /api/restores grants it to Approvers only (docs/security.md).
   */
  clusterRbac?: boolean;
  /** Which copy to read: the primary account (default) or the secondary in the paired region. */
  from?: BackupSource;
  requestedBy: string;
}

export type BackupSource = 'primary' | 'secondary';

/** restorePlan: reads and checks the manifest, returns the steps in restore order. */
export interface RestorePlan {
  restoreId: string;
  backupId: string;
  /** Source namespaces restored. */
  namespaces: string[];
  steps: RestoreStep[];
  databases: Array<{ name: string; target: string }>;
  volumes?: Array<RestoreVolumeInput['volume']>;
  /** Dashboard uids and Key Vault secret names to restore (resolved from the input). */
  dashboards?: string[];
  keyVaultSecrets?: string[];
  buckets?: string[];
  crds: string[];
  warnings: string[];
}

export interface RestoreStep {
  stage: RestoreStage;
  /** Blob paths (objects container) restored by this step, all of one stage and namespace. */
  items: string[];
  namespace: string | null;
}

export interface RestoreStepInput {
  restoreId: string;
  cluster: string;
  sourceCluster: string;
  backupId: string;
  step: RestoreStep;
  /** Source namespaces being restored (Namespace objects of others are left out). */
  namespaces: string[];
  namespaceMap: Record<string, string>;
  /** Set on restored Namespace objects as aksops.io/scratch (drills). */
  scratchLabel?: string;
  conflict: ConflictPolicy;
  dryRun: boolean;
  fromSnapshots: boolean;
  /** Which copy to read (RestoreInput.from). */
  from?: BackupSource;
}

export interface RestoreStepOutput {
  created: number;
  updated: number;
  skipped: number;
  failed: Array<{ object: string; error: string }>;
  /** "Kind namespace/name" of every object created or updated (or that would be, in dry-run). */
  objects: string[];
  /** Objects that already exist at the target (skipped, or overwritten under `update`). */
  conflicts?: string[];
}

/** restoreGrafana (dashboard uids), restoreKeyVault (secret names); ["*"]: all the backup holds. */
export interface RestoreServiceInput {
  restoreId: string;
  cluster: string;
  sourceCluster: string;
  backupId: string;
  names: string[];
  conflict: ConflictPolicy;
  dryRun: boolean;
  /** Which copy to read (RestoreInput.from). */
  from?: BackupSource;
  /** restoreS3: entry name -> target bucket. */
  bucketMap?: Record<string, string>;
}

export interface WaitCrdsInput {
  cluster: string;
  names: string[];
}

export interface RestoreDatabaseInput {
  restoreId: string;
  cluster: string;
  sourceCluster: string;
  backupId: string;
  database: string;
  target: string;
  dryRun: boolean;
  /** Which copy to read (RestoreInput.from). */
  from?: BackupSource;
}

/** One PVC copy restored into a new PVC (restore and drill outputs); entries: what the new PVC holds, checked against the manifest. */
export interface VolumeRestoreRow {
  source: string;
  target: string;
  ok: boolean;
  entries?: number;
  error?: string;
}

/** restoreVolume: one backed-up PVC into a new PVC (src/backup/volumes.ts). */
export interface RestoreVolumeInput {
  restoreId: string;
  cluster: string;
  sourceCluster: string;
  backupId: string;
  volume: { namespace: string; pvc: string; target: { namespace: string; name: string } };
  dryRun: boolean;
  /** Which copy to read (RestoreInput.from). */
  from?: BackupSource;
}

export interface RestoreOutput {
  restoreId: string;
  backupId: string;
  dryRun: boolean;
  created: number;
  updated: number;
  skipped: number;
  failed: Array<{ object: string; error: string }>;
  databases: Array<{ name: string; target: string; ok: boolean; error?: string }>;
  /** Objects found at the target (S3 restores): skipped, or overwritten under `update`. */
  conflicts?: string[];
  /** PVCs restored into new PVCs ("ns/pvc" -> "ns/new"), with the entries found, or why not. */
  volumes?: VolumeRestoreRow[];
  outcome: 'restored' | 'restored-with-errors' | 'failed';
  error?: string;
}
