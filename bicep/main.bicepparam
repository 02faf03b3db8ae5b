// Parameters for `azd up` / `azd provision` (azure.yaml: infra.path bicep, module main).
// azd exports its environment (AZURE_ENV_NAME, AZURE_LOCATION and anything set with `azd env set`)
// and this file reads it, so one file serves every azd environment. For az CLI deployments use the
// files in env/ instead.
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')
param location = readEnvironmentVariable('AZURE_LOCATION')
param environmentKind = readEnvironmentVariable('AKSOPS_ENVIRONMENT_KIND', 'dev')
param aksSkuTier = readEnvironmentVariable('AKSOPS_AKS_SKU_TIER', 'Standard')
param clusterAdminGroupObjectId = readEnvironmentVariable('AKSOPS_ADMIN_GROUP_OBJECT_ID', '')
param enableBackupImmutability = bool(readEnvironmentVariable('AKSOPS_BACKUP_IMMUTABILITY', 'false'))
param alertmanagerWebhookTokenSecretName = readEnvironmentVariable('AKSOPS_ALERTMANAGER_TOKEN_SECRET', '')
// The Durable backend (docs/scaling-out.md). bicep/hooks/prepackage.sh reads the same variable to ship
// the matching host.json, so one `azd env set AKSOPS_DURABLE_BACKEND DurableTaskScheduler` switches both.
param durableBackend = readEnvironmentVariable('AKSOPS_DURABLE_BACKEND', 'AzureStorage')
param taskHubPartitionCount = int(readEnvironmentVariable('AKSOPS_TASK_HUB_PARTITION_COUNT', '4'))
// Set by bicep/hooks/preprovision.sh (the Entra app registration with the Approver/Operator roles).
param easyAuthClientId = readEnvironmentVariable('AKSOPS_EASY_AUTH_CLIENT_ID', '')
// Set to true by bicep/hooks/postdeploy.sh once the functions exist (second provision).
param connectAppEndpoints = bool(readEnvironmentVariable('AKSOPS_CONNECT_APP_ENDPOINTS', 'false'))
param budgetContactEmails = empty(readEnvironmentVariable('AKSOPS_BUDGET_EMAIL', '')) ? [] : [
  readEnvironmentVariable('AKSOPS_BUDGET_EMAIL', '')
]
