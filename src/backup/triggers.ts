// What the backup triggers start, independent of the Functions runtime (functions/backup.ts is the
// thin registration): the timer tick's due schedule slots, and the HTTP requests to start a backup
// or a restore, list backups and show one. Instance IDs carry idempotency: one per schedule slot
// (a timer that fires twice, or two workers, start one backup), one per request otherwise.
import { randomBytes } from 'node:crypto';
import type { BackupsConfig } from '../config/backup-schema.js';
import { bucketName } from '../config/s3-backup-schema.js';
import { parseDuration } from '../domain/duration.js';
import { checkName } from '../domain/k8s-names.js';
import { dueSlot, parseCron } from './schedule.js';
import { BACKUP_PART_TYPES, backupIdFor, backupInstanceId, isBackupId, paths, type BackupPartType } from './manifest.js';
import type { BackupInput, RestoreInput, VerifyInput } from '../domain/backup-types.js';
import type { DrillInput } from '../domain/drill-types.js';
import type { BackupEnv } from './env.js';
import { listBackups, type BackupListing } from './catalog.js';
import { readManifest } from './manifest-write.js';
import type { BackupRequestBody, BackupVerifyBody, RestoreRequestBody } from '../api/schemas.js';

export const ORCHESTRATION = {
  backup: 'backup',
  retention: 'backupRetention',
  restore: 'restore',
  drill: 'backupDrill',
  verification: 'backupVerification',
} as const;

export interface StartRequest {
  orchestration: string;
  instanceId: string;
  input: unknown;
}

export interface InstanceInfo {
  runtimeStatus: string;
  customStatus?: unknown;
  output?: unknown;
  createdTime?: string;
  lastUpdatedTime?: string;
}

/** The Durable client as the triggers need it (functions/backup.ts adapts the real one). */
export interface InstancesPort {
  status(instanceId: string): Promise<InstanceInfo | null>;
  startOnce(orchestration: string, instanceId: string, input: unknown): Promise<'started' | 'exists'>;
}

function compact(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** Every run a timer tick at `now` should start: backups, verifications, the drill. Pure. */
export function dueRuns(b: BackupsConfig, now: Date): StartRequest[] {
  const within = parseDuration(b.startWithin)!;
  const out: StartRequest[] = [];
  const planned = b.clusters.map((c) => c.cluster);
  for (const s of b.schedules) {
    const slot = dueSlot(parseCron(s.cron, s.timezone ?? b.timezone), now, within);
    if (!slot) continue;
    const backupId = backupIdFor(slot, s.name);
    for (const cluster of s.clusters ?? planned) {
      const input: BackupInput = { backupId, cluster, parts: s.parts, trigger: 'schedule', requestedBy: `schedule:${s.name}`, applyRetention: s.retention };
      out.push({ orchestration: ORCHESTRATION.backup, instanceId: backupInstanceId(cluster, backupId), input });
    }
  }
  if (b.verify) {
    const slot = dueSlot(parseCron(b.verify.cron, b.timezone), now, within);
    if (slot)
      for (const cluster of planned)
        out.push({ orchestration: ORCHESTRATION.verification, instanceId: `verify:${cluster}:${compact(slot)}`, input: { cluster } });
  }
  if (b.drill) {
    const slot = dueSlot(parseCron(b.drill.cron, b.timezone), now, within);
    if (slot) {
      const id = `drill-${compact(slot).toLowerCase()}`;
      const input: DrillInput = {
        drillId: id,
        cluster: b.drill.cluster,
        namespace: b.drill.namespace,
        scratchNamespace: `${b.drill.scratchPrefix}-${compact(slot).toLowerCase().slice(0, 13)}`.slice(0, 63),
        timeoutSeconds: parseDuration(b.drill.timeout)!,
        ...(b.drill.from === 'secondary' ? { from: 'secondary' as const } : {}),
        requestedBy: 'schedule:drill',
      };
      out.push({ orchestration: ORCHESTRATION.drill, instanceId: `drill:${b.drill.cluster}:${compact(slot)}`, input });
    }
  }
  return out;
}

/** The timer tick: starts what is due, once per instance ID. */
export async function onTimerTick(port: InstancesPort, b: BackupsConfig, now: Date): Promise<Array<{ instanceId: string; result: 'started' | 'exists' }>> {
  const out: Array<{ instanceId: string; result: 'started' | 'exists' }> = [];
  for (const r of dueRuns(b, now)) out.push({ instanceId: r.instanceId, result: await port.startOnce(r.orchestration, r.instanceId, r.input) });
  return out;
}

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function clusterOf(b: BackupsConfig, v: string | undefined): string {
  const clusters = b.clusters.map((c) => c.cluster);
  if (v === undefined && clusters.length === 1) return clusters[0]!;
  if (v === undefined || !clusters.includes(v)) throw new RequestError(400, `cluster must be one of ${clusters.join(', ')}`);
  return v;
}

function namespaceNames(field: string, list: string[] | undefined): void {
  for (const ns of list ?? []) if (checkName('namespace', ns)) throw new RequestError(400, `${field}: ${checkName('namespace', ns)}`);
}

/** POST /api/backups, its body already checked by the route schema (src/api/schemas.ts backupRequest). */
export function backupRequest(
  b: BackupsConfig,
  body: BackupRequestBody,
  now: Date,
  requestedBy: string,
  suffix = randomBytes(3).toString('hex'),
): StartRequest {
  const cluster = clusterOf(b, body.cluster);
  const parts = (body.parts ?? [...BACKUP_PART_TYPES]) as BackupPartType[];
  const { namespaces, databases } = body;
  namespaceNames('namespaces', namespaces);
  const backupId = backupIdFor(now, `manual-${suffix}`);
  const input: BackupInput = {
    backupId,
    cluster,
    parts,
    ...(namespaces || databases ? { scope: { ...(namespaces ? { namespaces } : {}), ...(databases ? { databases } : {}) } } : {}),
    trigger: 'http',
    requestedBy,
    applyRetention: body.retention === true,
  };
  return { orchestration: ORCHESTRATION.backup, instanceId: backupInstanceId(cluster, backupId), input };
}

/** POST /api/backups/{id}/verify: re-read one backup and check every checksum (reads only; a repeat is harmless). */
export function verifyRequest(b: BackupsConfig, backupId: string, body: BackupVerifyBody, now: Date, requestedBy: string): StartRequest {
  const cluster = clusterOf(b, body.cluster);
  if (!isBackupId(backupId)) throw new RequestError(400, `"${backupId.slice(0, 80)}" is not a backup ID. Fix: GET /api/backups lists them`);
  const input: VerifyInput = { cluster, backupId, requestedBy };
  return { orchestration: ORCHESTRATION.verification, instanceId: `verify:${cluster}:${backupId}:${compact(now)}`, input };
}

/** POST /api/restores (dry-run unless "dryRun": false), its body already checked by the route schema; dashboards / keyVaultSecrets: uids / names, or ["*"]. */
export function restoreRequest(
  b: BackupsConfig,
  body: RestoreRequestBody,
  now: Date,
  requestedBy: string,
  suffix = randomBytes(3).toString('hex'),
): StartRequest {
  const cluster = clusterOf(b, body.cluster);
  const sourceCluster = body.sourceCluster === undefined ? cluster : clusterOf(b, body.sourceCluster);
  if (!isBackupId(body.backupId)) throw new RequestError(400, 'backupId must be a backup ID (GET /api/backups lists them)');
  const map = body.namespaceMap;
  for (const [k, v] of Object.entries(map ?? {})) {
    if (checkName('namespace', v) || checkName('namespace', k))
      throw new RequestError(400, `namespaceMap: "${k}": "${v}" must map a namespace to a namespace name`);
  }
  for (const [k, v] of Object.entries(body.bucketMap ?? {}))
    if (!bucketName.safeParse(v).success)
      throw new RequestError(400, `bucketMap: "${k}" must map an s3 entry name to an S3 bucket name (3-63 lower-case letters, digits, "." and "-")`);
  for (const [k, v] of Object.entries(body.volumes ?? {})) {
    const [ns, pvc, extra] = k.split('/');
    if (!ns || !pvc || extra !== undefined || checkName('namespace', ns) || checkName('name', pvc) || checkName('name', v))
      throw new RequestError(400, `volumes: "${k}" must be "namespace/pvc" mapped to a new PVC name`);
  }
  const restoreId = `${compact(now)}-${suffix}`;
  const input: RestoreInput = {
    restoreId,
    cluster,
    ...(sourceCluster !== cluster ? { sourceCluster } : {}),
    backupId: body.backupId,
    ...(body.namespaces ? { namespaces: body.namespaces } : {}),
    ...(body.kinds ? { kinds: body.kinds } : {}),
    ...(map ? { namespaceMap: map } : {}),
    conflict: body.conflict ?? 'skip',
    dryRun: body.dryRun !== false,
    ...(body.databases ? { databases: body.databases } : {}),
    ...(body.volumes ? { volumes: body.volumes } : {}),
    ...(body.fromSnapshots === true ? { fromSnapshots: true } : {}),
    ...(body.dashboards ? { dashboards: body.dashboards } : {}),
    ...(body.keyVaultSecrets ? { keyVaultSecrets: body.keyVaultSecrets } : {}),
    ...(body.buckets ? { buckets: body.buckets } : {}),
    ...(body.bucketMap ? { bucketMap: body.bucketMap } : {}),
    ...(body.clusterRbac === true ? { clusterRbac: true } : {}),
    requestedBy,
  };
  return { orchestration: ORCHESTRATION.restore, instanceId: `restore:${cluster}:${restoreId}`, input };
}

/** GET /api/backups[?cluster=]: every configured cluster's backups, newest first. */
export async function listAll(env: BackupEnv, cluster?: string): Promise<BackupListing[]> {
  const clusters = cluster ? [cluster] : env.backups.clusters.map((c) => c.cluster);
  const out: BackupListing[] = [];
  for (const c of clusters) out.push(...(await listBackups(env, c)));
  return out;
}

/**
 * GET /api/backups/{id}[?cluster=&items=true]: the manifest (items only when asked), or, for a
 * backup without a manifest, its orchestration status.
 */
export async function showBackup(
  env: BackupEnv,
  port: InstancesPort | undefined,
  id: string,
  cluster?: string,
  items = false,
): Promise<Record<string, unknown> | null> {
  if (!isBackupId(id)) throw new RequestError(400, `"${id}" is not a backup ID`);
  for (const c of cluster ? [cluster] : env.backups.clusters.map((x) => x.cluster)) {
    const m = await readManifest(env, c, id);
    if (m) {
      const { items: list, ...rest } = m;
      return { ...rest, itemCount: list.length, ...(items ? { items: list } : {}), manifestPath: `${env.backups.containers.objects}/${paths.manifest(c, id)}` };
    }
    const status = await port?.status(backupInstanceId(c, id));
    const started = await env.blobs.exists(env.backups.containers.objects, paths.key(c, id));
    if (status || started) return { backupId: id, cluster: c, status: 'incomplete', orchestration: status ?? null };
  }
  return null;
}
