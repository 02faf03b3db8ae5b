// aksops backup list|show|verify and aksops restore: the backups in storage, read and checked from
// a workstation (az login for BACKUP_BLOB_SERVICE_URI, or a connection string), and a restore run
// in this process against the cluster of the kubeconfig context (dry-run unless --apply).
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { readSettings } from '../config/settings.js';
import { configPath, parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';
import type { BackupEnv } from '../backup/env.js';
import { isBackupId } from '../backup/manifest.js';
import type { ConflictPolicy, RestoreInput } from '../domain/backup-types.js';

export type EnvFactory = (io: CliIo, config: string) => Promise<BackupEnv>;

/** The BackupEnv from the config file and the environment (tests pass their own factory). */
export const defaultEnvFactory: EnvFactory = async (io, path) => {
  const config = loadConfigFile(path, io.cwd);
  const settings = readSettings(io.env);
  const [{ backupEnvFrom }, { createKubeAccess, kubeAccessOptionsFromSettings }] = await Promise.all([
    import('../backup/env-from-settings.js'),
    import('../adapters/kube.js'),
  ]);
  return backupEnvFrom({ settings, env: io.env, config, kube: createKubeAccess({ ...kubeAccessOptionsFromSettings(settings), preferKubeContext: true }) });
};

function clusterOf(env: BackupEnv, flag: string | undefined): string {
  const all = env.backups.clusters.map((c) => c.cluster);
  if (flag !== undefined) {
    if (!all.includes(flag)) throw new UsageError(`--cluster must be one of ${all.join(', ')}`);
    return flag;
  }
  if (all.length === 1) return all[0]!;
  throw new UsageError(`several clusters have backups (${all.join(', ')}): pass --cluster`);
}

async function withEnv(
  args: string[],
  io: CliIo,
  name: string,
  options: Parameters<typeof parseFlags>[1],
  body: (env: BackupEnv, values: Record<string, unknown>, positionals: string[]) => Promise<number>,
  factory: EnvFactory,
): Promise<number> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args, { config: { type: 'string' }, from: { type: 'string' }, ...options }, name);
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  try {
    const from = (parsed.values['from'] ?? 'primary') as string;
    if (from !== 'primary' && from !== 'secondary') throw new UsageError('--from must be primary or secondary (the backup account in the paired region)');
    const primary = await factory(io, configPath(parsed.values['config'] as string | undefined, io.env));
    // --from secondary: every command reads the copy in the paired region (BACKUP_SECONDARY_*).
    const env = from === 'secondary' ? (await import('../backup/secondary.js')).secondaryEnv(primary) : primary;
    return await body(env, parsed.values, parsed.positionals);
  } catch (e) {
    if (e instanceof UsageError) return (io.err(`aksops ${name}: ${e.message}`), 2);
    if (e instanceof ConfigError) return (io.err(e.message), 1);
    io.err(`aksops ${name}: ${(e as Error).message}`);
    return 1;
  }
}

export function runBackupList(args: string[], io: CliIo, factory: EnvFactory = defaultEnvFactory): Promise<number> {
  return withEnv(
    args,
    io,
    'backup list',
    BACKUP_LIST_FLAGS,
    async (env, v) => {
      const { listAll } = await import('../backup/triggers.js');
      const cluster = v['cluster'] === undefined ? undefined : clusterOf(env, v['cluster'] as string);
      for (const b of await listAll(env, cluster)) io.out(JSON.stringify(b));
      return 0;
    },
    factory,
  );
}

export function runBackupShow(args: string[], io: CliIo, factory: EnvFactory = defaultEnvFactory): Promise<number> {
  return withEnv(
    args,
    io,
    'backup show',
    BACKUP_SHOW_FLAGS,
    async (env, v, pos) => {
      const id = pos[0];
      if (!id || !isBackupId(id)) throw new UsageError('give the backup ID (aksops backup list shows them)');
      const { showBackup } = await import('../backup/triggers.js');
      const shown = await showBackup(env, undefined, id, v['cluster'] === undefined ? undefined : clusterOf(env, v['cluster'] as string), v['items'] === true);
      if (!shown) return (io.err(`aksops backup show: no backup ${id}`), 1);
      io.out(JSON.stringify(shown, null, 2));
      return 0;
    },
    factory,
  );
}

export function runBackupVerify(args: string[], io: CliIo, factory: EnvFactory = defaultEnvFactory): Promise<number> {
  return withEnv(
    args,
    io,
    'backup verify',
    BACKUP_LIST_FLAGS,
    async (env, v, pos) => {
      const id = pos[0];
      if (!id || !isBackupId(id)) throw new UsageError('give the backup ID (aksops backup list shows them)');
      const { verifyBackup } = await import('../backup/catalog.js');
      const report = await verifyBackup(env, clusterOf(env, v['cluster'] as string | undefined), id);
      io.out(JSON.stringify(report, null, 2));
      return report.ok ? 0 : 1;
    },
    factory,
  );
}

function pairs(list: unknown, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of (list as string[] | undefined) ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(p);
    if (!m) throw new UsageError(`${flag} takes FROM=TO, got "${p}"`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

export const RESTORE_FLAGS = {
  config: { type: 'string' },
  backup: { type: 'string' },
  cluster: { type: 'string' },
  'source-cluster': { type: 'string' },
  namespace: { type: 'string', multiple: true },
  kind: { type: 'string', multiple: true },
  map: { type: 'string', multiple: true },
  database: { type: 'string', multiple: true },
  volume: { type: 'string', multiple: true },
  conflict: { type: 'string' },
  'from-snapshots': { type: 'boolean' },
  dashboard: { type: 'string', multiple: true },
  secret: { type: 'string', multiple: true },
  bucket: { type: 'string', multiple: true },
  'bucket-map': { type: 'string', multiple: true },
  apply: { type: 'boolean' },
  from: { type: 'string' },
} as const;
export const BACKUP_LIST_FLAGS = { config: { type: 'string' }, cluster: { type: 'string' }, from: { type: 'string' } } as const;
export const BACKUP_SHOW_FLAGS = { ...BACKUP_LIST_FLAGS, items: { type: 'boolean' } } as const;

export function runRestore(args: string[], io: CliIo, factory: EnvFactory = defaultEnvFactory): Promise<number> {
  return withEnv(
    args,
    io,
    'restore',
    RESTORE_FLAGS,
    async (env, v) => {
      const backupId = v['backup'] as string | undefined;
      if (!backupId || !isBackupId(backupId)) throw new UsageError('--backup ID is required (aksops backup list shows them)');
      const conflict = (v['conflict'] ?? 'skip') as ConflictPolicy;
      if (conflict !== 'skip' && conflict !== 'update') throw new UsageError('--conflict must be skip or update');
      const cluster = clusterOf(env, v['cluster'] as string | undefined);
      const input: RestoreInput = {
        restoreId: `cli-${randomBytes(3).toString('hex')}`,
        cluster,
        ...(v['source-cluster'] ? { sourceCluster: clusterOf(env, v['source-cluster'] as string) } : {}),
        backupId,
        ...(v['namespace'] ? { namespaces: v['namespace'] as string[] } : {}),
        ...(v['kind'] ? { kinds: v['kind'] as string[] } : {}),
        ...(v['map'] ? { namespaceMap: pairs(v['map'], '--map') } : {}),
        ...(v['database'] ? { databases: pairs(v['database'], '--database') } : {}),
        ...(v['volume'] ? { volumes: pairs(v['volume'], '--volume') } : {}),
        ...(v['from-snapshots'] ? { fromSnapshots: true } : {}),
        ...(v['dashboard'] ? { dashboards: v['dashboard'] as string[] } : {}),
        ...(v['secret'] ? { keyVaultSecrets: v['secret'] as string[] } : {}),
        ...(v['bucket'] ? { buckets: v['bucket'] as string[] } : {}),
        ...(v['bucket-map'] ? { bucketMap: pairs(v['bucket-map'], '--bucket-map') } : {}),
        conflict,
        dryRun: v['apply'] !== true,
        requestedBy: `cli:${io.env['USER'] ?? 'unknown'}`,
      };
      const { runRestore: run } = await import('../backup/restore-runner.js');
      if (input.dryRun) io.err('dry-run (server-side dryRun=All): nothing is changed. Pass --apply to restore.');
      const out = await run(env, input, (l) => io.err(l));
      io.out(JSON.stringify(out, null, 2));
      return out.outcome === 'restored' ? 0 : 1;
    },
    factory,
  );
}
