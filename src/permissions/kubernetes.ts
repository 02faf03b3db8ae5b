// Every Kubernetes permission the app uses, keyed by the code path that needs it: the one
// declaration the shipped roles come from (`npm run permissions` writes the Azure RBAC data
// actions in bicep/modules/role-definitions.bicep, deploy/kubernetes/clusterrole.yaml and the
// app-aks-data-plane entries of bicep/permissions.json), the policy the fake API server
// enforces in the tests (and, later, the list an `aksops doctor` would check with SelfSubjectAccessReview).
export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'bind' | 'escalate';

/** One RBAC rule: verbs on a resource (or resource/subresource) of an API group ('' = core). */
export interface KubeRule {
  group: string;
  /** Plural resource, with the subresource after a slash: pods, pods/eviction, deployments/scale. */
  resource: string;
  verbs: readonly KubeVerb[];
}

export interface KubeCodePath {
  /** Short key: runbooks, backup, restore, rotation, budgets, ... */
  id: string;
  /** The files whose calls these rules cover. */
  files: readonly string[];
  why: string;
  rules: readonly KubeRule[];
}

/** A request as the authorizer sees it (k8s.io/apiserver authorizer.Attributes). */
export interface RequestAttributes {
  verb: KubeVerb;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const rule = (group: string, resource: string, ...verbs: KubeVerb[]): KubeRule => ({ group, resource, verbs });

/**
 * Namespaced kinds a backup lists and a restore recreates (the estate's application kinds; see
 * src/backup/objects.ts for what is skipped). A kind the cluster serves but this list lacks is
 * left out of the backup with a warning naming the rule to add (src/backup/engine.ts).
 */
export const BACKUP_NAMESPACED_KINDS: ReadonlyArray<{ group: string; resource: string }> = [
  { group: '', resource: 'configmaps' },
  { group: '', resource: 'persistentvolumeclaims' },
  { group: '', resource: 'pods' },
  { group: '', resource: 'secrets' },
  { group: '', resource: 'serviceaccounts' },
  { group: '', resource: 'services' },
  { group: 'apps', resource: 'controllerrevisions' },
  { group: 'apps', resource: 'daemonsets' },
  { group: 'apps', resource: 'deployments' },
  { group: 'apps', resource: 'replicasets' },
  { group: 'apps', resource: 'statefulsets' },
  { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  { group: 'batch', resource: 'cronjobs' },
  { group: 'batch', resource: 'jobs' },
  { group: 'networking.k8s.io', resource: 'ingresses' },
  { group: 'networking.k8s.io', resource: 'networkpolicies' },
  { group: 'policy', resource: 'poddisruptionbudgets' },
  { group: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
  { group: 'rbac.authorization.k8s.io', resource: 'roles' },
  { group: 'snapshot.storage.k8s.io', resource: 'volumesnapshots' },
];

/** Cluster-scoped kinds a backup may export by name (objects.clusterResources) and a restore recreates. */
const BACKUP_CLUSTER_KINDS: ReadonlyArray<{ group: string; resource: string }> = [
  { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
  { group: 'storage.k8s.io', resource: 'storageclasses' },
];

export const KUBERNETES_PERMISSIONS: readonly KubeCodePath[] = [
  {
    id: 'runbook-restart-pod',
    files: ['src/runbooks/restart-pod.ts'],
    why: 'restart-pod: follow Pod -> ReplicaSet -> Deployment, restart the Deployment (restartedAt) or delete a bare pod',
    rules: [rule('', 'pods', 'get', 'delete'), rule('apps', 'replicasets', 'get'), rule('apps', 'deployments', 'get', 'patch')],
  },
  {
    id: 'runbook-rollout-restart',
    files: ['src/runbooks/rollout-restart.ts', 'src/runbooks/rollout-status.ts'],
    why: 'rollout-restart: restartedAt patch of a Deployment, StatefulSet or DaemonSet, then follow the rollout',
    rules: [rule('apps', 'deployments', 'get', 'patch'), rule('apps', 'statefulsets', 'get', 'patch'), rule('apps', 'daemonsets', 'get', 'patch')],
  },
  {
    id: 'runbook-rollback-deployment',
    files: ['src/runbooks/rollback-deployment.ts'],
    why: 'rollback-deployment: find the previous ReplicaSet revision and patch the Deployment template back',
    rules: [rule('apps', 'deployments', 'get', 'patch'), rule('apps', 'replicasets', 'get', 'list')],
  },
  {
    id: 'runbook-scale-workload',
    files: ['src/runbooks/scale-workload.ts'],
    why: 'scale-workload: replicas of a Deployment/StatefulSet, or the bounds of the HPA that owns it',
    rules: [
      rule('apps', 'deployments', 'get', 'patch'),
      rule('apps', 'statefulsets', 'get', 'patch'),
      rule('autoscaling', 'horizontalpodautoscalers', 'get', 'list', 'patch'),
    ],
  },
  {
    id: 'runbook-cordon-drain',
    files: ['src/runbooks/node.ts', 'src/runbooks/drain-node.ts'],
    why: "cordon-node / drain-node: read and patch spec.unschedulable, list the node's pods, evict them through the Eviction API",
    rules: [rule('', 'nodes', 'get', 'list', 'patch'), rule('', 'pods', 'get', 'list'), rule('', 'pods/eviction', 'create')],
  },
  {
    id: 'runbook-expand-pvc',
    files: ['src/runbooks/expand-pvc.ts'],
    why: 'expand-pvc: read the PVC and its StorageClass (allowVolumeExpansion), patch spec.resources.requests.storage',
    rules: [rule('', 'persistentvolumeclaims', 'get', 'patch'), rule('storage.k8s.io', 'storageclasses', 'get')],
  },
  {
    id: 'runbook-jobs',
    files: ['src/runbooks/jobs.ts'],
    why: 'rerun-job / delete-failed-jobs: read a failed Job (and the CronJob that owns it), create the rerun, delete failed Jobs',
    rules: [rule('batch', 'jobs', 'get', 'list', 'create', 'delete'), rule('batch', 'cronjobs', 'get')],
  },
  {
    id: 'runbook-health',
    files: ['src/runbooks/run.ts', 'src/runbooks/closed-loop.ts'],
    why: 'resolve the real target of an alert and verify its health after the action',
    rules: [rule('', 'pods', 'get'), rule('apps', 'deployments', 'get'), rule('apps', 'replicasets', 'get')],
  },
  {
    id: 'backup-objects',
    files: ['src/backup/engine.ts', 'src/backup/objects.ts', 'src/adapters/kube-rest.ts'],
    why: 'backups: list namespaces, then LIST every backed-up kind per namespace (Secrets encrypted); cluster-scoped kinds by name',
    rules: [
      rule('', 'namespaces', 'get', 'list'),
      ...BACKUP_NAMESPACED_KINDS.map((k) => rule(k.group, k.resource, 'list')),
      ...BACKUP_CLUSTER_KINDS.map((k) => rule(k.group, k.resource, 'get', 'list')),
    ],
  },
  {
    id: 'backup-postgres',
    files: ['src/backup/postgres.ts', 'src/adapters/kube-exec.ts'],
    why: 'PostgreSQL dumps: find the primary pod by label and run pg_dump in it (pods/exec over WebSocket)',
    rules: [rule('', 'pods', 'get', 'list'), rule('', 'pods/exec', 'create')],
  },
  {
    id: 'backup-s3',
    files: ['src/backup/s3-credentials.ts'],
    why: "S3/MinIO backups: read the bucket's access key pair from the Secret the config names",
    rules: [rule('', 'secrets', 'get')],
  },
  {
    id: 'backup-snapshots',
    files: ['src/backup/snapshots.ts'],
    why: 'CSI snapshots: create a VolumeSnapshot per configured PVC, wait until readyToUse, delete expired ones',
    rules: [rule('', 'persistentvolumeclaims', 'get', 'list'), rule('snapshot.storage.k8s.io', 'volumesnapshots', 'get', 'list', 'create', 'delete')],
  },
  {
    id: 'backup-volumes',
    files: ['src/backup/volumes.ts', 'src/backup/volume-pod.ts'],
    why: 'file-level PVC copies: list PVCs and the pods mounting them, create the ephemeral copy pod, run tar in it (pods/exec), delete it; restores create the new PVC',
    rules: [rule('', 'persistentvolumeclaims', 'get', 'list', 'create'), rule('', 'pods', 'get', 'list', 'create', 'delete'), rule('', 'pods/exec', 'create')],
  },
  {
    id: 'restore',
    files: ['src/backup/restore.ts', 'src/backup/restore-runner.ts'],
    why: "restores and drills: create (or replace) each backed-up object, CRDs first; create and delete the drill's scratch namespace; RBAC objects need bind/escalate to recreate roles the app does not itself hold",
    rules: [
      rule('', 'namespaces', 'get', 'create', 'delete'),
      ...[...BACKUP_NAMESPACED_KINDS, ...BACKUP_CLUSTER_KINDS].map((k) => rule(k.group, k.resource, 'get', 'create', 'update')),
      rule('rbac.authorization.k8s.io', 'roles', 'bind', 'escalate'),
      rule('rbac.authorization.k8s.io', 'clusterroles', 'bind', 'escalate'),
    ],
  },
  {
    id: 'rotation',
    files: ['src/adapters/kube-rotation.ts'],
    why: "secret rotation: write the new credential into target Secrets, roll their consumers (Deployments, StatefulSets, DaemonSets), check pods and the CSI driver's SecretProviderClassPodStatus",
    rules: [
      rule('', 'secrets', 'get', 'create', 'patch'),
      rule('', 'pods', 'list'),
      rule('apps', 'deployments', 'get', 'patch'),
      rule('apps', 'statefulsets', 'get', 'patch'),
      rule('apps', 'daemonsets', 'get', 'patch'),
      rule('secrets-store.csi.x-k8s.io', 'secretproviderclasspodstatuses', 'list'),
    ],
  },
  {
    id: 'budgets',
    files: ['src/adapters/aks-estate.ts', 'functions/budgets.ts'],
    why: 'budget enforcement: record and scale Deployments of configured namespaces to 0 and back; namespace cost report from nodes and running pods',
    rules: [rule('apps', 'deployments', 'get', 'list', 'patch'), rule('', 'nodes', 'list'), rule('', 'pods', 'list')],
  },
];

/** Whether the rules allow the request (RBAC semantics, no wildcards: the app never needs one). */
export function allows(rules: readonly KubeRule[], a: RequestAttributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return rules.some((r) => r.group === a.group && r.resource === resource && r.verbs.includes(a.verb));
}

/** The union of every code path's rules, merged per group/resource: what the app holds. */
export function appPolicy(paths: readonly KubeCodePath[] = KUBERNETES_PERMISSIONS): KubeRule[] {
  const merged = new Map<string, { group: string; resource: string; verbs: Set<KubeVerb> }>();
  for (const p of paths) {
    for (const r of p.rules) {
      const key = `${r.group}/${r.resource}`;
      const m = merged.get(key) ?? { group: r.group, resource: r.resource, verbs: new Set<KubeVerb>() };
      for (const v of r.verbs) m.verbs.add(v);
      merged.set(key, m);
    }
  }
  return [...merged.values()]
    .map((m) => ({ group: m.group, resource: m.resource, verbs: VERB_ORDER.filter((v) => m.verbs.has(v)) }))
    .sort((a, b) => a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource));
}

const VERB_ORDER: readonly KubeVerb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'bind', 'escalate'];

let cachedPolicy: KubeRule[] | undefined;
/** Whether the app's declared role allows `verb` on group/resource (any namespace). */
export function appAllows(verb: KubeVerb, group: string, resource: string): boolean {
  cachedPolicy ??= appPolicy();
  return allows(cachedPolicy, { verb, group, resource });
}
