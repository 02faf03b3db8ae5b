// A restore run in this process, without Durable Functions: what `aksops restore` does. The same
// plan and steps as the restore orchestration (orchestrations/restore.ts), one after the other;
// waits for CRDs with plain sleeps. For long restores prefer POST /api/restores (durable).
import type { BackupEnv } from './env.js';
import { planRestore, restoreStep, waitCrds } from './restore.js';
import { restoreDatabase } from './postgres.js';
import { restoreGrafana } from './grafana-restore.js';
import { restoreKeyVault } from './keyvault-restore.js';
import { restoreS3 } from './s3-restore.js';
import { restoreVolumeStep } from './volumes.js';
import type { RestoreInput, RestoreOutput } from '../domain/backup-types.js';

export async function runRestore(
  env: BackupEnv,
  input: RestoreInput,
  log: (line: string) => void = () => undefined,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<RestoreOutput> {
  const out: RestoreOutput = {
    restoreId: input.restoreId,
    backupId: input.backupId,
    dryRun: input.dryRun,
    created: 0,
    updated: 0,
    skipped: 0,
    failed: [],
    databases: [],
    outcome: 'restored',
  };
  const plan = await planRestore(env, input);
  for (const w of plan.warnings) log(`warning: ${w}`);
  const source = input.sourceCluster ?? input.cluster;
  for (const step of plan.steps) {
    const r = await restoreStep(env, {
      restoreId: input.restoreId,
      cluster: input.cluster,
      sourceCluster: source,
      backupId: input.backupId,
      step,
      namespaces: plan.namespaces,
      namespaceMap: input.namespaceMap ?? {},
      conflict: input.conflict,
      dryRun: input.dryRun,
      fromSnapshots: input.fromSnapshots === true,
      ...(input.scratchLabel ? { scratchLabel: input.scratchLabel } : {}),
    });
    out.created += r.created;
    out.updated += r.updated;
    out.skipped += r.skipped;
    out.failed.push(...r.failed);
    log(
      `${step.stage}${step.namespace ? ` ${step.namespace}` : ''}: ${r.created} ${input.dryRun ? 'would be created' : 'created'}, ${r.updated} updated, ${r.skipped} skipped, ${r.failed.length} failed`,
    );
    const crds = r.objects.filter((o) => o.startsWith('CustomResourceDefinition ')).map((o) => o.slice('CustomResourceDefinition '.length));
    if (step.stage === 'crds' && crds.length > 0 && !input.dryRun) {
      let pending = crds;
      for (let i = 0; i < 30 && pending.length > 0; i++) {
        pending = await waitCrds(env, { cluster: input.cluster, names: pending });
        if (pending.length > 0) await sleep(10_000);
      }
      for (const n of pending) out.failed.push({ object: `CustomResourceDefinition ${n}`, error: 'not Established within 300s' });
    }
  }
  for (const db of plan.databases) {
    try {
      await restoreDatabase(env, {
        restoreId: input.restoreId,
        cluster: input.cluster,
        sourceCluster: source,
        backupId: input.backupId,
        database: db.name,
        target: db.target,
        dryRun: input.dryRun,
      });
      out.databases.push({ name: db.name, target: db.target, ok: true });
      log(`database ${db.name} -> ${db.target}: ${input.dryRun ? 'would be restored' : 'restored'}`);
    } catch (e) {
      out.databases.push({ name: db.name, target: db.target, ok: false, error: (e as Error).message });
    }
  }
  for (const v of plan.volumes ?? []) {
    const row = { source: `${v.namespace}/${v.pvc}`, target: `${v.target.namespace}/${v.target.name}` };
    try {
      const r = await restoreVolumeStep(env, {
        restoreId: input.restoreId,
        cluster: input.cluster,
        sourceCluster: source,
        backupId: input.backupId,
        volume: v,
        dryRun: input.dryRun,
      });
      (out.volumes ??= []).push({ ...row, ok: true, entries: r.entries });
      log(
        `volume ${row.source} -> new PVC ${row.target} (${r.storageClassName ?? 'default class'}, ${r.storage}): ${input.dryRun ? 'would be restored' : `restored, ${r.entries} entries`}`,
      );
    } catch (e) {
      (out.volumes ??= []).push({ ...row, ok: false, error: (e as Error).message });
    }
  }
  for (const [names, restore, what] of [
    [plan.dashboards, restoreGrafana, 'Grafana dashboards'],
    [plan.keyVaultSecrets, restoreKeyVault, 'Key Vault secrets'],
    [plan.buckets, restoreS3, 'S3 objects'],
  ] as const) {
    if (!names || names.length === 0) continue;
    try {
      const r = await restore(env, {
        restoreId: input.restoreId,
        cluster: input.cluster,
        sourceCluster: source,
        backupId: input.backupId,
        names,
        conflict: input.conflict,
        dryRun: input.dryRun,
        ...(input.bucketMap ? { bucketMap: input.bucketMap } : {}),
      });
      out.created += r.created;
      out.updated += r.updated;
      out.skipped += r.skipped;
      out.failed.push(...r.failed);
      if (r.conflicts?.length) out.conflicts = [...(out.conflicts ?? []), ...r.conflicts];
      log(
        `${what}: ${r.created} ${input.dryRun ? 'would be created' : 'created'}, ${r.updated} updated, ${r.skipped} skipped (exist), ${r.failed.length} failed`,
      );
    } catch (e) {
      out.failed.push({ object: what, error: (e as Error).message });
    }
  }
  out.outcome = out.failed.length > 0 || out.databases.some((d) => !d.ok) || (out.volumes ?? []).some((v) => !v.ok) ? 'restored-with-errors' : 'restored';
  return out;
}
