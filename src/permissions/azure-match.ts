// How Azure matches an operation against role permissions: wildcards, and data actions against
// actions (role definitions and the authorization API keep them apart). Used by the declaration
// (azure.ts re-exports these), the doctor and the strict fakes.

/** Azure permission match: case-insensitive, '*' matches any characters (role definitions' wildcards). */
export function permits(pattern: string, operation: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(operation);
}

// Data actions (checked by the data plane: AKS Kubernetes API, Key Vault, Storage data, Monitor
// data) against actions (checked by ARM). Role definitions and the authorization API keep them in
// separate lists; test/permissions/azure-declaration.test.ts checks this against builtin-roles.json.
const DATA_ACTION =
  /^(Microsoft\.ContainerService\/managedClusters\/(?!(read|write|delete|agentPools|listClusterUserCredential|start|stop)(\/|$))|Microsoft\.KeyVault\/vaults\/(secrets|keys)\/|Microsoft\.Storage\/storageAccounts\/(blobServices\/containers\/blobs|tableServices\/tables\/entities|queueServices\/queues\/messages)\/|Microsoft\.Monitor\/accounts\/data\/|Microsoft\.Insights\/Telemetry\/|Microsoft\.DurableTask\/schedulers\/taskhubs\/)/i;

export function isDataAction(operation: string): boolean {
  return DATA_ACTION.test(operation);
}

/** One entry of the authorization API's permissions list (Microsoft.Authorization/permissions). */
export interface PermissionSet {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
}

/** Whether a caller with these permission sets may perform `operation` (allowed by one set and not excluded by it). */
export function allowedBy(sets: readonly PermissionSet[], operation: string): boolean {
  const data = isDataAction(operation);
  return sets.some((s) => {
    const allow = (data ? s.dataActions : s.actions) ?? [];
    const deny = (data ? s.notDataActions : s.notActions) ?? [];
    return allow.some((p) => permits(p, operation)) && !deny.some((p) => permits(p, operation));
  });
}
