// The scheduler, the volume provisioner and the kubelet for pods created through the fake API
// (the fake runs no controllers): a Pending pod without a node is, after `runningAfterReads` GETs
// of it, bound to a node (its nodeAffinity matchFields metadata.name, else `defaultNode`), its
// unbound PVCs are provisioned (phase Bound, capacity = request, a volumeName), and it turns
// Running with a running container, unless its image is in `badImages` (waiting ImagePullBackOff,
// as the kubelet reports a pull failure) or a PVC it mounts does not exist (PodScheduled False,
// Unschedulable, the scheduler's message). A terminating pod is removed on the next GET (the
// kubelet confirmed). Pods that were seeded Running are left alone.
//
// Volumes: exec in a pod (kube-exec.ts) runs locally; `volumeRewrite` maps the container's PVC
// mount paths in the command to a host directory standing in for the volume, so real tar reads
// and writes real files.
//
//   simulateKubelet(fake.registry, { runningAfterReads: 1, defaultNode: 'aks-nodepool1-0' });
//   configureExec(fake.registry, { rewrite: volumeRewrite(fake.registry, (ns, claim) => dirs[`${ns}/${claim}`]) });
import { KubeRegistry, objectKey, rfc3339 } from './kube-registry.js';
import { resourceType, type KubeObject } from './kube-resources.js';
import { SUBRESOURCE_HANDLERS, type SubresourceHandler } from './kube-subresources.js';
import type { ExecRequest } from './kube-exec.js';

export interface KubeletOptions {
  runningAfterReads?: number;
  defaultNode?: string;
  badImages?: string[];
}

const config = new WeakMap<KubeRegistry, { o: KubeletOptions; reads: Map<string, number> }>();

export function simulateKubelet(registry: KubeRegistry, o: KubeletOptions = {}): void {
  config.set(registry, { o, reads: new Map() });
}

const POD = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;

type Volume = { name?: string; persistentVolumeClaim?: { claimName?: string } };

function claimsOf(pod: KubeObject): string[] {
  return (((pod.spec ?? {})['volumes'] as Volume[] | undefined) ?? [])
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((c): c is string => typeof c === 'string');
}

function nodeFor(pod: KubeObject, fallback: string): string {
  const terms =
    (
      (((pod.spec ?? {})['affinity'] as Record<string, unknown> | undefined)?.['nodeAffinity'] as Record<string, unknown> | undefined)?.[
        'requiredDuringSchedulingIgnoredDuringExecution'
      ] as { nodeSelectorTerms?: Array<{ matchFields?: Array<{ key: string; values: string[] }> }> } | undefined
    )?.nodeSelectorTerms ?? [];
  return terms.flatMap((t) => t.matchFields ?? []).find((f) => f.key === 'metadata.name')?.values[0] ?? fallback;
}

const kubeletHandler: SubresourceHandler = (registry, req) => {
  const c = config.get(registry);
  if (!c || req.method !== 'GET') return null;
  const m = POD.exec(req.path);
  if (!m) return null;
  const [ns, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
  const pods = resourceType('pods');
  const key = objectKey(pods, ns, name);
  const pod = registry.store.get('pods', key);
  if (!pod) return null;
  if (pod.metadata.deletionTimestamp) {
    registry.finishPodTermination(ns, name);
    return null;
  }
  const status = pod.status ?? {};
  const spec = pod.spec ?? {};
  if (status['phase'] !== 'Pending' || spec['nodeName']) return null;
  const n = (c.reads.get(key) ?? 0) + 1;
  c.reads.set(key, n);
  if (n < (c.o.runningAfterReads ?? 1)) return null;
  const now = rfc3339(new Date());
  const missing = claimsOf(pod).find((claim) => !registry.store.get('persistentvolumeclaims', `${ns}/${claim}`));
  if (missing) {
    pod.status = {
      ...status,
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: `0/3 nodes are available: persistentvolumeclaim "${missing}" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`,
          lastTransitionTime: now,
        },
      ],
    };
    registry.store.write('pods', key, pod);
    return null;
  }
  for (const claim of claimsOf(pod)) {
    const pvc = registry.store.get('persistentvolumeclaims', `${ns}/${claim}`)!;
    if ((pvc.status ?? {})['phase'] === 'Bound') continue;
    const storage = ((pvc.spec ?? {})['resources'] as { requests?: { storage?: string } } | undefined)?.requests?.storage ?? '1Gi';
    pvc.spec = { ...(pvc.spec ?? {}), volumeName: `pvc-${pvc.metadata.uid}` };
    pvc.status = { phase: 'Bound', accessModes: (pvc.spec ?? {})['accessModes'], capacity: { storage } };
    registry.store.write('persistentvolumeclaims', `${ns}/${claim}`, pvc);
  }
  spec['nodeName'] = nodeFor(pod, c.o.defaultNode ?? 'aks-nodepool1-12345678-vmss000000');
  const containers = (spec['containers'] as Array<{ name: string; image: string }> | undefined) ?? [];
  const bad = containers.find((x) => (c.o.badImages ?? []).includes(x.image));
  pod.spec = spec;
  pod.status = bad
    ? {
        ...status,
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now }],
        containerStatuses: containers.map((x) => ({
          name: x.name,
          image: x.image,
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${x.image}"` } },
        })),
      }
    : {
        ...status,
        phase: 'Running',
        startTime: now,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastTransitionTime: now },
        ],
        containerStatuses: containers.map((x) => ({
          name: x.name,
          image: x.image,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      };
  registry.store.write('pods', key, pod);
  return null;
};

if (!SUBRESOURCE_HANDLERS.includes(kubeletHandler)) SUBRESOURCE_HANDLERS.unshift(kubeletHandler);

/** An exec rewrite that maps the container's PVC mount paths in the command to host directories. */
export function volumeRewrite(registry: KubeRegistry, hostDir: (namespace: string, claim: string) => string | undefined): (req: ExecRequest) => string[] {
  return (req) => {
    const pod = registry.store.get('pods', `${req.namespace}/${req.pod}`);
    const spec = (pod?.spec ?? {}) as { containers?: Array<{ name: string; volumeMounts?: Array<{ name: string; mountPath: string }> }>; volumes?: Volume[] };
    const mounts = (spec.containers ?? []).find((x) => x.name === req.container)?.volumeMounts ?? [];
    let argv = req.command;
    for (const mount of mounts) {
      const claim = (spec.volumes ?? []).find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName;
      const dir = claim ? hostDir(req.namespace, claim) : undefined;
      if (!dir) continue;
      argv = argv.map((a) => (a === mount.mountPath || a.startsWith(`${mount.mountPath}/`) ? dir + a.slice(mount.mountPath.length) : a));
    }
    return argv;
  };
}
