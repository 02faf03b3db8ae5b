// The `backups` section of the operations config: what each cluster's backups hold, when they run,
// how they are encrypted and how long they are kept. Used by schema.ts; compiled by
// src/backup/plan-config.ts. Errors name the path and the fix. See docs/backups.md.
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { checkName } from '../domain/k8s-names.js';
import { ALWAYS_PROTECTED_NAMESPACES, isAlwaysProtectedNamespace } from '../domain/protection.js';
import { parseCron } from '../backup/schedule.js';
import { validZone } from '../windows/interval.js';

const zone = z.string().refine(validZone, { message: 'is not an IANA time zone. Fix: e.g. Europe/London or UTC' });
import { DEFAULT_CONTAINERS } from '../backup/manifest.js';
import { checkS3Entries, s3BackupSchema } from './s3-backup-schema.js';
import { volumeSchema } from './volume-backup-schema.js';

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, {
  message: 'is not a duration. Fix: write it like 30s, 15m, 4h, 2d',
});

const appSetting = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an app setting name. Fix: e.g. BACKUP_LOCAL_KEY' });

const SIZE = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const SIZE_FACTOR: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** Bytes in a Kubernetes-style quantity ("50Gi", "200M", "1024"), or null. */
export function parseSize(text: string): number | null {
  const m = SIZE.exec(text);
  return m ? Math.round(Number(m[1]) * SIZE_FACTOR[m[2] ?? '']!) : null;
}

const size = z.string().refine((s) => parseSize(s) !== null && parseSize(s)! > 0, { message: 'is not a size. Fix: write it like 500Mi, 50Gi, 2Ti' });

const containerName = z
  .string()
  .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, { message: 'is not a blob container name (3-63 lower-case letters, digits and single dashes)' });

const slug = (example: string) =>
  z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: `must be lower-case letters, digits and "-" (at most 63). Fix: e.g. ${example}` });

export const BACKUP_PARTS = ['objects', 'databases', 'snapshots', 'grafana', 'keyVault', 'redis', 'prometheus', 's3', 'volumes'] as const;

const labelSelector = z
  .string()
  .refine((s) => /^\s*[A-Za-z0-9./_-]+\s*(=|==|!=)\s*[A-Za-z0-9._-]*\s*(,\s*[A-Za-z0-9./_-]+\s*(=|==|!=)\s*[A-Za-z0-9._-]*\s*)*$/.test(s), {
    message: 'is not an equality label selector. Fix: write it like app=timescaledb,role=primary',
  });

const objectsSchema = z.strictObject({
  /** Namespaces to back up (globs); empty = all. */
  includeNamespaces: z.array(z.string().min(1)).default([]),
  excludeNamespaces: z.array(z.string().min(1)).default([...ALWAYS_PROTECTED_NAMESPACES]),
  /** Kinds (Deployment), plurals (deployments) or qualified plurals (deployments.apps); empty = all. */
  includeKinds: z.array(z.string().min(1)).default([]),
  excludeKinds: z.array(z.string().min(1)).default([]),
  /** Only namespaced objects with these labels (server-side labelSelector). */
  labelSelector: labelSelector.optional(),
  /** LIST page size (limit). */
  pageSize: z.number().int().min(10).max(5000).default(500),
  /** Cluster-scoped objects to include, by name ("*" for all of that type). */
  clusterResources: z
    .strictObject({
      customResourceDefinitions: z.array(z.string().min(1)).default([]),
      storageClasses: z.array(z.string().min(1)).default([]),
      clusterRoles: z.array(z.string().min(1)).default([]),
      clusterRoleBindings: z.array(z.string().min(1)).default([]),
    })
    .default({ customResourceDefinitions: [], storageClasses: [], clusterRoles: [], clusterRoleBindings: [] }),
});

const databaseSchema = z.strictObject({
  /** Name of the dump (blob databases/{name}.pgdump). */
  name: slug('timescaledb'),
  namespace: z.string().min(1),
  /** Label selector of the pod to run pg_dump in (the primary). */
  podSelector: labelSelector,
  /** Container in the pod; default the pod's first container. */
  container: z.string().min(1).optional(),
  database: z.string().min(1).max(63),
  user: z.string().min(1).max(63).default('postgres'),
  /** Server address as seen from inside the pod; default the local socket. */
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** Environment variable of the container holding the password (it never leaves the pod). */
  passwordEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name. Fix: e.g. POSTGRES_PASSWORD' })
    .optional(),
  /** Expected dump size: picks the block size so 50,000 blocks cover it. */
  expectedSize: size.default('100Gi'),
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name. Fix: e.g. REDIS_PASSWORD' });

/** A Redis whose data is streamed out with `redis-cli --rdb -` run in its pod (src/backup/redis.ts). */
/** The pod a tool runs in (the first Running one the selector picks) and its container (default the first). */
const podFields = {
  namespace: z.string().min(1),
  podSelector: labelSelector,
  container: z.string().min(1).optional(),
};

const redisSchema = z.strictObject({
  /** Name of the snapshot (blob redis/{name}.rdb). */
  name: slug('celery-broker'),
  ...podFields,
  port: z.number().int().min(1).max(65535).default(6379),
  /** Environment variable of the container holding the password (read there as REDISCLI_AUTH; it never leaves the pod). */
  passwordEnv: envName.optional(),
  expectedSize: size.default('10Gi'),
});

/** A Prometheus whose TSDB is snapshotted (admin API, --web.enable-admin-api) and streamed out as tar (src/backup/prometheus.ts). */
const prometheusSchema = z.strictObject({
  name: slug('prometheus'),
  ...podFields,
  /** Port of the web API inside the pod (the snapshot call goes to 127.0.0.1 in the pod). */
  port: z.number().int().min(1).max(65535).default(9090),
  /** --storage.tsdb.path of the container. */
  dataDir: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]*$/, { message: 'must be an absolute path. Fix: e.g. /prometheus' })
    .default('/prometheus'),
  expectedSize: size.default('100Gi'),
});

const snapshotSchema = z.strictObject({
  namespace: z.string().min(1),
  pvc: z.string().min(1),
  volumeSnapshotClass: z.string().min(1),
  readyTimeout: duration.default('30m'),
});

const grafanaSchema = z.strictObject({
  /** Base URL of Grafana as the function app reaches it. */
  url: z.url({ message: 'is not a URL. Fix: e.g. https://grafana.ms5.example.com' }),
  /** App setting holding a Grafana service-account token (Viewer is enough). */
  tokenSetting: appSetting,
  /** App setting holding a token with Editor rights, used by restores (default tokenSetting). */
  restoreTokenSetting: appSetting.optional(),
});

const keyVaultSchema = z.strictObject({
  /** Vault URI; default the KEY_VAULT_URI app setting. */
  vaultUri: z.url().optional(),
  /** Secret names (globs); default all. */
  secrets: z.array(z.string().min(1)).default(['*']),
});

const clusterBackupSchema = z.strictObject({
  cluster: z.string().min(1),
  objects: objectsSchema.default(objectsSchema.parse({})),
  databases: z.array(databaseSchema).default([]),
  snapshots: z.array(snapshotSchema).default([]),
  grafana: grafanaSchema.optional(),
  keyVault: keyVaultSchema.optional(),
  redis: z.array(redisSchema).default([]),
  prometheus: z.array(prometheusSchema).default([]),
  /** MinIO / S3-compatible buckets (src/config/s3-backup-schema.ts). */
  s3: z.array(s3BackupSchema).default([]),
  /** PVCs without an application-aware method: file-level copies (tar through an ephemeral pod). */
  volumes: z.array(volumeSchema).default([]),
});

const scheduleSchema = z.strictObject({
  /** Part of backup IDs, which label VolumeSnapshots (label values: at most 63 characters). */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'must be lower-case letters, digits and "-" (at most 40). Fix: e.g. nightly' }),
  /** Five-field cron, read in `timezone`. */
  cron: z.string().min(1),
  /** IANA zone of this schedule's cron (default: backups.timezone). */
  timezone: zone.optional(),
  /** Clusters (default: every cluster with a backups.clusters entry). */
  clusters: z.array(z.string().min(1)).optional(),
  parts: z
    .array(z.enum(BACKUP_PARTS))
    .min(1)
    .default([...BACKUP_PARTS]),
  /** Apply the retention policy after the backup. */
  retention: z.boolean().default(true),
});

const retentionSchema = z.strictObject({
  keepLast: z.number().int().min(0).max(1000).default(3),
  daily: z.number().int().min(0).max(3660).default(7),
  weekly: z.number().int().min(0).max(520).default(4),
  monthly: z.number().int().min(0).max(240).default(12),
  yearly: z.number().int().min(0).max(100).default(2),
  /** Backups without a manifest older than this are deleted. */
  incompleteAfter: duration.default('2d'),
});

const drillSchema = z.strictObject({
  cron: z.string().min(1),
  cluster: z.string().min(1),
  /** Namespace whose latest backup is restored. */
  namespace: z.string().min(1),
  /** Prefix of the scratch namespace (suffixed with the run time). */
  scratchPrefix: slug('aksops-drill').default('aksops-drill'),
  /** How long workloads may take to become available. */
  timeout: duration.default('15m'),
  /** Which copy the drill restores: `secondary` is the cross-region drill (the paired region's account). */
  from: z.enum(['primary', 'secondary']).default('primary'),
});

export const backupsSchema = z.strictObject({
  containers: z
    .strictObject({
      objects: containerName.default(DEFAULT_CONTAINERS.objects),
      databases: containerName.default(DEFAULT_CONTAINERS.databases),
      snapshots: containerName.default(DEFAULT_CONTAINERS.snapshots),
      grafana: containerName.default(DEFAULT_CONTAINERS.grafana),
      keyVault: containerName.default(DEFAULT_CONTAINERS.keyVault),
      appData: containerName.default(DEFAULT_CONTAINERS.appData),
    })
    .default({ ...DEFAULT_CONTAINERS }),
  encryption: z.strictObject({
    /** Key Vault key (RSA) that wraps each backup's data key: https://<vault>.vault.azure.net/keys/<name>[/<version>]. */
    keyVaultKey: z.url().optional(),
    /** Locally: app setting holding a base64 256-bit key. */
    localKeySetting: appSetting.optional(),
  }),
  /** Parts of one backup that run at the same time. */
  concurrency: z.number().int().min(1).max(32).default(4),
  /** A schedule slot is started only by timer ticks this soon after it. */
  startWithin: duration.default('1h'),
  /** IANA zone every cron of this section is read in (schedules can override): "0 2 * * *" in Europe/London stays 02:00 London across clock changes. */
  timezone: zone.default('UTC'),
  retention: retentionSchema.default(retentionSchema.parse({})),
  schedules: z.array(scheduleSchema).default([]),
  /** Scheduled verification of each cluster's newest complete backup. */
  verify: z.strictObject({ cron: z.string().min(1) }).optional(),
  drill: drillSchema.optional(),
  clusters: z.array(clusterBackupSchema).min(1, { message: 'is empty. Fix: describe what to back up for at least one cluster' }),
});

export type BackupsConfig = z.output<typeof backupsSchema>;
export type ClusterBackupConfig = BackupsConfig['clusters'][number];
export type DatabaseBackupConfig = ClusterBackupConfig['databases'][number];
export type RedisBackupConfig = ClusterBackupConfig['redis'][number];
export type PrometheusBackupConfig = ClusterBackupConfig['prometheus'][number];
export type { VolumeBackupConfig } from './volume-backup-schema.js';
export type SnapshotBackupConfig = ClusterBackupConfig['snapshots'][number];

export interface Issue {
  path: (string | number)[];
  message: string;
}

/** Cross-references the section with the rest of the config. */
export function checkBackups(b: BackupsConfig, clusters: Set<string>): Issue[] {
  const issues: Issue[] = [];
  const known = () => [...clusters].join(', ');
  const enc = b.encryption;
  if ((enc.keyVaultKey === undefined) === (enc.localKeySetting === undefined)) {
    issues.push({
      path: ['backups', 'encryption'],
      message:
        'must name exactly one of keyVaultKey and localKeySetting. Fix: keyVaultKey: https://<vault>.vault.azure.net/keys/<name> in Azure, or localKeySetting: BACKUP_LOCAL_KEY locally',
    });
  }
  if (enc.keyVaultKey !== undefined && !/^https:\/\/[^/]+\/keys\/[0-9a-zA-Z-]{1,127}(\/[0-9a-f]{32})?\/?$/.test(enc.keyVaultKey)) {
    issues.push({
      path: ['backups', 'encryption', 'keyVaultKey'],
      message: 'is not a Key Vault key ID. Fix: https://<vault>.vault.azure.net/keys/<name> (optionally /<version>)',
    });
  }
  const planned = new Set<string>();
  b.clusters.forEach((c, i) => {
    if (!clusters.has(c.cluster))
      issues.push({ path: ['backups', 'clusters', i, 'cluster'], message: `"${c.cluster}" is not a configured cluster. Fix: use one of ${known()}` });
    if (planned.has(c.cluster))
      issues.push({ path: ['backups', 'clusters', i, 'cluster'], message: `"${c.cluster}" has two entries. Fix: merge them into one` });
    planned.add(c.cluster);
    const dbs = new Set<string>();
    c.databases.forEach((d, j) => {
      if (dbs.has(d.name))
        issues.push({
          path: ['backups', 'clusters', i, 'databases', j, 'name'],
          message: `"${d.name}" is used twice. Fix: give each database dump its own name`,
        });
      dbs.add(d.name);
      const bad = checkName('namespace', d.namespace);
      if (bad) issues.push({ path: ['backups', 'clusters', i, 'databases', j, 'namespace'], message: `${bad}. Fix: the namespace of the database pod` });
    });
    for (const key of ['redis', 'prometheus'] as const) {
      const seen = new Set<string>();
      c[key].forEach((r, j) => {
        if (seen.has(r.name))
          issues.push({ path: ['backups', 'clusters', i, key, j, 'name'], message: `"${r.name}" is used twice. Fix: give each ${key} entry its own name` });
        seen.add(r.name);
        const bad = checkName('namespace', r.namespace);
        if (bad) issues.push({ path: ['backups', 'clusters', i, key, j, 'namespace'], message: `${bad}. Fix: the namespace of the ${key} pod` });
      });
    }
    issues.push(...checkS3Entries(c.s3, ['backups', 'clusters', i, 's3']));
    c.volumes.forEach((v, j) => {
      const bad =
        checkName('namespace', v.namespace) ??
        (isAlwaysProtectedNamespace(v.namespace) ? `namespace ${v.namespace} is protected: no pod is ever created in it` : null);
      if (bad) issues.push({ path: ['backups', 'clusters', i, 'volumes', j, 'namespace'], message: `${bad}. Fix: the namespace of the PVCs` });
    });
    const pvcs = new Set<string>();
    c.snapshots.forEach((s, j) => {
      const key = `${s.namespace}/${s.pvc}`;
      if (pvcs.has(key)) issues.push({ path: ['backups', 'clusters', i, 'snapshots', j], message: `${key} is listed twice. Fix: keep one entry per PVC` });
      pvcs.add(key);
      const badNs = checkName('namespace', s.namespace);
      if (badNs) issues.push({ path: ['backups', 'clusters', i, 'snapshots', j, 'namespace'], message: `${badNs}. Fix: the PVC's namespace` });
      const badPvc = checkName('name', s.pvc);
      if (badPvc) issues.push({ path: ['backups', 'clusters', i, 'snapshots', j, 'pvc'], message: `${badPvc}. Fix: the PVC's name` });
    });
  });
  const names = new Set<string>();
  b.schedules.forEach((s, i) => {
    if (names.has(s.name))
      issues.push({
        path: ['backups', 'schedules', i, 'name'],
        message: `"${s.name}" is used twice. Fix: schedule names are part of backup IDs and must be unique`,
      });
    names.add(s.name);
    if (s.name === 'manual' || s.name.startsWith('manual-'))
      issues.push({ path: ['backups', 'schedules', i, 'name'], message: '"manual" is reserved for on-demand backups. Fix: choose another name' });
    try {
      parseCron(s.cron, s.timezone ?? b.timezone);
    } catch (e) {
      issues.push({ path: ['backups', 'schedules', i, 'cron'], message: (e as Error).message });
    }
    (s.clusters ?? []).forEach((c, j) => {
      if (!planned.has(c))
        issues.push({
          path: ['backups', 'schedules', i, 'clusters', j],
          message: `"${c}" has no backups.clusters entry. Fix: add one, or use one of ${[...planned].join(', ')}`,
        });
    });
  });
  for (const [key, cron] of [
    ['verify', b.verify?.cron],
    ['drill', b.drill?.cron],
  ] as const) {
    if (cron === undefined) continue;
    try {
      parseCron(cron, b.timezone);
    } catch (e) {
      issues.push({ path: ['backups', key, 'cron'], message: (e as Error).message });
    }
  }
  if (b.drill) {
    if (!planned.has(b.drill.cluster))
      issues.push({
        path: ['backups', 'drill', 'cluster'],
        message: `"${b.drill.cluster}" has no backups.clusters entry. Fix: use one of ${[...planned].join(', ')}`,
      });
    const bad = checkName('namespace', b.drill.namespace);
    if (bad) issues.push({ path: ['backups', 'drill', 'namespace'], message: `${bad}. Fix: the namespace to restore in the drill` });
  }
  return issues;
}
