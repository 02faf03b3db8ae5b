// Virtual network for the AKS nodes. Azure CNI Overlay gives pods addresses from podCidr, so the
// node subnet only needs room for nodes (aks-baseline: networking/spoke-BU0001A0008.bicep).

@description('Region of the virtual network.')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Token that makes resource names unique.')
param resourceToken string

@description('Address space of the virtual network.')
param vnetAddressPrefix string

@description('Address prefix of the node subnet.')
param aksSubnetPrefix string

var aksSubnetName = 'snet-aks-nodes'

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: 'vnet-${resourceToken}'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        vnetAddressPrefix
      ]
    }
    subnets: [
      {
        name: aksSubnetName
        properties: {
          addressPrefix: aksSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

@description('Name of the virtual network.')
output vnetName string = vnet.name

@description('Name of the node subnet.')
output aksSubnetName string = aksSubnetName

@description('Resource ID of the node subnet.')
output aksSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, aksSubnetName)
