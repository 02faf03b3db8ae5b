// The names of the backup, restore, retention, verification and drill activities, declared once:
// functions/backup.ts registers exactly these, src/backup/activities.ts implements exactly these
// (its map is typed by BackupActivityContracts, so a missing, extra or mistyped activity does not
// compile), and the orchestrations call them through these constants.
import type { VerifyReport } from './catalog.js';
import type {
  BackupDatabaseInput,
  BackupObjectsInput,
  BackupPlan,
  BackupPlanInput,
  BackupPrometheusInput,
  BackupRedisInput,
  BackupVolumeInput,
  BackupSimplePartInput,
  CheckSnapshotsInput,
  CheckSnapshotsOutput,
  CreateSnapshotsInput,
  ManifestSummary,
  PartSummary,
  RecordSnapshotsInput,
  RestoreDatabaseInput,
  RestoreInput,
  RestorePlan,
  RestoreServiceInput,
  RestoreStepInput,
  RestoreStepOutput,
  RestoreVolumeInput,
  SecondaryCopyReport,
  BackupSource,
  SnapshotState,
  WaitCrdsInput,
  WriteManifestInput,
  VerifyInput,
} from '../domain/backup-types.js';
import type { DrillCheckInput, DrillCheckOutput } from '../domain/drill-types.js';
import type { DeleteBackupInput, DeleteBackupOutput, RetentionInput, RetentionPlanOutput } from '../domain/retention-types.js';
import type { DatabaseRestoreResult } from './postgres.js';
import type { RestoreVolumeResult } from './volumes.js';
import { REMEDIATION_ACTIVITY } from '../domain/remediation-activities.js';

export const BACKUP_ACTIVITY = {
  plan: 'backupPlan',
  objects: 'backupObjects',
  database: 'backupDatabase',
  grafana: 'backupGrafana',
  keyVault: 'backupKeyVault',
  redis: 'backupRedis',
  prometheus: 'backupPrometheus',
  s3: 'backupS3',
  volume: 'backupVolume',
  createSnapshots: 'backupCreateSnapshots',
  checkSnapshots: 'backupCheckSnapshots',
  recordSnapshots: 'backupRecordSnapshots',
  manifest: 'backupWriteManifest',
  /** The backup named in the input, or the newest complete one (the name stays: histories in flight call it). */
  verifyLatest: 'backupVerifyLatest',
  copyToSecondary: 'backupCopyToSecondary',
} as const;

export const RETENTION_ACTIVITY = {
  plan: 'backupRetentionPlan',
  delete: 'backupDelete',
} as const;

export const RESTORE_ACTIVITY = {
  plan: 'restorePlan',
  step: 'restoreStep',
  waitCrds: 'restoreWaitCrds',
  database: 'restoreDatabase',
  drillCheck: 'restoreDrillCheck',
  deleteScratch: 'restoreDeleteScratch',
  latest: 'restoreLatestBackup',
  grafana: 'restoreGrafana',
  keyVault: 'restoreKeyVault',
  s3: 'restoreS3',
  volume: 'restoreVolume',
} as const;

/** Registered with the remediation (functions/remediation.ts); backups call it to audit. */
export const WRITE_AUDIT_ACTIVITY = REMEDIATION_ACTIVITY.writeAudit;

export interface DeleteScratchInput {
  cluster: string;
  namespace: string;
  scratchLabel: string;
}

/** Input and output of every activity, by registered name. */
export interface BackupActivityContracts {
  [BACKUP_ACTIVITY.plan]: [BackupPlanInput, BackupPlan];
  [BACKUP_ACTIVITY.objects]: [BackupObjectsInput, PartSummary];
  [BACKUP_ACTIVITY.database]: [BackupDatabaseInput, PartSummary];
  [BACKUP_ACTIVITY.grafana]: [BackupSimplePartInput, PartSummary];
  [BACKUP_ACTIVITY.keyVault]: [BackupSimplePartInput, PartSummary];
  [BACKUP_ACTIVITY.redis]: [BackupRedisInput, PartSummary];
  [BACKUP_ACTIVITY.prometheus]: [BackupPrometheusInput, PartSummary];
  [BACKUP_ACTIVITY.s3]: [BackupRedisInput, PartSummary];
  [BACKUP_ACTIVITY.volume]: [BackupVolumeInput, PartSummary];
  [BACKUP_ACTIVITY.createSnapshots]: [CreateSnapshotsInput, SnapshotState[]];
  [BACKUP_ACTIVITY.checkSnapshots]: [CheckSnapshotsInput, CheckSnapshotsOutput];
  [BACKUP_ACTIVITY.recordSnapshots]: [RecordSnapshotsInput, PartSummary];
  [BACKUP_ACTIVITY.manifest]: [WriteManifestInput, ManifestSummary];
  [BACKUP_ACTIVITY.verifyLatest]: [VerifyInput, VerifyReport];
  [BACKUP_ACTIVITY.copyToSecondary]: [{ cluster: string; backupId: string }, SecondaryCopyReport | null];
  [RETENTION_ACTIVITY.plan]: [RetentionInput, RetentionPlanOutput];
  [RETENTION_ACTIVITY.delete]: [DeleteBackupInput, DeleteBackupOutput];
  [RESTORE_ACTIVITY.plan]: [RestoreInput, RestorePlan];
  [RESTORE_ACTIVITY.step]: [RestoreStepInput, RestoreStepOutput];
  [RESTORE_ACTIVITY.waitCrds]: [WaitCrdsInput, string[]];
  [RESTORE_ACTIVITY.database]: [RestoreDatabaseInput, DatabaseRestoreResult];
  [RESTORE_ACTIVITY.drillCheck]: [DrillCheckInput, DrillCheckOutput];
  [RESTORE_ACTIVITY.deleteScratch]: [DeleteScratchInput, 'deleted' | 'absent'];
  [RESTORE_ACTIVITY.latest]: [{ cluster: string; namespace: string; from?: BackupSource }, string | null];
  [RESTORE_ACTIVITY.grafana]: [RestoreServiceInput, RestoreStepOutput];
  [RESTORE_ACTIVITY.keyVault]: [RestoreServiceInput, RestoreStepOutput];
  [RESTORE_ACTIVITY.s3]: [RestoreServiceInput, RestoreStepOutput];
  [RESTORE_ACTIVITY.volume]: [RestoreVolumeInput, RestoreVolumeResult];
}

type Values<T> = T[keyof T];
export type BackupActivityName = Values<typeof BACKUP_ACTIVITY> | Values<typeof RETENTION_ACTIVITY> | Values<typeof RESTORE_ACTIVITY>;

/** Every activity name, for the registration loop. */
export const BACKUP_ACTIVITY_NAMES: readonly BackupActivityName[] = [
  ...Object.values(BACKUP_ACTIVITY),
  ...Object.values(RETENTION_ACTIVITY),
  ...Object.values(RESTORE_ACTIVITY),
];

/** The implementations: one function per name, typed by its contract. */
export type BackupActivities = { [K in BackupActivityName]: (input: BackupActivityContracts[K][0]) => Promise<BackupActivityContracts[K][1]> };

// Compile-time check that the contracts cover exactly the names.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const CONTRACTS_MATCH_NAMES: Exact<keyof BackupActivityContracts, BackupActivityName> = true;
