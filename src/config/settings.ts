// Every app setting the code reads, in one place. The Bicep checks (test/bicep) derive the
// function app's required settings from this list, and docs/configuration.md documents it.
// Read settings only through readSettings(): no other module touches process.env.

export interface SettingSpec {
  description: string;
  /** Default when unset; undefined means "no default". */
  default?: string;
  /** The value is a credential: never log it, and in Azure set it as a Key Vault reference. */
  secret?: boolean;
  /** Must the function app in Azure have it set (Bicep provides it)? */
  requiredInAzure: boolean;
}

export const SETTINGS = {
  OPS_CONFIG_PATH: {
    description: 'Path of the operations config (YAML), relative to the app root or absolute.',
    default: 'ops.yaml',
    requiredInAzure: true,
  },
  OPS_PAUSED: {
    description: 'Global pause switch: "true" stops every automated action (decisions are still audited).',
    default: 'false',
    requiredInAzure: true,
  },
  OPS_FORCE_DRY_RUN: {
    description: '"true" forces dry-run for every action whatever the config says (npm start sets it).',
    default: 'false',
    requiredInAzure: false,
  },
  TASK_HUB_NAME: {
    description: 'Durable Functions task hub name (host.json reads it).',
    default: 'aksops',
    requiredInAzure: true,
  },
  AUDIT_TABLE_NAME: {
    description: 'Azure Table holding the audit log.',
    default: 'opsaudit',
    requiredInAzure: true,
  },
  CONTROL_TABLE_NAME: {
    description: 'Azure Table holding control state (the HTTP pause switch).',
    default: 'opscontrol',
    requiredInAzure: true,
  },
  COST_CACHE_TABLE_NAME: {
    description: 'Azure Table caching Cost Management results and its throttling (budgets reuse a result for their refreshInterval; docs/budgets.md).',
    default: 'opscostcache',
    requiredInAzure: false,
  },
  SCALING_TABLE_NAME: {
    description: 'Azure Table holding predictive-scaling forecasts, decisions and their actuals (docs/scaling.md).',
    default: 'opsscaling',
    requiredInAzure: false,
  },
  AzureWebJobsStorage: {
    description: 'Storage for the host, Durable Functions and the audit tables; locally "UseDevelopmentStorage=true" (Azurite).',
    requiredInAzure: false,
  },
  AzureWebJobsStorage__tableServiceUri: {
    description: 'In Azure (identity-based storage): the Table service URI of the app storage account.',
    requiredInAzure: true,
  },
  AZURE_CLIENT_ID: {
    description: 'Client ID of the user-assigned managed identity the app authenticates with.',
    requiredInAzure: true,
  },
  ALERTMANAGER_WEBHOOK_TOKEN: {
    description: 'Optional bearer token Alertmanager must send (http_config.authorization.credentials).',
    secret: true,
    requiredInAzure: false,
  },
  ALERTMANAGER_WEBHOOK_USERNAME: {
    description: 'Optional basic-auth user Alertmanager must send (http_config.basic_auth.username).',
    requiredInAzure: false,
  },
  ALERTMANAGER_WEBHOOK_PASSWORD: {
    description: 'Optional basic-auth password Alertmanager must send (http_config.basic_auth.password).',
    secret: true,
    requiredInAzure: false,
  },
  WEBHOOK_MAX_BODY_BYTES: {
    description: 'Largest accepted webhook body in bytes; larger bodies get 413.',
    default: '1048576',
    requiredInAzure: false,
  },
  STORM_MAX_STARTS_PER_MINUTE: {
    description: 'Estate-wide limit on remediation starts per minute (src/intake/storm.ts); starts over it are refused and audited.',
    default: '60',
    requiredInAzure: false,
  },
  STORM_MAX_CLUSTER_STARTS_PER_MINUTE: {
    description: 'Per-cluster limit on remediation starts per minute; the first start over it trips the storm breaker for that cluster.',
    default: '20',
    requiredInAzure: false,
  },
  STORM_BREAKER_MINUTES: {
    description: 'How long a tripped storm breaker stops automated starts for its cluster (the trip is escalated).',
    default: '30',
    requiredInAzure: false,
  },
  KUBECONFIG: {
    description: 'Local only: kubeconfig file used for clusters that name a kubeContext.',
    requiredInAzure: false,
  },
  BACKUP_BLOB_SERVICE_URI: {
    description:
      'Blob service URI of the backup storage account (backups, docs/backups.md), reached with the managed identity, e.g. https://stbkxxxx.blob.core.windows.net/. Bicep sets it.',
    requiredInAzure: true,
  },
  BACKUP_STORAGE_CONNECTION: {
    description: 'Local only: connection string of the backup storage (e.g. Azurite) when BACKUP_BLOB_SERVICE_URI is not set; default AzureWebJobsStorage.',
    secret: true,
    requiredInAzure: false,
  },
  BACKUP_SECONDARY_BLOB_SERVICE_URI: {
    description:
      'Blob service URI of the secondary backup account in the paired region (UK West for UK South), reached with the managed identity: every complete backup is copied there (docs/backups.md, Second region). Bicep sets it when backupSecondaryLocation is set.',
    requiredInAzure: false,
  },
  BACKUP_SECONDARY_STORAGE_CONNECTION: {
    description: 'Local only: connection string of the secondary backup account when BACKUP_SECONDARY_BLOB_SERVICE_URI is not set.',
    secret: true,
    requiredInAzure: false,
  },
  BACKUP_LOCAL_KEY: {
    description:
      'Local only: base64 256-bit key that wraps backup data keys when backups.encryption.localKeySetting names it (`openssl rand -base64 32`). In Azure use backups.encryption.keyVaultKey.',
    secret: true,
    requiredInAzure: false,
  },
  KEY_VAULT_URI: {
    description:
      'URI of the Key Vault whose secrets are rotated (docs/rotation.md) and backed up (docs/backups.md), e.g. https://kv-ms5-prod.vault.azure.net/. Bicep sets it.',
    requiredInAzure: true,
  },
  ALERTMANAGER_API_TOKEN: {
    description: "Optional bearer token for Alertmanager's API (closed-loop verification and silences), when it sits behind an authenticating proxy.",
    secret: true,
    requiredInAzure: false,
  },
  RUNBOOKS_AUTH: {
    description:
      '"function-key" (default): on-call routes trust the function key; names in the body are recorded as claimed. "easy-auth": every on-call route needs an Easy Auth principal with the route\'s app role (Operator, Approver; docs/security.md); needs WEBSITE_AUTH_ENABLED=true.',
    default: 'function-key',
    requiredInAzure: false,
  },
  WEBSITE_AUTH_ENABLED: {
    description:
      'Set by App Service ("True") when App Service Authentication (Easy Auth) is on. Only then are x-ms-client-principal headers trusted (docs/security.md); never set it yourself in Azure.',
    requiredInAzure: false,
  },
  PUBLIC_BASE_URL: {
    description: 'Base URL of the app for links in notifications (run status, approve/reject pages); default https://$WEBSITE_HOSTNAME.',
    requiredInAzure: false,
  },
  WEBSITE_HOSTNAME: {
    description: "Set by App Service: the app's host name (the default for PUBLIC_BASE_URL).",
    requiredInAzure: false,
  },
  TEAMS_WEBHOOK_URL: {
    description: 'Example notification target (notifications[].urlSetting): a Teams Workflows or incoming-webhook URL. The URL is a credential.',
    secret: true,
    requiredInAzure: false,
  },
  SLACK_WEBHOOK_URL: {
    description: 'Example notification target (notifications[].urlSetting): a Slack incoming-webhook URL. The URL is a credential.',
    secret: true,
    requiredInAzure: false,
  },
  ACS_EMAIL_KEY: {
    description:
      'Example email target key (notifications[].keySetting): the Azure Communication Services access key. Unset: email is sent with the managed identity.',
    secret: true,
    requiredInAzure: false,
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

export interface Settings {
  opsConfigPath: string;
  paused: boolean;
  forceDryRun: boolean;
  taskHubName: string;
  auditTableName: string;
  controlTableName: string;
  scalingTableName: string;
  /** COST_CACHE_TABLE_NAME: cached Cost Management results (budgets). */
  costCacheTableName: string;
  storageConnection: string | undefined;
  tableServiceUri: string | undefined;
  managedIdentityClientId: string | undefined;
  webhookToken: string | undefined;
  webhookUsername: string | undefined;
  webhookPassword: string | undefined;
  webhookMaxBodyBytes: number;
  /** STORM_*: start limits and breaker (src/intake/storm.ts). */
  storm: { globalPerMinute: number; clusterPerMinute: number; breakerMinutes: number };
  kubeconfig: string | undefined;
  /** KEY_VAULT_URI: the vault secret rotation works on. */
  keyVaultUri: string | undefined;
  alertmanagerApiToken: string | undefined;
  runbooksAuth: 'function-key' | 'easy-auth';
  /** WEBSITE_AUTH_ENABLED: Easy Auth is in front of the app, so principal headers may be trusted. */
  behindEasyAuth: boolean;
  /** Base of links in notifications, without a trailing slash; undefined when unknown. */
  publicBaseUrl: string | undefined;
  backupBlobServiceUri: string | undefined;
  backupStorageConnection: string | undefined;
  /** The secondary backup account in the paired region (src/backup/secondary.ts). */
  backupSecondaryBlobServiceUri?: string | undefined;
  backupSecondaryStorageConnection?: string | undefined;
}

type Env = Record<string, string | undefined>;

function get(env: Env, name: SettingName): string | undefined {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  const spec: SettingSpec = SETTINGS[name];
  return spec.default;
}

function bool(env: Env, name: SettingName): boolean {
  const v = (get(env, name) ?? 'false').trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === '') return false;
  throw new Error(`App setting ${name}="${v}" is not a boolean. Fix: set it to "true" or "false".`);
}

function positiveInt(env: Env, name: SettingName): number {
  const raw = get(env, name) ?? '';
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(
      `App setting ${name}="${raw}" is not a positive whole number. Fix: set it to e.g. ${SETTINGS[name] && (SETTINGS[name] as SettingSpec).default}.`,
    );
  }
  return n;
}

/** Reads and checks every setting. Pass process.env from the trigger layer; tests pass a plain object. */
export function readSettings(env: Env): Settings {
  basicAuthPair(env);
  return {
    opsConfigPath: get(env, 'OPS_CONFIG_PATH')!,
    paused: bool(env, 'OPS_PAUSED'),
    forceDryRun: bool(env, 'OPS_FORCE_DRY_RUN'),
    taskHubName: get(env, 'TASK_HUB_NAME')!,
    auditTableName: get(env, 'AUDIT_TABLE_NAME')!,
    controlTableName: get(env, 'CONTROL_TABLE_NAME')!,
    scalingTableName: get(env, 'SCALING_TABLE_NAME')!,
    costCacheTableName: get(env, 'COST_CACHE_TABLE_NAME')!,
    storageConnection: get(env, 'AzureWebJobsStorage'),
    tableServiceUri: get(env, 'AzureWebJobsStorage__tableServiceUri'),
    managedIdentityClientId: get(env, 'AZURE_CLIENT_ID'),
    webhookToken: get(env, 'ALERTMANAGER_WEBHOOK_TOKEN'),
    webhookUsername: get(env, 'ALERTMANAGER_WEBHOOK_USERNAME'),
    webhookPassword: get(env, 'ALERTMANAGER_WEBHOOK_PASSWORD'),
    webhookMaxBodyBytes: positiveInt(env, 'WEBHOOK_MAX_BODY_BYTES'),
    storm: {
      globalPerMinute: positiveInt(env, 'STORM_MAX_STARTS_PER_MINUTE'),
      clusterPerMinute: positiveInt(env, 'STORM_MAX_CLUSTER_STARTS_PER_MINUTE'),
      breakerMinutes: positiveInt(env, 'STORM_BREAKER_MINUTES'),
    },
    kubeconfig: get(env, 'KUBECONFIG'),
    keyVaultUri: get(env, 'KEY_VAULT_URI'),
    alertmanagerApiToken: get(env, 'ALERTMANAGER_API_TOKEN'),
    runbooksAuth: runbooksAuth(env),
    behindEasyAuth: bool(env, 'WEBSITE_AUTH_ENABLED'),
    publicBaseUrl: publicBaseUrl(env),
    backupBlobServiceUri: get(env, 'BACKUP_BLOB_SERVICE_URI'),
    backupStorageConnection: get(env, 'BACKUP_STORAGE_CONNECTION'),
    backupSecondaryBlobServiceUri: get(env, 'BACKUP_SECONDARY_BLOB_SERVICE_URI'),
    backupSecondaryStorageConnection: get(env, 'BACKUP_SECONDARY_STORAGE_CONNECTION'),
  };
}

/** Basic auth needs both halves: a user name alone would admit "user:" with an empty password (#12). */
function basicAuthPair(env: Env): void {
  const user = get(env, 'ALERTMANAGER_WEBHOOK_USERNAME');
  const pass = get(env, 'ALERTMANAGER_WEBHOOK_PASSWORD');
  if (user && !pass)
    throw new Error(
      'App setting ALERTMANAGER_WEBHOOK_USERNAME is set but ALERTMANAGER_WEBHOOK_PASSWORD is not: basic auth would accept an empty password. Fix: set the password (a Key Vault reference in Azure) or unset the username.',
    );
  if (pass && !user)
    throw new Error(
      'App setting ALERTMANAGER_WEBHOOK_PASSWORD is set but ALERTMANAGER_WEBHOOK_USERNAME is not. Fix: set the username Alertmanager sends (basic_auth.username) or unset the password.',
    );
}

function runbooksAuth(env: Env): 'function-key' | 'easy-auth' {
  const v = (get(env, 'RUNBOOKS_AUTH') ?? 'function-key').trim().toLowerCase();
  if (v === 'easy-auth' && !bool(env, 'WEBSITE_AUTH_ENABLED')) {
    throw new Error(
      'App setting RUNBOOKS_AUTH="easy-auth" but WEBSITE_AUTH_ENABLED is not "true": App Service Authentication is not on, so principal headers could be forged. Fix: enable Easy Auth (bicep/modules/easyauth.bicep sets it up) or use RUNBOOKS_AUTH=function-key.',
    );
  }
  if (v === 'function-key' || v === 'easy-auth') return v;
  throw new Error(`App setting RUNBOOKS_AUTH="${v}" is not supported. Fix: set it to "function-key" or "easy-auth".`);
}

function publicBaseUrl(env: Env): string | undefined {
  const explicit = get(env, 'PUBLIC_BASE_URL');
  if (explicit) return explicit.replace(/\/+$/, '');
  const host = get(env, 'WEBSITE_HOSTNAME');
  return host ? `https://${host}` : undefined;
}

/**
 * A setting whose name comes from the operations config (notifications[].urlSetting): the
 * config names the setting, never the value. Returns undefined when unset. The value is a
 * credential: callers must never log it or put it in a message.
 */
export function readNamedSetting(env: Env, name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}
