// The AKS estate and the operations function app, in one subscription-scope deployment.
//
//   azd up                                   (uses bicep/main.bicepparam and azure.yaml)
//   az deployment sub what-if -l <region> -f bicep/main.bicep -p bicep/env/dev.bicepparam
//   az deployment sub create  -l <region> -f bicep/main.bicep -p bicep/env/dev.bicepparam
//
// Structure modelled on mspnp/aks-baseline (workload-team/cluster-stamp.bicep), the Azure Verified
// Modules (Azure/bicep-registry-modules) and the azd Flex Consumption templates
// (Azure-Samples/functions-quickstart-javascript-azd, durable-functions-quickstart-typescript-azd).
// docs/deployment.md explains every parameter; bicep/permissions.json justifies every role assignment.
targetScope = 'subscription'

import { nodePoolSpec, maintenanceWindowSpec } from 'types.bicep'

// ---------------------------------------------------------------------------------------------
// Naming and placement
// ---------------------------------------------------------------------------------------------

@description('Name of the environment (azd environment name). Part of the resource token, the resource group name and the azd-env-name tag.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Kind of environment (dev, staging, prod); recorded in the environment tag of every resource.')
@allowed([
  'dev'
  'staging'
  'prod'
])
param environmentKind string = 'dev'

@description('Region of every resource. Defaults to the deployment location (az deployment sub create -l <region>; azd passes AZURE_LOCATION).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string = deployment().location

@description('Name of the resource group for the estate. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Extra tags merged into the tags every resource gets (azd-env-name, environment, workload).')
param tags object = {}

// ---------------------------------------------------------------------------------------------
// AKS
// ---------------------------------------------------------------------------------------------

@description('Kubernetes version, e.g. 1.33. Empty: the AKS default version of the region.')
param kubernetesVersion string = ''

@description('AKS pricing tier: Free (no uptime SLA, dev), Standard (uptime SLA), Premium (long-term support).')
@allowed([
  'Free'
  'Standard'
  'Premium'
])
param aksSkuTier string = 'Standard'

@description('Availability zones the node pools are spread over. Empty for regions without zones.')
param availabilityZones string[] = [
  '1'
  '2'
  '3'
]

@description('Node pools (MS5.0 layout): system, database, compute, monitoring, spot. The first System pool hosts critical add-ons only.')
param nodePools nodePoolSpec[] = [
  {
    name: 'system'
    vmSize: 'Standard_D4s_v3'
    minCount: 3
    maxCount: 5
    mode: 'System'
    taints: [
      'CriticalAddonsOnly=true:NoSchedule'
    ]
    labels: {
      workload: 'system'
    }
    spot: false
  }
  {
    name: 'database'
    vmSize: 'Standard_D8s_v3'
    minCount: 2
    maxCount: 4
    mode: 'User'
    taints: [
      'workload=database:NoSchedule'
    ]
    labels: {
      workload: 'database'
    }
    spot: false
  }
  {
    name: 'compute'
    vmSize: 'Standard_D4s_v3'
    minCount: 3
    maxCount: 8
    mode: 'User'
    taints: []
    labels: {
      workload: 'compute'
    }
    spot: false
  }
  {
    name: 'monitoring'
    vmSize: 'Standard_D2s_v3'
    minCount: 2
    maxCount: 4
    mode: 'User'
    taints: []
    labels: {
      workload: 'monitoring'
    }
    spot: false
  }
  {
    name: 'spot'
    vmSize: 'Standard_D4s_v3'
    minCount: 0
    maxCount: 4
    mode: 'User'
    taints: [
      'kubernetes.azure.com/scalesetpriority=spot:NoSchedule'
    ]
    labels: {
      workload: 'spot'
    }
    spot: true
  }
]

@description('Cluster autoscaler profile (keys as in the AKS API, values as strings).')
param clusterAutoscalerProfile object = {
  expander: 'least-waste'
  'balance-similar-node-groups': 'true'
  'scan-interval': '10s'
  'scale-down-delay-after-add': '10m'
  'scale-down-unneeded-time': '10m'
  'scale-down-utilization-threshold': '0.5'
  'max-graceful-termination-sec': '600'
  'skip-nodes-with-local-storage': 'false'
  'skip-nodes-with-system-pods': 'true'
}

@description('Weekly maintenance window for Kubernetes patch upgrades and node OS image upgrades.')
param maintenanceWindow maintenanceWindowSpec = {
  dayOfWeek: 'Sunday'
  startTime: '02:00'
  durationHours: 4
  utcOffset: '+00:00'
}

@description('Kubernetes auto-upgrade channel (none, patch, stable, rapid, node-image).')
@allowed([
  'none'
  'patch'
  'stable'
  'rapid'
  'node-image'
])
param upgradeChannel string = 'patch'

@description('Node OS upgrade channel (None, Unmanaged, NodeImage, SecurityPatch).')
@allowed([
  'None'
  'Unmanaged'
  'NodeImage'
  'SecurityPatch'
])
param nodeOsUpgradeChannel string = 'NodeImage'

@description('Image Cleaner scan interval in hours (removes unused images from nodes).')
@minValue(24)
@maxValue(2160)
param imageCleanerIntervalHours int = 168

@description('Address space of the virtual network.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Address prefix of the node subnet (Azure CNI Overlay: nodes only, pods use podCidr).')
param aksSubnetPrefix string = '10.40.0.0/22'

@description('Pod CIDR of Azure CNI Overlay; must not overlap the virtual network.')
param podCidr string = '192.168.0.0/16'

@description('Kubernetes service CIDR; must not overlap the virtual network or podCidr.')
param serviceCidr string = '172.16.0.0/16'

@description('Cluster DNS service IP, inside serviceCidr.')
param dnsServiceIp string = '172.16.0.10'

@description('IP ranges allowed to reach the API server. Empty: no restriction (the function app on Flex Consumption has no fixed egress IP).')
param apiServerAuthorizedIpRanges string[] = []

@description('Object ID of a Microsoft Entra group granted Azure Kubernetes Service RBAC Cluster Admin on the cluster. Empty: none.')
param clusterAdminGroupObjectId string = ''

// ---------------------------------------------------------------------------------------------
// Registry, vault, monitoring, backups
// ---------------------------------------------------------------------------------------------

@description('Azure Container Registry SKU.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param acrSku string = 'Standard'

@description('Days a deleted vault or secret stays recoverable (soft delete; purge protection is always on).')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionDays int = 90

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logAnalyticsRetentionDays int = 30

@description('Replication of the backup storage account. Archive tier needs LRS, GRS or RA-GRS (not ZRS/GZRS).')
@allowed([
  'Standard_LRS'
  'Standard_GRS'
  'Standard_RAGRS'
])
param backupStorageSku string = 'Standard_GRS'

@description('Blob containers created in the backup account, one per kind of backup.')
param backupContainers string[] = [
  'k8s-objects'
  'postgres-dumps'
  'csi-snapshots'
  'grafana-dashboards'
  'keyvault-secrets'
  'app-data'
]

@description('Days after which backup blobs and their previous versions are deleted by the lifecycle policy (they move to cool after 30 days and to archive after 90).')
@minValue(91)
param backupRetentionDays int = 365

@description('Days deleted blobs and containers stay recoverable (blob soft delete).')
@minValue(1)
@maxValue(365)
param blobSoftDeleteRetentionDays int = 14

@description('Region of the secondary backup account (second region, docs/backups.md): the Azure paired region of `location` (UK West for UK South). Every complete backup is copied there server-side. Empty: no secondary account.')
param backupSecondaryLocation string = ''

@description('Version-level immutability (WORM) on the backup account: every blob version is immutable for backupImmutabilityDays.')
param enableBackupImmutability bool = false

@description('Days each backup blob version stays immutable when enableBackupImmutability is true; must be below backupRetentionDays.')
@minValue(1)
param backupImmutabilityDays int = 30

// ---------------------------------------------------------------------------------------------
// Function app
// ---------------------------------------------------------------------------------------------

@description('Flex Consumption: maximum number of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param functionAppMaximumInstanceCount int = 40

@description('Flex Consumption: memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionAppInstanceMemoryMB int = 2048

@description('App setting OPS_CONFIG_PATH: path of the operations config inside the deployed package.')
param opsConfigPath string = 'ops.yaml'

@description('App setting OPS_PAUSED: true starts the app with every automated action paused.')
param opsPaused bool = false

@description('App setting TASK_HUB_NAME: Durable Functions task hub (letters and digits, 3-45 characters).')
@minLength(3)
@maxLength(45)
param taskHubName string = 'aksops'

@description('Durable Functions backend (docs/scaling-out.md): AzureStorage keeps the task hub in the app storage account; DurableTaskScheduler creates a managed scheduler and task hub. The deployed package must carry the matching host.json: set the same value in AKSOPS_DURABLE_BACKEND for the package step (bicep/hooks/prepackage.sh, npm run package). A new backend starts with an empty task hub: drain running instances first.')
@allowed([
  'AzureStorage'
  'DurableTaskScheduler'
])
param durableBackend string = 'AzureStorage'

@description('AzureStorage backend: partitions of the task hub (control queues), which bound how many instances process orchestrations in parallel. Fixed when the task hub is created: a new value needs a new taskHubName.')
@minValue(1)
@maxValue(16)
param taskHubPartitionCount int = 4

@description('DurableTaskScheduler backend: billing SKU, Consumption (per action) or Dedicated (capacity units).')
@allowed([
  'Consumption'
  'Dedicated'
])
param durableTaskSchedulerSku string = 'Consumption'

@description('DurableTaskScheduler backend, Dedicated SKU: capacity units (3 for zone redundancy).')
@minValue(1)
param durableTaskSchedulerCapacity int = 1

@description('DurableTaskScheduler backend: IP ranges allowed to reach the scheduler. The Flex Consumption app has no fixed egress IP, so the default admits every address; each call still needs an Entra token with the Durable Task Data Contributor role.')
@minLength(1)
param durableTaskSchedulerIpAllowlist string[] = [
  '0.0.0.0/0'
]

@description('App setting AUDIT_TABLE_NAME: table of the audit log in the app storage account.')
param auditTableName string = 'opsaudit'

@description('App setting CONTROL_TABLE_NAME: table of control state (pause switch) in the app storage account.')
param controlTableName string = 'opscontrol'

@description('Name of the Key Vault secret holding the bearer token Alertmanager must send. Empty: no token check (ALERTMANAGER_WEBHOOK_TOKEN unset). Set the secret before deploying.')
param alertmanagerWebhookTokenSecretName string = ''

@description('Basic-auth user Alertmanager must send (ALERTMANAGER_WEBHOOK_USERNAME). Empty: no basic auth.')
param alertmanagerWebhookUsername string = ''

@description('Name of the Key Vault secret holding the basic-auth password (ALERTMANAGER_WEBHOOK_PASSWORD). Empty: unset.')
param alertmanagerWebhookPasswordSecretName string = ''

@description('Client ID of the Entra app registration for Easy Auth (bicep/hooks/preprovision.sh creates it, with the Approver and Operator app roles). Empty: no Easy Auth.')
param easyAuthClientId string = ''

// Production needs a webhook credential: without one, the function key alone posts alerts (#12).
// bicep/hooks/preprovision.sh stops `azd provision` first; this makes a direct deployment fail too
// (a non-integer string in int() fails the deployment with the message in the error).
var webhookCredentialMissing = environmentKind == 'prod' && empty(alertmanagerWebhookTokenSecretName) && empty(alertmanagerWebhookPasswordSecretName)
var webhookCredentialCheck = webhookCredentialMissing ? int('production-needs-an-Alertmanager-webhook-credential:set-AKSOPS_ALERTMANAGER_TOKEN_SECRET') : 0
// Basic auth needs both halves (the app refuses a user name alone at startup as well).
var basicAuthHalf = !empty(alertmanagerWebhookUsername) != !empty(alertmanagerWebhookPasswordSecretName)
var basicAuthCheck = basicAuthHalf ? int('alertmanagerWebhookUsername-and-alertmanagerWebhookPasswordSecretName-go-together') : 0

@description('Second phase, after the code is deployed: create the Event Grid subscription to the rotation function and the budget action group webhook (both need the deployed functions). azd sets it in the postdeploy hook.')
param connectAppEndpoints bool = false

@description('Name of the Event Grid-triggered function that receives SecretNearExpiry/SecretExpired events.')
param secretRotationFunctionName string = 'secretRotationEventGrid'

@description('Path (after the host name) of the HTTP function the budget action group calls.')
param budgetWebhookPath string = 'api/budgets/webhook'

// ---------------------------------------------------------------------------------------------
// Budgets
// ---------------------------------------------------------------------------------------------

@description('Monthly budget for the estate resource group (registry, vault, storage, monitoring, function app), in the billing currency.')
@minValue(1)
param estateMonthlyBudget int = 500

@description('Monthly budget for the AKS node resource group (node VMs, disks, load balancer), in the billing currency.')
@minValue(1)
param nodeResourceGroupMonthlyBudget int = 3000

@description('Percentages of the budget at which notifications fire (at most 5 per budget).')
@maxLength(5)
param budgetThresholds int[] = [
  50
  80
  100
  120
]

@description('E-mail addresses notified by the budgets (besides subscription Owners and, once connected, the function app).')
param budgetContactEmails string[] = []

@description('First day of the budget period, yyyy-MM-dd; must be the first of a month. Default: the first of the current month.')
param budgetStartDate string = '${utcNow('yyyy-MM')}-01'

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, {
  'azd-env-name': environmentName
  environment: environmentKind
  workload: 'aks-estate-ops'
})
var rgName = empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
var clusterName = 'aks-${resourceToken}'
var nodeResourceGroupName = 'rg-${environmentName}-aks-nodes'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: allTags
}

// ---------------------------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------------------------

module network 'modules/network.bicep' = {
  name: 'network'
  scope: rg
  params: {
    location: location
    tags: allTags
    resourceToken: resourceToken
    vnetAddressPrefix: vnetAddressPrefix
    aksSubnetPrefix: aksSubnetPrefix
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: allTags
    resourceToken: resourceToken
    logAnalyticsRetentionDays: logAnalyticsRetentionDays
  }
}

module appAlerts 'modules/app-alerts.bicep' = {
  name: 'app-alerts'
  scope: rg
  params: {
    location: location
    tags: allTags
    resourceToken: resourceToken
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module acr 'modules/acr.bicep' = {
  name: 'acr'
  scope: rg
  params: {
    location: location
    tags: allTags
    resourceToken: resourceToken
    sku: acrSku
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: allTags
    resourceToken: resourceToken
    softDeleteRetentionDays: keyVaultSoftDeleteRetentionDays
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module backupStorage 'modules/storage-backup.bicep' = {
  name: 'storage-backup'
  scope: rg
  params: {
    location: location
    tags: allTags
    resourceToken: resourceToken
    sku: backupStorageSku
    containers: backupContainers
    retentionDays: backupRetentionDays
    softDeleteRetentionDays: blobSoftDeleteRetentionDays
    enableImmutability: enableBackupImmutability
    immutabilityDays: backupImmutabilityDays
  }
}

// The same module in the paired region, with the same retention and immutability (LRS: the
// primary already holds the other copy; a second geo-replica would be a third region's worth).
module backupStorageSecondary 'modules/storage-backup.bicep' = if (!empty(backupSecondaryLocation)) {
  name: 'storage-backup-secondary'
  scope: rg
  params: {
    location: backupSecondaryLocation
    tags: allTags
    resourceToken: resourceToken
    nameSuffix: 'dr'
    sku: 'Standard_LRS'
    containers: backupContainers
    retentionDays: backupRetentionDays
    softDeleteRetentionDays: blobSoftDeleteRetentionDays
    enableImmutability: enableBackupImmutability
    immutabilityDays: backupImmutabilityDays
  }
}

module aks 'modules/aks.bicep' = {
  name: 'aks'
  scope: rg
  params: {
    location: location
    tags: allTags
    clusterName: clusterName
    nodeResourceGroupName: nodeResourceGroupName
    kubernetesVersion: kubernetesVersion
    skuTier: aksSkuTier
    availabilityZones: availabilityZones
    nodePools: nodePools
    autoScalerProfile: clusterAutoscalerProfile
    maintenanceWindow: maintenanceWindow
    upgradeChannel: upgradeChannel
    nodeOsUpgradeChannel: nodeOsUpgradeChannel
    imageCleanerIntervalHours: imageCleanerIntervalHours
    vnetName: network.outputs.vnetName
    subnetName: network.outputs.aksSubnetName
    podCidr: podCidr
    serviceCidr: serviceCidr
    dnsServiceIp: dnsServiceIp
    apiServerAuthorizedIpRanges: apiServerAuthorizedIpRanges
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    prometheusDataCollectionRuleId: monitoring.outputs.prometheusDataCollectionRuleId
    containerInsightsDataCollectionRuleId: monitoring.outputs.containerInsightsDataCollectionRuleId
  }
}

var useDurableTaskScheduler = durableBackend == 'DurableTaskScheduler'

module durableTaskScheduler 'modules/durable-task-scheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    location: location
    tags: allTags
    resourceToken: resourceToken
    skuName: durableTaskSchedulerSku
    skuCapacity: durableTaskSchedulerCapacity
    ipAllowlist: durableTaskSchedulerIpAllowlist
    taskHubName: taskHubName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    location: location
    tags: allTags
    resourceToken: resourceToken
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    // + the two checks (0, or a failed deployment naming the fix): referencing them makes ARM evaluate them.
    maximumInstanceCount: functionAppMaximumInstanceCount + webhookCredentialCheck + basicAuthCheck
    instanceMemoryMB: functionAppInstanceMemoryMB
    opsConfigPath: opsConfigPath
    opsPaused: opsPaused
    taskHubName: taskHubName
    durableBackend: durableBackend
    taskHubPartitionCount: taskHubPartitionCount
    durableTaskSchedulerEndpoint: useDurableTaskScheduler ? durableTaskScheduler.outputs.endpoint : ''
    auditTableName: auditTableName
    controlTableName: controlTableName
    keyVaultName: keyVault.outputs.name
    keyVaultUri: keyVault.outputs.uri
    backupBlobServiceUri: backupStorage.outputs.blobServiceUri
    backupSecondaryBlobServiceUri: empty(backupSecondaryLocation) ? '' : backupStorageSecondary.outputs.blobServiceUri
    prometheusQueryEndpoint: monitoring.outputs.prometheusQueryEndpoint
    alertmanagerWebhookTokenSecretName: alertmanagerWebhookTokenSecretName
    alertmanagerWebhookUsername: alertmanagerWebhookUsername
    alertmanagerWebhookPasswordSecretName: alertmanagerWebhookPasswordSecretName
    easyAuthClientId: easyAuthClientId
  }
}

module roleDefinitions 'modules/role-definitions.bicep' = {
  name: 'role-definitions'
  params: {
    resourceGroupName: rg.name
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    appPrincipalId: functionApp.outputs.principalId
    kubeletObjectId: aks.outputs.kubeletObjectId
    clusterAdminGroupObjectId: clusterAdminGroupObjectId
    customRoleIds: roleDefinitions.outputs.roleDefinitionIds
    clusterName: aks.outputs.clusterName
    keyVaultName: keyVault.outputs.name
    backupStorageAccountName: backupStorage.outputs.name
    backupSecondaryStorageAccountName: empty(backupSecondaryLocation) ? '' : backupStorageSecondary.outputs.name
    appStorageAccountName: functionApp.outputs.storageAccountName
    azureMonitorWorkspaceName: monitoring.outputs.azureMonitorWorkspaceName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    containerRegistryName: acr.outputs.name
    durableTaskSchedulerName: useDurableTaskScheduler ? durableTaskScheduler.outputs.name : ''
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    location: location
    tags: allTags
    keyVaultName: keyVault.outputs.name
    functionAppName: functionApp.outputs.name
    connectAppEndpoints: connectAppEndpoints
    secretRotationFunctionName: secretRotationFunctionName
  }
  dependsOn: [
    roles
  ]
}

module estateBudget 'modules/budgets.bicep' = {
  name: 'budget-estate'
  scope: rg
  params: {
    tags: allTags
    budgetName: 'budget-${environmentName}-estate'
    amount: estateMonthlyBudget
    thresholds: budgetThresholds
    contactEmails: budgetContactEmails
    startDate: budgetStartDate
    appPrincipalId: functionApp.outputs.principalId
    createActionGroup: connectAppEndpoints
    actionGroupName: 'ag-budget-${resourceToken}'
    actionGroupId: ''
    functionAppName: functionApp.outputs.name
    functionAppResourceGroupName: rg.name
    budgetWebhookPath: budgetWebhookPath
  }
}

module nodeResourceGroupBudget 'modules/budgets.bicep' = {
  name: 'budget-aks-nodes'
  scope: resourceGroup(nodeResourceGroupName)
  params: {
    tags: allTags
    budgetName: 'budget-${environmentName}-aks-nodes'
    amount: nodeResourceGroupMonthlyBudget
    thresholds: budgetThresholds
    contactEmails: budgetContactEmails
    startDate: budgetStartDate
    appPrincipalId: functionApp.outputs.principalId
    createActionGroup: false
    actionGroupName: ''
    actionGroupId: estateBudget.outputs.actionGroupId
    functionAppName: functionApp.outputs.name
    functionAppResourceGroupName: rg.name
    budgetWebhookPath: budgetWebhookPath
  }
  dependsOn: [
    aks
  ]
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd stores them in .azure/<env>/.env). No secrets here.
// ---------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
output AZURE_FUNCTION_APP_CLIENT_ID string = functionApp.outputs.clientId
output AZURE_AKS_CLUSTER_NAME string = aks.outputs.clusterName
output AZURE_AKS_NODE_RESOURCE_GROUP string = aks.outputs.nodeResourceGroup
output AZURE_AKS_OIDC_ISSUER_URL string = aks.outputs.oidcIssuerUrl
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = acr.outputs.loginServer
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output BACKUP_STORAGE_ACCOUNT_NAME string = backupStorage.outputs.name
output AZURE_MONITOR_WORKSPACE_ID string = monitoring.outputs.azureMonitorWorkspaceId
output AZURE_MONITOR_PROMETHEUS_QUERY_ENDPOINT string = monitoring.outputs.prometheusQueryEndpoint
