// Development: smallest sensible estate. Deploy with
//   az deployment sub what-if -l <region> -f bicep/main.bicep -p bicep/env/dev.bicepparam
//   az deployment sub create  -l <region> -f bicep/main.bicep -p bicep/env/dev.bicepparam
// The region comes from -l (main.bicep: location defaults to deployment().location).
using '../main.bicep'

param environmentName = 'aksops-dev'
param environmentKind = 'dev'
param aksSkuTier = 'Free'
param acrSku = 'Basic'
param keyVaultSoftDeleteRetentionDays = 7
param logAnalyticsRetentionDays = 30
param backupStorageSku = 'Standard_LRS'
param backupRetentionDays = 120
param enableBackupImmutability = false
param functionAppMaximumInstanceCount = 10
param opsPaused = true
param estateMonthlyBudget = 200
param nodeResourceGroupMonthlyBudget = 1500
param connectAppEndpoints = false
// Durable backend (docs/scaling-out.md): the same variable `npm run package` reads for host.json, so
// `AKSOPS_DURABLE_BACKEND=DurableTaskScheduler` on both commands switches the deployment and the package.
param durableBackend = readEnvironmentVariable('AKSOPS_DURABLE_BACKEND', 'AzureStorage')
