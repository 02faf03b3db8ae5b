// The managed Durable Task Scheduler and its task hub, created only when main.bicep's
// durableBackend is DurableTaskScheduler (docs/scaling-out.md). Shape from the REST spec
// (Azure/azure-rest-api-specs specification/durabletask/DurableTask.Management, examples/2026-02-01;
// Azure/bicep-types-az generated/durabletask): properties.ipAllowlist and properties.sku are
// required, sku.capacity only means something for Dedicated, names match ^[a-zA-Z0-9-]{3,64}$.
// The app identity's role on the scheduler (Durable Task Data Contributor) is in roles.bicep.

@description('Region of the scheduler (the app\'s region: every orchestration step is a round trip).')
param location string

@description('Tags applied to the scheduler.')
param tags object

@description('Token that makes resource names unique.')
param resourceToken string

@description('Billing SKU: Consumption (billed per action) or Dedicated (capacity units).')
@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string

@description('Dedicated SKU: capacity units (3 makes the scheduler zone redundant). Not sent for Consumption.')
@minValue(1)
param skuCapacity int

@description('IP ranges (IPv4, IPv6 or CIDR) allowed to reach the scheduler. Required by the API; an empty list denies every caller.')
@minLength(1)
param ipAllowlist string[]

@description('Name of the task hub (TASK_HUB_NAME, host.json hubName).')
param taskHubName string

var sku = skuName == 'Dedicated' ? { name: skuName, capacity: skuCapacity } : { name: skuName }

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: 'dts-${resourceToken}'
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: sku
  }

  resource taskHub 'taskHubs' = {
    name: taskHubName
  }
}

@description('Name of the scheduler (roles.bicep assigns the app identity its role on it).')
output name string = scheduler.name

@description('Endpoint of the scheduler (https://<name>.<region>.durabletask.io); the app\'s connection string starts with it.')
output endpoint string = scheduler.properties.endpoint

@description('Name of the task hub.')
output taskHubName string = scheduler::taskHub.name
