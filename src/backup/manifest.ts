// Backup IDs, blob names and the manifest. Pure.
//
// Layout (write-once: no blob is ever rewritten, so the containers can use version-level
// immutability). Every part of a backup lives under `{cluster}/{backupId}/` in the container of
// its kind (the Bicep module creates one container per kind, so its lifecycle policy can tier
// each kind on its own):
//   objects container   {cluster}/{backupId}/key.json                     wrapped data key
//                       {cluster}/{backupId}/objects/{ns|_cluster}/{resource.group}.ndjson[.enc]
//                       {cluster}/{backupId}/parts/{part}.json            one record per finished part
//                       {cluster}/{backupId}/manifest.json                written last: the completion marker
//   databases           {cluster}/{backupId}/databases/{name}.pgdump      pg_dump -Fc
//   grafana             {cluster}/{backupId}/grafana/{uid}.json
//   keyVault            {cluster}/{backupId}/keyvault/{secret}.kvbackup    Key Vault backup blobs (opaque)
//   appData             {cluster}/{backupId}/redis/{name}.rdb             redis-cli --rdb (an RDB snapshot)
//                       {cluster}/{backupId}/prometheus/{name}.tar        tar of a TSDB snapshot
//                       {cluster}/{backupId}/s3/{name}/{sha256 of key}    one blob per S3 object (src/backup/s3.ts)
//                       {cluster}/{backupId}/volumes/{ns}/{pvc}.tar       tar of a PVC's files (volumes.ts)
// CSI snapshots live in the cluster; the manifest records them.
//
// Backup IDs sort by time: `20250101T020000Z-nightly` (schedule slot + schedule name) or
// `20250101T021532Z-manual-3f9a1c` (request time + a random suffix); at most 63 characters, so
// they are valid label values (VolumeSnapshots carry aksops.io/backup-id).
import { countKey } from './objects.js';

export const MANIFEST_FORMAT = 'aksops-backup/v1';
export const PART_FORMAT = 'aksops-part/v1';
export const CLUSTER_SCOPE_DIR = '_cluster';

export const BACKUP_ID_PATTERN = /^(\d{8}T\d{6}Z)-([a-z0-9][a-z0-9-]{0,45})$/;

export type BackupPartType = 'objects' | 'databases' | 'snapshots' | 'grafana' | 'keyVault' | 'redis' | 'prometheus' | 's3' | 'volumes';
export const BACKUP_PART_TYPES: readonly BackupPartType[] = [
  'objects',
  'databases',
  'snapshots',
  'grafana',
  'keyVault',
  'redis',
  'prometheus',
  's3',
  'volumes',
];

export interface BackupContainers {
  objects: string;
  databases: string;
  snapshots: string;
  grafana: string;
  keyVault: string;
  /** Application data streamed out of pods: Redis RDB files, Prometheus TSDB snapshots. */
  appData: string;
}

/** The containers bicep/main.bicep creates (backupContainers). */
export const DEFAULT_CONTAINERS: BackupContainers = {
  objects: 'k8s-objects',
  databases: 'postgres-dumps',
  snapshots: 'csi-snapshots',
  grafana: 'grafana-dashboards',
  keyVault: 'keyvault-secrets',
  appData: 'app-data',
};

function compactTime(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** `20250101T020000Z-nightly`. `label` is a schedule name or `manual-<suffix>`. */
export function backupIdFor(time: Date, label: string): string {
  const id = `${compactTime(time)}-${label}`;
  if (!BACKUP_ID_PATTERN.test(id)) throw new RangeError(`"${label}" cannot be part of a backup ID: use lower-case letters, digits and "-"`);
  return id;
}

/** The time a backup ID carries, or null when the text is not a backup ID. */
export function backupIdTime(id: string): Date | null {
  const m = BACKUP_ID_PATTERN.exec(id);
  if (!m) return null;
  const t = m[1]!;
  const d = new Date(`${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function isBackupId(id: string): boolean {
  return backupIdTime(id) !== null;
}

/** Durable instance ID of a backup: one per cluster and backup ID (= schedule slot). */
export function backupInstanceId(cluster: string, backupId: string): string {
  return `backup:${cluster}:${backupId}`;
}

export function backupPrefix(cluster: string, backupId: string): string {
  return `${cluster}/${backupId}/`;
}

export const paths = {
  manifest: (cluster: string, id: string) => `${backupPrefix(cluster, id)}manifest.json`,
  key: (cluster: string, id: string) => `${backupPrefix(cluster, id)}key.json`,
  part: (cluster: string, id: string, part: string) => `${backupPrefix(cluster, id)}parts/${part}.json`,
  objects: (cluster: string, id: string, namespace: string | null, qualified: string, encrypted: boolean) =>
    `${backupPrefix(cluster, id)}objects/${namespace ?? CLUSTER_SCOPE_DIR}/${qualified}.ndjson${encrypted ? '.enc' : ''}`,
  database: (cluster: string, id: string, name: string) => `${backupPrefix(cluster, id)}databases/${name}.pgdump`,
  grafana: (cluster: string, id: string, uid: string) => `${backupPrefix(cluster, id)}grafana/${encodeURIComponent(uid)}.json`,
  keyVault: (cluster: string, id: string, secret: string) => `${backupPrefix(cluster, id)}keyvault/${secret}.kvbackup`,
  redis: (cluster: string, id: string, name: string) => `${backupPrefix(cluster, id)}redis/${name}.rdb`,
  prometheus: (cluster: string, id: string, name: string) => `${backupPrefix(cluster, id)}prometheus/${name}.tar`,
  /** S3 keys may hold any UTF-8 up to 1024 bytes: the blob is named by the key's SHA-256, the item keeps the key. */
  s3: (cluster: string, id: string, name: string, keyHash: string) => `${backupPrefix(cluster, id)}s3/${name}/${keyHash}`,
  volume: (cluster: string, id: string, namespace: string, pvc: string) => `${backupPrefix(cluster, id)}volumes/${namespace}/${pvc}.tar`,
};

/** Part IDs: also file names of part records. */
export const partIds = {
  namespace: (ns: string) => `objects.ns.${ns}`,
  clusterObjects: 'objects.cluster',
  database: (name: string) => `database.${name}`,
  snapshots: 'snapshots',
  grafana: 'grafana',
  keyVault: 'keyvault',
  redis: (name: string) => `redis.${name}`,
  prometheus: (name: string) => `prometheus.${name}`,
  s3: (name: string) => `s3.${name}`,
  volume: (namespace: string, pvc: string) => `volume.${namespace}.${pvc}`,
};

export type ManifestItemType = 'objects' | 'secrets' | 'database' | 'grafana' | 'keyvault' | 'redis' | 'prometheus' | 's3' | 'volume';

export interface ManifestItem {
  part: string;
  type: ManifestItemType;
  container: string;
  /** Blob name inside the container. */
  path: string;
  /** Bytes stored (ciphertext for encrypted items). */
  size: number;
  /** Hex SHA-256 of the stored bytes. */
  sha256: string;
  encrypted?: boolean;
  /** objects/secrets: namespace (null for cluster-scoped), type and number of objects. */
  namespace?: string | null;
  group?: string;
  version?: string;
  resource?: string;
  kind?: string;
  namespaced?: boolean;
  count?: number;
  /** database */
  database?: string;
  format?: string;
  /** database: extensions whose restore needs care, with their version ({timescaledb: '2.14.2'}). */
  extensions?: Record<string, string>;
  /** redis, prometheus: the configured instance name. */
  name?: string;
  /** grafana */
  uid?: string;
  title?: string;
  /** keyvault */
  secret?: string;
  /** s3 (name: the config entry): the object's bucket, key, ETag and Last-Modified as read. */
  bucket?: string;
  key?: string;
  etag?: string;
  lastModified?: string;
  /** volume: the PVC (namespace above) as it was, and the tar's entries (files, directories, links). */
  pvc?: { name: string; storageClassName: string | null; storage: string; accessModes: string[]; volumeMode: string };
  entries?: number;
}

export interface SnapshotRecord {
  namespace: string;
  pvc: string;
  /** VolumeSnapshot name. */
  name: string;
  volumeSnapshotClassName: string;
  readyToUse: boolean;
  restoreSize?: string;
  boundVolumeSnapshotContentName?: string;
  creationTime?: string;
  error?: string;
}

/** What one finished part stored; written once to parts/{part}.json. */
export interface PartRecord {
  format: typeof PART_FORMAT;
  backupId: string;
  cluster: string;
  part: string;
  items: ManifestItem[];
  snapshots?: SnapshotRecord[];
  warnings: string[];
  /** Objects left out and why ("owned by ReplicaSet": 12). */
  skipped?: Record<string, number>;
}

export interface EncryptionInfo {
  algorithm: 'AES-256-GCM';
  /** Blob (objects container) holding the wrapped per-backup data key. */
  keyBlob: string;
  kek: { kind: 'key-vault' | 'local'; id: string; wrapAlgorithm: string };
}

export interface PartOutcome {
  part: string;
  status: 'ok' | 'failed';
  error?: string;
}

export interface Manifest extends ManifestMeta {
  format: typeof MANIFEST_FORMAT;
  /** complete: every planned part stored; partial: some failed (listed in parts and warnings). */
  status: 'complete' | 'partial';
  parts: PartOutcome[];
  items: ManifestItem[];
  snapshots: SnapshotRecord[];
  /** Objects per Kubernetes kind ("Deployment.apps": 12), plus databases, dashboards, secrets, snapshots. */
  counts: Record<string, number>;
  totals: { items: number; bytes: number; objects: number };
  warnings: string[];
}

export interface ManifestMeta {
  backupId: string;
  cluster: string;
  tool: { name: string; version: string };
  trigger: string;
  requestedBy: string;
  startedAt: string;
  finishedAt: string;
  encryption: EncryptionInfo | null;
}

/**
 * The manifest from the finished parts' records and the parts that failed. Throws when nothing
 * at all was stored (such a backup must fail, not "complete"), when a record belongs to another
 * backup, or when two items claim the same blob.
 */
export function buildManifest(meta: ManifestMeta, records: PartRecord[], failed: Array<{ part: string; error: string }>): Manifest {
  const items: ManifestItem[] = [];
  const snapshots: SnapshotRecord[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  const counts: Record<string, number> = {};
  const add = (k: string, n: number) => (counts[k] = (counts[k] ?? 0) + n);
  for (const r of [...records].sort((a, b) => (a.part < b.part ? -1 : a.part > b.part ? 1 : 0))) {
    if (r.backupId !== meta.backupId || r.cluster !== meta.cluster)
      throw new Error(`part record ${r.part} belongs to ${r.cluster}/${r.backupId}, not ${meta.cluster}/${meta.backupId}`);
    for (const it of r.items) {
      const key = `${it.container}/${it.path}`;
      if (seen.has(key)) throw new Error(`blob ${key} is claimed twice (parts ${r.part} and another)`);
      seen.add(key);
      items.push(it);
      if ((it.type === 'objects' || it.type === 'secrets') && it.kind !== undefined) add(countKey({ kind: it.kind, group: it.group ?? '' }), it.count ?? 0);
      if (it.type === 'database') add('databases', 1);
      if (it.type === 'grafana') add('dashboards', 1);
      if (it.type === 'keyvault') add('keyVaultSecrets', 1);
      if (it.type === 'redis') add('redisSnapshots', 1);
      if (it.type === 'prometheus') add('prometheusSnapshots', 1);
      if (it.type === 's3') add('s3Objects', 1);
      if (it.type === 'volume') add('volumes', 1);
    }
    for (const s of r.snapshots ?? []) {
      snapshots.push(s);
      if (s.readyToUse) add('volumeSnapshots', 1);
    }
    for (const w of r.warnings) warnings.push(`${r.part}: ${w}`);
  }
  for (const f of failed) warnings.push(`${f.part}: FAILED: ${f.error}`);
  if (items.length === 0 && snapshots.every((s) => !s.readyToUse) && failed.length > 0) {
    throw new Error(`nothing was stored: every part failed (${failed.map((f) => f.part).join(', ')})`);
  }
  items.sort((a, b) => (a.container + a.path < b.container + b.path ? -1 : 1));
  const parts: PartOutcome[] = [
    ...records.map((r): PartOutcome => ({ part: r.part, status: 'ok' })),
    ...failed.map((f): PartOutcome => ({ part: f.part, status: 'failed', error: f.error })),
  ].sort((a, b) => (a.part < b.part ? -1 : a.part > b.part ? 1 : 0));
  const objects = items.filter((i) => i.type === 'objects' || i.type === 'secrets').reduce((n, i) => n + (i.count ?? 0), 0);
  return {
    format: MANIFEST_FORMAT,
    ...meta,
    status: failed.length > 0 ? 'partial' : 'complete',
    parts,
    items,
    snapshots: snapshots.sort((a, b) => (`${a.namespace}/${a.pvc}` < `${b.namespace}/${b.pvc}` ? -1 : 1)),
    counts: Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1))),
    totals: { items: items.length, bytes: items.reduce((n, i) => n + i.size, 0), objects },
    warnings,
  };
}

/** Checks a parsed manifest document enough to trust its fields; throws naming the problem. */
export function parseManifest(text: string, where: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: manifest is not JSON (${(e as Error).message})`);
  }
  const o = m as Partial<Manifest>;
  if (typeof m !== 'object' || m === null || o.format !== MANIFEST_FORMAT) throw new Error(`${where}: not an ${MANIFEST_FORMAT} manifest`);
  if (!Array.isArray(o.items) || typeof o.backupId !== 'string' || typeof o.cluster !== 'string')
    throw new Error(`${where}: manifest lacks items, backupId or cluster`);
  for (const [i, it] of o.items.entries()) {
    if (typeof it.path !== 'string' || typeof it.container !== 'string' || typeof it.size !== 'number' || !/^[0-9a-f]{64}$/.test(String(it.sha256))) {
      throw new Error(`${where}: items[${i}] lacks path, container, size or sha256`);
    }
  }
  return m as Manifest;
}
