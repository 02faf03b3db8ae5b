// Turns the API server's 403 into what an operator needs at 3 a.m.: which permission is
// missing, which feature needs it, and how to grant it. kube-apiserver's message has a fixed
// shape (apiserver responsewriters forbiddenMessage):
//   ... is forbidden: User "u" cannot <verb> resource "<resource>[/<sub>]" in API group "<group>" (in the namespace "<ns>"|at the cluster scope)
import { aksDataAction } from './generate.js';
import { KUBERNETES_PERMISSIONS, type KubeVerb } from './kubernetes.js';

const FORBIDDEN = /cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]*)")?/;

/** "missing Kubernetes permission ... Fix: ..." for a Forbidden message, or undefined. */
export function missingPermissionHint(message: string | undefined): string | undefined {
  const m = FORBIDDEN.exec(message ?? '');
  if (!m) return undefined;
  const [, verb, resource, group, namespace] = m as unknown as [string, KubeVerb, string, string, string | undefined];
  const what = `${verb} ${group ? `${group}/` : ''}${resource}${namespace ? ` in namespace ${namespace}` : ' (cluster scope)'}`;
  const users = KUBERNETES_PERMISSIONS.filter((p) => p.rules.some((r) => r.group === group && r.resource === resource && r.verbs.includes(verb))).map(
    (p) => p.id,
  );
  if (users.length === 0) {
    return `missing Kubernetes permission: ${what}, which src/permissions/kubernetes.ts does not declare. Fix: declare it for the code path that makes this call, run npm run permissions and redeploy the role`;
  }
  return `missing Kubernetes permission: ${what} (needed by ${users.join(', ')}). Fix: grant the app's identity the shipped role: Azure RBAC data action ${aksDataAction(group, resource, verb)} (bicep/modules/role-definitions.bicep, kubernetesOperator, assigned on the cluster), or on a Kubernetes RBAC cluster apply deploy/kubernetes/clusterrole.yaml and bind it`;
}
