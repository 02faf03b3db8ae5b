// What the controllers and kubelets of a real cluster would do between two API calls, done
// on demand by tests (the fake API server runs no controllers): the deployment controller
// rolling out a new template (new ReplicaSet, revision annotation, status counters), the
// StatefulSet and DaemonSet controllers catching up, the disruption controller computing PDB
// status, the external resizer and kubelet growing a PVC, the job controller finishing a Job,
// and the kubelet removing terminated pods. Plus builders for the objects runbooks act on.
import type { FakeKubeApiServer } from './kube-api-server.js';
import { isPlainObject, deepEqual } from './kube-patch.js';
import type { KubeObject } from './kube-resources.js';
import { controllerRef, podsFor, podTemplateHash } from './kube-seed.js';
import { parseLabelSelectorObject } from './kube-label-selector.js';

type Obj = Record<string, unknown>;
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------- builders

export function nodeObject(name: string, opts: { pool?: string; ready?: boolean; unschedulable?: boolean } = {}): KubeObject {
  const pool = opts.pool ?? /^aks-([a-z0-9]+)-/.exec(name)?.[1] ?? 'nodepool1';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.azure.com/agentpool': pool, agentpool: pool, 'kubernetes.io/hostname': name } },
    spec: opts.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'Unknown' : 'True', reason: opts.ready === false ? 'NodeStatusUnknown' : 'KubeletReady' }],
    },
  };
}

export function pdbObject(
  namespace: string,
  name: string,
  opts: { matchLabels: Record<string, string>; minAvailable?: number | string; maxUnavailable?: number | string; status?: Obj },
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: opts.matchLabels },
      ...(opts.minAvailable !== undefined ? { minAvailable: opts.minAvailable } : {}),
      ...(opts.maxUnavailable !== undefined ? { maxUnavailable: opts.maxUnavailable } : {}),
    },
    status: { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...(opts.status ?? {}) },
  };
}

export function hpaObject(
  namespace: string,
  name: string,
  opts: { target: { kind: string; name: string }; min?: number; max: number; current?: number },
): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: opts.target.kind, name: opts.target.name },
      minReplicas: opts.min ?? 1,
      maxReplicas: opts.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
    status: { currentReplicas: opts.current ?? opts.max, desiredReplicas: opts.current ?? opts.max },
  };
}

export function storageClassObject(name: string, allowVolumeExpansion: boolean): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'disk.csi.azure.com',
    parameters: { skuName: 'Premium_LRS' },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    ...(allowVolumeExpansion ? { allowVolumeExpansion: true } : {}),
  };
}

export function pvcObject(namespace: string, name: string, opts: { storageClassName: string; size: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: opts.size } },
      storageClassName: opts.storageClassName,
      volumeMode: 'Filesystem',
      volumeName: `pvc-${name}`,
    },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: opts.size } },
  };
}

export function jobObject(
  namespace: string,
  name: string,
  opts: { labels?: Record<string, string>; failed?: boolean; succeeded?: boolean; startTime?: string } = {},
): KubeObject {
  const conditions = opts.failed
    ? [
        { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
        { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
      ]
    : opts.succeeded
      ? [
          { type: 'SuccessCriteriaMet', status: 'True' },
          { type: 'Complete', status: 'True' },
        ]
      : [];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      backoffLimit: 1,
      template: {
        metadata: { labels: { ...(opts.labels ?? {}) } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'analysis', image: 'packamal.azurecr.io/analysis:2.3.1' }] },
      },
    },
    status: {
      ...(opts.startTime ? { startTime: opts.startTime } : {}),
      ...(opts.failed ? { failed: 2 } : {}),
      ...(opts.succeeded ? { succeeded: 1 } : {}),
      ...(conditions.length ? { conditions } : {}),
    },
  };
}

/** Pods of a Job, as the job controller creates them (label job-name, controller ownerReference). */
export function seedJobPods(kube: FakeKubeApiServer, job: KubeObject, count: number, phase: 'Failed' | 'Succeeded' | 'Running' = 'Failed'): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; i < count; i++) {
    const labels = {
      ...((job.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels ?? {}),
      'job-name': job.metadata.name!,
      'batch.kubernetes.io/job-name': job.metadata.name!,
    };
    const pod = kube.seedPod({ namespace: job.metadata.namespace!, name: `${job.metadata.name}-${i}x${i}`, labels, ownerReferences: [controllerRef(job)] });
    out.push(kube.modify('pods', pod.metadata.namespace, pod.metadata.name!, (p) => ((p.status ??= {})['phase'] = phase)));
  }
  return out;
}

/** Seeds a node and pods on it: a Deployment's pods, a DaemonSet pod, a mirror pod. */
export function seedNode(kube: FakeKubeApiServer, name: string, opts: { pool?: string; ready?: boolean; unschedulable?: boolean } = {}): KubeObject {
  return kube.seed('nodes', nodeObject(name, opts));
}

export function seedDaemonSetPod(kube: FakeKubeApiServer, namespace: string, dsName: string, nodeName: string): KubeObject {
  const ds =
    kube.get('daemonsets', namespace, dsName) ??
    kube.seed('daemonsets', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: dsName, namespace },
      spec: {
        selector: { matchLabels: { app: dsName } },
        template: { metadata: { labels: { app: dsName } }, spec: { containers: [{ name: dsName, image: `mcr.microsoft.com/${dsName}:1.0` }] } },
      },
      status: { desiredNumberScheduled: 1, currentNumberScheduled: 1, updatedNumberScheduled: 1, numberAvailable: 1, numberReady: 1, observedGeneration: 1 },
    });
  return kube.seedPod({
    namespace,
    name: `${dsName}-${nodeName.slice(-6)}`,
    nodeName,
    labels: { app: dsName },
    ownerReferences: [controllerRef({ ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' })],
  });
}

export function seedMirrorPod(kube: FakeKubeApiServer, namespace: string, name: string, nodeName: string): KubeObject {
  kube.seedPod({ namespace, name, nodeName });
  return kube.modify('pods', namespace, name, (p) => {
    p.metadata.annotations = { 'kubernetes.io/config.mirror': 'c0ffee', 'kubernetes.io/config.source': 'file' };
    p.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: 'node-uid', controller: true }];
  });
}

// ---------------------------------------------------------------- controllers

function podsOf(kube: FakeKubeApiServer, namespace: string, selector: unknown): KubeObject[] {
  const match = parseLabelSelectorObject(selector);
  return kube.list('pods', namespace).filter((p) => match(p.metadata.labels ?? {}));
}

/**
 * The deployment controller: when the template changed, a new ReplicaSet (revision + 1)
 * replaces the old one. `progress` 'complete' finishes the rollout (all pods new and
 * available, old ReplicaSet scaled to 0); 'partial' leaves it half done; 'stuck' sets
 * Progressing=False ProgressDeadlineExceeded.
 */
export function rolloutDeployment(kube: FakeKubeApiServer, namespace: string, name: string, progress: 'complete' | 'partial' | 'stuck' = 'complete'): void {
  const dep = kube.get('deployments', namespace, name);
  if (!dep) throw new Error(`rolloutDeployment: no deployment ${namespace}/${name}`);
  const spec = dep.spec as { replicas: number; template: { metadata: { labels: Record<string, string> } }; selector: unknown; paused?: boolean };
  const hash = podTemplateHash(spec.template);
  const rss = kube.list('replicasets', namespace).filter((rs) => (rs.metadata.ownerReferences ?? []).some((o) => o.uid === dep.metadata.uid));
  const revisions = rss.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0));
  const maxRevision = Math.max(0, ...revisions);
  const stripHash = (t: unknown) => {
    const c = structuredClone(t) as { metadata?: { labels?: Record<string, string> } };
    delete c.metadata?.labels?.['pod-template-hash'];
    return c;
  };
  let current = rss.find((rs) => deepEqual(stripHash((rs.spec as Obj)['template']), spec.template));
  const replicas = spec.replicas;
  if (!current) {
    const template = structuredClone(spec.template);
    template.metadata.labels = { ...template.metadata.labels, 'pod-template-hash': hash };
    current = kube.seed('replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${hash}`,
        namespace,
        labels: template.metadata.labels,
        annotations: { 'deployment.kubernetes.io/revision': String(maxRevision + 1), 'deployment.kubernetes.io/desired-replicas': String(replicas) },
        ownerReferences: [controllerRef(dep)],
      },
      spec: {
        replicas,
        selector: { matchLabels: { ...(spec.selector as { matchLabels: Record<string, string> }).matchLabels, 'pod-template-hash': hash } },
        template,
      },
      status: { replicas: 0, observedGeneration: 1 },
    });
  } else if (Number(current.metadata.annotations?.['deployment.kubernetes.io/revision']) !== maxRevision) {
    // Rolling back to an old template re-uses its ReplicaSet under a new revision number.
    kube.modify(
      'replicasets',
      namespace,
      current.metadata.name!,
      (rs) => (rs.metadata.annotations = { ...rs.metadata.annotations, 'deployment.kubernetes.io/revision': String(maxRevision + 1) }),
    );
  }
  const revision = kube.get('replicasets', namespace, current.metadata.name!)!.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '1';
  const updated = progress === 'complete' ? replicas : Math.min(1, replicas);
  if (progress === 'complete') {
    for (const rs of rss) {
      if (rs.metadata.name === current.metadata.name) continue;
      kube.modify('replicasets', namespace, rs.metadata.name!, (o) => {
        (o.spec as Obj)['replicas'] = 0;
        o.status = { replicas: 0, observedGeneration: Number(o.metadata.generation ?? 1) };
      });
      for (const p of podsOf(kube, namespace, (rs.spec as Obj)['selector'])) kube.finishPodTermination(namespace, p.metadata.name!);
    }
    const have = podsOf(kube, namespace, (current.spec as Obj)['selector']).length;
    const fresh = kube.get('replicasets', namespace, current.metadata.name!)!;
    for (const p of podsFor(fresh, { count: Math.max(0, replicas - have) })) kube.seed('pods', p);
    kube.modify(
      'replicasets',
      namespace,
      current.metadata.name!,
      (o) =>
        (o.status = {
          replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
          fullyLabeledReplicas: replicas,
          observedGeneration: Number(o.metadata.generation ?? 1),
        }),
    );
  }
  kube.modify('deployments', namespace, name, (d) => {
    d.metadata.annotations = { ...d.metadata.annotations, 'deployment.kubernetes.io/revision': revision };
    const conditions: Obj[] = [
      {
        type: 'Available',
        status: progress === 'complete' ? 'True' : 'False',
        reason: progress === 'complete' ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      },
      progress === 'stuck'
        ? {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${current.metadata.name}" has timed out progressing.`,
          }
        : { type: 'Progressing', status: 'True', reason: progress === 'complete' ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated' },
    ];
    d.status = {
      observedGeneration: d.metadata.generation,
      replicas: progress === 'complete' ? replicas : replicas + updated,
      updatedReplicas: updated,
      readyReplicas: progress === 'complete' ? replicas : replicas - 1,
      availableReplicas: progress === 'complete' ? replicas : replicas - 1,
      ...(progress === 'complete' ? {} : { unavailableReplicas: 1 }),
      conditions,
    };
  });
}

/** A newer revision of the Deployment's template (as `kubectl set image` would make), rolled out. */
export function newRevision(kube: FakeKubeApiServer, namespace: string, name: string, image: string, createdAt?: Date): void {
  kube.modify('deployments', namespace, name, (d) => {
    const t = (d.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template;
    t.spec.containers[0]!.image = image;
    d.metadata.generation = Number(d.metadata.generation ?? 1) + 1;
  });
  rolloutDeployment(kube, namespace, name, 'complete');
  if (createdAt) {
    const dep = kube.get('deployments', namespace, name)!;
    const hash = podTemplateHash((dep.spec as Obj)['template']);
    kube.modify('replicasets', namespace, `${name}-${hash}`, (rs) => (rs.metadata.creationTimestamp = rfc3339(createdAt)));
  }
}

/** The StatefulSet / DaemonSet controller catching up with the current generation. */
export function syncWorkload(kube: FakeKubeApiServer, resource: 'statefulsets' | 'daemonsets', namespace: string, name: string, done = true): void {
  kube.modify(resource, namespace, name, (o) => {
    const gen = Number(o.metadata.generation ?? 1);
    if (resource === 'statefulsets') {
      const replicas = Number((o.spec as Obj)['replicas'] ?? 1);
      const rev = `${name}-${podTemplateHash((o.spec as Obj)['template'])}`;
      o.status = {
        observedGeneration: gen,
        replicas,
        readyReplicas: done ? replicas : replicas - 1,
        availableReplicas: done ? replicas : replicas - 1,
        currentReplicas: done ? replicas : replicas - 1,
        updatedReplicas: done ? replicas : 1,
        currentRevision: done ? rev : 'old',
        updateRevision: rev,
      };
    } else {
      const desired = Number((o.status ?? {})['desiredNumberScheduled'] ?? 1);
      o.status = {
        observedGeneration: gen,
        desiredNumberScheduled: desired,
        currentNumberScheduled: desired,
        numberReady: done ? desired : desired - 1,
        numberAvailable: done ? desired : desired - 1,
        updatedNumberScheduled: done ? desired : 0,
      };
    }
  });
}

/** The disruption controller: PDB status from the ready pods its selector matches. */
export function syncPdb(kube: FakeKubeApiServer, namespace: string, name: string): void {
  kube.modify('poddisruptionbudgets', namespace, name, (pdb) => {
    const spec = pdb.spec ?? {};
    const pods = podsOf(kube, namespace, spec['selector']).filter((p) => !p.metadata.deletionTimestamp);
    const ready = pods.filter((p) => ((p.status ?? {})['conditions'] as Obj[] | undefined)?.some((c) => c['type'] === 'Ready' && c['status'] === 'True'));
    const expected = pods.length;
    const resolve = (v: unknown) => (typeof v === 'string' && v.endsWith('%') ? Math.ceil((Number(v.slice(0, -1)) / 100) * expected) : Number(v));
    const desired =
      spec['minAvailable'] !== undefined
        ? resolve(spec['minAvailable'])
        : spec['maxUnavailable'] !== undefined
          ? Math.max(0, expected - resolve(spec['maxUnavailable']))
          : expected;
    pdb.status = {
      observedGeneration: pdb.metadata.generation ?? 1,
      currentHealthy: ready.length,
      desiredHealthy: desired,
      expectedPods: expected,
      disruptionsAllowed: Math.max(0, ready.length - desired),
    };
  });
}

/** The kubelet: every terminating pod (deletionTimestamp set) is gone. */
export function finishTerminatingPods(kube: FakeKubeApiServer, namespace?: string): number {
  let n = 0;
  for (const p of kube.list('pods', namespace)) {
    if (p.metadata.deletionTimestamp) {
      kube.finishPodTermination(p.metadata.namespace!, p.metadata.name!);
      n++;
    }
  }
  return n;
}

/**
 * The external resizer and kubelet: 'controller' leaves the claim with Resizing, 'node'
 * with FileSystemResizePending (both with allocatedResourceStatuses), 'done' sets
 * status.capacity to the request and clears the conditions.
 */
export function resizePvc(kube: FakeKubeApiServer, namespace: string, name: string, stage: 'controller' | 'node' | 'done'): void {
  kube.modify('persistentvolumeclaims', namespace, name, (pvc) => {
    const want = (pvc.spec as { resources: { requests: { storage: string } } }).resources.requests.storage;
    const status = (pvc.status ??= {});
    if (stage === 'done') {
      status['capacity'] = { storage: want };
      delete status['conditions'];
      delete status['allocatedResourceStatuses'];
      status['allocatedResources'] = { storage: want };
      return;
    }
    const now = rfc3339(new Date());
    status['allocatedResources'] = { storage: want };
    status['allocatedResourceStatuses'] = { storage: stage === 'controller' ? 'ControllerResizeInProgress' : 'NodeResizePending' };
    status['conditions'] = [
      stage === 'controller'
        ? { type: 'Resizing', status: 'True', lastTransitionTime: now }
        : {
            type: 'FileSystemResizePending',
            status: 'True',
            lastTransitionTime: now,
            message: 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.',
          },
    ];
  });
}

/** The job controller: the Job completed or failed (its pods in the matching phase). */
export function finishJob(kube: FakeKubeApiServer, namespace: string, name: string, how: 'Complete' | 'Failed'): void {
  kube.modify('jobs', namespace, name, (job) => {
    job.status =
      how === 'Complete'
        ? {
            succeeded: 1,
            conditions: [
              { type: 'SuccessCriteriaMet', status: 'True' },
              { type: 'Complete', status: 'True' },
            ],
            completionTime: rfc3339(new Date()),
          }
        : {
            failed: 1,
            conditions: [
              { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
              { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
            ],
          };
  });
}

export function isObj(v: unknown): v is Obj {
  return isPlainObject(v);
}
