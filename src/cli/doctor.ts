// `aksops doctor [--config FILE] [--json]`: the estate's readiness from where it runs (your
// credentials locally, the app's identity via GET /api/doctor): per cluster reachability and every
// declared permission (SelfSubjectAccessReview), the Alertmanager URL, the app's storage, and Azure:
// ARM permissions per cluster and budget scope (authorization API), Key Vault and backup storage
// reads, the Prometheus sources.
// Exit 0 when nothing failed, 1 otherwise, 2 on a usage error.
import { ConfigError, loadConfigFile } from '../config/load.js';
import { readSettings } from '../config/settings.js';
import type { DoctorDeps } from '../doctor/checks.js';
import { configPath, parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';
import { printRows } from './output.js';

export const DOCTOR_FLAGS = { config: { type: 'string' }, json: { type: 'boolean' } } as const;

/** Real dependencies from the config and the environment (KUBECONFIG, AZURE_CLIENT_ID, storage settings). */
export async function doctorDeps(configFile: string, env: Record<string, string | undefined>, cwd: string): Promise<DoctorDeps> {
  const cfg = loadConfigFile(configFile, cwd);
  const settings = readSettings(env);
  const { createKubeAccess, kubeAccessOptionsFromSettings } = await import('../adapters/kube.js');
  const kube = createKubeAccess(kubeAccessOptionsFromSettings(settings));
  const hasStorage = settings.storageConnection !== undefined || settings.tableServiceUri !== undefined;
  return {
    clusters: cfg.clusters,
    kubeConfigFor: async (c) => (await kube.forCluster(c)).kubeConfig,
    ...(cfg.alertmanager.url ? { alertmanagerUrl: cfg.alertmanager.url } : {}),
    azure: (await import('../doctor/azure-deps.js')).azureDoctorDeps(cfg, settings),
    ...(hasStorage ? { storage: async () => (await import('../adapters/table-probe.js')).probeTable(settings, settings.auditTableName, true) } : {}),
  };
}

export async function runDoctor(args: string[], io: CliIo, deps?: DoctorDeps): Promise<number> {
  let path: string;
  let json: boolean;
  try {
    const { values } = parseFlags(args, DOCTOR_FLAGS, 'doctor');
    path = configPath(values.config, io.env);
    json = values.json === true;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  let d: DoctorDeps;
  try {
    d = deps ?? (await doctorDeps(path, io.env, io.cwd));
  } catch (e) {
    if (e instanceof ConfigError) return (io.err(e.message), 1);
    throw e;
  }
  const { runDoctorChecks } = await import('../doctor/checks.js');
  const rows = await runDoctorChecks(d);
  const failed = rows.filter((r) => r.status === 'fail').length;
  printRows(
    io,
    json ? 'json' : 'table',
    rows.map((r) => ({ ...r, fix: r.fix ?? '' })),
    ['check', 'status', 'detail', 'fix'],
    { ok: failed === 0, failed, rows },
  );
  if (!json) io.out(failed === 0 ? `doctor: all ${rows.length} checks passed` : `doctor: ${failed} of ${rows.length} checks failed`);
  return failed === 0 ? 0 : 1;
}
