// The operations function app on Flex Consumption, Node 22, with a user-assigned managed identity
// and identity-based AzureWebJobsStorage (blob, queue and table URIs: Durable Functions needs all three).
// Shape follows Azure-Samples/functions-quickstart-javascript-azd infra/app/api.bicep and
// Azure-Samples/functions-quickstart-typescript-azd infra/core/host/functions-flexconsumption.bicep
// (functionAppConfig.deployment.storage with UserAssignedIdentity, scaleAndConcurrency, runtime).
// App settings: every setting src/config/settings.ts marks requiredInAzure (checked by
// test/bicep/app-settings.test.ts); secrets only as Key Vault references; nothing Flex rejects
// (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, ...).

@description('Region of the app and its storage.')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Token that makes resource names unique.')
param resourceToken string

@description('Name of the Application Insights component the app reports to.')
param applicationInsightsName string

@description('Maximum number of instances.')
param maximumInstanceCount int

@description('Memory per instance in MB.')
param instanceMemoryMB int

@description('OPS_CONFIG_PATH.')
param opsConfigPath string

@description('OPS_PAUSED.')
param opsPaused bool

@description('TASK_HUB_NAME.')
param taskHubName string

@description('Durable Functions backend: AzureStorage or DurableTaskScheduler (main.bicep durableBackend).')
@allowed([
  'AzureStorage'
  'DurableTaskScheduler'
])
param durableBackend string

@description('AzureStorage backend: partition count of the task hub (1-16).')
@minValue(1)
@maxValue(16)
param taskHubPartitionCount int

@description('DurableTaskScheduler backend: endpoint of the scheduler. Empty with AzureStorage.')
param durableTaskSchedulerEndpoint string

@description('AUDIT_TABLE_NAME.')
param auditTableName string

@description('CONTROL_TABLE_NAME.')
param controlTableName string

@description('Name of the Key Vault that holds the app secrets referenced from app settings.')
param keyVaultName string

@description('URI of the Key Vault (KEY_VAULT_URI, for secret rotation and backups).')
param keyVaultUri string

@description('Blob service URI of the backup account (BACKUP_BLOB_SERVICE_URI).')
param backupBlobServiceUri string

@description('Blob service URI of the secondary backup account in the paired region (BACKUP_SECONDARY_BLOB_SERVICE_URI). Empty: none.')
param backupSecondaryBlobServiceUri string = ''

@description('PromQL endpoint of the Azure Monitor workspace (AZURE_MONITOR_PROMETHEUS_QUERY_ENDPOINT).')
param prometheusQueryEndpoint string

@description('Key Vault secret name of ALERTMANAGER_WEBHOOK_TOKEN; empty leaves the setting unset.')
param alertmanagerWebhookTokenSecretName string

@description('ALERTMANAGER_WEBHOOK_USERNAME; empty leaves the setting unset.')
param alertmanagerWebhookUsername string

@description('Client ID of the Entra app registration for App Service Authentication (Easy Auth; bicep/hooks/preprovision.sh creates it with the Approver and Operator app roles). Empty: no Easy Auth, RUNBOOKS_AUTH stays function-key.')
param easyAuthClientId string = ''

@description('Paths Easy Auth lets through unauthenticated: the webhooks, which keep their own credentials (Alertmanager token or basic auth; the budget function key).')
param easyAuthExcludedPaths string[] = [
  '/api/alerts/alertmanager'
  '/api/budgets/webhook'
]

@description('Key Vault secret name of ALERTMANAGER_WEBHOOK_PASSWORD; empty leaves the setting unset.')
param alertmanagerWebhookPasswordSecretName string

@description('azd service name (azure.yaml services.<name>); azd finds the app by this tag.')
param azdServiceName string = 'api'

var appName = 'func-${resourceToken}'
// Flex Consumption deploys from a blob container of the app's own storage account.
var deploymentContainerName = 'app-package-${take(appName, 32)}'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-func-${resourceToken}'
  location: location
  tags: tags
}

resource appStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stfn${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// Identity-based host storage: https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
var hostStorageSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: appStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: appStorage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: appStorage.properties.primaryEndpoints.table
}

// Entra-authenticated telemetry (the component has local auth disabled).
var monitoringSettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
}

// Flags for the Node worker process (languageWorkers__node__arguments, as the
// Azure/azure-functions-nodejs-worker README documents): a 2 MiB young generation collects the
// exec WebSocket frames a backup stream has consumed sooner, which keeps each backup stream's
// peak RSS under 200 MB (docs/benchmarks.md, backup.stream) at no measured cost in throughput.
var workerSettings = {
  languageWorkers__node__arguments: '--max-semi-space-size=2'
}

// Settings src/config/settings.ts reads (requiredInAzure: true).
var appCodeSettings = {
  OPS_CONFIG_PATH: opsConfigPath
  // Lower-case: ARM's string(bool) yields 'True'/'False'.
  OPS_PAUSED: opsPaused ? 'true' : 'false'
  TASK_HUB_NAME: taskHubName
  AUDIT_TABLE_NAME: auditTableName
  CONTROL_TABLE_NAME: controlTableName
  AZURE_CLIENT_ID: identity.properties.clientId
}

// The Durable backend (docs/scaling-out.md). Azure Storage: the task hub's partition count through
// the host.json override app settings provide (AzureFunctionsJobHost__<path>,
// learn.microsoft.com/azure/azure-functions/functions-app-settings#azurefunctionsjobhost__).
// Durable Task Scheduler: the connection host.json's storageProvider names (src/deploy/host-json.ts),
// identity-based with the user-assigned identity (ClientID), no key.
var durableStorageSettings = {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount: string(taskHubPartitionCount)
}
var durableSchedulerSettings = {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identity.properties.clientId}'
}
var durableBackendSettings = durableBackend == 'DurableTaskScheduler' ? durableSchedulerSettings : durableStorageSettings

// Endpoints the backup, rotation and scaling jobs need; provisioned ahead of their code
// (docs/deployment.md lists them so settings.ts can adopt the same names).
var estateEndpointSettings = union({
  KEY_VAULT_URI: keyVaultUri
  BACKUP_BLOB_SERVICE_URI: backupBlobServiceUri
  AZURE_MONITOR_PROMETHEUS_QUERY_ENDPOINT: prometheusQueryEndpoint
}, empty(backupSecondaryBlobServiceUri) ? {} : { BACKUP_SECONDARY_BLOB_SERVICE_URI: backupSecondaryBlobServiceUri })

// Optional webhook credentials: secrets only as Key Vault references, resolved with the
// user-assigned identity (keyVaultReferenceIdentity below). Unset when no secret is named, so an
// unresolved reference can never become the expected token.
var webhookTokenReference = {
  ALERTMANAGER_WEBHOOK_TOKEN: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${alertmanagerWebhookTokenSecretName})'
}
var webhookUsernameValue = {
  ALERTMANAGER_WEBHOOK_USERNAME: alertmanagerWebhookUsername
}
var webhookPasswordReference = {
  ALERTMANAGER_WEBHOOK_PASSWORD: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${alertmanagerWebhookPasswordSecretName})'
}
var webhookTokenSetting = empty(alertmanagerWebhookTokenSecretName) ? {} : webhookTokenReference
var webhookUsernameSetting = empty(alertmanagerWebhookUsername) ? {} : webhookUsernameValue
var webhookPasswordSetting = empty(alertmanagerWebhookPasswordSecretName) ? {} : webhookPasswordReference

// Behind Easy Auth every on-call route needs a signed-in principal with its app role
// (src/oncall/identity.ts); App Service itself sets WEBSITE_AUTH_ENABLED, which the app checks.
var easyAuthModeSetting = empty(easyAuthClientId) ? {} : { RUNBOOKS_AUTH: 'easy-auth' }

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, {
    'azd-service-name': azdServiceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${appStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(hostStorageSettings, monitoringSettings, workerSettings, appCodeSettings, durableBackendSettings, estateEndpointSettings, webhookTokenSetting, webhookUsernameSetting, webhookPasswordSetting, easyAuthModeSetting)
  }

  // App Service Authentication (authsettingsV2): Entra ID sign-in required (401 for APIs), the
  // webhook paths excluded. Tokens must be issued for this app (audience api://<clientId>).
  resource authSettings 'config' = if (!empty(easyAuthClientId)) {
    name: 'authsettingsV2'
    properties: {
      platform: {
        enabled: true
      }
      globalValidation: {
        requireAuthentication: true
        unauthenticatedClientAction: 'Return401'
        excludedPaths: easyAuthExcludedPaths
      }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: {
            clientId: easyAuthClientId
            openIdIssuer: 'https://login.microsoftonline.com/${tenant().tenantId}/v2.0'
          }
          validation: {
            allowedAudiences: [
              'api://${easyAuthClientId}'
              easyAuthClientId
            ]
          }
        }
      }
      login: {
        tokenStore: {
          enabled: false
        }
      }
    }
  }

  // No publishing with basic credentials: azd and the Functions tools deploy with Entra tokens.
  resource scmBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }

  resource ftpBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }
}

@description('Name of the function app.')
output name string = site.name

@description('Resource ID of the function app.')
output id string = site.id

@description('Base URI of the function app.')
output uri string = 'https://${site.properties.defaultHostName}'

@description('Principal (object) ID of the app identity, for role assignments.')
output principalId string = identity.properties.principalId

@description('Client ID of the app identity (AZURE_CLIENT_ID).')
output clientId string = identity.properties.clientId

@description('Name of the app storage account (host, Durable Functions task hub, audit tables, deployment package).')
output storageAccountName string = appStorage.name
