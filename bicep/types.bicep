// Shared user-defined types, imported by main.bicep and modules/aks.bicep
// (compile-time imports: https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-import).

@export()
@description('A node pool of the AKS cluster: VM size, autoscaler bounds, mode, taints, labels, priority.')
type nodePoolSpec = {
  @description('Pool name: lower-case letters and digits, at most 12 characters (Linux pools).')
  @maxLength(12)
  name: string

  @description('VM size, e.g. Standard_D4s_v3.')
  vmSize: string

  @description('Cluster autoscaler lower bound; also the node count the pool is created with.')
  @minValue(0)
  minCount: int

  @description('Cluster autoscaler upper bound.')
  @minValue(1)
  maxCount: int

  @description('System pools run critical add-ons (at least one is required); User pools run workloads.')
  mode: 'System' | 'User'

  @description('Node taints, in key=value:Effect form.')
  taints: string[]

  @description('Node labels.')
  labels: object

  @description('true: Spot priority (eviction policy Delete, pay up to the on-demand price). false: Regular priority.')
  spot: bool
}

@export()
@description('Weekly window in which AKS may apply Kubernetes patch upgrades and node OS image upgrades.')
type maintenanceWindowSpec = {
  @description('Day of the week the window opens.')
  dayOfWeek: 'Monday' | 'Tuesday' | 'Wednesday' | 'Thursday' | 'Friday' | 'Saturday' | 'Sunday'

  @description('Start time, HH:mm, in the utcOffset time zone.')
  startTime: string

  @description('Window length in hours (at least 4).')
  @minValue(4)
  durationHours: int

  @description('UTC offset of startTime, e.g. +00:00.')
  utcOffset: string
}
