// Log Analytics, Application Insights (Entra-only ingestion), the Azure Monitor workspace for
// managed Prometheus, and the data collection rules the cluster is associated with.
// Shapes follow mspnp/aks-baseline workload-team/cluster-stamp.bicep (amw, dce, dcr, dcrContainerInsights).

@description('Region of the monitoring resources.')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Token that makes resource names unique.')
param resourceToken string

@description('Log Analytics retention in days.')
param logAnalyticsRetentionDays int

var containerInsightsStreams = [
  'Microsoft-ContainerLogV2'
  'Microsoft-KubeEvents'
  'Microsoft-KubePodInventory'
  'Microsoft-KubeNodeInventory'
  'Microsoft-KubePVInventory'
  'Microsoft-KubeServices'
  'Microsoft-KubeMonAgentEvents'
  'Microsoft-InsightsMetrics'
  'Microsoft-ContainerInventory'
  'Microsoft-ContainerNodeInventory'
  'Microsoft-Perf'
]

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logAnalyticsRetentionDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Telemetry only with an Entra token (the app's identity has Monitoring Metrics Publisher).
    DisableLocalAuth: true
  }
}

resource azureMonitorWorkspace 'Microsoft.Monitor/accounts@2023-04-03' = {
  name: 'amw-${resourceToken}'
  location: location
  tags: tags
  properties: {
    publicNetworkAccess: 'Enabled'
  }
}

resource prometheusEndpoint 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = {
  name: 'dce-prom-${resourceToken}'
  location: location
  tags: tags
  kind: 'Linux'
  properties: {
    networkAcls: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource prometheusRule 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: 'dcr-prom-${resourceToken}'
  location: location
  tags: tags
  kind: 'Linux'
  properties: {
    dataCollectionEndpointId: prometheusEndpoint.id
    dataSources: {
      prometheusForwarder: [
        {
          name: 'PrometheusDataSource'
          streams: [
            'Microsoft-PrometheusMetrics'
          ]
          labelIncludeFilter: {}
        }
      ]
    }
    destinations: {
      monitoringAccounts: [
        {
          accountResourceId: azureMonitorWorkspace.id
          name: 'amw'
        }
      ]
    }
    dataFlows: [
      {
        streams: [
          'Microsoft-PrometheusMetrics'
        ]
        destinations: [
          'amw'
        ]
      }
    ]
  }
}

resource containerInsightsRule 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: 'dcr-ci-${resourceToken}'
  location: location
  tags: tags
  kind: 'Linux'
  properties: {
    dataSources: {
      extensions: [
        {
          name: 'ContainerInsightsExtension'
          extensionName: 'ContainerInsights'
          streams: containerInsightsStreams
          extensionSettings: {
            dataCollectionSettings: {
              interval: '1m'
              namespaceFilteringMode: 'Off'
              enableContainerLogV2: true
            }
          }
        }
      ]
    }
    destinations: {
      logAnalytics: [
        {
          workspaceResourceId: logAnalytics.id
          name: 'law'
        }
      ]
    }
    dataFlows: [
      {
        streams: containerInsightsStreams
        destinations: [
          'law'
        ]
      }
    ]
  }
}

@description('Resource ID of the Log Analytics workspace.')
output logAnalyticsWorkspaceId string = logAnalytics.id

@description('Name of the Application Insights component.')
output applicationInsightsName string = appInsights.name

@description('Name of the Azure Monitor workspace (managed Prometheus).')
output azureMonitorWorkspaceName string = azureMonitorWorkspace.name

@description('Resource ID of the Azure Monitor workspace.')
output azureMonitorWorkspaceId string = azureMonitorWorkspace.id

@description('PromQL query endpoint of the Azure Monitor workspace.')
output prometheusQueryEndpoint string = azureMonitorWorkspace.properties.metrics.prometheusQueryEndpoint

@description('Resource ID of the managed Prometheus data collection rule.')
output prometheusDataCollectionRuleId string = prometheusRule.id

@description('Resource ID of the Container Insights data collection rule.')
output containerInsightsDataCollectionRuleId string = containerInsightsRule.id
