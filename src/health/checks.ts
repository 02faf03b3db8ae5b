// What the app needs before it can do its job, checked in one place: the app settings, the
// operations config (ops.yaml, shipped in the package: docs/decisions/0016-ops-config-in-package.md),
// the storage account (the app's tables) and the Durable task hub. GET /api/health and the
// worker's start-up check both run these; each failed check names what is wrong and the fix.
// No message carries a credential (storage errors go through redactSecrets).
import { readSettings, type Settings } from '../config/settings.js';
import { redactSecrets } from '../domain/redact.js';
import { backendOfHostJson, SCHEDULER_CONNECTION_SETTING, type DurableBackend } from '../deploy/host-json.js';

export type CheckStatus = 'ok' | 'fail';

export interface HealthCheck {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do when it failed. */
  fix?: string;
}

export interface HealthReport {
  healthy: boolean;
  checks: HealthCheck[];
}

/** Reads one row of a table; rejects with the SDK's error (404 TableNotFound when it does not exist). */
export type TableProbe = (settings: Settings, table: string, create: boolean) => Promise<void>;

export interface HealthDeps {
  env: Record<string, string | undefined>;
  /** Loads and compiles the config; throws ConfigError naming the file and each problem. */
  loadConfig: (path: string) => unknown;
  probeTable: TableProbe;
  /** The host.json the host runs with, parsed (the package's; src/deploy/host-json.ts). Absent: not checked, Azure Storage assumed. */
  readHostJson?: () => unknown;
}

const msg = (e: unknown): string => redactSecrets(e instanceof Error ? e.message : String(e));
const isNotFound = (e: unknown): boolean => (e as { statusCode?: number }).statusCode === 404 || /TableNotFound|ResourceNotFound/.test(msg(e));

/**
 * The Durable backend host.json selects, and whether the app settings agree with it: the package
 * (AKSOPS_DURABLE_BACKEND at package time) and the deployment (durableBackend in Bicep) are chosen
 * separately, and a mismatch either fails at start or quietly runs on the storage task hub.
 */
export function durableBackendCheck(hostJson: unknown, env: Record<string, string | undefined>): { backend: DurableBackend; check: HealthCheck } {
  const backend = backendOfHostJson(hostJson);
  const connection = (env[SCHEDULER_CONNECTION_SETTING] ?? '').trim() !== '';
  if (backend === 'DurableTaskScheduler' && !connection)
    return {
      backend,
      check: {
        check: 'durableBackend',
        status: 'fail',
        detail: `host.json selects the Durable Task Scheduler (storageProvider azureManaged), but the app setting ${SCHEDULER_CONNECTION_SETTING} is not set`,
        fix: 'deploy with durableBackend=DurableTaskScheduler (azd env set AKSOPS_DURABLE_BACKEND DurableTaskScheduler; azd up), or package with AKSOPS_DURABLE_BACKEND=AzureStorage and deploy again (docs/scaling-out.md)',
      },
    };
  if (backend === 'AzureStorage' && connection)
    return {
      backend,
      check: {
        check: 'durableBackend',
        status: 'fail',
        detail: `${SCHEDULER_CONNECTION_SETTING} is set (the deployment created a Durable Task Scheduler), but the package's host.json uses Azure Storage: orchestrations run on the storage task hub`,
        fix: 'package with AKSOPS_DURABLE_BACKEND=DurableTaskScheduler and deploy again (azd deploy), or redeploy with durableBackend=AzureStorage (docs/scaling-out.md)',
      },
    };
  const where = backend === 'DurableTaskScheduler' ? `the Durable Task Scheduler (${SCHEDULER_CONNECTION_SETTING})` : 'Azure Storage';
  return { backend, check: { check: 'durableBackend', status: 'ok', detail: `task hub in ${where}; host.json and the app settings agree` } };
}

/** The Azure Storage provider's task hub tables (History and Instances), as the extension names them. */
export function taskHubTables(hub: string): string[] {
  return [`${hub}Instances`, `${hub}History`];
}

export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const checks: HealthCheck[] = [];
  let settings: Settings;
  try {
    settings = readSettings(deps.env);
    checks.push({ check: 'settings', status: 'ok', detail: 'app settings read' });
  } catch (e) {
    checks.push({ check: 'settings', status: 'fail', detail: msg(e), fix: 'correct the app setting named above (docs/configuration.md lists every setting)' });
    return { healthy: false, checks };
  }

  try {
    deps.loadConfig(settings.opsConfigPath);
    checks.push({ check: 'config', status: 'ok', detail: `${settings.opsConfigPath} is valid` });
  } catch (e) {
    checks.push({
      check: 'config',
      status: 'fail',
      detail: msg(e),
      fix: 'put a valid ops.yaml at the project root and redeploy (azd deploy / npm run package ship it), or set OPS_CONFIG_PATH; check it first with `aksops config validate`',
    });
  }

  try {
    await deps.probeTable(settings, settings.auditTableName, true);
    checks.push({ check: 'storage', status: 'ok', detail: `table '${settings.auditTableName}' readable` });
  } catch (e) {
    checks.push({
      check: 'storage',
      status: 'fail',
      detail: msg(e),
      fix: 'check AzureWebJobsStorage (or AzureWebJobsStorage__tableServiceUri) and that the app identity has Storage Table Data Contributor on the account',
    });
    return { healthy: false, checks };
  }

  if (deps.readHostJson) {
    let backend: DurableBackend;
    try {
      const b = durableBackendCheck(deps.readHostJson(), deps.env);
      checks.push(b.check);
      backend = b.backend;
    } catch (e) {
      checks.push({ check: 'durableBackend', status: 'fail', detail: `host.json: ${msg(e)}`, fix: 'redeploy the package (npm run package writes host.json)' });
      return { healthy: false, checks };
    }
    // The scheduler keeps the task hub itself: there are no tables to look for.
    if (backend === 'DurableTaskScheduler') return { healthy: checks.every((c) => c.status === 'ok'), checks };
  }

  const missing: string[] = [];
  try {
    for (const t of taskHubTables(settings.taskHubName)) {
      try {
        await deps.probeTable(settings, t, false);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        missing.push(t);
      }
    }
    checks.push(
      missing.length === 0
        ? { check: 'taskHub', status: 'ok', detail: `task hub '${settings.taskHubName}' present` }
        : {
            check: 'taskHub',
            status: 'fail',
            detail: `task hub '${settings.taskHubName}' is missing ${missing.join(', ')}`,
            fix: 'the Functions host creates the task hub when it starts: check that TASK_HUB_NAME matches host.json (extensions.durableTask.hubName) and the host log for Durable Task errors',
          },
    );
  } catch (e) {
    checks.push({ check: 'taskHub', status: 'fail', detail: msg(e), fix: "check the storage account and the app identity's table access" });
  }
  return { healthy: checks.every((c) => c.status === 'ok'), checks };
}

/** One line per failed check, for the worker log. */
export function describeFailures(report: HealthReport): string {
  return report.checks
    .filter((c) => c.status === 'fail')
    .map((c) => `${c.check}: ${c.detail}${c.fix ? ` Fix: ${c.fix}` : ''}`)
    .join('\n');
}
