// The backup activities that deal with Kubernetes objects, the data key, part records and the
// manifest. Each is idempotent (Durable delivers activities at least once, and a crashed backup is
// resumed): blobs are write-once, a part whose record exists is not redone, and the manifest is
// written once, last.
import { appAllows } from '../permissions/kubernetes.js';
import { Readable } from 'node:stream';
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import { isKubeRestStatus, type KubeRest } from '../adapters/kube-rest.js';
import type { StoredBlob } from '../adapters/blob-store.js';
import {
  CLUSTER_RESOURCE_TYPES,
  cleanObject,
  qualifiedName,
  restorableTypes,
  selectNamespaces,
  selectTypes,
  skipReason,
  type ResourceTypeRef,
} from './objects.js';
import { paths, partIds, PART_FORMAT, type EncryptionInfo, type ManifestItem, type PartRecord } from './manifest.js';
import { encryptStream, newKeyDocument, openKeyDocument, type KeyDocument } from './crypto.js';
import { parseDuration } from '../domain/duration.js';
import type { BackupObjectsInput, BackupPlan, BackupPlanInput, PartSummary } from '../domain/backup-types.js';
import { planVolumes } from './volume-plan.js';
import { text } from '../domain/text.js';

/** Blocks of object (NDJSON) blobs: most fit one block and go up as a single Put Blob. */
export const OBJECT_BLOCK_BYTES = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------- data key

const dataKeys = new Map<string, Promise<Buffer>>();

/** The backup's data key: key.json is created once (write-once), then unwrapped when needed. */
export async function backupDataKey(env: BackupEnv, cluster: string, backupId: string, create: boolean): Promise<{ key: Buffer; doc: KeyDocument }> {
  const container = env.backups.containers.objects;
  const path = paths.key(cluster, backupId);
  const wrapper = await env.keyWrapper();
  let doc = await env.blobs.readJson<KeyDocument>(container, path);
  if (!doc) {
    if (!create) throw new Error(`${container}/${path} is missing: the backup has no data key, so its Secrets cannot be read`);
    const made = await newKeyDocument(wrapper);
    const stored = await env.blobs.writeOnceBuffer(container, path, JSON.stringify(made.doc, null, 2));
    if (!stored.existed) {
      dataKeys.set(`${cluster}/${backupId}`, Promise.resolve(made.dataKey));
      return { key: made.dataKey, doc: made.doc };
    }
    // Another attempt wrote it first: use theirs.
    doc = (await env.blobs.readJson<KeyDocument>(container, path))!;
  }
  const cacheKey = `${cluster}/${backupId}`;
  let p = dataKeys.get(cacheKey);
  if (!p) {
    p = openKeyDocument(doc, wrapper);
    p.catch(() => dataKeys.delete(cacheKey));
    dataKeys.set(cacheKey, p);
    if (dataKeys.size > 64) dataKeys.delete(dataKeys.keys().next().value!);
  }
  return { key: await p, doc };
}

export function encryptionInfo(cluster: string, backupId: string, doc: KeyDocument): EncryptionInfo {
  return { algorithm: 'AES-256-GCM', keyBlob: paths.key(cluster, backupId), kek: { kind: doc.kek.kind, id: doc.kek.id, wrapAlgorithm: doc.kek.wrapAlgorithm } };
}

// ---------------------------------------------------------------------------- part records

export async function readPartRecord(env: BackupEnv, cluster: string, backupId: string, part: string): Promise<PartRecord | null> {
  return env.blobs.readJson<PartRecord>(env.backups.containers.objects, paths.part(cluster, backupId, part));
}

/** Writes the record once; if an earlier attempt wrote one, that one stands. */
export async function writePartRecord(env: BackupEnv, record: PartRecord): Promise<PartRecord> {
  const container = env.backups.containers.objects;
  const path = paths.part(record.cluster, record.backupId, record.part);
  const stored = await env.blobs.writeOnceBuffer(container, path, JSON.stringify(record));
  return stored.existed ? ((await env.blobs.readJson<PartRecord>(container, path)) ?? record) : record;
}

export function summarize(record: PartRecord, resumed: boolean): PartSummary {
  return {
    part: record.part,
    items: record.items.length,
    bytes: record.items.reduce((n, i) => n + i.size, 0),
    objects: record.items.reduce((n, i) => n + (i.count ?? 0), 0),
    warnings: record.warnings.length,
    resumed,
  };
}

// ---------------------------------------------------------------------------- plan

export async function planBackup(env: BackupEnv, input: BackupPlanInput): Promise<BackupPlan> {
  const cfg = clusterBackupConfig(env, input.cluster);
  const parts = new Set(input.parts);
  const plan: BackupPlan = {
    backupId: input.backupId,
    cluster: input.cluster,
    namespaces: [],
    namespacedTypes: [],
    clusterTypes: [],
    objects: parts.has('objects'),
    databases: [],
    snapshots: [],
    grafana: parts.has('grafana') && cfg.grafana !== undefined,
    keyVault: parts.has('keyVault') && cfg.keyVault !== undefined,
    redis: parts.has('redis') ? cfg.redis.map((r) => r.name) : [],
    prometheus: parts.has('prometheus') ? cfg.prometheus.map((p) => p.name) : [],
    s3: parts.has('s3') ? cfg.s3.map((b) => b.name) : [],
    warnings: [],
    concurrency: env.backups.concurrency,
  };
  if (parts.has('databases')) {
    const only = input.scope?.databases;
    plan.databases = cfg.databases.map((d) => d.name).filter((n) => !only || only.includes(n));
    for (const n of only ?? [])
      if (!cfg.databases.some((d) => d.name === n))
        throw new Error(
          `database "${n}" is not configured for cluster ${input.cluster}. Fix: use one of ${cfg.databases.map((d) => d.name).join(', ') || '(none configured)'}`,
        );
  }
  if (parts.has('volumes')) {
    const v = await planVolumes(env, input.cluster, input.scope?.namespaces);
    plan.volumes = v.volumes;
    plan.warnings.push(...v.warnings);
  }
  if (parts.has('snapshots')) {
    plan.snapshots = cfg.snapshots
      .filter((s) => !input.scope?.namespaces || input.scope.namespaces.includes(s.namespace))
      .map((s) => ({ namespace: s.namespace, pvc: s.pvc, volumeSnapshotClass: s.volumeSnapshotClass, readyTimeoutSeconds: parseDuration(s.readyTimeout)! }));
  }
  if (plan.objects) {
    const { rest } = await env.kube(input.cluster);
    const discovery = await rest.discover();
    for (const f of discovery.failed) plan.warnings.push(`discovery of ${f.groupVersion} failed, its objects are not backed up: ${f.error}`);
    const all = selectTypes(restorableTypes(discovery.groupVersions), { include: cfg.objects.includeKinds, exclude: cfg.objects.excludeKinds });
    // Only kinds the app's role may list: another kind would fail the whole part with a 403.
    const listable = all.filter((t) => t.namespaced && appAllows('list', t.group, t.resource));
    const unlisted = all.filter((t) => t.namespaced && !listable.includes(t)).map(qualifiedName);
    if (unlisted.length > 0)
      plan.warnings.push(
        `not backed up, the app's Kubernetes role does not grant list on: ${unlisted.join(', ')}. Fix: add them to BACKUP_NAMESPACED_KINDS in src/permissions/kubernetes.ts, run npm run permissions and redeploy the role`,
      );
    plan.namespacedTypes = listable;
    const byQualified = new Map(restorableTypes(discovery.groupVersions).map((t) => [qualifiedName(t), t]));
    for (const [key, q] of Object.entries(CLUSTER_RESOURCE_TYPES) as Array<[keyof typeof CLUSTER_RESOURCE_TYPES, string]>) {
      const names = cfg.objects.clusterResources[key];
      if (names.length === 0) continue;
      const t = byQualified.get(q);
      if (!t) {
        plan.warnings.push(`${q} is not served by the cluster; objects.clusterResources.${key} is ignored`);
        continue;
      }
      plan.clusterTypes.push({ type: t, names });
    }
    const nsType = byQualified.get('namespaces');
    if (!nsType) throw new Error('the cluster does not serve namespaces (discovery of /api/v1 failed)');
    const names: string[] = [];
    for await (const page of rest.listPages(nsType, null, { limit: 500 })) for (const ns of page) names.push(String(ns.metadata?.['name']));
    let selected = selectNamespaces(names, { include: cfg.objects.includeNamespaces, exclude: cfg.objects.excludeNamespaces });
    if (input.scope?.namespaces) {
      const missing = input.scope.namespaces.filter((n) => !names.includes(n));
      if (missing.length > 0) throw new Error(`namespace(s) ${missing.join(', ')} do not exist in cluster ${input.cluster}`);
      selected = selected.filter((n) => input.scope!.namespaces!.includes(n));
    }
    plan.namespaces = selected;
  }
  // The data key exists before any part runs, so every part encrypts with the same key.
  await backupDataKey(env, input.cluster, input.backupId, true);
  return plan;
}

// ---------------------------------------------------------------------------- objects

interface TypeExport {
  item: ManifestItem | null;
  skipped: Record<string, number>;
}

/** Lists one type (in one namespace) into one NDJSON blob (encrypted for Secrets). */
async function exportType(
  env: BackupEnv,
  rest: KubeRest,
  input: { backupId: string; cluster: string; part: string },
  t: ResourceTypeRef,
  namespace: string | null,
  options: { labelSelector?: string; pageSize: number; names?: string[]; dataKey: Buffer },
): Promise<TypeExport> {
  const container = env.backups.containers.objects;
  const secret = t.group === '' && t.resource === 'secrets';
  const path = paths.objects(input.cluster, input.backupId, namespace, qualifiedName(t), secret);
  for (let attempt = 0; ; attempt++) {
    const skipped: Record<string, number> = {};
    let count = 0;
    const names = options.names && !options.names.includes('*') ? new Set(options.names) : undefined;
    async function* lines(): AsyncGenerator<Buffer> {
      let buf: string[] = [];
      let size = 0;
      const pageOptions = {
        limit: options.pageSize,
        ...(options.labelSelector !== undefined && namespace !== null ? { labelSelector: options.labelSelector } : {}),
        restartOnExpired: false,
      };
      for await (const page of rest.listPages(t, namespace, pageOptions)) {
        for (const obj of page) {
          const name = text(obj.metadata?.['name']);
          if (names && !names.has(name)) continue;
          const why = skipReason(t, obj);
          if (why) {
            const k = why.startsWith('owned by ') ? why.replace(/^(owned by \S+) .*$/, '$1') : why;
            skipped[k] = (skipped[k] ?? 0) + 1;
            continue;
          }
          const line = `${JSON.stringify(cleanObject(t, obj))}\n`;
          buf.push(line);
          size += line.length;
          count += 1;
          if (size >= 256 * 1024) {
            yield Buffer.from(buf.join(''), 'utf8');
            buf = [];
            size = 0;
          }
        }
      }
      if (buf.length > 0) yield Buffer.from(buf.join(''), 'utf8');
    }
    // Nothing is written for a type without objects; peek at the first chunk to know.
    const it = lines();
    let first: IteratorResult<Buffer>;
    try {
      first = await it.next();
    } catch (e) {
      if (isKubeRestStatus(e, 410) && attempt < 3) continue;
      throw e;
    }
    if (first.done) return { item: null, skipped };
    async function* all(): AsyncGenerator<Buffer> {
      yield first.value as Buffer;
      yield* it;
    }
    let stored: StoredBlob;
    try {
      const metadata = () => ({ aksopscount: String(count), aksopskind: t.kind });
      if (secret) {
        const enc = encryptStream(options.dataKey, `${container}/${path}`);
        const src = Readable.from(all());
        src.on('error', (e) => enc.destroy(e));
        src.pipe(enc);
        stored = await env.blobs.writeOnce(container, path, enc, {
          blockSize: OBJECT_BLOCK_BYTES,
          concurrency: 2,
          metadata,
          contentType: 'application/octet-stream',
        });
      } else {
        stored = await env.blobs.writeOnce(container, path, all(), {
          blockSize: OBJECT_BLOCK_BYTES,
          concurrency: 2,
          metadata,
          contentType: 'application/x-ndjson',
        });
      }
    } catch (e) {
      // The continue token expired mid-list (410): nothing was committed; list again.
      if (isKubeRestStatus(e, 410) && attempt < 3) continue;
      throw e;
    }
    const storedCount = stored.existed ? Number(stored.metadata['aksopscount'] ?? '0') : count;
    return {
      item: {
        part: input.part,
        type: secret ? 'secrets' : 'objects',
        container,
        path,
        size: stored.size,
        sha256: stored.sha256,
        ...(secret ? { encrypted: true } : {}),
        namespace,
        group: t.group,
        version: t.version,
        resource: t.resource,
        kind: t.kind,
        namespaced: t.namespaced,
        count: storedCount,
      },
      skipped,
    };
  }
}

export async function backupObjects(env: BackupEnv, input: BackupObjectsInput): Promise<PartSummary> {
  const part = input.namespace === null ? partIds.clusterObjects : partIds.namespace(input.namespace);
  const existing = await readPartRecord(env, input.cluster, input.backupId, part);
  if (existing) return summarize(existing, true);
  const cfg = clusterBackupConfig(env, input.cluster);
  const { rest } = await env.kube(input.cluster);
  const { key } = await backupDataKey(env, input.cluster, input.backupId, false);
  const items: ManifestItem[] = [];
  const skipped: Record<string, number> = {};
  const warnings: string[] = [];
  const jobs: Array<{ t: ResourceTypeRef; names?: string[] }> = [];
  if (input.namespace === null) {
    const nsType: ResourceTypeRef = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
    if ((input.namespaces ?? []).length > 0) jobs.push({ t: nsType, names: input.namespaces! });
    for (const c of input.clusterTypes ?? []) jobs.push({ t: c.type, names: c.names });
  } else {
    for (const t of input.types) jobs.push({ t });
  }
  const ctx = { backupId: input.backupId, cluster: input.cluster, part };
  // A few types at a time: each is a LIST (paged) and at most one blob.
  const queue = [...jobs];
  const worker = async () => {
    for (let j = queue.shift(); j; j = queue.shift()) {
      try {
        const r = await exportType(env, rest, ctx, j.t, input.namespace, {
          ...(cfg.objects.labelSelector !== undefined ? { labelSelector: cfg.objects.labelSelector } : {}),
          pageSize: cfg.objects.pageSize,
          ...(j.names ? { names: j.names } : {}),
          dataKey: key,
        });
        if (r.item) items.push(r.item);
        for (const [k, n] of Object.entries(r.skipped)) skipped[`${j.t.kind}: ${k}`] = (skipped[`${j.t.kind}: ${k}`] ?? 0) + n;
      } catch (e) {
        // A type that cannot be listed (403 for a CRD the identity may not read) is a warning;
        // anything else fails the part.
        if (isKubeRestStatus(e, 403) || isKubeRestStatus(e, 404) || isKubeRestStatus(e, 405)) {
          warnings.push(`${qualifiedName(j.t)}${input.namespace ? ` in ${input.namespace}` : ''} not backed up: ${(e as Error).message}`);
          continue;
        }
        throw e;
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  items.sort((a, b) => (a.path < b.path ? -1 : 1));
  const record = await writePartRecord(env, {
    format: PART_FORMAT,
    backupId: input.backupId,
    cluster: input.cluster,
    part,
    items,
    warnings,
    ...(Object.keys(skipped).length > 0 ? { skipped: Object.fromEntries(Object.entries(skipped).sort()) } : {}),
  });
  return summarize(record, false);
}
