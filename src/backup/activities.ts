// The activity implementations of the backup, retention, restore and drill orchestrations, by
// registered name, over one BackupEnv. functions/backup.ts registers them; the replay tests run
// the same map against the fakes.
import type { BackupEnv } from './env.js';
import { backupObjects, planBackup, writeManifest } from './engine.js';
import { backupDatabase } from './postgres.js';
import { backupGrafana } from './grafana.js';
import { backupKeyVault } from './keyvault-backup.js';
import { checkSnapshots, createSnapshots, recordSnapshots } from './snapshots.js';
import { deleteBackup, latestComplete, retentionPlan, verifyBackup, type VerifyReport } from './catalog.js';
import { restoreActivities } from './restore.js';
import type {
  BackupDatabaseInput,
  BackupObjectsInput,
  BackupPlanInput,
  BackupSimplePartInput,
  CheckSnapshotsInput,
  CreateSnapshotsInput,
  DeleteBackupInput,
  RecordSnapshotsInput,
  RetentionInput,
  WriteManifestInput,
} from '../domain/backup-types.js';

export type ActivityFn = (input: never) => Promise<unknown>;

export function backupActivities(env: BackupEnv): Record<string, ActivityFn> {
  return {
    backupPlan: (i: BackupPlanInput) => planBackup(env, i),
    backupObjects: (i: BackupObjectsInput) => backupObjects(env, i),
    backupDatabase: (i: BackupDatabaseInput) => backupDatabase(env, i),
    backupGrafana: (i: BackupSimplePartInput) => backupGrafana(env, i),
    backupKeyVault: (i: BackupSimplePartInput) => backupKeyVault(env, i),
    backupCreateSnapshots: (i: CreateSnapshotsInput) => createSnapshots(env, i),
    backupCheckSnapshots: (i: CheckSnapshotsInput) => checkSnapshots(env, i),
    backupRecordSnapshots: (i: RecordSnapshotsInput) => recordSnapshots(env, i),
    backupWriteManifest: (i: WriteManifestInput) => writeManifest(env, i),
    backupRetentionPlan: (i: RetentionInput) => retentionPlan(env, i),
    backupDelete: (i: DeleteBackupInput) => deleteBackup(env, i),
    backupVerifyLatest: async (i: { cluster: string }): Promise<VerifyReport> => {
      const m = await latestComplete(env, i.cluster);
      if (!m) return { backupId: '', cluster: i.cluster, ok: false, checked: 0, bytes: 0, mismatches: [], missing: [], archived: [], undecryptable: [], error: `cluster ${i.cluster} has no complete backup` };
      return verifyBackup(env, i.cluster, m.backupId);
    },
    ...restoreActivities(env),
  };
}
