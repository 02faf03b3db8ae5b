// Custom roles, each holding exactly the operations the code performs and nothing else
// (test/bicep/permissions.test.ts checks that every action below is used by an entry of
// bicep/permissions.json and that no wildcard is granted). Created at subscription scope, assignable
// only in the estate resource group. Operation names: Azure resource provider operations for
// Microsoft.ContainerService (learn.microsoft.com/azure/role-based-access-control/permissions/containers).
targetScope = 'subscription'

@description('Estate resource group: the only assignable scope of the custom roles.')
param resourceGroupName string

var customRoles = {
  agentPoolOperator: {
    roleName: 'AKS estate ops - agent pool operator'
    description: 'Read the cluster and its node pools, change node pool counts and autoscaler bounds, stop and start the cluster.'
    actions: [
      'Microsoft.ContainerService/managedClusters/read'
      'Microsoft.ContainerService/managedClusters/agentPools/read'
      'Microsoft.ContainerService/managedClusters/agentPools/write'
      'Microsoft.ContainerService/managedClusters/stop/action'
      'Microsoft.ContainerService/managedClusters/start/action'
    ]
    dataActions: []
  }
  kubernetesOperator: {
    roleName: 'AKS estate ops - Kubernetes operator'
    description: 'The Kubernetes API calls of the runbooks, secret rotation, backups and scaling jobs (Azure RBAC for Kubernetes).'
    actions: []
    dataActions: [
      'Microsoft.ContainerService/managedClusters/pods/read'
      'Microsoft.ContainerService/managedClusters/pods/delete'
      'Microsoft.ContainerService/managedClusters/apps/replicasets/read'
      'Microsoft.ContainerService/managedClusters/apps/deployments/read'
      'Microsoft.ContainerService/managedClusters/apps/deployments/write'
      'Microsoft.ContainerService/managedClusters/apps/statefulsets/read'
      'Microsoft.ContainerService/managedClusters/apps/statefulsets/write'
      'Microsoft.ContainerService/managedClusters/secrets/read'
      'Microsoft.ContainerService/managedClusters/secrets/write'
      'Microsoft.ContainerService/managedClusters/nodes/read'
      'Microsoft.ContainerService/managedClusters/namespaces/read'
      'Microsoft.ContainerService/managedClusters/configmaps/read'
      'Microsoft.ContainerService/managedClusters/services/read'
      'Microsoft.ContainerService/managedClusters/persistentvolumeclaims/read'
    ]
  }
}

var assignableScope = '${subscription().id}/resourceGroups/${resourceGroupName}'

resource definitions 'Microsoft.Authorization/roleDefinitions@2022-04-01' = [for role in items(customRoles): {
  name: guid(subscription().id, resourceGroupName, role.key)
  properties: {
    // Role names are unique per tenant: qualify them with the resource group.
    roleName: '${role.value.roleName} (${resourceGroupName})'
    description: role.value.description
    type: 'CustomRole'
    permissions: [
      {
        actions: role.value.actions
        notActions: []
        dataActions: role.value.dataActions
        notDataActions: []
      }
    ]
    assignableScopes: [
      assignableScope
    ]
  }
}]

@description('Role definition IDs by key (agentPoolOperator, kubernetesOperator).')
output roleDefinitionIds object = {
  agentPoolOperator: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', guid(subscription().id, resourceGroupName, 'agentPoolOperator'))
  kubernetesOperator: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', guid(subscription().id, resourceGroupName, 'kubernetesOperator'))
}
