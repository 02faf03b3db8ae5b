// Backup storage: blob versioning, soft delete for blobs and containers, optional version-level
// immutability (WORM), lifecycle cool -> archive -> delete, one container per kind of backup.
// No public access, TLS 1.2, no shared keys (Entra only: the app has Storage Blob Data Contributor).
// Property names: Microsoft.Storage 2023-05-01 (storageAccounts immutableStorageWithVersioning,
// blobServices deleteRetentionPolicy/isVersioningEnabled, managementPolicies baseBlob/version actions).

@description('Region of the account.')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Token that makes resource names unique.')
param resourceToken string

@description('Appended to the account name: empty for the primary, "dr" for the secondary in the paired region.')
@maxLength(4)
param nameSuffix string = ''

@description('Replication SKU (LRS, GRS or RA-GRS: the archive tier is not available on ZRS/GZRS).')
param sku string

@description('Backup containers to create.')
param containers string[]

@description('Days after which backup blobs and previous versions are deleted.')
param retentionDays int

@description('Days deleted blobs and containers stay recoverable.')
param softDeleteRetentionDays int

@description('Enable version-level immutability with a default policy of immutabilityDays.')
param enableImmutability bool

@description('Days each blob version stays immutable.')
param immutabilityDays int

@description('Days after the last modification when backups move to the cool tier.')
param coolAfterDays int = 30

@description('Days after the last modification when backups move to the archive tier.')
param archiveAfterDays int = 90

// Default policy for every blob version: immutable for immutabilityDays after creation. 'Unlocked'
// keeps the policy adjustable; lock it by hand once the period is agreed (a locked policy can only grow).
var versionLevelImmutability = {
  enabled: true
  immutabilityPolicy: {
    immutabilityPeriodSinceCreationInDays: immutabilityDays
    state: 'Unlocked'
    allowProtectedAppendWrites: false
  }
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stbk${resourceToken}${nameSuffix}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: sku
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
    immutableStorageWithVersioning: enableImmutability ? versionLevelImmutability : null
  }

  resource blobService 'blobServices' = {
    name: 'default'
    properties: {
      isVersioningEnabled: true
      changeFeed: {
        enabled: true
        retentionInDays: retentionDays
      }
      deleteRetentionPolicy: {
        enabled: true
        days: softDeleteRetentionDays
      }
      containerDeleteRetentionPolicy: {
        enabled: true
        days: softDeleteRetentionDays
      }
    }

    resource backupContainer 'containers' = [for container in containers: {
      name: container
      properties: {
        publicAccess: 'None'
      }
    }]
  }

  resource lifecycle 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        rules: [
          {
            name: 'backup-tiering-and-retention'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: [
                  'blockBlob'
                ]
                prefixMatch: containers
              }
              actions: {
                baseBlob: {
                  tierToCool: {
                    daysAfterModificationGreaterThan: coolAfterDays
                  }
                  tierToArchive: {
                    daysAfterModificationGreaterThan: archiveAfterDays
                  }
                  delete: {
                    daysAfterModificationGreaterThan: retentionDays
                  }
                }
                version: {
                  tierToCool: {
                    daysAfterCreationGreaterThan: coolAfterDays
                  }
                  tierToArchive: {
                    daysAfterCreationGreaterThan: archiveAfterDays
                  }
                  delete: {
                    daysAfterCreationGreaterThan: retentionDays
                  }
                }
              }
            }
          }
        ]
      }
    }
    dependsOn: [
      blobService::backupContainer
    ]
  }
}

@description('Name of the backup account.')
output name string = account.name

@description('Blob service URI of the backup account.')
output blobServiceUri string = account.properties.primaryEndpoints.blob

@description('Names of the backup containers.')
output containerNames string[] = containers
