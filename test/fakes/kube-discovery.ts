// API discovery for the fake kube-apiserver, generated from its resource table (RESOURCE_TYPES),
// with the documents the real server writes (k8s.io/apimachinery/pkg/apis/meta/v1 types.go;
// k8s.io/apiserver/pkg/endpoints/discovery):
//   GET /api                      APIVersions   {kind, versions: ["v1"], serverAddressByClientCIDRs}
//   GET /apis                     APIGroupList  {kind, apiVersion: "v1", groups: [{name, versions, preferredVersion}]}
//   GET /apis/{group}             APIGroup
//   GET /api/v1                   APIResourceList {kind, groupVersion: "v1", resources}   (no apiVersion, as served)
//   GET /apis/{group}/{version}   APIResourceList {kind, apiVersion: "v1", groupVersion, resources}
// Each resource lists name (plural), singularName, namespaced, kind, verbs, and subresources as
// "pods/exec" entries. Only the legacy (unaggregated) JSON form is served; a client asking for
// aggregated discovery (Accept: application/json;g=apidiscovery.k8s.io;v=v2) gets it anyway,
// which real servers also do for clients that list application/json as a fallback.
//
// Tests can make a group's discovery fail like an unavailable aggregated API (e.g. metrics-server
// down: 503 ServiceUnavailable): unavailableDiscovery(fake.registry, 'metrics.k8s.io/v1beta1').
// Registered as a SubresourceHandler (routed before resource paths).
import type { KubeRegistry } from './kube-registry.js';
import { RESOURCE_TYPES, type ResourceType } from './kube-resources.js';
import { KubeStatusError, statusError } from './kube-status.js';
import { SUBRESOURCE_HANDLERS, type SubresourceHandler } from './kube-subresources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Subresources the real server lists (not all are served by the fake). */
const SUBRESOURCES: Record<string, Array<{ sub: string; kind: string; verbs: string[]; group?: string; version?: string }>> = {
  pods: [
    { sub: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { sub: 'eviction', kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
    { sub: 'log', kind: 'Pod', verbs: ['get'] },
    { sub: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  ],
  deployments: [
    { sub: 'scale', kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' },
    { sub: 'status', kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
  ],
  statefulsets: [{ sub: 'scale', kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' }],
  customresourcedefinitions: [{ sub: 'status', kind: 'CustomResourceDefinition', verbs: ['get', 'patch', 'update'] }],
  volumesnapshots: [{ sub: 'status', kind: 'VolumeSnapshot', verbs: ['get', 'patch', 'update'] }],
};

/** Resources that exist only for create in the real API (they appear in discovery, not listable). */
const CREATE_ONLY: Array<{ gv: string; name: string; kind: string; namespaced: boolean }> = [
  { gv: 'v1', name: 'bindings', kind: 'Binding', namespaced: true },
  { gv: 'authentication.k8s.io/v1', name: 'tokenreviews', kind: 'TokenReview', namespaced: false },
];

const unavailable = new WeakMap<KubeRegistry, Set<string>>();

/** Makes discovery of these group versions answer 503, like an aggregated API that is down. */
export function unavailableDiscovery(registry: KubeRegistry, ...groupVersions: string[]): void {
  unavailable.set(registry, new Set([...(unavailable.get(registry) ?? []), ...groupVersions]));
}

function gvOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

function singular(kind: string): string {
  return kind.toLowerCase();
}

function groupVersions(registry: KubeRegistry): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const add = (group: string, version: string) => {
    const vs = groups.get(group) ?? [];
    if (!vs.includes(version)) vs.push(version);
    groups.set(group, vs);
  };
  for (const rt of RESOURCE_TYPES) add(rt.group, rt.version);
  for (const c of CREATE_ONLY) {
    const [g, v] = c.gv.includes('/') ? c.gv.split('/') : ['', c.gv];
    add(g!, v!);
  }
  for (const gv of unavailable.get(registry) ?? []) {
    const [g, v] = gv.split('/');
    add(g!, v!);
  }
  return groups;
}

function resourceList(gv: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const rt of RESOURCE_TYPES.filter((r) => gvOf(r) === gv)) {
    out.push({ name: rt.resource, singularName: singular(rt.kind), namespaced: rt.namespaced, kind: rt.kind, verbs: VERBS });
    for (const s of SUBRESOURCES[rt.resource] ?? []) {
      out.push({
        name: `${rt.resource}/${s.sub}`,
        singularName: '',
        namespaced: rt.namespaced,
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  for (const c of CREATE_ONLY.filter((x) => x.gv === gv))
    out.push({ name: c.name, singularName: singular(c.kind), namespaced: c.namespaced, kind: c.kind, verbs: ['create'] });
  return out;
}

function groupDoc(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export const discoveryHandler: SubresourceHandler = (registry, req) => {
  const path = req.path.replace(/\/+$/, '');
  const parts = path.split('/').filter((p) => p !== '');
  // /api[/v1] and /apis[/{group}[/{version}]] with nothing after them.
  const isDiscovery = (parts[0] === 'api' && parts.length <= 2) || (parts[0] === 'apis' && parts.length <= 3);
  if (!isDiscovery) return null;
  if (req.method !== 'GET') throw statusError.methodNotAllowed();
  const groups = groupVersions(registry);
  if (parts[0] === 'api') {
    if (parts.length === 1)
      return {
        code: 200,
        body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] },
      };
    if (parts[1] !== 'v1') throw statusError.pathNotFound();
    return { code: 200, body: { kind: 'APIResourceList', groupVersion: 'v1', resources: resourceList('v1') } };
  }
  if (parts.length === 1) {
    const list = [...groups.entries()].filter(([g]) => g !== '').map(([g, vs]) => groupDoc(g, vs));
    return { code: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups: list } };
  }
  const group = parts[1]!;
  const versions = groups.get(group);
  if (!versions || group === '') throw statusError.pathNotFound();
  if (parts.length === 2) return { code: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, versions) } };
  const version = parts[2]!;
  if (!versions.includes(version)) throw statusError.pathNotFound();
  const gv = `${group}/${version}`;
  if (unavailable.get(registry)?.has(gv)) {
    throw new KubeStatusError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server is currently unable to handle the request',
      reason: 'ServiceUnavailable',
      code: 503,
    });
  }
  return { code: 200, body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: resourceList(gv) } };
};

if (!SUBRESOURCE_HANDLERS.includes(discoveryHandler)) SUBRESOURCE_HANDLERS.push(discoveryHandler);
