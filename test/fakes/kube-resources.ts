// The resource types the fake serves and how a request path maps onto them. Paths follow
// the API server's layout (k8s.io/apiserver/pkg/endpoints/installer.go):
//   /api/v1/{resource}[/{name}]                         cluster-scoped, or all namespaces
//   /api/v1/namespaces/{ns}/{resource}[/{name}]         namespaced
//   /apis/{group}/{version}/...                         same, for named groups
// Subresources (status, scale, log, eviction) are not served: they answer 404.

/** A stored object as JSON: the fake does not type kinds beyond what it needs. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [field: string]: unknown;
}

export interface ResourceType {
  group: '' | 'apps';
  version: 'v1';
  /** Plural, as in the URL: pods, deployments. */
  resource: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  /**
   * Which changes bump metadata.generation. Deployments also bump on annotation changes
   * because the controller copies them to ReplicaSets (pkg/registry/apps/deployment/strategy.go).
   * Empty: the kind has no generation.
   */
  generationOn: Array<'spec' | 'annotations'>;
  /** Field selectors the real server supports for this resource (GetAttrs of its strategy). */
  fieldSelectors: Record<string, (o: KubeObject) => string>;
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const metaFields = {
  'metadata.name': (o: KubeObject) => str(o.metadata.name),
  'metadata.namespace': (o: KubeObject) => str(o.metadata.namespace),
};
const spec = (o: KubeObject, f: string) => str((o.spec ?? {})[f]);
const status = (o: KubeObject, f: string) => str((o.status ?? {})[f]);

export const RESOURCE_TYPES: ResourceType[] = [
  {
    group: '', version: 'v1', resource: 'pods', kind: 'Pod', listKind: 'PodList', namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: {
      ...metaFields,
      'spec.nodeName': (o) => spec(o, 'nodeName'),
      'spec.restartPolicy': (o) => spec(o, 'restartPolicy'),
      'spec.schedulerName': (o) => spec(o, 'schedulerName'),
      'spec.serviceAccountName': (o) => spec(o, 'serviceAccountName'),
      'spec.hostNetwork': (o) => String(Boolean((o.spec ?? {})['hostNetwork'])),
      'status.phase': (o) => status(o, 'phase'),
      'status.podIP': (o) => status(o, 'podIP'),
      'status.nominatedNodeName': (o) => status(o, 'nominatedNodeName'),
    },
  },
  {
    group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', listKind: 'NamespaceList', namespaced: false,
    generationOn: [],
    fieldSelectors: { ...metaFields, 'status.phase': (o) => status(o, 'phase') },
  },
  {
    group: '', version: 'v1', resource: 'nodes', kind: 'Node', listKind: 'NodeList', namespaced: false,
    generationOn: [],
    fieldSelectors: { ...metaFields, 'spec.unschedulable': (o) => String(Boolean((o.spec ?? {})['unschedulable'])) },
  },
  {
    group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', listKind: 'DeploymentList', namespaced: true,
    generationOn: ['spec', 'annotations'],
    fieldSelectors: { ...metaFields },
  },
  {
    group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', listKind: 'ReplicaSetList', namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: { ...metaFields, 'status.replicas': (o) => status(o, 'replicas') },
  },
  {
    group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', listKind: 'StatefulSetList', namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: { ...metaFields },
  },
  {
    group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', listKind: 'DaemonSetList', namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: { ...metaFields },
  },
];

export type ResourceName = 'pods' | 'namespaces' | 'nodes' | 'deployments' | 'replicasets' | 'statefulsets' | 'daemonsets';

export function resourceType(resource: ResourceName | string): ResourceType {
  const rt = RESOURCE_TYPES.find((r) => r.resource === resource);
  if (!rt) throw new Error(`fake kube-apiserver does not serve resource "${resource}"`);
  return rt;
}

export interface ParsedPath {
  rt: ResourceType;
  /** Namespace from the URL; undefined for cluster-scoped kinds and all-namespace lists. */
  namespace: string | undefined;
  name: string | undefined;
}

/** Maps a URL path to a resource, or null when the real server would answer 404 for the path. */
export function parseResourcePath(pathname: string): ParsedPath | null {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    if (parts[2] !== 'v1') return null;
    rest = parts.slice(3);
  } else {
    return null;
  }
  const inGroup = (resource: string | undefined) =>
    RESOURCE_TYPES.find((r) => r.group === group && r.resource === resource);

  // /namespaces/{ns}/{resource}[/{name}] addresses a namespaced resource.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const rt = inGroup(rest[2]);
    if (!rt || !rt.namespaced || rest.length > 4) return null;
    return { rt, namespace: rest[1], name: rest[3] };
  }
  const rt = inGroup(rest[0]);
  if (!rt || rest.length > 2) return null;
  // A namespaced resource has no item path outside /namespaces/{ns}.
  if (rt.namespaced && rest.length === 2) return null;
  return { rt, namespace: undefined, name: rest[1] };
}
