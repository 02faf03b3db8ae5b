// Authorization in the strict Azure fakes (ARM, Key Vault secrets and keys), as Azure RBAC does it
// after authentication: the request's action comes from its method and path, the policy (by
// default every operation src/permissions/azure.ts declares for the app's identity) decides, and
// a refusal is the real 403 body:
// - ARM: {"error":{"code":"AuthorizationFailed","message":"The client '<oid>' with object id '<oid>'
//   does not have authorization to perform action '<action>' over scope '<scope>' or the scope is
//   invalid. If access was recently granted, please refresh your credentials."}} (as quoted in
//   Azure/ARO-RP#66);
// - Key Vault (RBAC permission model): {"error":{"code":"Forbidden","message":"Caller is not
//   authorized to perform action on resource.\r\n...Action: '<action>'\r\nResource: '<id>'\r\n
//   Assignment: (not found)...","innererror":{"code":"ForbiddenByRbac"}}} (as quoted in
//   piyushsachdeva/Terraform_AKS#2).
// ARM derives the action from the path: the resource type after the last /providers/ plus read
// (GET), write (PUT/PATCH), delete (DELETE), or <name>/action (POST to a resource's action).
import { declaredOperations, permits } from '../../src/permissions/azure.js';
import { dataActionsWithCodePaths } from '../../src/permissions/generate.js';

export const FAKE_APP_OBJECT_ID = '3f2b9c1e-6d4a-4b8e-9a71-0c5d2e8f4a10';

/** Every operation the app's identity holds according to the declaration. */
export function appAzurePolicy(): string[] {
  return declaredOperations(
    'functionApp',
    dataActionsWithCodePaths().map((d) => d.action),
  ).map((o) => o.operation);
}

/** The app's policy without one operation (a test removes a grant). */
export function azurePolicyWithout(operation: string): string[] {
  return appAzurePolicy().filter((o) => o.toLowerCase() !== operation.toLowerCase());
}

export function allowsAzure(policy: readonly string[] | undefined, operation: string): boolean {
  return policy === undefined || policy.some((p) => permits(p, operation));
}

// POST operations that Azure authorizes as reads (Cost Management Reader, */read, may query).
const POST_AS_READ = new Set(['microsoft.costmanagement/query', 'microsoft.costmanagement/forecast']);

/** The ARM action of a request, or undefined for paths ARM does not authorize by themselves (async operation status). */
export function armOperation(method: string, path: string): string | undefined {
  const at = path.toLowerCase().lastIndexOf('/providers/');
  if (at < 0) return undefined;
  const parts = path
    .slice(at + '/providers/'.length)
    .split('/')
    .filter((p) => p !== '');
  const [namespace, ...rest] = parts;
  if (!namespace) return undefined;
  // The caller's own permissions ("Gets all permissions the caller has"): no action of their own.
  if (namespace.toLowerCase() === 'microsoft.authorization' && rest[0]?.toLowerCase() === 'permissions') return undefined;
  // /subscriptions/{s}/providers/{ns}/locations/{l}/operations|operationresults/{id}: polled with the original grant.
  if (rest[0]?.toLowerCase() === 'locations' && /^operation(s|results)$/i.test(rest[2] ?? '')) return undefined;
  const types: string[] = [];
  let action: string | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    if (method === 'POST' && i === rest.length - 1 && i > 0) action = rest[i];
    else types.push(rest[i]!);
  }
  const type = [namespace, ...types].join('/');
  if (method === 'POST' && POST_AS_READ.has(type.toLowerCase())) return `${type}/read`;
  if (action) return `${type}/${action}/action`;
  if (method === 'POST') return `${type}/action`;
  return `${type}/${method === 'GET' || method === 'HEAD' ? 'read' : method === 'DELETE' ? 'delete' : 'write'}`;
}

/** The scope ARM names in the refusal: the resource path without a trailing action. */
export function armScope(method: string, path: string): string {
  return method === 'POST' ? path.replace(/\/[^/]+$/, '') : path;
}

export function armAuthorizationFailed(operation: string, scope: string): { code: string; message: string } {
  return {
    code: 'AuthorizationFailed',
    message: `The client '${FAKE_APP_OBJECT_ID}' with object id '${FAKE_APP_OBJECT_ID}' does not have authorization to perform action '${operation}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  };
}

/** Key Vault data action of a secrets or keys request (parts: the path's segments). */
export function keyVaultOperation(method: string, parts: readonly string[]): string {
  const [collection, name, third, fourth] = parts;
  const base = `Microsoft.KeyVault/vaults/${collection === 'keys' ? 'keys' : 'secrets'}`;
  if (collection === 'keys') {
    const verb = (third === undefined ? undefined : (fourth ?? third))?.toLowerCase();
    if (method === 'POST' && verb === 'wrapkey') return `${base}/wrap/action`;
    if (method === 'POST' && verb === 'unwrapkey') return `${base}/unwrap/action`;
    return method === 'GET' ? `${base}/read` : `${base}/write`;
  }
  if (collection === 'deletedsecrets')
    return method === 'DELETE' ? `${base}/purge/action` : method === 'POST' ? `${base}/recover/action` : `${base}/readMetadata/action`;
  if (method === 'POST' && name === 'restore') return `${base}/restore/action`;
  if (method === 'POST' && third === 'backup') return `${base}/backup/action`;
  if (method === 'PUT') return `${base}/setSecret/action`;
  if (method === 'PATCH') return `${base}/update/action`;
  if (method === 'DELETE') return `${base}/delete`;
  if (name === undefined || third === 'versions') return `${base}/readMetadata/action`;
  return `${base}/getSecret/action`;
}

export function keyVaultForbidden(
  operation: string,
  vaultName: string,
  parts: readonly string[],
): { error: { code: string; message: string; innererror: { code: string } } } {
  const resource = `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-aksops/providers/microsoft.keyvault/vaults/${vaultName}${parts[1] && parts[1] !== 'restore' ? `/${parts[0]}/${parts[1]}` : ''}`;
  const message = [
    'Caller is not authorized to perform action on resource.',
    'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
    `Caller: appid=${FAKE_APP_OBJECT_ID};oid=${FAKE_APP_OBJECT_ID};iss=https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/`,
    `Action: '${operation}'`,
    `Resource: '${resource}'`,
    'Assignment: (not found)',
    'DenyAssignmentId: null',
    "DecisionReason: 'DeniedWithNoValidRBAC' ",
    `Vault: ${vaultName};location=westeurope`,
    '',
  ].join('\r\n');
  return { error: { code: 'Forbidden', message, innererror: { code: 'ForbiddenByRbac' } } };
}
