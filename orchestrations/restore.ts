// The restore orchestration and the restore drill. Deterministic generator code.
//
// restore: plan from the manifest (only complete backups), then the stages in order (CRDs, then
// wait until they are Established, Namespaces, StorageClasses, PVCs, ServiceAccounts, Secrets,
// ConfigMaps, RBAC, Services, workloads, HPAs, PDBs, Ingresses, NetworkPolicies, the rest), the
// steps of one stage (one per namespace) in parallel with bounded concurrency, then databases.
// Dry-run restores send every object with ?dryRun=All and restore no database.
//
// backupDrill: restores the newest complete backup of a namespace into a scratch namespace,
// restores the backup's PVC copies of that namespace into new PVCs `<pvc>-drill` there (checksum
// and entry count checked), waits (durable timers) until every object exists and every workload
// is available, reports,
// and always deletes the scratch namespace (only a namespace carrying the drill's scratch label).
import type { OrchestrationContext, Task } from 'durable-functions';
import type { Gen } from './lib.js';
import type { AuditRecord } from '../src/domain/types.js';
import type {
  RestoreDatabaseInput,
  RestoreInput,
  RestoreOutput,
  RestorePlan,
  RestoreServiceInput,
  RestoreStepInput,
  RestoreStepOutput,
  RestoreVolumeInput,
  WaitCrdsInput,
} from '../src/domain/backup-types.js';
import type { DrillCheckInput, DrillCheckOutput, DrillInput, DrillOutput } from '../src/domain/drill-types.js';
import { failureText } from './backup.js';
import { RESTORE_ACTIVITY, WRITE_AUDIT_ACTIVITY } from '../src/backup/activity-names.js';

export { RESTORE_ACTIVITY };

export const STEP_CONCURRENCY = 4;
export const CRD_WAIT_POLLS = 30;
export const CRD_POLL_SECONDS = 10;
export const DRILL_POLL_SECONDS = 15;

export interface RestoreStatus {
  phase: 'planning' | 'restoring' | 'waiting-for-crds' | 'databases' | 'volumes' | 'services' | 'checking' | 'cleaning-up' | 'done';
  restoreId: string;
  backupId: string;
  stage?: string;
  stepsDone: number;
  stepsTotal: number;
  created: number;
  failed: number;
}

/** Activities in parallel, at most `limit` at a time; each result or error, in input order. */
function* settle(
  context: OrchestrationContext,
  calls: Array<{ name: string; input: unknown }>,
  limit: number,
): Gen<Array<{ ok: true; value: unknown } | { ok: false; error: string }>> {
  const results: Array<{ ok: true; value: unknown } | { ok: false; error: string }> = new Array(calls.length);
  const running: Array<{ i: number; task: Task }> = [];
  let next = 0;
  while (next < calls.length || running.length > 0) {
    while (running.length < limit && next < calls.length) {
      const c = calls[next]!;
      running.push({ i: next, task: context.df.callActivity(c.name, c.input) });
      next += 1;
    }
    const winner = (yield context.df.Task.any(running.map((r) => r.task))) as Task;
    const r = running.splice(
      running.findIndex((x) => x.task === winner),
      1,
    )[0]!;
    results[r.i] = winner.isFaulted ? { ok: false, error: failureText(winner.result) } : { ok: true, value: winner.result };
  }
  return results;
}

function addStepOutput(out: RestoreOutput & { objects: string[] }, v: RestoreStepOutput): void {
  out.created += v.created;
  out.updated += v.updated;
  out.skipped += v.skipped;
  out.failed.push(...v.failed);
  out.objects.push(...v.objects);
  if (v.conflicts?.length) out.conflicts = [...(out.conflicts ?? []), ...v.conflicts];
}

/** The restore itself (shared by `restore` and the drill). `onStatus` receives progress. */
/** The common fields of a run's final audit row (one per instance: the id is fixed). */
function resultRow(context: OrchestrationContext, actor: string, job: 'restore' | 'restore-drill') {
  return {
    id: `${context.df.instanceId}:result`,
    at: context.df.currentUtcDateTime.toISOString(),
    kind: 'result' as const,
    actor,
    instanceId: context.df.instanceId,
    runbook: job,
    decision: job,
  };
}

export function* restoreSteps(
  context: OrchestrationContext,
  input: RestoreInput,
  onStatus: (s: Partial<RestoreStatus>) => void,
): Gen<RestoreOutput & { objects: string[] }> {
  const out: RestoreOutput & { objects: string[] } = {
    restoreId: input.restoreId,
    backupId: input.backupId,
    dryRun: input.dryRun,
    created: 0,
    updated: 0,
    skipped: 0,
    failed: [],
    databases: [],
    outcome: 'restored',
    objects: [],
  };
  let plan: RestorePlan;
  try {
    plan = (yield context.df.callActivity(RESTORE_ACTIVITY.plan, input)) as RestorePlan;
  } catch (e) {
    return { ...out, outcome: 'failed', error: failureText(e) };
  }
  onStatus({ phase: 'restoring', stepsTotal: plan.steps.length });
  const stages = [...new Set(plan.steps.map((s) => s.stage))];
  let stepsDone = 0;
  for (const stage of stages) {
    onStatus({ stage });
    const steps = plan.steps.filter((s) => s.stage === stage);
    const calls = steps.map((step) => ({
      name: RESTORE_ACTIVITY.step,
      input: {
        restoreId: input.restoreId,
        cluster: input.cluster,
        sourceCluster: input.sourceCluster ?? input.cluster,
        backupId: input.backupId,
        step,
        namespaces: plan.namespaces,
        namespaceMap: input.namespaceMap ?? {},
        ...(input.scratchLabel ? { scratchLabel: input.scratchLabel } : {}),
        conflict: input.conflict,
        dryRun: input.dryRun,
        fromSnapshots: input.fromSnapshots === true,
        ...(input.from ? { from: input.from } : {}),
      } satisfies RestoreStepInput,
    }));
    const results = yield* settle(context, calls, STEP_CONCURRENCY);
    results.forEach((r, i) => {
      if (!r.ok) {
        out.failed.push({ object: `${stage} step${steps[i]!.namespace ? ` of ${steps[i]!.namespace}` : ''}`, error: r.error });
        return;
      }
      addStepOutput(out, r.value as RestoreStepOutput);
    });
    stepsDone += steps.length;
    onStatus({ stepsDone, created: out.created, failed: out.failed.length });
    if (stage === 'crds' && !input.dryRun) {
      const names = out.objects.filter((o) => o.startsWith('CustomResourceDefinition ')).map((o) => o.slice('CustomResourceDefinition '.length));
      if (names.length > 0) {
        onStatus({ phase: 'waiting-for-crds' });
        let pending = names;
        for (let poll = 0; poll < CRD_WAIT_POLLS && pending.length > 0; poll++) {
          pending = (yield context.df.callActivity(RESTORE_ACTIVITY.waitCrds, { cluster: input.cluster, names: pending } satisfies WaitCrdsInput)) as string[];
          if (pending.length > 0) yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + CRD_POLL_SECONDS * 1000));
        }
        for (const n of pending)
          out.failed.push({
            object: `CustomResourceDefinition ${n}`,
            error: `not Established within ${CRD_WAIT_POLLS * CRD_POLL_SECONDS}s; its custom resources may fail`,
          });
        onStatus({ phase: 'restoring' });
      }
    }
  }
  if (plan.databases.length > 0) {
    onStatus({ phase: 'databases' });
    for (const db of plan.databases) {
      const dbInput: RestoreDatabaseInput = {
        restoreId: input.restoreId,
        cluster: input.cluster,
        sourceCluster: input.sourceCluster ?? input.cluster,
        backupId: input.backupId,
        database: db.name,
        target: db.target,
        dryRun: input.dryRun,
        ...(input.from ? { from: input.from } : {}),
      };
      try {
        yield context.df.callActivity(RESTORE_ACTIVITY.database, dbInput);
        out.databases.push({ name: db.name, target: db.target, ok: true });
      } catch (e) {
        out.databases.push({ name: db.name, target: db.target, ok: false, error: failureText(e) });
      }
    }
  }
  // PVCs into new PVCs (file-level copies), after the objects (their namespaces exist by then).
  for (const v of plan.volumes ?? []) {
    onStatus({ phase: 'volumes' });
    const volumeInput: RestoreVolumeInput = {
      restoreId: input.restoreId,
      cluster: input.cluster,
      sourceCluster: input.sourceCluster ?? input.cluster,
      backupId: input.backupId,
      volume: v,
      dryRun: input.dryRun,
      ...(input.from ? { from: input.from } : {}),
    };
    const row = { source: `${v.namespace}/${v.pvc}`, target: `${v.target.namespace}/${v.target.name}` };
    try {
      const r = (yield context.df.callActivity(RESTORE_ACTIVITY.volume, volumeInput)) as { entries: number };
      (out.volumes ??= []).push({ ...row, ok: true, entries: r.entries });
    } catch (e) {
      (out.volumes ??= []).push({ ...row, ok: false, error: failureText(e) });
    }
  }
  // Grafana dashboards and Key Vault secrets, after the cluster's objects and databases.
  const services = [
    [RESTORE_ACTIVITY.grafana, plan.dashboards, 'Grafana dashboards'],
    [RESTORE_ACTIVITY.keyVault, plan.keyVaultSecrets, 'Key Vault secrets'],
    [RESTORE_ACTIVITY.s3, plan.buckets, 'S3 objects'],
  ] as const;
  for (const [name, names, what] of services) {
    if (!names || names.length === 0) continue;
    onStatus({ phase: 'services' });
    const serviceInput: RestoreServiceInput = {
      restoreId: input.restoreId,
      cluster: input.cluster,
      sourceCluster: input.sourceCluster ?? input.cluster,
      backupId: input.backupId,
      names,
      conflict: input.conflict,
      dryRun: input.dryRun,
      ...(input.from ? { from: input.from } : {}),
      ...(input.bucketMap ? { bucketMap: input.bucketMap } : {}),
    };
    try {
      addStepOutput(out, (yield context.df.callActivity(name, serviceInput)) as RestoreStepOutput);
    } catch (e) {
      out.failed.push({ object: what, error: failureText(e) });
    }
  }
  out.outcome = out.failed.length > 0 || out.databases.some((d) => !d.ok) || (out.volumes ?? []).some((v) => !v.ok) ? 'restored-with-errors' : 'restored';
  return out;
}

export function* restoreOrchestrator(context: OrchestrationContext): Gen<RestoreOutput> {
  const input = context.df.getInput<RestoreInput>();
  const status: RestoreStatus = { phase: 'planning', restoreId: input.restoreId, backupId: input.backupId, stepsDone: 0, stepsTotal: 0, created: 0, failed: 0 };
  const onStatus = (s: Partial<RestoreStatus>) => {
    Object.assign(status, s);
    context.df.setCustomStatus({ ...status });
  };
  onStatus({});
  const result = yield* restoreSteps(context, input, onStatus);
  const { objects: _objects, ...out } = result;
  const record: AuditRecord = {
    ...resultRow(context, input.requestedBy, 'restore'),
    target: `${input.cluster}/restore/${input.backupId}`,
    dryRun: input.dryRun,
    result: out.outcome,
    detail: `${out.created} created, ${out.updated} updated, ${out.skipped} skipped, ${out.failed.length} failed${out.databases.length ? `, databases: ${out.databases.map((d) => `${d.name}->${d.target} ${d.ok ? 'ok' : 'failed'}`).join(', ')}` : ''}${out.volumes ? `, volumes: ${out.volumes.map((v) => `${v.source}->${v.target} ${v.ok ? 'ok' : 'failed'}`).join(', ')}` : ''}${out.error ? `; ${out.error}` : ''}`,
  };
  yield context.df.callActivity(WRITE_AUDIT_ACTIVITY, record);
  onStatus({ phase: 'done' });
  return out;
}

export function* drillOrchestrator(context: OrchestrationContext): Gen<DrillOutput> {
  const input = context.df.getInput<DrillInput>();
  const status: RestoreStatus = { phase: 'planning', restoreId: input.drillId, backupId: '', stepsDone: 0, stepsTotal: 0, created: 0, failed: 0 };
  const onStatus = (s: Partial<RestoreStatus>) => {
    Object.assign(status, s);
    context.df.setCustomStatus({ ...status, drill: true, scratchNamespace: input.scratchNamespace });
  };
  onStatus({});
  const from = input.from ?? 'primary';
  const started = context.df.currentUtcDateTime.getTime();
  const out: DrillOutput = {
    drillId: input.drillId,
    backupId: null,
    scratchNamespace: input.scratchNamespace,
    outcome: 'failed',
    restored: 0,
    missing: [],
    unavailable: [],
    from,
  };
  const backupId = (yield context.df.callActivity(RESTORE_ACTIVITY.latest, { cluster: input.cluster, namespace: input.namespace, from })) as string | null;
  if (!backupId) {
    out.error = `no complete backup of namespace ${input.namespace} in cluster ${input.cluster}`;
  } else {
    out.backupId = backupId;
    onStatus({ backupId });
    try {
      const r = yield* restoreSteps(
        context,
        {
          restoreId: input.drillId,
          cluster: input.cluster,
          backupId,
          namespaces: [input.namespace],
          namespaceMap: { [input.namespace]: input.scratchNamespace },
          conflict: 'skip',
          dryRun: false,
          scratchLabel: input.drillId,
          // The backup's PVC copies too, each into a new PVC checked by checksum and entry count.
          drillVolumes: true,
          from,
          requestedBy: input.requestedBy,
        },
        onStatus,
      );
      out.restored = r.created;
      if (r.volumes) out.volumes = r.volumes;
      if (r.outcome === 'failed') out.error = r.error ?? 'restore failed';
      else {
        const failedObjects = r.failed.map((f) => `${f.object}: ${f.error}`);
        onStatus({ phase: 'checking' });
        const expected = r.objects.filter((o) => !o.startsWith('Namespace '));
        const deadline = context.df.currentUtcDateTime.getTime() + input.timeoutSeconds * 1000;
        let check: DrillCheckOutput = { missing: [], unavailable: [] };
        for (;;) {
          check = (yield context.df.callActivity(RESTORE_ACTIVITY.drillCheck, {
            cluster: input.cluster,
            namespace: input.scratchNamespace,
            expected,
          } satisfies DrillCheckInput)) as DrillCheckOutput;
          const now = context.df.currentUtcDateTime.getTime();
          if ((check.missing.length === 0 && check.unavailable.length === 0) || now + DRILL_POLL_SECONDS * 1000 > deadline) break;
          yield context.df.createTimer(new Date(now + DRILL_POLL_SECONDS * 1000));
        }
        const failedVolumes = (r.volumes ?? []).filter((v) => !v.ok).map((v) => `PVC copy ${v.source} -> ${v.target}: ${v.error ?? 'failed'}`);
        out.missing = [...failedObjects, ...failedVolumes, ...check.missing];
        out.unavailable = check.unavailable;
        out.outcome = out.missing.length === 0 && out.unavailable.length === 0 && r.created > 0 ? 'passed' : 'failed';
        if (out.outcome === 'passed') out.recoverySeconds = Math.round((context.df.currentUtcDateTime.getTime() - started) / 1000);
        if (r.created === 0) out.error = 'the backup restored no object';
      }
    } finally {
      onStatus({ phase: 'cleaning-up' });
      try {
        yield context.df.callActivity(RESTORE_ACTIVITY.deleteScratch, {
          cluster: input.cluster,
          namespace: input.scratchNamespace,
          scratchLabel: input.drillId,
        });
      } catch (e) {
        out.error = `${out.error ? `${out.error}; ` : ''}scratch namespace not deleted: ${failureText(e)}`;
      }
    }
  }
  const record: AuditRecord = {
    ...resultRow(context, input.requestedBy, 'restore-drill'),
    target: `${input.cluster}/${input.namespace}`,
    result: out.outcome,
    detail: `backup ${out.backupId ?? '(none)'} from the ${from} account into ${input.scratchNamespace}: ${out.restored} restored,${out.recoverySeconds !== undefined ? ` recovered in ${out.recoverySeconds}s,` : ''} ${out.missing.length} missing, ${out.unavailable.length} unavailable${out.volumes ? `, volumes: ${out.volumes.map((v) => `${v.source}->${v.target} ${v.ok ? `ok (${v.entries} entries)` : 'failed'}`).join(', ')}` : ''}${out.error ? `; ${out.error}` : ''}`,
  };
  yield context.df.callActivity(WRITE_AUDIT_ACTIVITY, record);
  onStatus({ phase: 'done' });
  return out;
}
