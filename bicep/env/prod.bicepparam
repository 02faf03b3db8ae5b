// Production. Always run what-if first and review the role assignment and node pool changes:
//   az deployment sub what-if -l <region> -f bicep/main.bicep -p bicep/env/prod.bicepparam
//   az deployment sub create  -l <region> -f bicep/main.bicep -p bicep/env/prod.bicepparam
// The first deployment of a new environment runs with connectAppEndpoints = false, then the code is
// published, then this file (connectAppEndpoints = true) wires Event Grid and the budget webhook.
using '../main.bicep'

param environmentName = 'aksops-prod'
param environmentKind = 'prod'
param aksSkuTier = 'Standard'
param acrSku = 'Premium'
param keyVaultSoftDeleteRetentionDays = 90
param logAnalyticsRetentionDays = 90
param backupStorageSku = 'Standard_RAGRS'
param backupRetentionDays = 365
param enableBackupImmutability = true
param backupImmutabilityDays = 30
// Second region: the paired region of the production region (UK West for UK South, docs/backups.md),
// from the environment like the region itself: AZURE_BACKUP_SECONDARY_LOCATION=ukwest.
param backupSecondaryLocation = readEnvironmentVariable('AZURE_BACKUP_SECONDARY_LOCATION', '')
param functionAppMaximumInstanceCount = 40
param estateMonthlyBudget = 500
param nodeResourceGroupMonthlyBudget = 3000
param connectAppEndpoints = true
// Durable backend (docs/scaling-out.md): the same variable `npm run package` reads for host.json, so
// `AKSOPS_DURABLE_BACKEND=DurableTaskScheduler` on both commands switches the deployment and the package.
param durableBackend = readEnvironmentVariable('AKSOPS_DURABLE_BACKEND', 'AzureStorage')
