// The backup orchestration: plan, snapshot, back up every part with bounded concurrency, wait for
// the snapshots with durable timers, write the manifest last, audit, apply retention.
// Deterministic generator code (time from context.df.currentUtcDateTime, everything else from
// activities and timers). Registered as `backup`; instance ID backup:{cluster}:{backupId}, derived
// from the schedule slot, so a timer that fires twice starts one backup.
//
// Resumable: every activity is idempotent (write-once blobs, part records, manifest last), so a
// crash at any point replays to the same blobs and one manifest; completed activities are not
// re-run (their results are in the history), and a part that finished in an attempt whose result
// was lost finds its record and does nothing.
//
// Partial failure: a part that still fails after its retries is listed in the manifest (status
// "partial", a warning per failed part); the backup fails (no manifest) when planning fails or
// nothing at all was stored. It never reports a part it did not store.
import type { OrchestrationContext, Task } from 'durable-functions';
import { errorText, type Gen } from './lib.js';
import type { AuditRecord } from '../src/domain/types.js';
import { partIds } from '../src/backup/manifest.js';
import type {
  BackupDatabaseInput,
  BackupInput,
  BackupObjectsInput,
  BackupOutput,
  BackupPlan,
  BackupPlanInput,
  BackupPrometheusInput,
  BackupRedisInput,
  BackupVolumeInput,
  BackupSimplePartInput,
  BackupStatus,
  CheckSnapshotsInput,
  CreateSnapshotsInput,
  ManifestSummary,
  PartSummary,
  RecordSnapshotsInput,
  SecondaryCopyReport,
  SnapshotState,
  VerifyInput,
  WriteManifestInput,
} from '../src/domain/backup-types.js';
import type { SnapshotRecord } from '../src/backup/manifest.js';
import { applyRetention } from './retention.js';
import { BACKUP_ACTIVITY, WRITE_AUDIT_ACTIVITY } from '../src/backup/activity-names.js';
import type { VerifyReport } from '../src/backup/catalog.js';
import { verifyVerdict } from '../src/backup/verify-verdict.js';

export { BACKUP_ACTIVITY };

/** Delays before the 2nd and 3rd attempt of a failed part (durable timers). */
export const PART_RETRY_DELAYS_SECONDS = [30, 120];
/** Snapshot status polls: every 10 s at first, then every 60 s. */
export const SNAPSHOT_POLL_SECONDS = [10, 10, 20, 30, 60];

interface Job {
  part: string;
  activity: string;
  input: unknown;
  namespace: boolean;
}

interface Running {
  job: Job;
  task: Task;
  attempt: number;
  waiting: boolean;
}

export function* backupOrchestrator(context: OrchestrationContext): Gen<BackupOutput> {
  const input = context.df.getInput<BackupInput>();
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const status: BackupStatus = {
    phase: 'planning',
    backupId: input.backupId,
    cluster: input.cluster,
    namespacesDone: 0,
    namespacesTotal: 0,
    partsDone: 0,
    partsTotal: 0,
    bytes: 0,
    failedParts: 0,
  };
  const setStatus = (s: Partial<BackupStatus>) => {
    Object.assign(status, s);
    context.df.setCustomStatus({ ...status });
  };
  const failed: Array<{ part: string; error: string }> = [];
  const done: string[] = [];
  setStatus({});

  let plan: BackupPlan;
  try {
    const planInput: BackupPlanInput = { backupId: input.backupId, cluster: input.cluster, parts: input.parts, ...(input.scope ? { scope: input.scope } : {}) };
    plan = (yield context.df.callActivity(BACKUP_ACTIVITY.plan, planInput)) as BackupPlan;
  } catch (e) {
    return yield* finish(context, input, setStatus, {
      backupId: input.backupId,
      cluster: input.cluster,
      outcome: 'failed',
      failed,
      error: `planning failed: ${failureText(e)}`,
    });
  }

  // Snapshots first: they are the point-in-time part; their readiness is awaited at the end.
  let snapshots: SnapshotState[] = [];
  if (plan.snapshots.length > 0) {
    setStatus({ phase: 'snapshotting' });
    try {
      snapshots = (yield context.df.callActivity(BACKUP_ACTIVITY.createSnapshots, {
        backupId: plan.backupId,
        cluster: plan.cluster,
        targets: plan.snapshots,
      } satisfies CreateSnapshotsInput)) as SnapshotState[];
    } catch (e) {
      failed.push({ part: partIds.snapshots, error: failureText(e) });
    }
  }

  const base = { backupId: plan.backupId, cluster: plan.cluster };
  const jobs: Job[] = [];
  if (plan.objects) {
    jobs.push({
      part: partIds.clusterObjects,
      activity: BACKUP_ACTIVITY.objects,
      namespace: false,
      input: { ...base, namespace: null, types: [], namespaces: plan.namespaces, clusterTypes: plan.clusterTypes } satisfies BackupObjectsInput,
    });
    for (const ns of plan.namespaces)
      jobs.push({
        part: partIds.namespace(ns),
        activity: BACKUP_ACTIVITY.objects,
        namespace: true,
        input: { ...base, namespace: ns, types: plan.namespacedTypes } satisfies BackupObjectsInput,
      });
  }
  for (const db of plan.databases)
    jobs.push({
      part: partIds.database(db),
      activity: BACKUP_ACTIVITY.database,
      namespace: false,
      input: { ...base, database: db } satisfies BackupDatabaseInput,
    });
  if (plan.grafana) jobs.push({ part: partIds.grafana, activity: BACKUP_ACTIVITY.grafana, namespace: false, input: base satisfies BackupSimplePartInput });
  if (plan.keyVault) jobs.push({ part: partIds.keyVault, activity: BACKUP_ACTIVITY.keyVault, namespace: false, input: base satisfies BackupSimplePartInput });
  for (const name of plan.redis ?? [])
    jobs.push({ part: partIds.redis(name), activity: BACKUP_ACTIVITY.redis, namespace: false, input: { ...base, name } satisfies BackupRedisInput });
  for (const name of plan.s3 ?? [])
    jobs.push({ part: partIds.s3(name), activity: BACKUP_ACTIVITY.s3, namespace: false, input: { ...base, name } satisfies BackupRedisInput });
  for (const name of plan.prometheus ?? [])
    jobs.push({
      part: partIds.prometheus(name),
      activity: BACKUP_ACTIVITY.prometheus,
      namespace: false,
      input: { ...base, name } satisfies BackupPrometheusInput,
    });
  for (const v of plan.volumes ?? [])
    jobs.push({
      part: partIds.volume(v.namespace, v.pvc),
      activity: BACKUP_ACTIVITY.volume,
      namespace: false,
      input: { ...base, ...v } satisfies BackupVolumeInput,
    });
  setStatus({ phase: 'backing-up', partsTotal: jobs.length + (snapshots.length > 0 ? 1 : 0), namespacesTotal: plan.namespaces.length });

  // Sliding window of at most plan.concurrency parts (running or waiting to retry).
  const queue = [...jobs];
  const running: Running[] = [];
  while (queue.length > 0 || running.length > 0) {
    while (running.length < Math.max(1, plan.concurrency) && queue.length > 0) {
      const job = queue.shift()!;
      running.push({ job, task: context.df.callActivity(job.activity, job.input), attempt: 1, waiting: false });
    }
    const winner = (yield context.df.Task.any(running.map((r) => r.task))) as Task;
    const r = running.splice(
      running.findIndex((x) => x.task === winner),
      1,
    )[0]!;
    if (r.waiting) {
      running.push({ job: r.job, task: context.df.callActivity(r.job.activity, r.job.input), attempt: r.attempt + 1, waiting: false });
      continue;
    }
    if (winner.isFaulted) {
      const delay = PART_RETRY_DELAYS_SECONDS[r.attempt - 1];
      if (delay !== undefined) {
        const at = new Date(context.df.currentUtcDateTime.getTime() + delay * 1000);
        running.push({ job: r.job, task: context.df.createTimer(at), attempt: r.attempt, waiting: true });
      } else {
        failed.push({ part: r.job.part, error: failureText(winner.result) });
        setStatus({ failedParts: failed.length });
      }
      continue;
    }
    const summary = winner.result as PartSummary;
    done.push(r.job.part);
    setStatus({ partsDone: status.partsDone + 1, bytes: status.bytes + summary.bytes, namespacesDone: status.namespacesDone + (r.job.namespace ? 1 : 0) });
  }

  // Wait for the snapshots (durable timers), then record them.
  if (snapshots.length > 0) {
    setStatus({ phase: 'waiting-for-snapshots' });
    const deadline = context.df.currentUtcDateTime.getTime() + Math.max(...plan.snapshots.map((s) => s.readyTimeoutSeconds)) * 1000;
    const timeoutOf = new Map(plan.snapshots.map((s) => [`${s.namespace}/${s.pvc}`, s.readyTimeoutSeconds]));
    const created = context.df.currentUtcDateTime.getTime();
    let records: SnapshotRecord[] = [];
    try {
      for (let poll = 0; ; poll++) {
        records = (yield context.df.callActivity(BACKUP_ACTIVITY.checkSnapshots, {
          cluster: plan.cluster,
          snapshots,
        } satisfies CheckSnapshotsInput)) as SnapshotRecord[];
        const now = context.df.currentUtcDateTime.getTime();
        const pending = records.filter((x) => !x.readyToUse && x.error === undefined && now < created + (timeoutOf.get(`${x.namespace}/${x.pvc}`) ?? 0) * 1000);
        if (pending.length === 0 || now >= deadline) break;
        const wait = SNAPSHOT_POLL_SECONDS[Math.min(poll, SNAPSHOT_POLL_SECONDS.length - 1)]!;
        yield context.df.createTimer(new Date(now + wait * 1000));
      }
      records = records.map((x) =>
        x.readyToUse || x.error !== undefined ? x : { ...x, error: `not readyToUse within ${timeoutOf.get(`${x.namespace}/${x.pvc}`)}s` },
      );
      yield context.df.callActivity(BACKUP_ACTIVITY.recordSnapshots, { ...base, records } satisfies RecordSnapshotsInput);
      done.push(partIds.snapshots);
      setStatus({ partsDone: status.partsDone + 1 });
    } catch (e) {
      failed.push({ part: partIds.snapshots, error: failureText(e) });
    }
  }

  setStatus({ phase: 'writing-manifest' });
  let manifest: ManifestSummary;
  try {
    const m: WriteManifestInput = {
      ...base,
      parts: done,
      failed,
      warnings: plan.warnings,
      trigger: input.trigger,
      requestedBy: input.requestedBy,
      startedAt,
      finishedAt: context.df.currentUtcDateTime.toISOString(),
    };
    manifest = (yield context.df.callActivity(BACKUP_ACTIVITY.manifest, m)) as ManifestSummary;
  } catch (e) {
    return yield* finish(context, input, setStatus, { ...base, outcome: 'failed', failed, error: `no manifest written: ${failureText(e)}` });
  }
  const out: BackupOutput = { ...base, outcome: manifest.status, manifest, failed };
  setStatus({ phase: 'copying-to-secondary' });
  try {
    out.secondary = (yield context.df.callActivity(BACKUP_ACTIVITY.copyToSecondary, {
      cluster: input.cluster,
      backupId: input.backupId,
    })) as SecondaryCopyReport | null;
  } catch (e) {
    // The backup is complete on the primary; the next run's copy (or `aksops backup copy`) retries.
    out.error = `copy to the secondary region failed: ${failureText(e)}`;
  }
  if (input.applyRetention) {
    setStatus({ phase: 'retention' });
    try {
      out.retention = yield* applyRetention(context, input.cluster);
    } catch (e) {
      // The backup itself is stored; a retention failure is reported, not a failed backup.
      out.error = [out.error, `retention failed: ${failureText(e)}`].filter(Boolean).join('; ');
    }
  }
  return yield* finish(context, input, setStatus, out);
}

function* finish(context: OrchestrationContext, input: BackupInput, setStatus: (s: Partial<BackupStatus>) => void, out: BackupOutput): Gen<BackupOutput> {
  const m = out.manifest;
  const detail =
    out.outcome === 'failed'
      ? (out.error ?? 'failed')
      : `${m!.items} item(s), ${m!.objects} object(s), ${m!.bytes} bytes${out.failed.length > 0 ? `; failed parts: ${out.failed.map((f) => f.part).join(', ')}` : ''}${out.retention ? `; retention deleted ${out.retention.deleted.length}` : ''}${out.secondary ? `; copied to the secondary region (lag ${out.secondary.lagSeconds}s)` : ''}${out.error ? `; ${out.error}` : ''}`;
  const record: AuditRecord = {
    id: `${context.df.instanceId}:result`,
    at: context.df.currentUtcDateTime.toISOString(),
    kind: 'result',
    actor: input.trigger === 'schedule' ? 'timer' : input.requestedBy,
    instanceId: context.df.instanceId,
    runbook: 'backup',
    target: `${input.cluster}/backup/${input.backupId}`,
    decision: 'backup',
    result: out.outcome,
    detail,
  };
  yield context.df.callActivity(WRITE_AUDIT_ACTIVITY, record);
  setStatus({ phase: 'done', outcome: out.outcome });
  return out;
}

/** Backup and restore failures: the activity's own message (the SDK prefix dropped), up to 400 characters. */
export const failureText = (e: unknown): string => errorText(e, { max: 400, stripActivityPrefix: true });

/**
 * `backupVerification`: re-reads a backup (the newest complete one of the cluster on schedule; the
 * one named by POST /api/backups/{id}/verify) and checks every checksum; audited with who asked.
 */
export function* verificationOrchestrator(context: OrchestrationContext): Gen<VerifyReport> {
  const input = context.df.getInput<VerifyInput>();
  context.df.setCustomStatus({ phase: 'verifying', cluster: input.cluster, ...(input.backupId ? { backupId: input.backupId } : {}) });
  const report = (yield context.df.callActivity(BACKUP_ACTIVITY.verifyLatest, input)) as VerifyReport;
  const verdict = verifyVerdict(report);
  const record: AuditRecord = {
    id: `${context.df.instanceId}:result`,
    at: context.df.currentUtcDateTime.toISOString(),
    kind: 'result',
    actor: input.requestedBy ?? 'timer',
    instanceId: context.df.instanceId,
    runbook: 'backup-verify',
    target: `${input.cluster}/backup/${report.backupId || input.backupId || '(none)'}`,
    decision: 'verify',
    result: report.ok ? 'verified' : 'verify-failed',
    detail: verdict.reason.slice(0, 2000),
  };
  yield context.df.callActivity(WRITE_AUDIT_ACTIVITY, record);
  context.df.setCustomStatus({ phase: 'done', cluster: input.cluster, backupId: report.backupId, ...verdict });
  return report;
}
