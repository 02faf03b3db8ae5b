// Controllers a real cluster runs that backups and restores wait for, simulated inside the fake
// API server, each switched on per server by a test:
//
// - snapshot controller (kubernetes-csi/external-snapshotter): a VolumeSnapshot becomes
//   readyToUse after it has been read `readyAfterReads` times, with status.boundVolumeSnapshotContentName
//   (snapcontent-<uid>), creationTime and restoreSize (the PVC's requested storage). A snapshot of
//   a PVC that does not exist gets status.error {message, time} and never becomes ready, as the
//   controller reports it; names in `failNames` fail the same way.
// - apiextensions controller: a CustomResourceDefinition gets the NamesAccepted and Established
//   conditions after `establishedAfterReads` reads.
// - workload controllers: Deployments/StatefulSets/DaemonSets report all replicas available
//   (observedGeneration, readyReplicas, availableReplicas, updatedReplicas; numberAvailable for
//   DaemonSets) after `availableAfterReads` reads of the object, unless their name is in
//   `neverAvailable`.
//
//   simulateControllers(fake.registry, { snapshots: { readyAfterReads: 2 }, crds: {...}, workloads: {...} })
//
// The simulation runs as a SubresourceHandler that observes every request and answers none.
import { KubeRegistry, objectKey, rfc3339 } from './kube-registry.js';
import { isPlainObject } from './kube-patch.js';
import { resourceType } from './kube-resources.js';
import { SUBRESOURCE_HANDLERS, type SubresourceHandler } from './kube-subresources.js';
import { text } from '../../src/domain/text.js';

export interface ControllerOptions {
  snapshots?: { readyAfterReads: number; failNames?: string[] };
  crds?: { establishedAfterReads: number };
  workloads?: { availableAfterReads: number; neverAvailable?: string[] };
}

const config = new WeakMap<KubeRegistry, { o: ControllerOptions; reads: Map<string, number> }>();

export function simulateControllers(registry: KubeRegistry, o: ControllerOptions): void {
  config.set(registry, { o, reads: new Map() });
}

const ITEM = /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)\/([^/]+)$/;

function bump(reads: Map<string, number>, key: string): number {
  const n = (reads.get(key) ?? 0) + 1;
  reads.set(key, n);
  return n;
}

const controllersHandler: SubresourceHandler = (registry, req) => {
  const c = config.get(registry);
  if (!c || req.method !== 'GET') return null;
  const m = ITEM.exec(req.path);
  if (!m) return null;
  const [, group, , ns, resource, name] = m as unknown as [string, string, string, string | undefined, string, string];
  const key = `${resource}/${ns ?? ''}/${name}`;
  const store = registry.store;
  if (resource === 'volumesnapshots' && group === 'snapshot.storage.k8s.io' && c.o.snapshots && ns) {
    const rt = resourceType('volumesnapshots');
    const k = objectKey(rt, ns, name);
    const obj = store.get(rt.resource, k);
    if (!obj || (obj.status ?? {})['readyToUse'] === true || isPlainObject((obj.status ?? {})['error'])) return null;
    const src = (obj.spec ?? {})['source'] as Record<string, unknown> | undefined;
    const pvcName = text(src?.['persistentVolumeClaimName']);
    const pvc = store.get('persistentvolumeclaims', `${ns}/${pvcName}`);
    if (!pvc || (c.o.snapshots.failNames ?? []).includes(name)) {
      obj.status = {
        readyToUse: false,
        error: {
          message: pvc
            ? `Failed to create snapshot: error creating snapshot of volume: injected failure`
            : `Failed to check and update snapshot content: failed to get input parameters to create snapshot ${name}: "the PVC ${pvcName} not yet bound to a PV"`,
          time: rfc3339(new Date()),
        },
      };
      store.write(rt.resource, k, obj);
      return null;
    }
    if (bump(c.reads, key) >= c.o.snapshots.readyAfterReads) {
      const requests = ((pvc.spec ?? {})['resources'] as { requests?: Record<string, string> } | undefined)?.requests ?? {};
      obj.status = {
        boundVolumeSnapshotContentName: `snapcontent-${obj.metadata.uid}`,
        creationTime: rfc3339(new Date()),
        readyToUse: true,
        restoreSize: requests['storage'] ?? '0',
      };
      store.write(rt.resource, k, obj);
    }
    return null;
  }
  if (resource === 'customresourcedefinitions' && c.o.crds && !ns) {
    const rt = resourceType('customresourcedefinitions');
    const obj = store.get(rt.resource, name);
    if (!obj) return null;
    const conds = ((obj.status ?? {})['conditions'] as unknown[] | undefined) ?? [];
    if (conds.length > 0) return null;
    if (bump(c.reads, key) >= c.o.crds.establishedAfterReads) {
      const now = rfc3339(new Date());
      obj.status = {
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
        ],
        acceptedNames: (obj.spec ?? {})['names'],
        storedVersions: [String(((obj.spec ?? {})['versions'] as Array<{ name: string }> | undefined)?.[0]?.name ?? 'v1')],
      };
      store.write(rt.resource, name, obj);
    }
    return null;
  }
  if (group === 'apps' && ['deployments', 'statefulsets', 'daemonsets'].includes(resource) && c.o.workloads && ns) {
    const rt = resourceType(resource);
    const k = objectKey(rt, ns, name);
    const obj = store.get(rt.resource, k);
    if (!obj || (c.o.workloads.neverAvailable ?? []).includes(name)) return null;
    const gen = obj.metadata.generation ?? 1;
    if ((obj.status ?? {})['observedGeneration'] === gen) return null;
    if (bump(c.reads, `${key}@${gen}`) >= c.o.workloads.availableAfterReads) {
      const replicas = resource === 'daemonsets' ? 1 : Number((obj.spec ?? {})['replicas'] ?? 1);
      obj.status =
        resource === 'daemonsets'
          ? { observedGeneration: gen, currentNumberScheduled: 1, desiredNumberScheduled: 1, numberReady: 1, numberAvailable: 1, updatedNumberScheduled: 1 }
          : {
              observedGeneration: gen,
              replicas,
              readyReplicas: replicas,
              availableReplicas: replicas,
              updatedReplicas: replicas,
              ...(resource === 'statefulsets' ? { currentReplicas: replicas } : {}),
            };
      store.write(rt.resource, k, obj);
    }
    return null;
  }
  return null;
};

if (!SUBRESOURCE_HANDLERS.includes(controllersHandler)) SUBRESOURCE_HANDLERS.unshift(controllersHandler);
