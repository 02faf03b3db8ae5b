// What the caller may do at an ARM scope, from the authorization API (@azure/arm-authorization,
// Permissions - List For Resource / List For Resource Group, api-version 2022-04-01: "Gets all
// permissions the caller has"): the effective actions/notActions/dataActions/notDataActions of
// every role assignment that applies, which `aksops doctor` compares with src/permissions/azure.ts.
import type { TokenCredential } from '@azure/identity';
import type { PermissionSet } from '../permissions/azure.js';
import { appCredential } from './azure-credential.js';

/** A resource group, or a resource in it (provider/type/name, e.g. Microsoft.ContainerService/managedClusters/aks-1). */
export interface ArmScope {
  subscriptionId: string;
  resourceGroup: string;
  resource?: { namespace: string; type: string; name: string };
}

export function scopeId(s: ArmScope): string {
  const rg = `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}`;
  return s.resource ? `${rg}/providers/${s.resource.namespace}/${s.resource.type}/${s.resource.name}` : rg;
}

export interface ArmPermissionsOptions {
  credential?: TokenCredential;
  managedIdentityClientId?: string;
  /** SDK client options (tests: the fake ARM endpoint and its CA). */
  clientOptions?: Record<string, unknown>;
}

export function armPermissions(options: ArmPermissionsOptions = {}): (scope: ArmScope) => Promise<PermissionSet[]> {
  return async (scope) => {
    const [{ AuthorizationManagementClient }, credential] = await Promise.all([
      import('@azure/arm-authorization'),
      options.credential ?? appCredential(options.managedIdentityClientId),
    ]);
    const client = new AuthorizationManagementClient(credential, scope.subscriptionId, options.clientOptions);
    const out: PermissionSet[] = [];
    const pages = scope.resource
      ? client.permissions.listForResource(scope.resourceGroup, scope.resource.namespace, '', scope.resource.type, scope.resource.name)
      : client.permissions.listForResourceGroup(scope.resourceGroup);
    for await (const p of pages) out.push(p);
    return out;
  };
}
