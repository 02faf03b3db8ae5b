// The resource types the fake serves and how a request path maps onto them. Paths follow
// the API server's layout (k8s.io/apiserver/pkg/endpoints/installer.go):
//   /api/v1/{resource}[/{name}]                         cluster-scoped, or all namespaces
//   /api/v1/namespaces/{ns}/{resource}[/{name}]         namespaced
//   /apis/{group}/{version}/...                         same, for named groups
// Subresources (status, scale, log, eviction) are not served: they answer 404.
// (The pods/eviction subresource is served by kube-subresources.ts.)
// More resource types (Jobs, PDBs, HPAs, StorageClasses, PVCs) come from kube-runbook-resources.ts.
import { RUNBOOK_RESOURCE_TYPES, type RunbookResourceName } from './kube-runbook-resources.js';
// Secrets and the CSI driver's SecretProviderClassPodStatus come from kube-rotation-resources.ts.
import { ROTATION_RESOURCE_TYPES, type RotationResourceName } from './kube-rotation-resources.js';
// Backups and restores: application-namespace kinds, CRDs, VolumeSnapshots (kube-backup-resources.ts).
import { BACKUP_RESOURCE_TYPES, type BackupResourceName } from './kube-backup-resources.js';
import { text as str } from '../../src/domain/text.js';

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

/**
 * Per-kind rules beyond the generic registry (registry strategies, admission plugins), for
 * kinds defined outside this file. Optional: a kind without hooks follows the generic rules.
 */
export interface KindHooks {
  /** SetDefaults_<Kind> for create, update and seed. */
  defaults?(obj: KubeObject): void;
  /** Validation failures (each becomes a 422 cause). */
  validate?(obj: KubeObject): Array<{ field: string; message: string; reason?: string }>;
  /** Update validation against the stored object (immutable fields): 422 causes. */
  immutable?(current: KubeObject, next: KubeObject): Array<{ field: string; message: string; reason?: string }>;
  /** Admission on create (current undefined) and update; throws a KubeStatusError to refuse. */
  admit?(
    ctx: { get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined; resourceType(resource: string): ResourceType },
    next: KubeObject,
    current: KubeObject | undefined,
  ): void;
  /** DELETE without a propagationPolicy: Background unless the kind says otherwise (batch/v1 Jobs: Orphan). */
  defaultPropagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

export interface ResourceType {
  /** API group ('' for core), e.g. apps, batch, policy, autoscaling, storage.k8s.io. */
  group: string;
  /** Served version of the group, e.g. v1 (autoscaling: v2). */
  version: string;
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
  hooks?: KindHooks;
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

const metaFields = {
  'metadata.name': (o: KubeObject) => str(o.metadata.name),
  'metadata.namespace': (o: KubeObject) => str(o.metadata.namespace),
};
const spec = (o: KubeObject, f: string) => str((o.spec ?? {})[f]);
const status = (o: KubeObject, f: string) => str((o.status ?? {})[f]);

export const RESOURCE_TYPES: ResourceType[] = [
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    listKind: 'PodList',
    namespaced: true,
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
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    namespaced: false,
    generationOn: [],
    fieldSelectors: { ...metaFields, 'status.phase': (o) => status(o, 'phase') },
  },
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    listKind: 'NodeList',
    namespaced: false,
    generationOn: [],
    fieldSelectors: { ...metaFields, 'spec.unschedulable': (o) => String(Boolean((o.spec ?? {})['unschedulable'])) },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    listKind: 'DeploymentList',
    namespaced: true,
    generationOn: ['spec', 'annotations'],
    fieldSelectors: { ...metaFields },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    listKind: 'ReplicaSetList',
    namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: { ...metaFields, 'status.replicas': (o) => status(o, 'replicas') },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    kind: 'StatefulSet',
    listKind: 'StatefulSetList',
    namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: { ...metaFields },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    listKind: 'DaemonSetList',
    namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: { ...metaFields },
  },
  ...RUNBOOK_RESOURCE_TYPES,
  ...BACKUP_RESOURCE_TYPES,
  ...ROTATION_RESOURCE_TYPES,
];

export type ResourceName =
  | 'pods'
  | 'namespaces'
  | 'nodes'
  | 'deployments'
  | 'replicasets'
  | 'statefulsets'
  | 'daemonsets'
  | RunbookResourceName
  | BackupResourceName
  | RotationResourceName;

export function resourceType(resource: string): ResourceType {
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
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    version = 'v1';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return null;
  }
  const inGroup = (resource: string | undefined) => RESOURCE_TYPES.find((r) => r.group === group && r.version === version && r.resource === resource);

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
