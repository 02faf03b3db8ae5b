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
import type { BackupInput, ConflictPolicy, DrillInput, RestoreInput } from '../domain/backup-types.js';
import type { BackupEnv } from './env.js';
import { listBackups, type BackupListing } from './catalog.js';
import { readManifest } from './manifest-write.js';

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
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
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
    if (slot) for (const cluster of planned) out.push({ orchestration: ORCHESTRATION.verification, instanceId: `verify:${cluster}:${compact(slot)}`, input: { cluster } });
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

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RequestError(400, `${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) throw new RequestError(400, `${field} must be a list of names`);
  return v as string[];
}

function knownKeys(body: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new RequestError(400, `unknown field(s) ${extra.join(', ')}; accepted: ${allowed.join(', ')}`);
}

function clusterOf(b: BackupsConfig, v: unknown): string {
  const clusters = b.clusters.map((c) => c.cluster);
  if (v === undefined && clusters.length === 1) return clusters[0]!;
  if (typeof v !== 'string' || !clusters.includes(v)) throw new RequestError(400, `cluster must be one of ${clusters.join(', ')}`);
  return v;
}

/** POST /api/backups {cluster, parts?, namespaces?, databases?, retention?}: an on-demand backup. */
export function backupRequest(b: BackupsConfig, rawBody: unknown, now: Date, requestedBy: string, suffix = randomBytes(3).toString('hex')): StartRequest {
  const body = obj(rawBody ?? {}, 'the body');
  knownKeys(body, ['cluster', 'parts', 'namespaces', 'databases', 'retention']);
  const cluster = clusterOf(b, body['cluster']);
  const parts = strings(body['parts'], 'parts') ?? [...BACKUP_PART_TYPES];
  for (const p of parts) if (!BACKUP_PART_TYPES.includes(p as BackupPartType)) throw new RequestError(400, `parts: "${p}" is not a part; use ${BACKUP_PART_TYPES.join(', ')}`);
  const namespaces = strings(body['namespaces'], 'namespaces');
  for (const ns of namespaces ?? []) if (checkName('namespace', ns)) throw new RequestError(400, `namespaces: ${checkName('namespace', ns)}`);
  const databases = strings(body['databases'], 'databases');
  if (body['retention'] !== undefined && typeof body['retention'] !== 'boolean') throw new RequestError(400, 'retention must be true or false');
  const backupId = backupIdFor(now, `manual-${suffix}`);
  const input: BackupInput = {
    backupId,
    cluster,
    parts: parts as BackupPartType[],
    ...(namespaces || databases ? { scope: { ...(namespaces ? { namespaces } : {}), ...(databases ? { databases } : {}) } } : {}),
    trigger: 'http',
    requestedBy,
    applyRetention: body['retention'] === true,
  };
  return { orchestration: ORCHESTRATION.backup, instanceId: backupInstanceId(cluster, backupId), input };
}

/** POST /api/restores: a restore (dry-run unless "dryRun": false); dashboards / keyVaultSecrets: uids / names, or ["*"]; volumes: {"ns/pvc": "new-pvc"}. */
export function restoreRequest(b: BackupsConfig, rawBody: unknown, now: Date, requestedBy: string, suffix = randomBytes(3).toString('hex')): StartRequest {
  const body = obj(rawBody, 'the body');
  knownKeys(body, ['cluster', 'sourceCluster', 'backupId', 'namespaces', 'kinds', 'namespaceMap', 'conflict', 'dryRun', 'databases', 'volumes', 'fromSnapshots', 'dashboards', 'keyVaultSecrets', 'buckets', 'bucketMap', 'clusterRbac']);
  if (body['clusterRbac'] !== undefined && typeof body['clusterRbac'] !== 'boolean') throw new RequestError(400, 'clusterRbac must be true or false');
  const cluster = clusterOf(b, body['cluster']);
  const sourceCluster = body['sourceCluster'] === undefined ? cluster : clusterOf(b, body['sourceCluster']);
  if (typeof body['backupId'] !== 'string' || !isBackupId(body['backupId'])) throw new RequestError(400, 'backupId must be a backup ID (GET /api/backups lists them)');
  const conflict = (body['conflict'] ?? 'skip') as ConflictPolicy;
  if (conflict !== 'skip' && conflict !== 'update') throw new RequestError(400, 'conflict must be "skip" or "update"');
  if (body['dryRun'] !== undefined && typeof body['dryRun'] !== 'boolean') throw new RequestError(400, 'dryRun must be true or false');
  const map = body['namespaceMap'] === undefined ? undefined : obj(body['namespaceMap'], 'namespaceMap');
  for (const [k, v] of Object.entries(map ?? {})) {
    if (typeof v !== 'string' || checkName('namespace', v) || checkName('namespace', k)) throw new RequestError(400, `namespaceMap: "${k}": "${String(v)}" must map a namespace to a namespace name`);
  }
  const dbs = body['databases'] === undefined ? undefined : obj(body['databases'], 'databases');
  for (const [k, v] of Object.entries(dbs ?? {})) if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(v)) throw new RequestError(400, `databases: "${k}" must map to a target database name`);
  const bucketMap = body['bucketMap'] === undefined ? undefined : obj(body['bucketMap'], 'bucketMap');
  for (const [k, v] of Object.entries(bucketMap ?? {})) if (typeof v !== 'string' || !bucketName.safeParse(v).success) throw new RequestError(400, `bucketMap: "${k}" must map an s3 entry name to an S3 bucket name (3-63 lower-case letters, digits, "." and "-")`);
  const volumes = body['volumes'] === undefined ? undefined : obj(body['volumes'], 'volumes');
  for (const [k, v] of Object.entries(volumes ?? {})) {
    const [ns, pvc, extra] = k.split('/');
    if (!ns || !pvc || extra !== undefined || checkName('namespace', ns) || checkName('name', pvc) || typeof v !== 'string' || checkName('name', v)) throw new RequestError(400, `volumes: "${k}" must be "namespace/pvc" mapped to a new PVC name`);
  }
  const restoreId = `${compact(now)}-${suffix}`;
  const input: RestoreInput = {
    restoreId,
    cluster,
    ...(sourceCluster !== cluster ? { sourceCluster } : {}),
    backupId: body['backupId'],
    ...(strings(body['namespaces'], 'namespaces') ? { namespaces: strings(body['namespaces'], 'namespaces')! } : {}),
    ...(strings(body['kinds'], 'kinds') ? { kinds: strings(body['kinds'], 'kinds')! } : {}),
    ...(map ? { namespaceMap: map as Record<string, string> } : {}),
    conflict,
    dryRun: body['dryRun'] !== false,
    ...(dbs ? { databases: dbs as Record<string, string> } : {}),
    ...(volumes ? { volumes: volumes as Record<string, string> } : {}),
    ...(body['fromSnapshots'] === true ? { fromSnapshots: true } : {}),
    ...(strings(body['dashboards'], 'dashboards') ? { dashboards: strings(body['dashboards'], 'dashboards')! } : {}),
    ...(strings(body['keyVaultSecrets'], 'keyVaultSecrets') ? { keyVaultSecrets: strings(body['keyVaultSecrets'], 'keyVaultSecrets')! } : {}),
    ...(strings(body['buckets'], 'buckets') ? { buckets: strings(body['buckets'], 'buckets')! } : {}),
    ...(bucketMap ? { bucketMap: bucketMap as Record<string, string> } : {}),
    ...(body['clusterRbac'] === true ? { clusterRbac: true } : {}),
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
export async function showBackup(env: BackupEnv, port: InstancesPort | undefined, id: string, cluster?: string, items = false): Promise<Record<string, unknown> | null> {
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
