// Container registry for the estate's images. No admin user, no anonymous pull: the kubelet
// identity pulls with AcrPull (assigned in roles.bicep), as in aks-baseline acr-stamp.bicep.

@description('Region of the registry.')
param location string

@description('Tags applied to every resource this module creates.')
param tags object

@description('Token that makes resource names unique.')
param resourceToken string

@description('Registry SKU (Basic, Standard, Premium).')
param sku string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'cr${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

@description('Name of the registry.')
output name string = registry.name

@description('Login server of the registry.')
output loginServer string = registry.properties.loginServer
