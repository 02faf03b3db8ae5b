// Event Grid system topic on the Key Vault and, once the code is deployed, a subscription that
// delivers Microsoft.KeyVault.SecretNearExpiry / SecretExpired to the rotation function.
// Destination shape: Azure/bicep-registry-modules avm/res/event-grid/system-topic/event-subscription
// and Microsoft.EventGrid eventSubscriptions (AzureFunction endpoint: resourceId of the function).
// An AzureFunction endpoint is validated against the deployed function, hence connectAppEndpoints
// (false on the first provision, true after azd deploy: see bicep/hooks/postdeploy.sh).

@description('Region of the system topic (the vault\'s region).')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Name of the Key Vault whose events are published.')
param keyVaultName string

@description('Name of the function app hosting the rotation trigger.')
param functionAppName string

@description('Create the event subscription (the function must already be deployed).')
param connectAppEndpoints bool

@description('Name of the Event Grid-triggered rotation function.')
param secretRotationFunctionName string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource vaultTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'evgt-${keyVaultName}'
  location: location
  tags: tags
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }

  resource rotationSubscription 'eventSubscriptions' = if (connectAppEndpoints) {
    name: 'secret-rotation'
    properties: {
      destination: {
        endpointType: 'AzureFunction'
        properties: {
          resourceId: '${site.id}/functions/${secretRotationFunctionName}'
          maxEventsPerBatch: 1
          preferredBatchSizeInKilobytes: 64
        }
      }
      filter: {
        includedEventTypes: [
          'Microsoft.KeyVault.SecretNearExpiry'
          'Microsoft.KeyVault.SecretExpired'
        ]
      }
      eventDeliverySchema: 'EventGridSchema'
      retryPolicy: {
        maxDeliveryAttempts: 30
        eventTimeToLiveInMinutes: 1440
      }
    }
  }
}

@description('Name of the Key Vault system topic.')
output systemTopicName string = vaultTopic.name
