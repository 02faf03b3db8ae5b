// Which Kubernetes objects a backup stores, and in what form. Pure: the adapter hands in what API
// discovery and LIST returned, this decides.
//
// Discovery (GET /api, /api/v1, /apis, /apis/{group}/{version}) answers APIResourceList documents:
// `resources[]` with name (plural, "pods/exec" for subresources), kind, namespaced and verbs
// (k8s.io/apimachinery/pkg/apis/meta/v1 types.go APIResource). We back up the preferred version of
// every group (what `kubectl get` and Velero use), only resources that can be listed, read and
// created again (restorable), never subresources.
//
// Skipped because a restore must not recreate them (they are recreated by their controllers or
// are pure runtime state): Events (core and events.k8s.io), Endpoints, EndpointSlices, Leases;
// Pods, ReplicaSets, ControllerRevisions and Jobs that a controller owns (ownerReferences with
// controller: true), Pods that finished (phase Succeeded/Failed: completed Jobs' pods),
// service-account token Secrets (the token controller mints them) and the kube-root-ca.crt
// ConfigMap every namespace gets from the root CA publisher.
//
// Each object is stored as the API returned it minus the fields the server populates
// (status, metadata.managedFields/uid/resourceVersion/creationTimestamp/generation/selfLink and
// deletion markers), with apiVersion and kind set: LIST items carry neither on the wire.

/** One entry of an APIResourceList, as the API server sends it. */
export interface RawApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

export interface DiscoveredGroupVersion {
  /** "v1" for the core group, "apps/v1" otherwise. */
  groupVersion: string;
  resources: RawApiResource[];
}

/** A resource type the backup can list and the restore can create. */
export interface ResourceTypeRef {
  group: string;
  version: string;
  /** Plural, as in the URL. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export function apiVersionOfType(t: Pick<ResourceTypeRef, 'group' | 'version'>): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** "deployments.apps", "pods": how kubectl and Velero name a resource type. */
export function qualifiedName(t: Pick<ResourceTypeRef, 'group' | 'resource'>): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

/** Resource types never backed up, by qualified name. */
export const NEVER_BACKED_UP = new Set([
  'events',
  'events.events.k8s.io',
  'endpoints',
  'endpointslices.discovery.k8s.io',
  'leases.coordination.k8s.io',
  // Runtime or derived state the API server or controllers recreate:
  'bindings',
  'componentstatuses',
  'pods.metrics.k8s.io',
  'nodes.metrics.k8s.io',
]);

/** Kinds whose controller-owned objects are skipped: the owner recreates them. */
const OWNED_SKIP = new Set(['pods', 'replicasets.apps', 'controllerrevisions.apps', 'jobs.batch']);

/**
 * Cluster-scoped types a backup may include by name (config `objects.clusterResources`):
 * everything else cluster-scoped (nodes, PVs, webhooks, ...) belongs to the platform, not to an
 * application backup.
 */
export const CLUSTER_RESOURCE_TYPES = {
  customResourceDefinitions: 'customresourcedefinitions.apiextensions.k8s.io',
  storageClasses: 'storageclasses.storage.k8s.io',
  clusterRoles: 'clusterroles.rbac.authorization.k8s.io',
  clusterRoleBindings: 'clusterrolebindings.rbac.authorization.k8s.io',
} as const;
export type ClusterResourceKey = keyof typeof CLUSTER_RESOURCE_TYPES;

function parseGroupVersion(gv: string): { group: string; version: string } {
  const i = gv.indexOf('/');
  return i < 0 ? { group: '', version: gv } : { group: gv.slice(0, i), version: gv.slice(i + 1) };
}

/**
 * The restorable resource types in the discovery documents of the preferred group versions, sorted
 * by qualified name. A type served by two group versions (the caller passed more than the preferred
 * ones) is taken from the first document that lists it.
 */
export function restorableTypes(docs: DiscoveredGroupVersion[]): ResourceTypeRef[] {
  const out = new Map<string, ResourceTypeRef>();
  for (const doc of docs) {
    const gv = parseGroupVersion(doc.groupVersion);
    for (const r of doc.resources) {
      if (r.name.includes('/')) continue; // subresource: pods/exec, deployments/scale
      const verbs = new Set(r.verbs);
      if (!verbs.has('list') || !verbs.has('get') || !verbs.has('create')) continue;
      const t: ResourceTypeRef = { group: r.group ?? gv.group, version: r.version ?? gv.version, resource: r.name, kind: r.kind, namespaced: r.namespaced };
      const q = qualifiedName(t);
      if (NEVER_BACKED_UP.has(q) || out.has(q)) continue;
      out.set(q, t);
    }
  }
  return [...out.values()].sort((a, b) => cmp(qualifiedName(a), qualifiedName(b)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Glob with `*` (any run of characters) and `?` (one character), anchored. */
export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(text);
}

export interface NamespaceFilter {
  include: string[];
  exclude: string[];
}

/** Namespaces to back up: included (all when `include` is empty), not excluded, sorted. */
export function selectNamespaces(all: string[], f: NamespaceFilter): string[] {
  return [...new Set(all)]
    .filter((ns) => (f.include.length === 0 || f.include.some((p) => globMatch(p, ns))) && !f.exclude.some((p) => globMatch(p, ns)))
    .sort(cmp);
}

/**
 * Whether a kind filter entry names a type. Entries may be the Kind ("Deployment"), the plural
 * ("deployments") or the qualified plural ("deployments.apps"); case-insensitive.
 */
export function kindMatches(entry: string, t: ResourceTypeRef): boolean {
  const e = entry.toLowerCase();
  return e === t.kind.toLowerCase() || e === t.resource || e === qualifiedName(t) || (t.group === '' && e === `${t.resource}.core`);
}

export interface KindFilter {
  include: string[];
  exclude: string[];
}

export function selectTypes(types: ResourceTypeRef[], f: KindFilter): ResourceTypeRef[] {
  return types.filter((t) => (f.include.length === 0 || f.include.some((e) => kindMatches(e, t))) && !f.exclude.some((e) => kindMatches(e, t)));
}

/** A JSON object as the API returns it. */
export type KubeJson = Record<string, unknown> & { metadata?: Record<string, unknown> };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why an object is not backed up, or null when it is. */
export function skipReason(t: ResourceTypeRef, obj: KubeJson): string | null {
  const q = qualifiedName(t);
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  if (OWNED_SKIP.has(q)) {
    const owners = Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'] : [];
    const owner = owners.find((o) => isObject(o) && o['controller'] === true) as Record<string, unknown> | undefined;
    if (owner) return `owned by ${String(owner['kind'])} ${String(owner['name'])}`;
  }
  if (q === 'pods') {
    const phase = isObject(obj['status']) ? obj['status']['phase'] : undefined;
    if (phase === 'Succeeded' || phase === 'Failed') return `pod ${String(phase)}`;
  }
  if (q === 'secrets' && obj['type'] === 'kubernetes.io/service-account-token') return 'service-account token (minted by the token controller)';
  if (q === 'configmaps' && meta['name'] === 'kube-root-ca.crt') return 'published by the root CA controller';
  return null;
}

const NOISE_METADATA = [
  'managedFields',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** The object as stored: apiVersion and kind set, server-populated fields removed. Does not change `obj`. */
export function cleanObject(t: ResourceTypeRef, obj: KubeJson): KubeJson {
  const { status: _status, apiVersion: _a, kind: _k, metadata, ...rest } = obj;
  const meta: Record<string, unknown> = isObject(metadata) ? { ...metadata } : {};
  for (const f of NOISE_METADATA) delete meta[f];
  return { apiVersion: apiVersionOfType(t), kind: t.kind, metadata: meta, ...rest };
}

/** Kubernetes "kind" counted in the manifest: Kind plus group for named groups ("Deployment.apps"). */
export function countKey(t: Pick<ResourceTypeRef, 'kind' | 'group'>): string {
  return t.group ? `${t.kind}.${t.group}` : t.kind;
}
