// Role assignments of the operations app (and the kubelet, and the optional cluster admin group),
// each at the narrowest scope that covers what the code does. Every assignment here (and the two
// outside: aks.bicep subnet join, budgets.bicep Cost Management Reader) has an entry in
// bicep/permissions.json naming the code path and the operations; test/bicep/permissions.test.ts
// fails on an assignment without an entry, an entry without an assignment, a role that does not
// grant the entry's operations, or a scope wider than the entry allows.
// Names: guid(scope, principal, role) (aks-baseline uses the same pattern); principalType set so
// ARM does not wait for directory replication of new identities.
// Built-in role IDs verified against learn.microsoft.com/azure/role-based-access-control/built-in-roles
// (see bicep/builtin-roles.json for the sources).

@description('Principal (object) ID of the function app\'s user-assigned identity.')
param appPrincipalId string

@description('Object ID of the AKS kubelet identity.')
param kubeletObjectId string

@description('Object ID of the Entra group that gets Azure Kubernetes Service RBAC Cluster Admin; empty for none.')
param clusterAdminGroupObjectId string

@description('IDs of the custom roles from role-definitions.bicep (agentPoolOperator, kubernetesOperator).')
param customRoleIds object

@description('Name of the AKS cluster.')
param clusterName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Name of the backup storage account.')
param backupStorageAccountName string

@description('Name of the secondary backup storage account (paired region). Empty: none.')
param backupSecondaryStorageAccountName string = ''

@description('Name of the function app\'s own storage account.')
param appStorageAccountName string

@description('Name of the Azure Monitor workspace (managed Prometheus).')
param azureMonitorWorkspaceName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the container registry.')
param containerRegistryName string

@description('Name of the Durable Task Scheduler (durableBackend DurableTaskScheduler). Empty: none.')
param durableTaskSchedulerName string = ''

var builtInRoles = {
  aksClusterUser: '4abbcc35-e782-43d8-92c5-2d3f1bd2253f'
  aksRbacClusterAdmin: 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringDataReader: 'b0d8363b-8ddd-447d-831f-62ca05bff136'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402'
}

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: clusterName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource backupStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: backupStorageAccountName
}

resource backupStorageSecondary 'Microsoft.Storage/storageAccounts@2023-05-01' existing = if (!empty(backupSecondaryStorageAccountName)) {
  name: backupSecondaryStorageAccountName
}

resource appStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: appStorageAccountName
}

resource durableTaskScheduler 'Microsoft.DurableTask/schedulers@2026-02-01' existing = if (!empty(durableTaskSchedulerName)) {
  name: durableTaskSchedulerName
}

resource azureMonitorWorkspace 'Microsoft.Monitor/accounts@2023-04-03' existing = {
  name: azureMonitorWorkspaceName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: containerRegistryName
}

// --- AKS ---------------------------------------------------------------------------------------

resource appClusterUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(cluster.id, appPrincipalId, builtInRoles.aksClusterUser)
  scope: cluster
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.aksClusterUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-aks-credentials: read the cluster endpoint and CA (listClusterUserCredential).'
  }
}

resource appKubernetesOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(cluster.id, appPrincipalId, customRoleIds.kubernetesOperator)
  scope: cluster
  properties: {
    roleDefinitionId: customRoleIds.kubernetesOperator
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-aks-data-plane: Kubernetes API calls of runbooks, rotation, backups and scaling.'
  }
}

resource appAgentPoolOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(cluster.id, appPrincipalId, customRoleIds.agentPoolOperator)
  scope: cluster
  properties: {
    roleDefinitionId: customRoleIds.agentPoolOperator
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-aks-node-pools: predictive scaling and budget actions on node pools; stop/start.'
  }
}

resource adminGroupClusterAdmin 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(clusterAdminGroupObjectId)) {
  name: guid(cluster.id, clusterAdminGroupObjectId, builtInRoles.aksRbacClusterAdmin)
  scope: cluster
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.aksRbacClusterAdmin)
    principalId: clusterAdminGroupObjectId
    principalType: 'Group'
    description: 'permissions.json#admins-aks-cluster-admin: break-glass human administration (local accounts are disabled).'
  }
}

resource adminGroupClusterUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(clusterAdminGroupObjectId)) {
  name: guid(cluster.id, clusterAdminGroupObjectId, builtInRoles.aksClusterUser)
  scope: cluster
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.aksClusterUser)
    principalId: clusterAdminGroupObjectId
    principalType: 'Group'
    description: 'permissions.json#admins-aks-credentials: administrators fetch the kubeconfig (az aks get-credentials).'
  }
}

// --- Key Vault ---------------------------------------------------------------------------------

resource appSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, builtInRoles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.keyVaultSecretsOfficer)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-keyvault-secrets: rotation writes new versions; backups and Key Vault references read secrets.'
  }
}

// --- Storage -----------------------------------------------------------------------------------

resource appBackupWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(backupStorage.id, appPrincipalId, builtInRoles.storageBlobDataContributor)
  scope: backupStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageBlobDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-backup-blobs: write, list, read (verify, restore) and prune backups.'
  }
}

resource appBackupSecondaryWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(backupSecondaryStorageAccountName)) {
  name: guid(backupStorageSecondary.id, appPrincipalId, builtInRoles.storageBlobDataContributor)
  scope: backupStorageSecondary
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageBlobDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-backup-blobs-secondary: copy backups into the secondary account, verify, restore and prune there.'
  }
}

resource appDurableTaskScheduler 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(durableTaskSchedulerName)) {
  name: guid(durableTaskScheduler.id, appPrincipalId, builtInRoles.durableTaskDataContributor)
  scope: durableTaskScheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.durableTaskDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-durable-task-scheduler: the Durable Functions task hub in the managed scheduler (durableBackend DurableTaskScheduler).'
  }
}

resource appHostBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appStorage.id, appPrincipalId, builtInRoles.storageBlobDataOwner)
  scope: appStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-host-blobs: Flex Consumption deployment package, host leases, Durable Functions large messages.'
  }
}

resource appHostQueues 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appStorage.id, appPrincipalId, builtInRoles.storageQueueDataContributor)
  scope: appStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-host-queues: Durable Functions control and work-item queues.'
  }
}

resource appHostTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appStorage.id, appPrincipalId, builtInRoles.storageTableDataContributor)
  scope: appStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-tables: Durable Functions history and instances, the audit log, control state.'
  }
}

// --- Monitoring --------------------------------------------------------------------------------

resource appPrometheusReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(azureMonitorWorkspace.id, appPrincipalId, builtInRoles.monitoringDataReader)
  scope: azureMonitorWorkspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.monitoringDataReader)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-prometheus-query: PromQL queries for remediation checks and scaling forecasts.'
  }
}

resource appTelemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, builtInRoles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-telemetry: Entra-authenticated Application Insights ingestion (local auth is disabled).'
  }
}

// --- Registry ----------------------------------------------------------------------------------

resource kubeletAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, kubeletObjectId, builtInRoles.acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.acrPull)
    principalId: kubeletObjectId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#kubelet-acr-pull: nodes pull the estate\'s images.'
  }
}
