// Staging: production shape at lower budgets. Deploy with
//   az deployment sub what-if -l <region> -f bicep/main.bicep -p bicep/env/staging.bicepparam
//   az deployment sub create  -l <region> -f bicep/main.bicep -p bicep/env/staging.bicepparam
using '../main.bicep'

param environmentName = 'aksops-staging'
param environmentKind = 'staging'
param aksSkuTier = 'Standard'
param acrSku = 'Standard'
param keyVaultSoftDeleteRetentionDays = 30
param logAnalyticsRetentionDays = 30
param backupStorageSku = 'Standard_GRS'
param backupRetentionDays = 180
param enableBackupImmutability = true
param backupImmutabilityDays = 14
param functionAppMaximumInstanceCount = 20
param estateMonthlyBudget = 300
param nodeResourceGroupMonthlyBudget = 2500
param connectAppEndpoints = true
// Durable backend (docs/scaling-out.md): the same variable `npm run package` reads for host.json, so
// `AKSOPS_DURABLE_BACKEND=DurableTaskScheduler` on both commands switches the deployment and the package.
param durableBackend = readEnvironmentVariable('AKSOPS_DURABLE_BACKEND', 'AzureStorage')
