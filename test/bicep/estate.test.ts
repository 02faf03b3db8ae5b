// Reads the templates and asserts the estate the issue asks for: the five node pools, the AKS
// features, the backup storage settings, Key Vault, Event Grid, the function app, budgets, and
// the parameter files.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Node } from 'web-tree-sitter';
import {
  evaluate,
  getPath,
  getProperty,
  isKnown,
  paramValuesFrom,
  type BicepModel,
  type ResourceDecl,
  type Value,
} from './model.js';
import { loadProject } from './project.js';

const project = await loadProject();
const main = project.model('main.bicep');

function resource(m: BicepModel, fullType: string, symbol?: string): ResourceDecl {
  const found = m.resources.filter((r) => r.fullType === fullType && !r.existing && (!symbol || r.name === symbol));
  if (found.length !== 1) throw new Error(`${m.path}: expected one ${fullType}${symbol ? ` "${symbol}"` : ''}, found ${found.length}`);
  return found[0]!;
}

function value(m: BicepModel, node: Node | undefined): Value {
  return evaluate(node, { model: m });
}

function at(m: BicepModel, r: ResourceDecl, path: string): Value {
  return value(m, getPath(r.body, path));
}

function text(node: Node | undefined): string {
  return node?.text.replace(/\s+/g, ' ') ?? '';
}

interface Pool {
  name: string;
  vmSize: string;
  minCount: number;
  maxCount: number;
  mode: string;
  taints: string[];
  labels: Record<string, string>;
  spot: boolean;
}

describe('AKS node pools (MS5.0 defaults as parameters)', () => {
  const pools = value(main, main.params.get('nodePools')?.defaultValue) as unknown as Pool[];

  it('defaults nodePools in main.bicep to the five pools with their sizes, counts, modes and taints', () => {
    expect(pools.map((p) => ({ name: p.name, vmSize: p.vmSize, min: p.minCount, max: p.maxCount, mode: p.mode, taints: p.taints, spot: p.spot }))).toEqual([
      { name: 'system', vmSize: 'Standard_D4s_v3', min: 3, max: 5, mode: 'System', taints: ['CriticalAddonsOnly=true:NoSchedule'], spot: false },
      { name: 'database', vmSize: 'Standard_D8s_v3', min: 2, max: 4, mode: 'User', taints: ['workload=database:NoSchedule'], spot: false },
      { name: 'compute', vmSize: 'Standard_D4s_v3', min: 3, max: 8, mode: 'User', taints: [], spot: false },
      { name: 'monitoring', vmSize: 'Standard_D2s_v3', min: 2, max: 4, mode: 'User', taints: [], spot: false },
      { name: 'spot', vmSize: 'Standard_D4s_v3', min: 0, max: 4, mode: 'User', taints: ['kubernetes.azure.com/scalesetpriority=spot:NoSchedule'], spot: true },
    ]);
  });

  it('types nodePools with the exported nodePoolSpec and passes them to the AKS module unchanged', () => {
    expect(main.params.get('nodePools')?.typeText).toBe('nodePoolSpec[]');
    const aksModule = main.modules.find((m) => m.path === 'modules/aks.bicep');
    expect(text(getPath(aksModule?.body, 'params.nodePools'))).toBe('nodePools');
    expect(project.model('types.bicep').types.get('nodePoolSpec')?.exported).toBe(true);
  });

  it('maps every pool field onto agentPoolProfiles (autoscaler on, Spot priority with eviction Delete)', () => {
    const aks = project.model('modules/aks.bicep');
    const cluster = resource(aks, 'Microsoft.ContainerService/managedClusters');
    const profiles = getPath(cluster.body, 'properties.agentPoolProfiles');
    expect(profiles?.type).toBe('for_statement');
    expect(text(profiles?.childForFieldName('initializer') ?? undefined)).toBe('pool');
    const body = profiles?.childForFieldName('body') ?? undefined;
    const field = (k: string): string => text(getProperty(body, k));
    expect(field('name')).toBe('pool.name');
    expect(field('mode')).toBe('pool.mode');
    expect(field('vmSize')).toBe('pool.vmSize');
    expect(field('minCount')).toBe('pool.minCount');
    expect(field('maxCount')).toBe('pool.maxCount');
    expect(field('count')).toBe('pool.minCount');
    expect(field('enableAutoScaling')).toBe('true');
    expect(field('nodeTaints')).toBe('pool.taints');
    expect(field('nodeLabels')).toBe('pool.labels');
    expect(field('availabilityZones')).toBe('availabilityZones');
    expect(field('scaleSetPriority')).toBe("pool.spot ? 'Spot' : 'Regular'");
    expect(field('scaleSetEvictionPolicy')).toBe("pool.spot ? 'Delete' : null");
    expect(field('vnetSubnetID')).toBe('vnet::nodeSubnet.id');
  });

  it('keeps the five pools in every parameter file', () => {
    for (const file of ['main.bicepparam', 'env/dev.bicepparam', 'env/staging.bicepparam', 'env/prod.bicepparam']) {
      const values = paramValuesFrom(project.model(file), main);
      const names = (values.get('nodePools') as unknown as Pool[]).map((p) => p.name);
      expect(names, file).toEqual(['system', 'database', 'compute', 'monitoring', 'spot']);
    }
  });

  it('puts the pools in availability zones 1-3 by default', () => {
    expect(value(main, main.params.get('availabilityZones')?.defaultValue)).toEqual(['1', '2', '3']);
  });
});

describe('AKS cluster', () => {
  const aks = project.model('modules/aks.bicep');
  const cluster = resource(aks, 'Microsoft.ContainerService/managedClusters');
  const p = (path: string): Value => at(aks, cluster, `properties.${path}`);

  it('uses Azure CNI Overlay', () => {
    expect(p('networkProfile.networkPlugin')).toBe('azure');
    expect(p('networkProfile.networkPluginMode')).toBe('overlay');
  });

  it('enables the OIDC issuer and workload identity', () => {
    expect(p('oidcIssuerProfile.enabled')).toBe(true);
    expect(p('securityProfile.workloadIdentity.enabled')).toBe(true);
  });

  it('integrates Microsoft Entra ID with Azure RBAC and disables local accounts', () => {
    expect(p('aadProfile.managed')).toBe(true);
    expect(p('aadProfile.enableAzureRBAC')).toBe(true);
    expect(p('disableLocalAccounts')).toBe(true);
    expect(p('enableRBAC')).toBe(true);
  });

  it('enables the Key Vault Secrets Store CSI add-on with rotation', () => {
    expect(p('addonProfiles.azureKeyvaultSecretsProvider.enabled')).toBe(true);
    expect(p('addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation')).toBe('true');
  });

  it('enables managed Prometheus and Container Insights, associated with their data collection rules', () => {
    expect(p('azureMonitorProfile.metrics.enabled')).toBe(true);
    expect(p('addonProfiles.omsagent.enabled')).toBe(true);
    expect(p('addonProfiles.omsagent.config.useAADAuth')).toBe('true');
    const associations = aks.resources.filter((r) => r.fullType === 'Microsoft.Insights/dataCollectionRuleAssociations');
    expect(associations.map((a) => text(getProperty(a.body, 'scope')))).toEqual(['cluster', 'cluster']);
    expect(associations.map((a) => text(getPath(a.body, 'properties.dataCollectionRuleId'))).sort()).toEqual([
      'containerInsightsDataCollectionRuleId',
      'prometheusDataCollectionRuleId',
    ]);
    const monitoring = project.model('modules/monitoring.bicep');
    const streams = monitoring.resources
      .filter((r) => r.fullType === 'Microsoft.Insights/dataCollectionRules')
      .map((r) => text(getPath(r.body, 'properties.dataFlows')));
    expect(streams.some((s) => s.includes('Microsoft-PrometheusMetrics'))).toBe(true);
    expect(streams.some((s) => s.includes('containerInsightsStreams'))).toBe(true);
  });

  it('sets a cluster autoscaler profile, the image cleaner and the weekly maintenance windows', () => {
    expect(text(getPath(cluster.body, 'properties.autoScalerProfile'))).toBe('autoScalerProfile');
    const profile = value(main, main.params.get('clusterAutoscalerProfile')?.defaultValue) as Record<string, Value>;
    expect(profile['expander']).toBeTypeOf('string');
    expect(p('securityProfile.imageCleaner.enabled')).toBe(true);
    const schedules = aks.resources.filter((r) => r.fullType === 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations');
    expect(schedules.map((s) => at(aks, s, 'name')).sort()).toEqual(['aksManagedAutoUpgradeSchedule', 'aksManagedNodeOSUpgradeSchedule']);
    for (const s of schedules) expect(text(getPath(s.body, 'properties.maintenanceWindow.schedule.weekly.dayOfWeek'))).toBe('maintenanceWindow.dayOfWeek');
  });

  it('gives the control plane a user-assigned identity and AKS a named node resource group (the second budget scope)', () => {
    expect(at(aks, cluster, 'identity.type')).toBe('UserAssigned');
    expect(text(getPath(cluster.body, 'properties.nodeResourceGroup'))).toBe('nodeResourceGroupName');
    const budgetModule = main.modules.find((m) => m.name === 'nodeResourceGroupBudget');
    expect(text(getProperty(budgetModule?.body, 'scope'))).toBe('resourceGroup(nodeResourceGroupName)');
  });

  it('creates an Azure Container Registry without admin user or anonymous pull', () => {
    const acr = project.model('modules/acr.bicep');
    const registry = resource(acr, 'Microsoft.ContainerRegistry/registries');
    expect(at(acr, registry, 'properties.adminUserEnabled')).toBe(false);
    expect(at(acr, registry, 'properties.anonymousPullEnabled')).toBe(false);
  });
});

describe('Key Vault and Event Grid', () => {
  it('creates the vault with RBAC authorisation, soft delete and purge protection', () => {
    const kv = project.model('modules/keyvault.bicep');
    const vault = resource(kv, 'Microsoft.KeyVault/vaults');
    expect(at(kv, vault, 'properties.enableRbacAuthorization')).toBe(true);
    expect(at(kv, vault, 'properties.enableSoftDelete')).toBe(true);
    expect(at(kv, vault, 'properties.enablePurgeProtection')).toBe(true);
    expect(getPath(vault.body, 'properties.accessPolicies')).toBeUndefined();
  });

  it('delivers SecretNearExpiry and SecretExpired from the vault system topic to the rotation function', () => {
    const eg = project.model('modules/eventgrid.bicep');
    const topic = resource(eg, 'Microsoft.EventGrid/systemTopics');
    expect(at(eg, topic, 'properties.topicType')).toBe('Microsoft.KeyVault.vaults');
    expect(text(getPath(topic.body, 'properties.source'))).toBe('vault.id');
    const sub = resource(eg, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(at(eg, sub, 'properties.filter.includedEventTypes')).toEqual(['Microsoft.KeyVault.SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired']);
    expect(at(eg, sub, 'properties.destination.endpointType')).toBe('AzureFunction');
    expect(text(getPath(sub.body, 'properties.destination.properties.resourceId'))).toBe("'${site.id}/functions/${secretRotationFunctionName}'");
    // Created only once the function exists (second provision).
    expect(text(sub.condition)).toBe('(connectAppEndpoints)');
  });
});

describe('backup storage', () => {
  const st = project.model('modules/storage-backup.bicep');
  const account = resource(st, 'Microsoft.Storage/storageAccounts');
  const blob = resource(st, 'Microsoft.Storage/storageAccounts/blobServices');
  const lifecycle = resource(st, 'Microsoft.Storage/storageAccounts/managementPolicies');
  const backupModule = main.modules.find((m) => m.path === 'modules/storage-backup.bicep')!;

  it('turns public access and shared keys off and requires TLS 1.2', () => {
    expect(at(st, account, 'properties.allowBlobPublicAccess')).toBe(false);
    expect(at(st, account, 'properties.allowSharedKeyAccess')).toBe(false);
    expect(at(st, account, 'properties.minimumTlsVersion')).toBe('TLS1_2');
    expect(at(st, account, 'properties.supportsHttpsTrafficOnly')).toBe(true);
  });

  it('enables blob versioning and soft delete for blobs and containers', () => {
    expect(at(st, blob, 'properties.isVersioningEnabled')).toBe(true);
    expect(at(st, blob, 'properties.deleteRetentionPolicy.enabled')).toBe(true);
    expect(text(getPath(blob.body, 'properties.deleteRetentionPolicy.days'))).toBe('softDeleteRetentionDays');
    expect(at(st, blob, 'properties.containerDeleteRetentionPolicy.enabled')).toBe(true);
  });

  it('offers optional version-level immutability with a default policy', () => {
    expect(text(getPath(account.body, 'properties.immutableStorageWithVersioning'))).toBe('enableImmutability ? versionLevelImmutability : null');
    const policy = st.vars.get('versionLevelImmutability');
    expect(value(st, getProperty(policy?.value, 'enabled'))).toBe(true);
    expect(text(getPath(policy?.value, 'immutabilityPolicy.immutabilityPeriodSinceCreationInDays'))).toBe('immutabilityDays');
    expect(text(getPath(backupModule.body, 'params.enableImmutability'))).toBe('enableBackupImmutability');
    expect(value(main, main.params.get('enableBackupImmutability')?.defaultValue)).toBe(false);
  });

  it('moves backups to cool after 30 days, to archive after 90 and deletes them after a parameter', () => {
    const rule = (getPath(lifecycle.body, 'properties.policy.rules')?.namedChildren ?? [])[0] ?? undefined;
    const actions = getPath(rule ?? undefined, 'definition.actions');
    expect(text(getPath(actions, 'baseBlob.tierToCool.daysAfterModificationGreaterThan'))).toBe('coolAfterDays');
    expect(text(getPath(actions, 'baseBlob.tierToArchive.daysAfterModificationGreaterThan'))).toBe('archiveAfterDays');
    expect(text(getPath(actions, 'baseBlob.delete.daysAfterModificationGreaterThan'))).toBe('retentionDays');
    expect(text(getPath(actions, 'version.delete.daysAfterCreationGreaterThan'))).toBe('retentionDays');
    expect(value(st, st.params.get('coolAfterDays')?.defaultValue)).toBe(30);
    expect(value(st, st.params.get('archiveAfterDays')?.defaultValue)).toBe(90);
    expect(text(getPath(backupModule.body, 'params.retentionDays'))).toBe('backupRetentionDays');
    expect(text(getPath(rule ?? undefined, 'definition.filters.prefixMatch'))).toBe('containers');
  });

  it('creates the backup containers without public access', () => {
    const c = resource(st, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(c.loop).toBeDefined();
    expect(at(st, c, 'properties.publicAccess')).toBe('None');
    expect((value(main, main.params.get('backupContainers')?.defaultValue) as string[]).length).toBeGreaterThan(0);
  });

  it('keeps retention after archive and immutability inside retention, in every parameter file', () => {
    for (const file of ['main.bicepparam', 'env/dev.bicepparam', 'env/staging.bicepparam', 'env/prod.bicepparam']) {
      const v = paramValuesFrom(project.model(file), main);
      const retention = v.get('backupRetentionDays') as number;
      expect(retention, file).toBeGreaterThan(90);
      if (v.get('enableBackupImmutability') === true) expect(v.get('backupImmutabilityDays') as number, file).toBeLessThan(retention);
      expect(['Standard_LRS', 'Standard_GRS', 'Standard_RAGRS'], `${file}: archive tier needs LRS/GRS/RA-GRS`).toContain(v.get('backupStorageSku'));
    }
  });
});

describe('function app (Flex Consumption)', () => {
  const fa = project.model('modules/functionapp.bicep');
  const site = resource(fa, 'Microsoft.Web/sites');

  it('runs on a Flex Consumption (FC1) Linux plan with Node 22', () => {
    const plan = resource(fa, 'Microsoft.Web/serverfarms');
    expect(at(fa, plan, 'sku')).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    expect(at(fa, plan, 'properties.reserved')).toBe(true);
    expect(at(fa, site, 'kind')).toBe('functionapp,linux');
    expect(at(fa, site, 'properties.functionAppConfig.runtime')).toEqual({ name: 'node', version: '22' });
    expect(at(fa, site, 'properties.httpsOnly')).toBe(true);
  });

  it('authenticates everything with one user-assigned identity', () => {
    expect(at(fa, site, 'identity.type')).toBe('UserAssigned');
    expect(at(fa, site, 'properties.functionAppConfig.deployment.storage.authentication.type')).toBe('UserAssignedIdentity');
    expect(text(getPath(site.body, 'properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId'))).toBe('identity.id');
    expect(text(getPath(site.body, 'properties.keyVaultReferenceIdentity'))).toBe('identity.id');
    const storage = resource(fa, 'Microsoft.Storage/storageAccounts');
    expect(at(fa, storage, 'properties.allowSharedKeyAccess')).toBe(false);
  });

  it('turns off basic-auth publishing', () => {
    const policies = fa.resources.filter((r) => r.fullType === 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((p) => [at(fa, p, 'name'), at(fa, p, 'properties.allow')])).toEqual([
      ['scm', false],
      ['ftp', false],
    ]);
  });
});

describe('budgets', () => {
  const b = project.model('modules/budgets.bicep');

  it('creates a monthly cost budget on the estate resource group and on the AKS node resource group', () => {
    const budget = resource(b, 'Microsoft.Consumption/budgets');
    expect(at(b, budget, 'properties.category')).toBe('Cost');
    expect(at(b, budget, 'properties.timeGrain')).toBe('Monthly');
    const budgetModules = main.modules.filter((m) => m.path === 'modules/budgets.bicep');
    expect(budgetModules.map((m) => text(getProperty(m.body, 'scope')))).toEqual(['rg', 'resourceGroup(nodeResourceGroupName)']);
  });

  it("notifies an action group whose webhook calls the function app's budget endpoint with that one function's key, never a host key (#12)", () => {
    const ag = resource(b, 'Microsoft.Insights/actionGroups');
    expect(at(b, ag, 'location')).toBe('global');
    const uri = text(getPath((getPath(ag.body, 'properties.webhookReceivers')?.namedChildren ?? [])[0] ?? undefined, 'serviceUri'));
    expect(uri).toContain('${site.properties.defaultHostName}/${budgetWebhookPath}?code=');
    expect(uri).toContain("listKeys('${site.id}/functions/${budgetWebhookFunctionName}', '2024-04-01').default");
    expect(uri).not.toMatch(/host\/default|functionKeys|masterKey/);
    expect(value(b, b.params.get('budgetWebhookFunctionName')?.defaultValue)).toBe('budgetsWebhook');
    expect(value(main, main.params.get('budgetWebhookPath')?.defaultValue)).toBe('api/budgets/webhook');
    expect(text(ag.condition)).toBe('(createActionGroup)');
    // No output carries the key (the lint's no-secret-outputs rule checks every file as well).
    for (const o of b.outputs.values()) expect(o.value.text).not.toContain('listKeys');
  });
});

describe('main.bicep', () => {
  it('deploys at subscription scope, creates the resource group and calls every module', () => {
    expect(main.targetScope).toBe('subscription');
    expect(resource(main, 'Microsoft.Resources/resourceGroups').name).toBe('rg');
    const paths = new Set(main.modules.map((m) => m.path));
    for (const m of ['network', 'monitoring', 'aks', 'acr', 'keyvault', 'storage-backup', 'functionapp', 'eventgrid', 'budgets', 'roles', 'role-definitions']) {
      expect(paths, m).toContain(`modules/${m}.bicep`);
    }
  });

  it('names resources from a resource token and tags everything', () => {
    expect(text(main.vars.get('resourceToken')?.value)).toBe('toLower(uniqueString(subscription().id, environmentName, location))');
    for (const mod of main.modules) {
      if (mod.path === 'modules/role-definitions.bicep' || mod.path === 'modules/roles.bicep') continue;
      expect(text(getPath(mod.body, 'params.tags')), mod.name).toBe('allTags');
    }
  });

  it('outputs what azd and the app need, and nothing secret', () => {
    const outputs = [...main.outputs.keys()];
    expect(outputs).toEqual(expect.arrayContaining(['AZURE_LOCATION', 'AZURE_TENANT_ID', 'AZURE_RESOURCE_GROUP', 'SERVICE_API_NAME', 'AZURE_FUNCTION_APP_NAME', 'AZURE_AKS_CLUSTER_NAME', 'AZURE_KEY_VAULT_URI']));
    for (const o of main.outputs.values()) expect(o.value.text).not.toMatch(/listKeys|ConnectionString|secret/i);
  });

  it('sets every required parameter in each parameter file and no hard-coded region', () => {
    for (const file of ['main.bicepparam', 'env/dev.bicepparam', 'env/staging.bicepparam', 'env/prod.bicepparam']) {
      const pf = project.model(file);
      expect(pf.using, file).toMatch(/main\.bicep$/);
      expect(pf.assignments.has('environmentName'), file).toBe(true);
      const kind = evaluate(pf.assignments.get('environmentKind')?.value, { model: pf });
      if (isKnown(kind)) expect(['dev', 'staging', 'prod']).toContain(kind);
    }
  });
});

describe('budget action group', () => {
  it('sends the budget payload the endpoint parses, not the common alert schema', () => {
    const text = readFileSync('bicep/modules/budgets.bicep', 'utf8');
    expect(text).toMatch(/useCommonAlertSchema:\s*false/);
    expect(text).not.toMatch(/useCommonAlertSchema:\s*true/);
  });
});
