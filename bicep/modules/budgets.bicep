// A monthly cost budget on this module's resource group, notifications to Owners, e-mail and (once
// the code is deployed) an action group whose webhook calls the function app's budget endpoint,
// and Cost Management Reader for the app on this resource group (the budget's scope).
// Budget shape: Azure/bicep-registry-modules avm/res/consumption/budget/rg-scope/main.bicep
// (Microsoft.Consumption/budgets 2023-11-01, notifications keyed by name).
//
// The webhook URL carries a function key: https://<app>/<budgetWebhookPath>?code=<key>. The key is
// the budget webhook FUNCTION's own default key (listKeys on <site>/functions/<name>, the ARM
// "List Function Keys" operation), never a host key: a host key opens every authLevel-function
// route (approvals, pause, restores), this one opens only the budget webhook (#12,
// docs/security.md). It goes only into the action group and is never an output. Anyone who can
// read the action group can read it; rotate it by renewing the function key and redeploying.

@description('Tags applied to every resource this module creates that supports tags.')
param tags object

@description('Name of the budget.')
param budgetName string

@description('Monthly amount in the billing currency.')
param amount int

@description('Percentages of the amount at which notifications fire.')
param thresholds int[]

@description('E-mail addresses notified.')
param contactEmails string[]

@description('First day of the budget, yyyy-MM-dd (first of a month).')
param startDate string

@description('Principal ID of the function app identity (Cost Management Reader on this scope).')
param appPrincipalId string

@description('Create the action group that calls the function app (requires the code to be deployed).')
param createActionGroup bool

@description('Name of the action group to create when createActionGroup is true.')
param actionGroupName string

@description('Resource ID of an existing action group to notify; empty for none.')
param actionGroupId string

@description('Name of the function app whose budget endpoint the action group calls.')
param functionAppName string

@description('Resource group of the function app.')
param functionAppResourceGroupName string

@description('Path of the budget endpoint after the host name.')
param budgetWebhookPath string

@description('Name of the budget webhook function (functions/budgets.ts budgetsWebhook): its own key is the only one the action group gets.')
param budgetWebhookFunctionName string = 'budgetsWebhook'

var costManagementReaderRoleId = '72fafb9e-0641-4937-9268-a91bfd8191a3'

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
  scope: resourceGroup(functionAppResourceGroupName)
}

resource budgetActionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (createActionGroup) {
  name: empty(actionGroupName) ? 'ag-budget' : actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'aksopsbudg'
    enabled: true
    webhookReceivers: [
      {
        name: 'aksops-budget-webhook'
        serviceUri: 'https://${site.properties.defaultHostName}/${budgetWebhookPath}?code=${listKeys('${site.id}/functions/${budgetWebhookFunctionName}', '2024-04-01').default}'
        // false: the endpoint parses the budget's own payload (schemaId "AIP Budget Notification").
        // Budget alerts honour this flag (common-schema support since 2022), and
        // src/budget/notification.ts rejects the common schema with a 400.
        useCommonAlertSchema: false
      }
    ]
  }
}

var actionGroups = createActionGroup ? [budgetActionGroup.id] : (empty(actionGroupId) ? [] : [actionGroupId])

resource budget 'Microsoft.Consumption/budgets@2023-11-01' = {
  name: budgetName
  properties: {
    category: 'Cost'
    amount: amount
    timeGrain: 'Monthly'
    timePeriod: {
      startDate: '${startDate}T00:00:00Z'
    }
    notifications: toObject(thresholds, t => 'actual-gt-${t}pct', t => {
      enabled: true
      operator: 'GreaterThan'
      threshold: t
      thresholdType: 'Actual'
      contactRoles: [
        'Owner'
      ]
      contactEmails: contactEmails
      contactGroups: actionGroups
    })
  }
}

// Budget enforcement reads cost to date, forecasts and the budget itself on this scope.
resource appCostReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, appPrincipalId, costManagementReaderRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', costManagementReaderRoleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#app-cost-read: cost query, forecast and budget read for budget enforcement on this resource group.'
  }
}

@description('Resource ID of the budget.')
output budgetId string = budget.id

@description('Resource ID of the action group (empty when none was created here).')
output actionGroupId string = createActionGroup ? budgetActionGroup.id : actionGroupId
