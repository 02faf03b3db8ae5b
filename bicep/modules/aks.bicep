// The AKS cluster: Azure CNI Overlay (Cilium dataplane), OIDC issuer and workload identity,
// Microsoft Entra integration with Azure RBAC for Kubernetes authorization, local accounts
// disabled, Key Vault Secrets Store CSI add-on with rotation, managed Prometheus and Container
// Insights (DCR associations), cluster autoscaler profile, zones, maintenance windows, Image Cleaner.
// Reference: mspnp/aks-baseline workload-team/cluster-stamp.bicep (resource mc) and the
// Microsoft.ContainerService 2024-09-01 examples in Azure/azure-rest-api-specs
// (ManagedClustersCreate_SecurityProfile.json, MaintenanceConfigurationsCreate_Update_MaintenanceWindow.json).

import { nodePoolSpec, maintenanceWindowSpec } from '../types.bicep'

@description('Region of the cluster.')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Cluster name (also the DNS prefix).')
param clusterName string

@description('Name of the resource group AKS creates for the node VMs.')
param nodeResourceGroupName string

@description('Kubernetes version; empty for the region default.')
param kubernetesVersion string

@description('Pricing tier: Free, Standard or Premium.')
param skuTier string

@description('Availability zones of the node pools.')
param availabilityZones string[]

@description('Node pools; the first System pool carries the critical add-ons.')
param nodePools nodePoolSpec[]

@description('Cluster autoscaler profile.')
param autoScalerProfile object

@description('Weekly maintenance window for upgrades.')
param maintenanceWindow maintenanceWindowSpec

@description('Kubernetes auto-upgrade channel.')
param upgradeChannel string

@description('Node OS upgrade channel.')
param nodeOsUpgradeChannel string

@description('Image Cleaner interval in hours.')
param imageCleanerIntervalHours int

@description('Name of the virtual network of the node subnet.')
param vnetName string

@description('Name of the node subnet.')
param subnetName string

@description('Pod CIDR (overlay).')
param podCidr string

@description('Service CIDR.')
param serviceCidr string

@description('DNS service IP.')
param dnsServiceIp string

@description('IP ranges allowed to reach the API server; empty for no restriction.')
param apiServerAuthorizedIpRanges string[]

@description('Resource ID of the Log Analytics workspace (Container Insights, control-plane logs).')
param logAnalyticsWorkspaceId string

@description('Resource ID of the managed Prometheus data collection rule.')
param prometheusDataCollectionRuleId string

@description('Resource ID of the Container Insights data collection rule.')
param containerInsightsDataCollectionRuleId string

// Network Contributor: the control-plane identity joins the node subnet (aks-baseline
// role-assignment-EnsureClusterIdentityHasRbacToSelfManagedResources.bicep). permissions.json: aks-subnet-join.
var networkContributorRoleId = '4d97b98b-1d4f-4787-a291-c67834d212e7'

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' existing = {
  name: vnetName

  resource nodeSubnet 'subnets' existing = {
    name: subnetName
  }
}

resource controlPlaneIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${clusterName}-controlplane'
  location: location
  tags: tags
}

resource subnetJoin 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vnet::nodeSubnet.id, controlPlaneIdentity.id, networkContributorRoleId)
  scope: vnet::nodeSubnet
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', networkContributorRoleId)
    principalId: controlPlaneIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'permissions.json#aks-subnet-join: the AKS control plane joins node NICs and load balancers to the node subnet.'
  }
}

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: clusterName
  location: location
  tags: tags
  sku: {
    name: 'Base'
    tier: skuTier
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${controlPlaneIdentity.id}': {}
    }
  }
  properties: {
    kubernetesVersion: empty(kubernetesVersion) ? null : kubernetesVersion
    dnsPrefix: clusterName
    nodeResourceGroup: nodeResourceGroupName
    enableRBAC: true
    disableLocalAccounts: true
    aadProfile: {
      managed: true
      enableAzureRBAC: true
      tenantID: tenant().tenantId
    }
    oidcIssuerProfile: {
      enabled: true
    }
    securityProfile: {
      workloadIdentity: {
        enabled: true
      }
      imageCleaner: {
        enabled: true
        intervalHours: imageCleanerIntervalHours
      }
    }
    networkProfile: {
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      networkDataplane: 'cilium'
      networkPolicy: 'cilium'
      podCidr: podCidr
      serviceCidr: serviceCidr
      dnsServiceIP: dnsServiceIp
      outboundType: 'loadBalancer'
      loadBalancerSku: 'standard'
    }
    apiServerAccessProfile: {
      authorizedIPRanges: apiServerAuthorizedIpRanges
    }
    autoScalerProfile: autoScalerProfile
    autoUpgradeProfile: {
      upgradeChannel: upgradeChannel
      nodeOSUpgradeChannel: nodeOsUpgradeChannel
    }
    addonProfiles: {
      azureKeyvaultSecretsProvider: {
        enabled: true
        config: {
          enableSecretRotation: 'true'
          rotationPollInterval: '2m'
        }
      }
      omsagent: {
        enabled: true
        config: {
          logAnalyticsWorkspaceResourceID: logAnalyticsWorkspaceId
          useAADAuth: 'true'
        }
      }
    }
    azureMonitorProfile: {
      metrics: {
        enabled: true
        kubeStateMetrics: {
          metricLabelsAllowlist: ''
          metricAnnotationsAllowList: ''
        }
      }
    }
    storageProfile: {
      diskCSIDriver: {
        enabled: true
      }
      fileCSIDriver: {
        enabled: true
      }
      // CSI snapshots are one of the backup kinds (DESIGN.md, backups to Blob).
      snapshotController: {
        enabled: true
      }
    }
    agentPoolProfiles: [for pool in nodePools: {
      name: pool.name
      mode: pool.mode
      vmSize: pool.vmSize
      count: pool.minCount
      enableAutoScaling: true
      minCount: pool.minCount
      maxCount: pool.maxCount
      type: 'VirtualMachineScaleSets'
      osType: 'Linux'
      osSKU: 'AzureLinux'
      osDiskSizeGB: 128
      maxPods: 50
      availabilityZones: availabilityZones
      vnetSubnetID: vnet::nodeSubnet.id
      enableNodePublicIP: false
      nodeTaints: pool.taints
      nodeLabels: pool.labels
      scaleSetPriority: pool.spot ? 'Spot' : 'Regular'
      scaleSetEvictionPolicy: pool.spot ? 'Delete' : null
      spotMaxPrice: pool.spot ? -1 : null
      upgradeSettings: pool.spot ? null : {
        maxSurge: '33%'
      }
    }]
  }
  dependsOn: [
    subnetJoin
  ]

  resource autoUpgradeSchedule 'maintenanceConfigurations' = {
    name: 'aksManagedAutoUpgradeSchedule'
    properties: {
      maintenanceWindow: {
        schedule: {
          weekly: {
            intervalWeeks: 1
            dayOfWeek: maintenanceWindow.dayOfWeek
          }
        }
        durationHours: maintenanceWindow.durationHours
        startTime: maintenanceWindow.startTime
        utcOffset: maintenanceWindow.utcOffset
      }
    }
  }

  resource nodeOsUpgradeSchedule 'maintenanceConfigurations' = {
    name: 'aksManagedNodeOSUpgradeSchedule'
    properties: {
      maintenanceWindow: {
        schedule: {
          weekly: {
            intervalWeeks: 1
            dayOfWeek: maintenanceWindow.dayOfWeek
          }
        }
        durationHours: maintenanceWindow.durationHours
        startTime: maintenanceWindow.startTime
        utcOffset: maintenanceWindow.utcOffset
      }
    }
    dependsOn: [
      autoUpgradeSchedule
    ]
  }
}

resource prometheusAssociation 'Microsoft.Insights/dataCollectionRuleAssociations@2023-03-11' = {
  name: 'MSProm-${location}-${clusterName}'
  scope: cluster
  properties: {
    dataCollectionRuleId: prometheusDataCollectionRuleId
  }
}

resource containerInsightsAssociation 'Microsoft.Insights/dataCollectionRuleAssociations@2023-03-11' = {
  name: 'ContainerInsightsExtension'
  scope: cluster
  properties: {
    dataCollectionRuleId: containerInsightsDataCollectionRuleId
  }
}

// Control-plane logs, including the audit of every call the operations app makes (kube-audit-admin, guard).
resource clusterDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'default'
  scope: cluster
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'kube-audit-admin'
        enabled: true
      }
      {
        category: 'guard'
        enabled: true
      }
      {
        category: 'cluster-autoscaler'
        enabled: true
      }
    ]
  }
}

@description('Name of the cluster.')
output clusterName string = cluster.name

@description('Resource ID of the cluster.')
output clusterId string = cluster.id

@description('Object ID of the kubelet identity (pulls images; gets AcrPull).')
output kubeletObjectId string = cluster.properties.identityProfile.kubeletidentity.objectId

@description('OIDC issuer URL for workload identity federation.')
output oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL

@description('Name of the node resource group.')
output nodeResourceGroup string = cluster.properties.nodeResourceGroup
