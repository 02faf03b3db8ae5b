// Resource types backups and restores need beyond the runbooks' ones: the objects of a typical
// application namespace (ConfigMaps, Secrets, Services, ServiceAccounts, CronJobs, Ingresses,
// NetworkPolicies, RBAC), what a backup must skip (Events, Endpoints, EndpointSlices, Leases,
// ControllerRevisions), cluster-scoped CRDs, and CSI snapshots (snapshot.storage.k8s.io/v1
// VolumeSnapshot and VolumeSnapshotClass, kubernetes-csi/external-snapshotter client/apis).
// Per-kind rules that a restore can run into:
// - Services: a clusterIP is allocated on create from the service CIDR (10.96.0.0/16 here); a
//   requested IP outside it answers 422 (pkg/registry/core/service/ipallocator); on update an
//   empty clusterIP keeps the allocated one (patchAllocatedValues in
//   pkg/registry/core/service/storage/storage.go) and a different one answers 422 (immutable);
//   nodePorts are kept the same way.
// - Secrets: data values must be base64 (the JSON decoder of []byte); type defaults to Opaque
//   and is immutable.
// - CronJobs: SetDefaults_CronJob (concurrencyPolicy, suspend, history limits).
// - CustomResourceDefinitions: metadata.name must be <plural>.<group>. Established comes from
//   the controller simulation in kube-backup-controllers.ts.
// - VolumeSnapshots: exactly one of source.persistentVolumeClaimName and
//   source.volumeSnapshotContentName; source is immutable. readyToUse comes from the snapshot
//   controller simulation (kube-backup-controllers.ts).
import type { KindHooks, KubeObject, ResourceType } from './kube-resources.js';
import { deepEqual, isPlainObject } from './kube-patch.js';
import { text as str } from '../../src/domain/text.js';

export type BackupResourceName =
  | 'configmaps'
  | 'secrets'
  | 'services'
  | 'serviceaccounts'
  | 'events'
  | 'endpoints'
  | 'endpointslices'
  | 'leases'
  | 'controllerrevisions'
  | 'cronjobs'
  | 'ingresses'
  | 'networkpolicies'
  | 'roles'
  | 'rolebindings'
  | 'clusterroles'
  | 'clusterrolebindings'
  | 'customresourcedefinitions'
  | 'volumesnapshots'
  | 'volumesnapshotclasses';

type Cause = { field: string; message: string; reason?: string };

const metaFields = {
  'metadata.name': (o: KubeObject) => str(o.metadata.name),
  'metadata.namespace': (o: KubeObject) => str(o.metadata.namespace),
};

export const SERVICE_CIDR = { prefix: '10.96.', describe: '10.96.0.0/16' };

function allocateClusterIp(): string {
  return `${SERVICE_CIDR.prefix}${Math.floor(Math.random() * 255)}.${1 + Math.floor(Math.random() * 253)}`;
}

const serviceHooks: KindHooks = {
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec['type'] ??= 'ClusterIP';
    spec['sessionAffinity'] ??= 'None';
    if (spec['type'] !== 'ExternalName') {
      if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
        // Allocation happens on create; on update the stored value is carried over (immutable hook).
        if (obj.metadata.resourceVersion === undefined) {
          const ip = allocateClusterIp();
          spec['clusterIP'] = ip;
          spec['clusterIPs'] = [ip];
        }
      } else {
        spec['clusterIPs'] ??= [spec['clusterIP'] as string];
      }
      spec['ipFamilies'] ??= ['IPv4'];
      spec['ipFamilyPolicy'] ??= 'SingleStack';
      spec['internalTrafficPolicy'] ??= 'Cluster';
    }
    if (Array.isArray(spec['ports'])) {
      for (const p of spec['ports']) {
        if (!isPlainObject(p)) continue;
        p['protocol'] ??= 'TCP';
        if (p['targetPort'] === undefined && p['port'] !== undefined) p['targetPort'] = p['port'];
        if ((spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer') && p['nodePort'] === undefined && obj.metadata.resourceVersion === undefined) {
          p['nodePort'] = 30000 + Math.floor(Math.random() * 2767);
        }
      }
    }
  },
  validate(obj) {
    const causes: Cause[] = [];
    const ip = (obj.spec ?? {})['clusterIP'];
    if (typeof ip === 'string' && ip !== '' && ip !== 'None' && !ip.startsWith(SERVICE_CIDR.prefix)) {
      causes.push({
        field: 'spec.clusterIPs',
        message: `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR.describe}`,
      });
    }
    return causes;
  },
  immutable(current, next) {
    const cur = current.spec ?? {};
    const spec = (next.spec ??= {});
    // patchAllocatedValues: an update that leaves the allocated values empty keeps them.
    if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
      if (cur['clusterIP'] !== undefined) spec['clusterIP'] = cur['clusterIP'];
      if (cur['clusterIPs'] !== undefined) spec['clusterIPs'] = cur['clusterIPs'];
    }
    if (Array.isArray(spec['ports']) && Array.isArray(cur['ports'])) {
      for (const p of spec['ports']) {
        if (!isPlainObject(p) || p['nodePort'] !== undefined) continue;
        const old = cur['ports'].find((q) => isPlainObject(q) && q['port'] === p['port'] && (q['protocol'] ?? 'TCP') === (p['protocol'] ?? 'TCP'));
        if (isPlainObject(old) && old['nodePort'] !== undefined) p['nodePort'] = old['nodePort'];
      }
    }
    if (cur['clusterIP'] !== undefined && spec['clusterIP'] !== cur['clusterIP']) {
      return [{ field: 'spec.clusterIPs[0]', message: `Invalid value: ${JSON.stringify([spec['clusterIP']])}: may not change once set` }];
    }
    return [];
  },
};

const secretHooks: KindHooks = {
  defaults(obj) {
    obj['type'] ??= 'Opaque';
  },
  validate(obj) {
    const causes: Cause[] = [];
    const data = obj['data'];
    if (data !== undefined && data !== null) {
      if (!isPlainObject(data)) causes.push({ field: 'data', message: 'Invalid value: must be a map of base64 strings' });
      else {
        for (const [k, v] of Object.entries(data)) {
          if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
            causes.push({ field: `data[${k}]`, message: 'Invalid value: illegal base64 data' });
          }
        }
      }
    }
    return causes;
  },
  immutable(current, next) {
    return current['type'] !== next['type'] ? [{ field: 'type', message: 'Invalid value: field is immutable' }] : [];
  },
};

const cronJobHooks: KindHooks = {
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec['concurrencyPolicy'] ??= 'Allow';
    spec['suspend'] ??= false;
    spec['successfulJobsHistoryLimit'] ??= 3;
    spec['failedJobsHistoryLimit'] ??= 1;
  },
  validate(obj) {
    const spec = obj.spec ?? {};
    const causes: Cause[] = [];
    if (typeof spec['schedule'] !== 'string' || spec['schedule'] === '')
      causes.push({ field: 'spec.schedule', message: 'Required value', reason: 'FieldValueRequired' });
    if (!isPlainObject(spec['jobTemplate'])) causes.push({ field: 'spec.jobTemplate', message: 'Required value', reason: 'FieldValueRequired' });
    return causes;
  },
};

const crdHooks: KindHooks = {
  validate(obj) {
    const spec = obj.spec ?? {};
    const names = isPlainObject(spec['names']) ? spec['names'] : {};
    const want = `${str(names['plural'])}.${str(spec['group'])}`;
    return obj.metadata.name === want
      ? []
      : [{ field: 'metadata.name', message: `Invalid value: "${str(obj.metadata.name)}": must be spec.names.plural+"."+spec.group` }];
  },
};

const volumeSnapshotHooks: KindHooks = {
  validate(obj) {
    const src = (obj.spec ?? {})['source'];
    const pvc = isPlainObject(src) ? src['persistentVolumeClaimName'] : undefined;
    const content = isPlainObject(src) ? src['volumeSnapshotContentName'] : undefined;
    if ((pvc === undefined) === (content === undefined)) {
      return [{ field: 'spec.source', message: 'Invalid value: exactly one of persistentVolumeClaimName and volumeSnapshotContentName should be set' }];
    }
    return [];
  },
  immutable(current, next) {
    return deepEqual((current.spec ?? {})['source'], (next.spec ?? {})['source'])
      ? []
      : [{ field: 'spec.source', message: 'Invalid value: spec.source is immutable' }];
  },
};

function rt(group: string, version: string, resource: string, kind: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return { group, version, resource, kind, listKind: `${kind}List`, namespaced, generationOn: [], fieldSelectors: { ...metaFields }, ...extra };
}

export const BACKUP_RESOURCE_TYPES: ResourceType[] = [
  rt('', 'v1', 'configmaps', 'ConfigMap', true),
  rt('', 'v1', 'secrets', 'Secret', true, { fieldSelectors: { ...metaFields, type: (o) => str(o['type']) }, hooks: secretHooks }),
  rt('', 'v1', 'services', 'Service', true, { hooks: serviceHooks }),
  rt('', 'v1', 'serviceaccounts', 'ServiceAccount', true),
  rt('', 'v1', 'events', 'Event', true),
  rt('', 'v1', 'endpoints', 'Endpoints', true, { listKind: 'EndpointsList' }),
  rt('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  rt('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  rt('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  rt('batch', 'v1', 'cronjobs', 'CronJob', true, { generationOn: ['spec'], hooks: cronJobHooks }),
  rt('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, { generationOn: ['spec'] }),
  rt('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { generationOn: ['spec'] }),
  rt('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  rt('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  rt('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  rt('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  rt('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, { generationOn: ['spec'], hooks: crdHooks }),
  rt('snapshot.storage.k8s.io', 'v1', 'volumesnapshots', 'VolumeSnapshot', true, { generationOn: ['spec'], hooks: volumeSnapshotHooks }),
  rt('snapshot.storage.k8s.io', 'v1', 'volumesnapshotclasses', 'VolumeSnapshotClass', false),
];
