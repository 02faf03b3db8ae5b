// Turns Azure's 403 into what an operator needs at 3 a.m.: which permission is missing, which
// feature needs it, and how to grant it. Both refusals name the action:
// - ARM (AuthorizationFailed): "The client '<id>' with object id '<oid>' does not have
//   authorization to perform action '<action>' over scope '<scope>' or the scope is invalid. ..."
// - Key Vault with RBAC (Forbidden, innererror ForbiddenByRbac): "Caller is not authorized to
//   perform action on resource.\r\n...Action: '<action>'\r\nResource: '<resource>'..."
import { grantsFor, roleName } from './azure.js';

const ARM = /perform action '([^']+)' over scope '([^']+)'/;
const KEY_VAULT = /Action: '([^']+)'[\s\S]*?Resource: '([^']+)'/;

/** "missing Azure permission ... Fix: ..." for a 403 message from ARM or Key Vault, or undefined. */
export function missingAzurePermissionHint(message: string | undefined): string | undefined {
  const m = ARM.exec(message ?? '') ?? KEY_VAULT.exec(message ?? '');
  if (!m) return undefined;
  const [, action, scope] = m as unknown as [string, string, string];
  const grants = grantsFor(action);
  if (grants.length === 0) {
    return `missing Azure permission: ${action} on ${scope}, which src/permissions/azure.ts does not declare. Fix: declare it for the code path that makes this call, run npm run permissions and grant it`;
  }
  const fixes = grants.map((g) =>
    g.assignedBy === 'operator'
      ? `assign "${roleName(g)}" to the function app's identity on ${scope} (${g.assignedByReason ?? ''})`
      : `assign "${roleName(g)}" to the function app's identity on its ${g.scope} (bicep/modules/roles.bicep, bicep/permissions.json#${g.id}; azd provision does)`,
  );
  return `missing Azure permission: ${action} on ${scope} (needed by ${grants.map((g) => g.id).join(', ')}). Fix: ${fixes.join('; or ')}`;
}
