// Authorization of the fake API server, as kube-apiserver does it after authentication:
// the request's attributes come from the path and method (k8s.io/apiserver/pkg/endpoints/
// request/requestinfo.go RequestInfoFactory), a policy of RBAC-style rules decides, and a
// refusal is the real 403 Status (apiserver/pkg/endpoints/handlers/responsewriters/errors.go
// forbiddenMessage + apimachinery errors.NewForbidden):
//   pods "web-0" is forbidden: User "test-user" cannot get resource "pods" in API group "" in the namespace "shop"
// Discovery paths (/api, /apis, /apis/<group>/<version>) are non-resource URLs every
// authenticated user may GET (the system:discovery ClusterRole), so they are always allowed.
import { allows, type KubeRule, type KubeVerb, type RequestAttributes } from '../../src/permissions/kubernetes.js';
import { KubeStatusError } from './kube-status.js';

export type { RequestAttributes };

/** The attributes of a request, or undefined for a non-resource (discovery) path. */
export function requestAttributes(method: string, path: string, query: Record<string, string>): RequestAttributes | undefined {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length > 2) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length > 3) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest as [string, string | undefined, string | undefined];
  if (resource === 'namespaces' && name !== undefined) namespace = name;
  let verb: KubeVerb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name === undefined ? (query['watch'] === 'true' || query['watch'] === '1' ? 'watch' : 'list') : 'get';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name === undefined ? 'deletecollection' : 'delete';
      break;
    default:
      verb = method.toLowerCase() as KubeVerb;
  }
  // Kubernetes 1.30+ (AuthorizePodWebsocketUpgradeCreatePermission): a WebSocket exec needs create.
  if (resource === 'pods' && (subresource === 'exec' || subresource === 'attach' || subresource === 'portforward') && verb === 'get') verb = 'create';
  return {
    verb,
    group,
    resource,
    ...(subresource ? { subresource } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
  };
}

/** The 403 kube-apiserver answers when the authorizer says no. */
export function forbidden(user: string, a: RequestAttributes): KubeStatusError {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const reason =
    a.namespace !== undefined
      ? `User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" in the namespace "${a.namespace}"`
      : `User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" at the cluster scope`;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const message =
    a.name !== undefined && a.resource !== 'namespaces' ? `${qualified} "${a.name}" is forbidden: ${reason}` : `${qualified} is forbidden: ${reason}`;
  return new KubeStatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Forbidden',
    code: 403,
    details: { ...(a.name !== undefined ? { name: a.name } : {}), ...(a.group ? { group: a.group } : {}), kind: a.resource },
  });
}

/**
 * Throws the 403 when `rules` do not allow the request. `rules` undefined allows everything
 * (a fake started with `policy: 'allow-all'`).
 */
export function authorize(rules: readonly KubeRule[] | undefined, user: string, method: string, path: string, query: Record<string, string>): void {
  const a = requestAttributes(method, path, query);
  if (!a) return;
  if (rules && !allows(rules, a)) throw forbidden(user, a);
}
