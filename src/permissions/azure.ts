// Every Azure operation the deployed system performs, keyed by the role assignment that grants it
// and the code path that needs it: the Azure half of the one permission declaration (the
// Kubernetes half is kubernetes.ts; its data actions become the app-aks-data-plane grant here).
// From it come bicep/permissions.json (`npm run permissions`; a test fails when stale), the
// policy the strict fakes authorize against (ARM, Key Vault: test/fakes/azure-authz.ts), the
// "missing Azure permission" hints (azure-forbidden.ts) and the checks of `aksops doctor`.
// test/bicep/permissions.test.ts proves that each grant's role (bicep/builtin-roles.json, or the
// custom roles in bicep/modules/role-definitions.bicep) grants each operation, and that Bicep
// holds exactly these role assignments.

import type { AzureGrant, AzureOperation, Principal } from './azure-types.js';

export { PRINCIPALS } from './azure-types.js';
export { allowedBy, isDataAction, permits, type PermissionSet } from './azure-match.js';
export type { AzureGrant, AzureOperation, Principal } from './azure-types.js';

const op = (operation: string, codePath: string): AzureOperation => ({ operation, codePath });

export const AZURE_PERMISSIONS: readonly AzureGrant[] = [
  {
    id: 'app-aks-credentials',
    principal: 'functionApp',
    role: { builtIn: 'Azure Kubernetes Service Cluster User Role' },
    scope: 'Microsoft.ContainerService/managedClusters',
    operations: [
      op(
        'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
        "src/adapters/kube.ts: managedClusters.listClusterUserCredentials gives the API server URL and CA of a cluster configured with azure {subscriptionId, resourceGroup, clusterName}; the bearer token is the identity's token for the AKS server application",
      ),
    ],
  },
  {
    id: 'app-aks-data-plane',
    principal: 'functionApp',
    role: { custom: 'kubernetesOperator' },
    scope: 'Microsoft.ContainerService/managedClusters',
    operations: 'kubernetes',
  },
  {
    id: 'app-aks-node-pools',
    principal: 'functionApp',
    role: { custom: 'agentPoolOperator' },
    scope: 'Microsoft.ContainerService/managedClusters',
    operations: [
      op(
        'Microsoft.ContainerService/managedClusters/read',
        'src/adapters/arm-managed-clusters.ts ManagedClusters.get (@azure/arm-containerservice managedClusters.get): power state before stop/start, node resource group for the namespace cost report',
      ),
      op(
        'Microsoft.ContainerService/managedClusters/agentPools/read',
        'src/adapters/arm-agent-pools.ts AgentPools.get/list: current count and autoscaler bounds (predictive scaling; budget enforcement records them for exact restore)',
      ),
      op(
        'Microsoft.ContainerService/managedClusters/agentPools/write',
        'src/adapters/arm-agent-pools.ts agentPools.createOrUpdate: predictive scaling pre-warms minCount (setMinCount); budget enforcement scales pools down and restores them (beginUpdate)',
      ),
      op(
        'Microsoft.ContainerService/managedClusters/stop/action',
        'src/adapters/arm-managed-clusters.ts ManagedClusters.beginPower (managedClusters.stop): budget enforcement stops non-production clusters',
      ),
      op(
        'Microsoft.ContainerService/managedClusters/start/action',
        'src/adapters/arm-managed-clusters.ts ManagedClusters.beginPower (managedClusters.start): budget enforcement restores a stopped cluster',
      ),
    ],
  },
  {
    id: 'app-keyvault-secrets',
    principal: 'functionApp',
    role: { builtIn: 'Key Vault Secrets Officer' },
    scope: 'Microsoft.KeyVault/vaults',
    operations: [
      op(
        'Microsoft.KeyVault/vaults/secrets/setSecret/action',
        'src/adapters/keyvault.ts setVersion (SecretClient.setSecret): rotation stores the new credential as a pending version, and the restored value on rollback',
      ),
      op(
        'Microsoft.KeyVault/vaults/secrets/getSecret/action',
        'Key Vault references in app settings (ALERTMANAGER_WEBHOOK_TOKEN/PASSWORD, resolved with keyVaultReferenceIdentity); rotation verify/roll back; backups of Key Vault secrets',
      ),
      op(
        'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
        'src/adapters/keyvault.ts versions/listSecrets (listPropertiesOfSecretVersions/listPropertiesOfSecrets): stage tags, expiry dates, the daily sweep; backups',
      ),
      op(
        'Microsoft.KeyVault/vaults/secrets/backup/action',
        'src/backup/keyvault-backup.ts backupKeyVault: SecretClient.backupSecret of each selected secret (the opaque backup blob)',
      ),
      op(
        'Microsoft.KeyVault/vaults/secrets/restore/action',
        'src/backup/keyvault-restore.ts restoreKeyVault and src/backup/keyvault-backup.ts (SecretClient.restoreSecretBackup): restore of backed-up Key Vault secrets',
      ),
      op(
        'Microsoft.KeyVault/vaults/secrets/update/action',
        'src/adapters/keyvault.ts updateVersion (updateSecretProperties): stage tags current/previous/failed, disable the failed version after a rollback',
      ),
    ],
  },
  {
    id: 'app-backup-blobs-secondary',
    principal: 'functionApp',
    role: { builtIn: 'Storage Blob Data Contributor' },
    scope: 'Microsoft.Storage/storageAccounts',
    account: 'backupSecondary',
    conditional: true,
    operations: [
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
        'src/adapters/blob-copy.ts copyBlobFromUrl: Copy Blob (beginCopyFromURL) into the secondary with If-None-Match: * (src/backup/secondary.ts)',
      ),
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
        'src/backup/secondary.ts: verifyBackup on the secondary; restore and drill --from secondary',
      ),
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/write',
        'src/adapters/blob-copy.ts copyBlobFromUrl: target.container() creates the container in the secondary on first use (src/adapters/blob-store.ts createIfNotExists)',
      ),
    ],
  },
  {
    id: 'app-backup-blobs',
    principal: 'functionApp',
    role: { builtIn: 'Storage Blob Data Contributor' },
    scope: 'Microsoft.Storage/storageAccounts',
    account: 'backup',
    operations: [
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
        'src/adapters/blob-store.ts writeOnce: stageBlock/commitBlockList and upload with If-None-Match: * (Kubernetes objects, pg_dump output, dashboards, Key Vault secret backups, part records, manifest)',
      ),
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
        'src/adapters/blob-store.ts read/list/properties: src/backup/catalog.ts list and verify, src/backup/restore.ts restore',
      ),
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
        'src/backup/catalog.ts deleteBackup (src/adapters/blob-store.ts delete): GFS retention, manifest first',
      ),
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/write',
        'src/adapters/blob-store.ts container(): createIfNotExists once per process (Bicep creates the configured containers; this covers one added to ops.yaml later)',
      ),
      op(
        'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
        'src/adapters/blob-copy.ts ReadSasIssuer: Get User Delegation Key, then a one-blob read SAS the secondary copies from (src/backup/secondary.ts)',
      ),
    ],
  },
  {
    id: 'app-host-blobs',
    principal: 'functionApp',
    role: { builtIn: 'Storage Blob Data Owner' },
    scope: 'Microsoft.Storage/storageAccounts',
    account: 'app',
    operations: [
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
        'Flex Consumption host: reads the deployment package (functionAppConfig.deployment.storage, UserAssignedIdentity); Functions host leases (AzureWebJobsStorage__blobServiceUri)',
      ),
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
        "Functions host leases and Durable Functions large payloads; azd writes the package with the deployer's identity",
      ),
      op(
        'Microsoft.Storage/storageAccounts/blobServices/containers/write',
        'Functions host and Durable Functions create their containers (azure-webjobs-hosts, <taskhub>-leases)',
      ),
    ],
  },
  {
    id: 'app-host-queues',
    principal: 'functionApp',
    role: { builtIn: 'Storage Queue Data Contributor' },
    scope: 'Microsoft.Storage/storageAccounts',
    account: 'app',
    operations: [
      op(
        'Microsoft.Storage/storageAccounts/queueServices/queues/write',
        'host.json durableTask hubName %TASK_HUB_NAME%: Durable Functions creates its control and work-item queues',
      ),
      op('Microsoft.Storage/storageAccounts/queueServices/queues/messages/write', 'Durable Functions schedules orchestrations and activities'),
      op('Microsoft.Storage/storageAccounts/queueServices/queues/messages/read', 'Durable Functions dequeues work items'),
      op('Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete', 'Durable Functions completes work items'),
    ],
  },
  {
    id: 'app-tables',
    principal: 'functionApp',
    role: { builtIn: 'Storage Table Data Contributor' },
    scope: 'Microsoft.Storage/storageAccounts',
    account: 'app',
    operations: [
      op(
        'Microsoft.Storage/storageAccounts/tableServices/tables/write',
        'src/adapters/table-client.ts getTableClient: creates the audit and control tables on first use; Durable Functions creates History/Instances tables',
      ),
      op(
        'Microsoft.Storage/storageAccounts/tableServices/tables/entities/write',
        'src/adapters/audit-store.ts (AUDIT_TABLE_NAME) and src/adapters/control-store.ts (CONTROL_TABLE_NAME); Durable Functions history',
      ),
      op(
        'Microsoft.Storage/storageAccounts/tableServices/tables/entities/read',
        'src/adapters/audit-store.ts queries, src/adapters/control-store.ts pause switch; Durable Functions replay',
      ),
      op(
        'Microsoft.Storage/storageAccounts/tableServices/tables/entities/delete',
        'src/retention/purge.ts deleteRowsBefore: table retention of scaling rows, caches and the audit table (functions/hygiene.ts); Durable Functions purge of instance history',
      ),
    ],
  },
  {
    id: 'app-prometheus-query',
    principal: 'functionApp',
    role: { builtIn: 'Monitoring Data Reader' },
    scope: 'Microsoft.Monitor/accounts',
    operations: [
      op(
        'Microsoft.Monitor/accounts/data/metrics/read',
        'src/adapters/prometheus.ts prometheusClientFor (auth: managed-identity, Entra token for https://prometheus.monitor.azure.com/.default): PromQL range queries against the Azure Monitor workspace query endpoint for predictive scaling (functions/scaling.ts), SLO error budgets (functions/slo.ts, src/cli/slo.ts)',
      ),
    ],
  },
  {
    id: 'app-telemetry',
    principal: 'functionApp',
    role: { builtIn: 'Monitoring Metrics Publisher' },
    scope: 'Microsoft.Insights/components',
    operations: [
      op(
        'Microsoft.Insights/Telemetry/Write',
        "Functions host telemetry, and the app's own OpenTelemetry traces and metrics (src/telemetry/setup.ts, Azure Monitor distro), with APPLICATIONINSIGHTS_AUTHENTICATION_STRING (Authorization=AAD; the component has DisableLocalAuth)",
      ),
    ],
  },
  {
    id: 'app-cost-read',
    principal: 'functionApp',
    role: { builtIn: 'Cost Management Reader' },
    scope: 'resourceGroup',
    scopeReason:
      'Budgets and Cost Management queries exist only at billing scopes (resource group, subscription, ...); the resource group each budget covers is the narrowest one. One assignment per budget: the estate resource group and the AKS node resource group.',
    operations: [
      op(
        'Microsoft.CostManagement/query/read',
        'src/adapters/cost-management.ts CostManagementSource (query.usage): cost to date of a budget scope grouped by its cost drivers; node pool costs for the namespace report',
      ),
      op(
        'Microsoft.CostManagement/forecast/read',
        'src/adapters/cost-management.ts CostManagementSource (forecast.usage): expected cost of the whole budget period',
      ),
    ],
  },
  {
    id: 'app-backup-key',
    principal: 'functionApp',
    role: { builtIn: 'Key Vault Crypto User' },
    scope: 'Microsoft.KeyVault/vaults/keys',
    assignedBy: 'operator',
    assignedByReason:
      'The key encryption key is any Key Vault key ops.yaml names (backups.encryption.keyVaultKey), often in a vault this template does not own; docs/backups.md says how to assign the role on that key.',
    operations: [
      op(
        'Microsoft.KeyVault/vaults/keys/read',
        'src/adapters/key-wrap.ts keyVaultKeyWrapper (CryptographyClient reads the key before a local wrap): backup encryption (src/backup/crypto.ts)',
      ),
      op('Microsoft.KeyVault/vaults/keys/wrap/action', "src/adapters/key-wrap.ts wrap (CryptographyClient.wrapKey RSA-OAEP-256): wraps each backup's data key"),
      op(
        'Microsoft.KeyVault/vaults/keys/unwrap/action',
        'src/adapters/key-wrap.ts unwrap (CryptographyClient.unwrapKey): restore and verify unwrap the data key in the vault',
      ),
    ],
  },
  {
    // Only with durableBackend = DurableTaskScheduler (bicep/main.bicep). Role ID and its one data
    // action Microsoft.DurableTask/* from the role's definition (azure-rbac-catalog.org, the built-in
    // role JSON); the two operations below are the ones the Durable Task Data Reader role lists.
    // The role also covers the scheduler's work-item dispatch, whose operation names we have no
    // published source for: Microsoft recommends this role for every Durable Functions app.
    id: 'app-durable-task-scheduler',
    principal: 'functionApp',
    role: { builtIn: 'Durable Task Data Contributor' },
    scope: 'Microsoft.DurableTask/schedulers',
    conditional: true,
    operations: [
      op(
        'Microsoft.DurableTask/schedulers/taskhubs/orchestrations/read',
        'host.json storageProvider azureManaged (src/deploy/host-json.ts): the Durable extension schedules, replays and completes every orchestration, activity and entity in the scheduler task hub; the durable client reads instances for GET /api/runs and status queries (functions/lib/durable-lazy.ts)',
      ),
      op(
        'Microsoft.DurableTask/schedulers/taskhubs/orchestrations/metadata/read',
        'the durable client lists instances by status and age: the daily purge (src/retention/purge.ts purgeInstanceHistoryBy, from functions/hygiene.ts) and GET /api/runs',
      ),
    ],
  },
  {
    // Role ID 81a9662b-bebf-436f-a333-f67b29880f12 and its two actions (listkeys, regeneratekey)
    // checked against the built-in roles reference (MicrosoftDocs/azure-docs
    // articles/role-based-access-control/built-in-roles, "Storage Account Key Operator Service Role").
    id: 'app-storage-key-rotation',
    principal: 'functionApp',
    role: { builtIn: 'Storage Account Key Operator Service Role' },
    scope: 'Microsoft.Storage/storageAccounts',
    assignedBy: 'operator',
    assignedByReason:
      'Only storage accounts the operator enrols for key rotation in ops.yaml (rotation.secrets[].provider storage-account-key); docs/rotation.md says how to assign the role on each.',
    operations: [
      op(
        'Microsoft.Storage/storageAccounts/listkeys/action',
        'src/adapters/storage-keys.ts list (StorageManagementClient.storageAccounts.listKeys): which key consumers use, before rotating the other',
      ),
      op(
        'Microsoft.Storage/storageAccounts/regeneratekey/action',
        'src/adapters/storage-keys.ts regenerate (storageAccounts.regenerateKey): the storage-account-key rotation provider (src/rotation/)',
      ),
    ],
  },
  {
    id: 'kubelet-acr-pull',
    principal: 'kubelet',
    role: { builtIn: 'AcrPull' },
    scope: 'Microsoft.ContainerRegistry/registries',
    operations: [op('Microsoft.ContainerRegistry/registries/pull/read', 'platform: the nodes pull workload images from the estate registry')],
  },
  {
    id: 'aks-subnet-join',
    principal: 'aksControlPlane',
    role: { builtIn: 'Network Contributor' },
    scope: 'Microsoft.Network/virtualNetworks/subnets',
    operations: [
      op('Microsoft.Network/virtualNetworks/subnets/join/action', 'platform: AKS attaches node NICs to the bring-your-own subnet'),
      op('Microsoft.Network/virtualNetworks/subnets/read', 'platform: AKS validates the subnet'),
    ],
  },
  {
    id: 'admins-aks-cluster-admin',
    principal: 'clusterAdmins',
    role: { builtIn: 'Azure Kubernetes Service RBAC Cluster Admin' },
    scope: 'Microsoft.ContainerService/managedClusters',
    conditional: true,
    operations: [
      op(
        'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/clusterroles/write',
        'people: break-glass administration with kubectl (local accounts are disabled, so this is the only admin path)',
      ),
    ],
  },
  {
    id: 'admins-aks-credentials',
    principal: 'clusterAdmins',
    role: { builtIn: 'Azure Kubernetes Service Cluster User Role' },
    scope: 'Microsoft.ContainerService/managedClusters',
    conditional: true,
    operations: [op('Microsoft.ContainerService/managedClusters/listClusterUserCredential/action', 'people: az aks get-credentials')],
  },
];

/** The operations a principal's declared grants hold (the data-plane grant's come from `kubernetesActions`). */
export function declaredOperations(
  principal: Principal,
  kubernetesActions: readonly string[],
): Array<{ grant: AzureGrant; operation: string; codePath: string }> {
  return AZURE_PERMISSIONS.filter((g) => g.principal === principal).flatMap((g) =>
    g.operations === 'kubernetes'
      ? kubernetesActions.map((a) => ({ grant: g, operation: a, codePath: 'src/permissions/kubernetes.ts' }))
      : g.operations.map((o) => ({ grant: g, ...o })),
  );
}

/** The grants of the app that need `operation` (case-insensitive), for hints and the doctor. */
export function grantsFor(operation: string): AzureGrant[] {
  return AZURE_PERMISSIONS.filter(
    (g) => g.principal === 'functionApp' && g.operations !== 'kubernetes' && g.operations.some((o) => o.operation.toLowerCase() === operation.toLowerCase()),
  );
}

/** The role a grant names, as people read it. */
export function roleName(g: AzureGrant): string {
  return 'builtIn' in g.role ? g.role.builtIn : `custom role ${g.role.custom} (bicep/modules/role-definitions.bicep)`;
}
