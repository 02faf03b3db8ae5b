// Resource types the runbook catalogue needs beyond core pods/nodes and apps workloads:
// batch/v1 Jobs, policy/v1 PodDisruptionBudgets, autoscaling/v2 HorizontalPodAutoscalers,
// storage.k8s.io/v1 StorageClasses and core/v1 PersistentVolumeClaims, with the per-kind
// rules of their registry strategies and admission plugins the runbooks can run into:
// - Jobs: SetDefaults_Job (parallelism, completions, backoffLimit, completionMode, suspend),
//   the generated selector and controller-uid labels (pkg/registry/batch/job/strategy.go),
//   restartPolicy must be Never or OnFailure, spec.template/selector immutable, and DELETE
//   orphans the Job's pods unless propagationPolicy says otherwise (batch/v1 default
//   DefaultGarbageCollectionPolicy = OrphanDependents).
// - PVCs: only spec.resources.requests (and volumeAttributesClassName) may change on a
//   bound claim; requests.storage may not shrink below status.capacity; the
//   PersistentVolumeClaimResize admission plugin answers 403 unless the claim's StorageClass
//   has allowVolumeExpansion (plugin/pkg/admission/storage/persistentvolume/resize/admission.go).
// - HPAs: minReplicas >= 1 and <= maxReplicas (pkg/apis/autoscaling/validation).
// - PDBs: minAvailable and maxUnavailable are mutually exclusive.
import { KubeStatusError } from './kube-status.js';
import type { KindHooks, KubeObject, ResourceType } from './kube-resources.js';
import { isPlainObject, deepEqual } from './kube-patch.js';
import { parseQuantity } from './kube-quantity.js';
import { text as str } from '../../src/domain/text.js';

export type RunbookResourceName = 'jobs' | 'poddisruptionbudgets' | 'horizontalpodautoscalers' | 'storageclasses' | 'persistentvolumeclaims';

const metaFields = {
  'metadata.name': (o: KubeObject) => str(o.metadata.name),
  'metadata.namespace': (o: KubeObject) => str(o.metadata.namespace),
};

type Cause = { field: string; message: string; reason?: string };

const jobHooks: KindHooks = {
  defaultPropagationPolicy: 'Orphan',
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec['parallelism'] ??= 1;
    spec['completions'] ??= 1;
    spec['backoffLimit'] ??= 6;
    spec['completionMode'] ??= 'NonIndexed';
    spec['suspend'] ??= false;
    // The generated selector: controller-uid labels on the selector and the template.
    const uid = obj.metadata.uid ?? '';
    if (spec['manualSelector'] !== true && uid) {
      const labels = {
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': obj.metadata.name ?? '',
        'controller-uid': uid,
        'job-name': obj.metadata.name ?? '',
      };
      spec['selector'] ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      const t = isPlainObject(spec['template']) ? spec['template'] : (spec['template'] = {});
      const tm = isPlainObject(t['metadata']) ? t['metadata'] : (t['metadata'] = {});
      tm['labels'] = { ...(isPlainObject(tm['labels']) ? tm['labels'] : {}), ...labels };
    }
  },
  validate(obj) {
    const causes: Cause[] = [];
    const t = (obj.spec ?? {})['template'];
    const ps = isPlainObject(t) ? t['spec'] : undefined;
    const cs = isPlainObject(ps) ? ps['containers'] : undefined;
    if (!Array.isArray(cs) || cs.length === 0) causes.push({ field: 'spec.template.spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
    const rp = isPlainObject(ps) ? ps['restartPolicy'] : undefined;
    if (rp !== 'Never' && rp !== 'OnFailure') {
      causes.push({
        field: 'spec.template.spec.restartPolicy',
        message: `Required value: valid values: "OnFailure", "Never"`,
        reason: rp === undefined ? 'FieldValueRequired' : 'FieldValueNotSupported',
      });
    }
    return causes;
  },
  immutable(current, next) {
    const causes: Cause[] = [];
    if (!deepEqual((current.spec ?? {})['template'], (next.spec ?? {})['template']))
      causes.push({ field: 'spec.template', message: 'Invalid value: field is immutable' });
    if (!deepEqual((current.spec ?? {})['selector'], (next.spec ?? {})['selector']))
      causes.push({ field: 'spec.selector', message: 'Invalid value: field is immutable' });
    return causes;
  },
};

const pvcHooks: KindHooks = {
  immutable(current, next) {
    const bound = (current.status ?? {})['phase'] === 'Bound';
    const strip = (o: KubeObject) => {
      const s = structuredClone(o.spec ?? {});
      delete s['volumeAttributesClassName'];
      if (isPlainObject(s['resources'])) delete s['resources']['requests'];
      return s;
    };
    if (bound && !deepEqual(strip(current), strip(next))) {
      return [
        {
          field: 'spec',
          message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
          reason: 'FieldValueForbidden',
        },
      ];
    }
    const was = requestedStorage(current);
    const now = requestedStorage(next);
    const capacity = parseQuantity(str(((current.status ?? {})['capacity'] as Record<string, unknown> | undefined)?.['storage']));
    if (now !== null && capacity !== null && now < capacity) {
      return [{ field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than status.capacity', reason: 'FieldValueForbidden' }];
    }
    if (now !== null && was !== null && now < was && capacity === null) {
      return [{ field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than previous value', reason: 'FieldValueForbidden' }];
    }
    return [];
  },
  admit(ctx, next, current) {
    if (!current) return;
    const was = requestedStorage(current);
    const now = requestedStorage(next);
    if (was === null || now === null || now <= was) return;
    const forbidden = () =>
      forbiddenByAdmission(
        'persistentvolumeclaims',
        next.metadata.name ?? '',
        'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
      );
    const scName = (next.spec ?? {})['storageClassName'];
    if (typeof scName !== 'string' || scName === '') throw forbidden();
    const sc = ctx.get('storageclasses', undefined, scName);
    if (!sc || sc['allowVolumeExpansion'] !== true) throw forbidden();
  },
};

/** admission.NewForbidden -> apierrors.NewForbidden: 403 Forbidden naming the resource. */
function forbiddenByAdmission(resource: string, name: string, why: string): KubeStatusError {
  return new KubeStatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason: 'Forbidden',
    code: 403,
    message: `${resource} "${name}" is forbidden: ${why}`,
    details: { name, kind: resource },
  });
}

function requestedStorage(o: KubeObject): number | null {
  const res = (o.spec ?? {})['resources'];
  const req = isPlainObject(res) && isPlainObject(res['requests']) ? res['requests']['storage'] : undefined;
  return typeof req === 'string' ? parseQuantity(req) : null;
}

const hpaHooks: KindHooks = {
  validate(obj) {
    const spec = obj.spec ?? {};
    const min = spec['minReplicas'] ?? 1;
    const max = spec['maxReplicas'];
    const causes: Cause[] = [];
    if (!Number.isInteger(min) || (min as number) < 1)
      causes.push({ field: 'spec.minReplicas', message: `Invalid value: ${JSON.stringify(min)}: must be greater than or equal to 1` });
    if (!Number.isInteger(max) || (max as number) < 1)
      causes.push({ field: 'spec.maxReplicas', message: `Invalid value: ${JSON.stringify(max)}: must be greater than 0` });
    else if (Number.isInteger(min) && (max as number) < (min as number))
      causes.push({ field: 'spec.maxReplicas', message: `Invalid value: ${JSON.stringify(max)}: must be greater than or equal to \`minReplicas\`` });
    if (!isPlainObject(spec['scaleTargetRef'])) causes.push({ field: 'spec.scaleTargetRef', message: 'Required value', reason: 'FieldValueRequired' });
    return causes;
  },
  defaults(obj) {
    (obj.spec ??= {})['minReplicas'] ??= 1;
  },
};

const pdbHooks: KindHooks = {
  validate(obj) {
    const spec = obj.spec ?? {};
    if (spec['minAvailable'] !== undefined && spec['maxUnavailable'] !== undefined) {
      return [{ field: 'spec', message: 'Invalid value: minAvailable and maxUnavailable cannot be both set' }];
    }
    return [];
  },
};

export const RUNBOOK_RESOURCE_TYPES: ResourceType[] = [
  {
    group: 'batch',
    version: 'v1',
    resource: 'jobs',
    kind: 'Job',
    listKind: 'JobList',
    namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: { ...metaFields, 'status.successful': (o) => str((o.status ?? {})['successful'] ?? 0) },
    hooks: jobHooks,
  },
  {
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    listKind: 'PodDisruptionBudgetList',
    namespaced: true,
    generationOn: ['spec'],
    fieldSelectors: { ...metaFields },
    hooks: pdbHooks,
  },
  {
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    listKind: 'HorizontalPodAutoscalerList',
    namespaced: true,
    generationOn: [],
    fieldSelectors: { ...metaFields },
    hooks: hpaHooks,
  },
  {
    group: 'storage.k8s.io',
    version: 'v1',
    resource: 'storageclasses',
    kind: 'StorageClass',
    listKind: 'StorageClassList',
    namespaced: false,
    generationOn: [],
    fieldSelectors: { ...metaFields },
  },
  {
    group: '',
    version: 'v1',
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    listKind: 'PersistentVolumeClaimList',
    namespaced: true,
    generationOn: [],
    fieldSelectors: { ...metaFields },
    hooks: pvcHooks,
  },
];
