// The activity implementations of the backup, retention, restore and drill orchestrations, by
// registered name (activity-names.ts), over one BackupEnv. functions/backup.ts registers them; the
// replay tests run the same map against the fakes.
import type { BackupEnv } from './env.js';
import { backupObjects, planBackup } from './engine.js';
import { writeManifest } from './manifest-write.js';
import { backupDatabase, restoreDatabase } from './postgres.js';
import { backupGrafana } from './grafana.js';
import { backupKeyVault } from './keyvault-backup.js';
import { backupRedis } from './redis.js';
import { backupPrometheus } from './prometheus.js';
import { backupVolume, restoreVolumeStep } from './volumes.js';
import { checkSnapshots, createSnapshots, recordSnapshots } from './snapshots.js';
import { deleteBackup, latestComplete, retentionPlan, verifyBackup } from './catalog.js';
import { deleteScratchNamespace, drillCheck, planRestore, restoreStep, waitCrds } from './restore.js';
import { restoreGrafana } from './grafana-restore.js';
import { restoreKeyVault } from './keyvault-restore.js';
import { copyToSecondary, secondaryEnv } from './secondary.js';
import { backupS3 } from './s3.js';
import { restoreS3 } from './s3-restore.js';
import type { BackupSource } from '../domain/backup-types.js';
import { count, observe } from '../telemetry/metrics.js';
import { BACKUP_ACTIVITY as B, RESTORE_ACTIVITY as R, RETENTION_ACTIVITY as T, type BackupActivities } from './activity-names.js';

export function backupActivities(env: BackupEnv): BackupActivities {
  // Restores read the copy the input names (the cross-region drill, restore --from secondary).
  const at = (i: { from?: BackupSource }) => (i.from === 'secondary' ? secondaryEnv(env) : env);
  return {
    [B.plan]: (i) => planBackup(env, i),
    [B.objects]: (i) => backupObjects(env, i),
    [B.database]: (i) => backupDatabase(env, i),
    [B.grafana]: (i) => backupGrafana(env, i),
    [B.keyVault]: (i) => backupKeyVault(env, i),
    [B.redis]: (i) => backupRedis(env, i),
    [B.prometheus]: (i) => backupPrometheus(env, i),
    [B.s3]: (i) => backupS3(env, i),
    [B.volume]: (i) => backupVolume(env, i),
    [B.createSnapshots]: (i) => createSnapshots(env, i),
    [B.checkSnapshots]: (i) => checkSnapshots(env, i),
    [B.recordSnapshots]: (i) => recordSnapshots(env, i),
    [B.manifest]: async (i) => {
      const summary = await writeManifest(env, i);
      const attrs = { cluster: i.cluster, status: summary.status, trigger: i.trigger };
      observe('backupDuration', (Date.parse(i.finishedAt) - Date.parse(i.startedAt)) / 1000, attrs);
      observe('backupSize', summary.bytes, attrs);
      return summary;
    },
    [B.verifyLatest]: async (i) => {
      const m = i.backupId ? { backupId: i.backupId } : await latestComplete(env, i.cluster);
      const report = m
        ? await verifyBackup(env, i.cluster, m.backupId)
        : {
            backupId: '',
            cluster: i.cluster,
            ok: false,
            checked: 0,
            bytes: 0,
            mismatches: [],
            missing: [],
            archived: [],
            undecryptable: [],
            error: `cluster ${i.cluster} has no complete backup`,
          };
      count('backupVerify', { cluster: i.cluster, result: report.ok ? 'ok' : m ? 'failed' : 'no-backup' });
      return report;
    },
    // No secondary account configured: nothing to copy (the settings are read here, not in the orchestration).
    [B.copyToSecondary]: async (i) => (env.secondaryBlobs ? copyToSecondary(env, i.cluster, i.backupId) : null),
    [T.plan]: (i) => retentionPlan(env, i),
    [T.delete]: (i) => deleteBackup(env, i),
    [R.plan]: (i) => planRestore(at(i), i),
    [R.step]: (i) => restoreStep(at(i), i),
    [R.waitCrds]: (i) => waitCrds(env, i),
    [R.database]: (i) => restoreDatabase(at(i), i),
    [R.drillCheck]: (i) => drillCheck(env, i),
    [R.deleteScratch]: (i) => deleteScratchNamespace(env, i),
    // The drill's source: the newest complete backup holding objects of the namespace.
    [R.grafana]: (i) => restoreGrafana(at(i), i),
    [R.keyVault]: (i) => restoreKeyVault(at(i), i),
    [R.s3]: (i) => restoreS3(at(i), i),
    [R.volume]: (i) => restoreVolumeStep(at(i), i),
    [R.latest]: async (i) => (await latestComplete(at(i), i.cluster, i.namespace))?.backupId ?? null,
  };
}
