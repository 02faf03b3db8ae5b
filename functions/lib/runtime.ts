// Per-worker singletons for the trigger layer: settings, config and stores are built once on
// first use (not at import: cold start is benchmarked) and shared by every invocation.
import { readSettings, type Settings } from '../../src/config/settings.js';
import type { CompiledConfig } from '../../src/config/load.js';
import type { AuditStore } from '../../src/adapters/audit-store.js';
import type { ControlStore } from '../../src/adapters/control-store.js';
import type { RunbookEnv } from '../../src/runbooks/run.js';
import type { ClosedLoopEnv } from '../../src/runbooks/closed-loop.js';

let settings: Settings | undefined;
let audit: Promise<AuditStore> | undefined;
let control: Promise<ControlStore> | undefined;
let runbooks: Promise<RunbookEnv> | undefined;
let closedLoop: Promise<ClosedLoopEnv> | undefined;

export function appSettings(): Settings {
  settings ??= readSettings(process.env);
  return settings;
}

/** A loader of the compiled config (YAML and schema libraries are imported on first use). */
export async function configLoader(): Promise<() => CompiledConfig> {
  const { loadConfigOnce } = await import('../../src/config/load.js');
  return () => loadConfigOnce(appSettings().opsConfigPath);
}

export function auditStore(): Promise<AuditStore> {
  audit ??= import('../../src/adapters/audit-store.js').then((m) => m.AuditStore.fromSettings(appSettings()));
  return audit;
}

export function controlStore(): Promise<ControlStore> {
  control ??= import('../../src/adapters/control-store.js').then((m) => m.ControlStore.fromSettings(appSettings()));
  return control;
}

/** What the runbook activities need; one KubeAccess per worker so tokens and clients are cached. */
export function runbookEnv(): Promise<RunbookEnv> {
  runbooks ??= (async () => {
    const [{ createKubeAccess, kubeAccessOptionsFromSettings }, { isPaused }, loadConfig, ctl] = await Promise.all([
      import('../../src/adapters/kube.js'),
      import('../../src/adapters/control-store.js'),
      configLoader(),
      controlStore(),
    ]);
    const s = appSettings();
    return { config: loadConfig(), kube: createKubeAccess(kubeAccessOptionsFromSettings(s)), isPaused: () => isPaused(s, ctl) };
  })();
  return runbooks;
}

/** The runbook env plus an Alertmanager client factory (verification and silences). */
export function closedLoopEnv(): Promise<ClosedLoopEnv> {
  closedLoop ??= (async () => {
    const [env, { AlertmanagerClient }] = await Promise.all([runbookEnv(), import('../../src/adapters/alertmanager.js')]);
    const token = appSettings().alertmanagerApiToken;
    return { ...env, alertmanager: (baseUrl: string) => new AlertmanagerClient({ baseUrl, token }) };
  })();
  return closedLoop;
}

/** For tests that change app settings between cases. */
export function resetRuntime(): void {
  settings = undefined;
  audit = undefined;
  control = undefined;
  runbooks = undefined;
  closedLoop = undefined;
}
