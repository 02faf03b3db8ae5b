// Alerts on the function app's own failures (docs/telemetry.md), as log alerts over its
// Application Insights data (Microsoft.Insights/scheduledQueryRules 2021-08-01, kind LogAlert):
//  - an orchestration failed (Durable Functions tracking events in `traces`: customDimensions
//    Category "Host.Triggers.DurableTask", prop__state "Failed");
//  - the Alertmanager webhook answered 5xx repeatedly (`requests` of alertmanagerWebhook);
//  - no backup orchestration completed in 26 hours (nightly backups plus two hours of slack).

@description('Region of the alert rules (that of Application Insights).')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Token that makes resource names unique.')
param resourceToken string

@description('Name of the Application Insights component the function app writes to.')
param applicationInsightsName string

@description('Action group the alerts notify; empty: the alerts fire in the portal only.')
param actionGroupId string = ''

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var actions = empty(actionGroupId) ? {} : { actionGroups: [actionGroupId] }

var rules = [
  {
    name: 'aksops-orchestration-failed-${resourceToken}'
    displayName: 'aksops: an orchestration failed'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'traces | where customDimensions.Category == "Host.Triggers.DurableTask" and tostring(customDimensions.prop__state) == "Failed" | project timestamp, functionName = tostring(customDimensions.prop__functionName), instanceId = tostring(customDimensions.prop__instanceId)'
    threshold: 0
  }
  {
    name: 'aksops-webhook-5xx-${resourceToken}'
    displayName: 'aksops: the Alertmanager webhook answers 5xx'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'requests | where name == "alertmanagerWebhook" and toint(resultCode) >= 500'
    threshold: 3
  }
  {
    name: 'aksops-no-backup-${resourceToken}'
    displayName: 'aksops: no backup completed in 26 hours'
    severity: 2
    frequency: 'PT1H'
    window: 'P1D'
    query: 'let done = traces | where timestamp > ago(26h) and customDimensions.Category == "Host.Triggers.DurableTask" and tostring(customDimensions.prop__functionName) == "backup" and tostring(customDimensions.prop__state) == "Completed" | count; done | where Count == 0'
    threshold: 0
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2021-08-01' = [for r in rules: {
  name: r.name
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: r.displayName
    severity: r.severity
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: r.frequency
    windowSize: r.window
    overrideQueryTimeRange: r.name == 'aksops-no-backup-${resourceToken}' ? 'P2D' : null
    criteria: {
      allOf: [
        {
          query: r.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: r.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}]

@description('Resource IDs of the alert rules.')
output alertRuleIds array = [for (r, i) in rules: alerts[i].id]
