// The Azure checks' inputs from the ops config and the settings (src/doctor/azure-checks.ts):
// ARM scopes from clusters[].azure (the cluster) and budgets[].scope (a resource group; a
// subscription-wide budget is skipped: the app is never granted anything at subscription scope),
// Key Vault (KEY_VAULT_URI) and backup storage reads, and the Prometheus sources of slo and scaling.
import type { TokenCredential } from '@azure/identity';
import type { OpsConfig } from '../config/schema.js';
import type { Settings } from '../config/settings.js';
import type { AzureDoctorDeps, AzureScopeCheck, PrometheusCheck } from './azure-checks.js';

export interface AzureDoctorOptions {
  credential?: TokenCredential;
  /** ARM client options (tests: the fake ARM endpoint). */
  armClientOptions?: Record<string, unknown>;
  /** Key Vault credential and client options (tests: the fake vault's). */
  keyVaultCredential?: TokenCredential;
  keyVaultClientOptions?: Record<string, unknown>;
}

type Cfg = Pick<OpsConfig, 'clusters' | 'budgets' | 'slo' | 'scaling' | 'backups'>;

export function azureDoctorDeps(cfg: Cfg, settings: Settings, o: AzureDoctorOptions = {}): AzureDoctorDeps {
  const permissions = async () => {
    const { armPermissions } = await import('../adapters/arm-permissions.js');
    return armPermissions({
      ...(o.credential ? { credential: o.credential } : {}),
      ...(settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {}),
      ...(o.armClientOptions ? { clientOptions: o.armClientOptions } : {}),
    });
  };
  const scopes: AzureScopeCheck[] = [];
  for (const c of cfg.clusters) {
    const a = c.azure;
    if (!a) continue;
    const scope = {
      subscriptionId: a.subscriptionId,
      resourceGroup: a.resourceGroup,
      resource: { namespace: 'Microsoft.ContainerService', type: 'managedClusters', name: a.clusterName },
    };
    scopes.push({
      label: `${c.name} (cluster)`,
      id: `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${a.clusterName}`,
      scopeType: 'Microsoft.ContainerService/managedClusters',
      permissions: async () => (await permissions())(scope),
    });
  }
  const seen = new Set<string>();
  for (const b of cfg.budgets ?? []) {
    const rg = b.scope.resourceGroup;
    if (rg === undefined) continue;
    const id = `/subscriptions/${b.scope.subscriptionId}/resourceGroups/${rg}`;
    if (seen.has(id.toLowerCase())) continue;
    seen.add(id.toLowerCase());
    scopes.push({
      label: `${rg} (budget ${b.name})`,
      id,
      scopeType: 'resourceGroup',
      permissions: async () => (await permissions())({ subscriptionId: b.scope.subscriptionId, resourceGroup: rg }),
    });
  }
  const reads: Array<{ check: string; run: () => Promise<void>; fix: string }> = [];
  if (settings.keyVaultUri) {
    const vaultUrl = settings.keyVaultUri;
    reads.push({
      check: 'key vault',
      run: async () => {
        const { createVaultSecrets } = await import('../adapters/keyvault.js');
        const credential = o.keyVaultCredential ?? o.credential;
        await createVaultSecrets({
          vaultUrl,
          ...(credential ? { credential } : {}),
          ...(settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {}),
          ...(o.keyVaultClientOptions ? { clientOptions: o.keyVaultClientOptions } : {}),
        }).listSecrets();
      },
      fix: `the app identity needs Key Vault Secrets Officer on ${vaultUrl} (bicep/permissions.json#app-keyvault-secrets), and the vault's firewall must let the app in`,
    });
  }
  if (cfg.backups && (settings.backupBlobServiceUri || settings.backupStorageConnection)) {
    const container = cfg.backups.containers.objects;
    reads.push({
      check: `backup storage (${container})`,
      run: async () => {
        const { BackupBlobStore } = await import('../adapters/blob-store.js');
        const store = new BackupBlobStore(
          settings.backupStorageConnection
            ? { connectionString: settings.backupStorageConnection }
            : { serviceUri: settings.backupBlobServiceUri!, ...(o.credential ? { credential: o.credential } : {}) },
        );
        await (await store.container(container)).listBlobsFlat().byPage({ maxPageSize: 1 }).next();
      },
      fix: 'the app identity needs Storage Blob Data Contributor on the backup account (bicep/permissions.json#app-backup-blobs); check BACKUP_BLOB_SERVICE_URI',
    });
  }
  const prometheus: PrometheusCheck[] = [];
  const sources = [
    ...(cfg.slo ? [{ label: 'slo', source: cfg.slo.prometheus }] : []),
    ...(cfg.scaling?.clusters ?? []).map((s) => ({ label: `scaling ${s.cluster}`, source: s.prometheus })),
  ];
  const urls = new Set<string>();
  for (const { label, source } of sources) {
    if (urls.has(source.url)) continue;
    urls.add(source.url);
    prometheus.push({
      label,
      url: source.url,
      ...(source.auth === 'managed-identity'
        ? {
            token: async () => {
              const [{ appCredential }, { AZURE_MONITOR_PROMETHEUS_SCOPE }] = await Promise.all([
                import('../adapters/azure-credential.js'),
                import('../adapters/prometheus.js'),
              ]);
              const c = o.credential ?? (await appCredential(settings.managedIdentityClientId));
              const t = await c.getToken(AZURE_MONITOR_PROMETHEUS_SCOPE);
              if (!t) throw new Error('no Entra token for Azure Monitor managed Prometheus');
              return t.token;
            },
          }
        : {}),
    });
  }
  return { scopes, reads, prometheus };
}
