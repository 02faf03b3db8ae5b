// Per-worker singletons of the backup job: the BackupEnv (storage, cluster access, key encryption
// key) built once on first use, and the Durable client adapted to the triggers' InstancesPort.
import type { DurableClient } from 'durable-functions';
import type { BackupEnv } from '../../src/backup/env.js';
import type { InstancesPort } from '../../src/backup/triggers.js';
import { appSettings, configLoader } from './runtime.js';
import { instanceDetails, instanceStatus, startOnce } from './durable-instances.js';

let env: Promise<BackupEnv> | undefined;

export function backupEnv(): Promise<BackupEnv> {
  env ??= (async () => {
    const [{ backupEnvFrom }, { createKubeAccess, kubeAccessOptionsFromSettings }, loadConfig] = await Promise.all([
      import('../../src/backup/env-from-settings.js'),
      import('../../src/adapters/kube.js'),
      configLoader(),
    ]);
    const settings = appSettings();
    return backupEnvFrom({ settings, env: process.env, config: loadConfig(), kube: createKubeAccess(kubeAccessOptionsFromSettings(settings)) });
  })();
  env.catch(() => (env = undefined));
  return env;
}

export function durableBackupInstances(client: DurableClient): InstancesPort {
  return {
    status: (instanceId) => instanceDetails(client, instanceId),
    startOnce: (orchestration, instanceId, input) => startOnce(client, orchestration, instanceId, input),
  };
}

export { instanceStatus };
