// host.json for the chosen Durable backend (docs/scaling-out.md). The repository's host.json is the
// Azure Storage form. The Durable Task Scheduler form adds the `azureManaged` storage provider and
// the extension bundle that ships it. The package steps (bicep/hooks/prepackage.sh through
// scripts/host-json.mjs, and scripts/package.mjs) write it, reading the backend from
// AKSOPS_DURABLE_BACKEND, the variable bicep/main.bicepparam reads for durableBackend.
//
// Why a file and not an app setting: storageProvider could be overridden with
// AzureFunctionsJobHost__extensions__durableTask__storageProvider__type, but the provider must be in
// the extension bundle, and the bundle is chosen from host.json when the host starts; we found no
// documented app-setting override for it, so the package carries the right host.json.
// Sources: the provider name "azureManaged" and its default connection setting
// DURABLE_TASK_SCHEDULER_CONNECTION_STRING (Azure/azure-functions-durable-extension,
// DurableTaskTriggersScaleProvider and AzureManagedScalabilityProviderFactory); for apps on extension
// bundles the provider ships in the Preview bundle (Azure-Samples/Durable-Task-Scheduler
// samples/durable-functions/typescript/HelloCities/host.json; microsoft/vscode-azurefunctions#4394).

export const DURABLE_BACKENDS = ['AzureStorage', 'DurableTaskScheduler'] as const;
export type DurableBackend = (typeof DURABLE_BACKENDS)[number];

/** The app setting holding the scheduler connection (bicep/modules/functionapp.bicep sets it). */
export const SCHEDULER_CONNECTION_SETTING = 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING';
export const GA_BUNDLE = 'Microsoft.Azure.Functions.ExtensionBundle';
export const PREVIEW_BUNDLE = 'Microsoft.Azure.Functions.ExtensionBundle.Preview';
const MANAGED_PROVIDER = 'azureManaged';

/** The backend named by AKSOPS_DURABLE_BACKEND (unset or empty: the default, AzureStorage). */
export function parseDurableBackend(value: string | undefined, source = 'AKSOPS_DURABLE_BACKEND'): DurableBackend {
  const v = (value ?? '').trim();
  if (v === '') return 'AzureStorage';
  const known = DURABLE_BACKENDS.find((b) => b === v);
  if (known) return known;
  throw new Error(
    `${source} is "${v}", expected AzureStorage or DurableTaskScheduler (spelled exactly so; it is bicep/main.bicep durableBackend). Fix: azd env set ${source} DurableTaskScheduler (or AzureStorage), then package again.`,
  );
}

type Json = { [key: string]: unknown };

function objectAt(parent: Json, key: string, where: string): Json {
  const v = parent[key];
  if (v === undefined) return (parent[key] = {});
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`host.json: ${where} must be an object`);
  return v as Json;
}

/** A copy of `base` (a parsed host.json) configured for `backend`; everything else is kept. */
export function hostJsonFor(base: Json, backend: DurableBackend): Json {
  const out = structuredClone(base);
  const durableTask = objectAt(objectAt(out, 'extensions', 'extensions'), 'durableTask', 'extensions.durableTask');
  const bundle = objectAt(out, 'extensionBundle', 'extensionBundle');
  if (typeof bundle.version !== 'string') throw new Error('host.json: extensionBundle.version is missing. Fix: "[4.*, 5.0.0)"');
  if (backend === 'DurableTaskScheduler') {
    durableTask.storageProvider = { type: MANAGED_PROVIDER, connectionStringName: SCHEDULER_CONNECTION_SETTING };
    bundle.id = PREVIEW_BUNDLE;
    return out;
  }
  const provider = durableTask.storageProvider as Json | undefined;
  if (provider?.type === MANAGED_PROVIDER) delete durableTask.storageProvider;
  if (bundle.id === PREVIEW_BUNDLE) bundle.id = GA_BUNDLE;
  return out;
}

/** The backend a parsed host.json selects: the scheduler when its storage provider is `azureManaged`. */
export function backendOfHostJson(hostJson: unknown): DurableBackend {
  const provider = (hostJson as { extensions?: { durableTask?: { storageProvider?: { type?: unknown } } } } | null)?.extensions?.durableTask?.storageProvider;
  return provider?.type === MANAGED_PROVIDER ? 'DurableTaskScheduler' : 'AzureStorage';
}

/** host.json text as the repository writes it (two-space JSON, final newline). */
export function renderHostJson(value: Json): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
