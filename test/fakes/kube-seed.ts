// Builders for the objects a real cluster would hold: a Deployment with the ReplicaSet its
// controller created and the pods of that ReplicaSet, wired with controller ownerReferences
// and the pod-template-hash label (pkg/controller/deployment/sync.go, util/deployment_util.go).
import { randomSuffix } from './kube-registry.js';
import type { KubeObject, OwnerReference } from './kube-resources.js';

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a 32-bit, the hash ComputeHash feeds the pod template to. */
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** pod-template-hash: rand.SafeEncodeString of the decimal FNV hash of the template. */
export function podTemplateHash(template: unknown): string {
  return [...String(fnv1a32(canonical(template)))].map((c) => SAFE_ALPHANUMS[c.charCodeAt(0) % SAFE_ALPHANUMS.length]).join('');
}

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface DeploymentSeed {
  namespace: string;
  name: string;
  replicas?: number;
  image?: string;
  paused?: boolean;
  /** Extra annotations on spec.template.metadata (e.g. an existing restartedAt). */
  templateAnnotations?: Record<string, string>;
  /** Node the pods run on; default "aks-nodepool1-12345678-vmss000000". */
  nodeName?: string;
  /** Pods in CrashLoopBackOff instead of Running. */
  crashLooping?: boolean;
}

export function deploymentObject(s: DeploymentSeed): KubeObject {
  const labels = { app: s.name };
  const template: Record<string, unknown> = {
    metadata: { labels, ...(s.templateAnnotations ? { annotations: s.templateAnnotations } : {}) },
    spec: { containers: [{ name: s.name, image: s.image ?? `contoso.azurecr.io/${s.name}:1.0.0`, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
  };
  const replicas = s.replicas ?? 2;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, namespace: s.namespace, labels, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: { replicas, selector: { matchLabels: labels }, template, ...(s.paused ? { paused: true } : {}) },
    status: {
      observedGeneration: 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: s.crashLooping ? 0 : replicas,
      availableReplicas: s.crashLooping ? 0 : replicas,
      ...(s.crashLooping ? { unavailableReplicas: replicas } : {}),
    },
  };
}

/** The ReplicaSet the deployment controller creates for the deployment's current template. */
export function replicaSetFor(deployment: KubeObject): KubeObject {
  const spec = deployment.spec as {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> } };
  };
  const hash = podTemplateHash(spec.template);
  const template = structuredClone(spec.template);
  template.metadata.labels = { ...template.metadata.labels, 'pod-template-hash': hash };
  const replicas = spec.replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deployment.metadata.name}-${hash}`,
      namespace: deployment.metadata.namespace!,
      labels: { ...spec.template.metadata.labels, 'pod-template-hash': hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(replicas),
        'deployment.kubernetes.io/max-replicas': String(replicas + Math.ceil(replicas / 4)),
        'deployment.kubernetes.io/revision': deployment.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '1',
      },
      ownerReferences: [controllerRef(deployment)],
    },
    spec: { replicas, selector: { matchLabels: { ...spec.selector.matchLabels, 'pod-template-hash': hash } }, template },
    status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  };
}

export interface PodSeed {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  nodeName?: string;
  image?: string;
  crashLooping?: boolean;
  /** Spec to use instead of a one-container default (e.g. a ReplicaSet's template spec). */
  spec?: Record<string, unknown>;
}

export function podObject(s: PodSeed): KubeObject {
  const spec = structuredClone(s.spec ?? { containers: [{ name: 'main', image: s.image ?? 'contoso.azurecr.io/tool:1.0.0' }] });
  spec['nodeName'] = s.nodeName ?? 'aks-nodepool1-12345678-vmss000000';
  const containers = (spec['containers'] as Array<{ name: string; image: string }>) ?? [];
  const containerStatuses = containers.map((c) => ({
    name: c.name,
    image: c.image,
    ready: !s.crashLooping,
    started: !s.crashLooping,
    restartCount: s.crashLooping ? 7 : 0,
    state: s.crashLooping
      ? { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=${c.name}` } }
      : { running: { startedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      ...(s.labels ? { labels: s.labels } : {}),
      ...(s.ownerReferences ? { ownerReferences: s.ownerReferences } : {}),
    },
    spec,
    status: {
      phase: 'Running',
      qosClass: 'BestEffort',
      podIP: `10.244.0.${Math.floor(Math.random() * 250) + 2}`,
      conditions: [{ type: 'Ready', status: s.crashLooping ? 'False' : 'True' }],
      containerStatuses,
    },
  };
}

/** Pods of a ReplicaSet: generateName "<rs>-", the template's labels and spec, owned by the RS. */
export function podsFor(replicaSet: KubeObject, opts: { count?: number; nodeName?: string; crashLooping?: boolean } = {}): KubeObject[] {
  const spec = replicaSet.spec as { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } };
  const count = opts.count ?? spec.replicas;
  return Array.from({ length: count }, () => {
    const pod = podObject({
      namespace: replicaSet.metadata.namespace!,
      name: `${replicaSet.metadata.name}-${randomSuffix()}`,
      labels: spec.template.metadata.labels,
      ownerReferences: [controllerRef(replicaSet)],
      spec: spec.template.spec,
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.crashLooping ? { crashLooping: true } : {}),
    });
    pod.metadata.generateName = `${replicaSet.metadata.name}-`;
    return pod;
  });
}
