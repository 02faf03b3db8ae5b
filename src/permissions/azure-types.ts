// The shapes of the Azure permission declaration (azure.ts) and the principals it grants to.

export type Principal = 'functionApp' | 'kubelet' | 'aksControlPlane' | 'clusterAdmins';

export interface AzureOperation {
  /** Azure RBAC action or data action, as the role definitions and the authorization API name it. */
  operation: string;
  /** The files and calls that need it (paths under src/, functions/ must exist). */
  codePath: string;
}

export interface AzureGrant {
  id: string;
  principal: Principal;
  role: { builtIn: string } | { custom: string };
  /** Resource type the role is assigned on, or resourceGroup (with scopeReason). */
  scope: string;
  scopeReason?: string;
  /** The storage account, by the roles.bicep parameter naming it: backup -> backupStorageAccountName. */
  account?: 'backup' | 'backupSecondary' | 'app';
  conditional?: boolean;
  /** bicep (default): a role assignment in bicep/ grants it. operator: on a resource only ops.yaml names; the docs say how. */
  assignedBy?: 'bicep' | 'operator';
  assignedByReason?: string;
  /** 'kubernetes': the AKS data actions generated from kubernetes.ts. */
  operations: readonly AzureOperation[] | 'kubernetes';
}

export const PRINCIPALS: Record<Principal, { description: string; principalType: 'ServicePrincipal' | 'Group'; principalIdExpressions: string[] }> = {
  functionApp: {
    description: 'User-assigned managed identity of the function app (AZURE_CLIENT_ID); every call of the app code.',
    principalType: 'ServicePrincipal',
    principalIdExpressions: ['appPrincipalId'],
  },
  kubelet: {
    description: 'Kubelet identity of the AKS nodes (created by AKS in the node resource group).',
    principalType: 'ServicePrincipal',
    principalIdExpressions: ['kubeletObjectId'],
  },
  aksControlPlane: {
    description: 'User-assigned control-plane identity of the cluster.',
    principalType: 'ServicePrincipal',
    principalIdExpressions: ['controlPlaneIdentity.properties.principalId'],
  },
  clusterAdmins: {
    description: 'Optional Entra group of human administrators (clusterAdminGroupObjectId).',
    principalType: 'Group',
    principalIdExpressions: ['clusterAdminGroupObjectId'],
  },
};
