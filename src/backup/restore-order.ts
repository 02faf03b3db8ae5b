// Restore order and the changes an object needs before it is created again. Pure.
//
// Order (issue #4, close to Velero's default restore priorities, pkg/cmd/server/server.go
// defaultRestorePriorities): CRDs (then wait until Established), Namespaces, StorageClasses,
// PVCs, ServiceAccounts, Secrets, ConfigMaps, RBAC, Services, workloads (Deployments,
// StatefulSets, DaemonSets, CronJobs, Jobs), HPAs, PDBs, Ingresses, NetworkPolicies, the rest.
//
// Preparation (what Velero's restore item actions do, pkg/restore/actions): server-assigned or
// cluster-unique fields are dropped so the object can be created anywhere:
//   - metadata.ownerReferences (the owners' UIDs do not exist in the target: the garbage
//     collector would delete the restored object at once);
//   - Service spec.clusterIP/clusterIPs (unless headless "None"); nodePorts when the namespace
//     is mapped (two copies of a Service cannot hold the same nodePort);
//   - PVC spec.volumeName and the binding annotations (a new volume is provisioned, or the PVC is
//     restored from its VolumeSnapshot when the backup has one in the same namespace);
//   - Job spec.selector and the controller-uid labels (the API server generates them);
//   - namespaces inside the object that refer to the mapped namespace (RoleBinding subjects,
//     the object's own metadata.namespace).
import { qualifiedName, type KubeJson } from './objects.js';
import { text } from '../domain/text.js';

export const RESTORE_STAGES = [
  'crds',
  'namespaces',
  'storageclasses',
  'pvcs',
  'serviceaccounts',
  'secrets',
  'configmaps',
  'rbac',
  'services',
  'workloads',
  'hpas',
  'pdbs',
  'ingresses',
  'networkpolicies',
  'rest',
] as const;
export type RestoreStage = (typeof RESTORE_STAGES)[number];

const STAGE_OF: Record<string, RestoreStage> = {
  'customresourcedefinitions.apiextensions.k8s.io': 'crds',
  namespaces: 'namespaces',
  'storageclasses.storage.k8s.io': 'storageclasses',
  persistentvolumeclaims: 'pvcs',
  serviceaccounts: 'serviceaccounts',
  secrets: 'secrets',
  configmaps: 'configmaps',
  'roles.rbac.authorization.k8s.io': 'rbac',
  'rolebindings.rbac.authorization.k8s.io': 'rbac',
  'clusterroles.rbac.authorization.k8s.io': 'rbac',
  'clusterrolebindings.rbac.authorization.k8s.io': 'rbac',
  services: 'services',
  'deployments.apps': 'workloads',
  'statefulsets.apps': 'workloads',
  'daemonsets.apps': 'workloads',
  'cronjobs.batch': 'workloads',
  'jobs.batch': 'workloads',
  'horizontalpodautoscalers.autoscaling': 'hpas',
  'poddisruptionbudgets.policy': 'pdbs',
  'ingresses.networking.k8s.io': 'ingresses',
  'networkpolicies.networking.k8s.io': 'networkpolicies',
};

/** Workload kinds within the workloads stage, in this order (Deployments first, Jobs last). */
const WORKLOAD_ORDER = ['deployments.apps', 'statefulsets.apps', 'daemonsets.apps', 'cronjobs.batch', 'jobs.batch'];

export function stageOf(t: { group: string; resource: string }): RestoreStage {
  return STAGE_OF[qualifiedName(t)] ?? 'rest';
}

/** Sorts resource types into restore order (stable: ties by qualified name). */
export function restoreOrder<T extends { group: string; resource: string }>(types: T[]): T[] {
  const rank = (t: T) => {
    const stage = RESTORE_STAGES.indexOf(stageOf(t));
    const w = WORKLOAD_ORDER.indexOf(qualifiedName(t));
    return stage * 100 + (w >= 0 ? w : 50);
  };
  return [...types].sort((a, b) => rank(a) - rank(b) || (qualifiedName(a) < qualifiedName(b) ? -1 : qualifiedName(a) > qualifiedName(b) ? 1 : 0));
}

export interface PrepareOptions {
  /** Source namespace -> target namespace. Unmapped namespaces keep their name. */
  namespaceMap: Record<string, string>;
  /** Namespaced VolumeSnapshots of this backup by "namespace/pvc" (restore PVCs from them). */
  snapshotsByPvc?: Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mapNamespace(ns: string, map: Record<string, string>): string {
  return map[ns] ?? ns;
}

const PVC_ANNOTATIONS = [
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
];
const JOB_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];

/** The object to create, from a stored (cleaned) object. Does not change `obj`. */
export function prepareForRestore(t: { group: string; resource: string; namespaced: boolean }, obj: KubeJson, opts: PrepareOptions): KubeJson {
  const out = structuredClone<KubeJson>(obj);
  const meta = (out.metadata = isObject(out.metadata) ? out.metadata : {});
  delete meta['ownerReferences'];
  const sourceNs = typeof meta['namespace'] === 'string' ? meta['namespace'] : undefined;
  const mapped = sourceNs !== undefined && opts.namespaceMap[sourceNs] !== undefined;
  if (t.namespaced && sourceNs !== undefined) meta['namespace'] = mapNamespace(sourceNs, opts.namespaceMap);
  const q = qualifiedName(t);
  const spec = isObject(out['spec']) ? out['spec'] : undefined;

  if (q === 'namespaces') {
    const name = text(meta['name']);
    meta['name'] = mapNamespace(name, opts.namespaceMap);
    if (isObject(meta['labels']) && meta['labels']['kubernetes.io/metadata.name'] !== undefined) {
      meta['labels']['kubernetes.io/metadata.name'] = meta['name'];
    }
    delete out['spec']; // spec.finalizers is set by the server
  }
  if (q === 'services' && spec) {
    if (spec['clusterIP'] !== 'None') {
      delete spec['clusterIP'];
      delete spec['clusterIPs'];
    }
    if (mapped && Array.isArray(spec['ports'])) for (const p of spec['ports']) if (isObject(p)) delete p['nodePort'];
    delete spec['healthCheckNodePort'];
  }
  if (q === 'persistentvolumeclaims' && spec) {
    delete spec['volumeName'];
    if (isObject(meta['annotations'])) for (const a of PVC_ANNOTATIONS) delete meta['annotations'][a];
    const snap = sourceNs !== undefined ? opts.snapshotsByPvc?.[`${sourceNs}/${String(meta['name'])}`] : undefined;
    // A VolumeSnapshot is namespaced: a PVC can only be restored from one in its own namespace.
    if (snap && !mapped && spec['dataSource'] === undefined) {
      spec['dataSource'] = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snap };
    }
  }
  if (q === 'jobs.batch' && spec) {
    if (spec['manualSelector'] !== true) delete spec['selector'];
    const tm = isObject(spec['template']) && isObject(spec['template']['metadata']) ? spec['template']['metadata'] : undefined;
    if (tm && isObject(tm['labels'])) for (const l of JOB_LABELS) delete tm['labels'][l];
  }
  if ((q === 'rolebindings.rbac.authorization.k8s.io' || q === 'clusterrolebindings.rbac.authorization.k8s.io') && Array.isArray(out['subjects'])) {
    for (const s of out['subjects']) {
      if (isObject(s) && typeof s['namespace'] === 'string') s['namespace'] = mapNamespace(s['namespace'], opts.namespaceMap);
    }
  }
  return out;
}
