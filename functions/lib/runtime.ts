// Per-worker singletons for the trigger layer: settings, config and stores are built once on
// first use (not at import: cold start is benchmarked) and shared by every invocation.
import { readNamedSetting, readSettings, type Settings } from '../../src/config/settings.js';
import { appCredential } from '../../src/adapters/azure-credential.js';
import type { CompiledConfig } from '../../src/config/load.js';
import type { AuditStore } from '../../src/adapters/audit-store.js';
import type { ControlStore } from '../../src/adapters/control-store.js';
import type { RunbookEnv } from '../../src/runbooks/run.js';
import type { ClosedLoopEnv } from '../../src/runbooks/closed-loop.js';
import { memoAsync } from '../../src/domain/memo-async.js';

// Each is built on first use; a failed build is retried by the next invocation (memoAsync).

let settings: Settings | undefined;

export function appSettings(): Settings {
  settings ??= readSettings(process.env);
  return settings;
}

/** A loader of the compiled config (YAML and schema libraries are imported on first use). */
export async function configLoader(): Promise<() => CompiledConfig> {
  const { loadConfigOnce } = await import('../../src/config/load.js');
  return () => loadConfigOnce(appSettings().opsConfigPath);
}

export const auditStore = memoAsync<AuditStore>(() => import('../../src/adapters/audit-store.js').then((m) => m.AuditStore.fromSettings(appSettings())));

export const controlStore = memoAsync<ControlStore>(() =>
  import('../../src/adapters/control-store.js').then((m) => m.ControlStore.fromSettings(appSettings())),
);

/** What the runbook activities need; one KubeAccess per worker so tokens and clients are cached. */
export const runbookEnv = memoAsync<RunbookEnv>(async () => {
  const [{ createKubeAccess, kubeAccessOptionsFromSettings }, { isPaused }, loadConfig, ctl] = await Promise.all([
    import('../../src/adapters/kube.js'),
    import('../../src/adapters/control-store.js'),
    configLoader(),
    controlStore(),
  ]);
  const s = appSettings();
  return { config: loadConfig(), kube: createKubeAccess(kubeAccessOptionsFromSettings(s)), isPaused: () => isPaused(s, ctl) };
});

/** The runbook env plus an Alertmanager client factory (verification and silences). */
export const closedLoopEnv = memoAsync<ClosedLoopEnv>(async () => {
  const [env, { AlertmanagerClient }] = await Promise.all([runbookEnv(), import('../../src/adapters/alertmanager.js')]);
  const token = appSettings().alertmanagerApiToken;
  return { ...env, alertmanager: (baseUrl: string) => new AlertmanagerClient({ baseUrl, token }) };
});

/** What every notification path needs besides the config (one home): app-setting secrets (never logged), links, the email credential. */
export function notifyEnv(): {
  secret(name: string): string | undefined;
  publicBaseUrl: string | undefined;
  email: { credential: () => ReturnType<typeof appCredential> };
} {
  const s = appSettings();
  return {
    secret: (name) => readNamedSetting(process.env, name),
    publicBaseUrl: s.publicBaseUrl,
    email: { credential: () => appCredential(s.managedIdentityClientId) },
  };
}

/** For tests that change app settings between cases. */
export function resetRuntime(): void {
  settings = undefined;
  for (const m of [auditStore, controlStore, runbookEnv, closedLoopEnv]) m.reset();
}
