// Key Vault for the estate's secrets: RBAC authorisation (no access policies), soft delete and
// purge protection, audit logs to Log Analytics (aks-baseline: kv and kv_diagnosticSettings).

@description('Region of the vault.')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Token that makes resource names unique.')
param resourceToken string

@description('Days a deleted vault or secret stays recoverable.')
param softDeleteRetentionDays int

@description('Resource ID of the Log Analytics workspace receiving the audit log.')
param logAnalyticsWorkspaceId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'default'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

@description('Name of the vault.')
output name string = vault.name

@description('Resource ID of the vault.')
output id string = vault.id

@description('URI of the vault (https://<name>.vault.azure.net/).')
output uri string = vault.properties.vaultUri
