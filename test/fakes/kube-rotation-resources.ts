// Resource types secret rotation needs from the fake API server beyond those of the other jobs
// (core/v1 Secrets are defined in kube-backup-resources.ts):
// - secrets-store.csi.x-k8s.io/v1 SecretProviderClassPodStatus: the CSI driver's per-pod record
//   of what it mounted (status {podName, secretProviderClassName, mounted, targetPath,
//   objects[{id, version}]}; a CRD without a status subresource, written whole by the driver).
import type { KubeObject, ResourceType } from './kube-resources.js';
import { text as str } from '../../src/domain/text.js';

export type RotationResourceName = 'secretproviderclasspodstatuses';

const metaFields = {
  'metadata.name': (o: KubeObject) => str(o.metadata.name),
  'metadata.namespace': (o: KubeObject) => str(o.metadata.namespace),
};

export const ROTATION_RESOURCE_TYPES: ResourceType[] = [
  {
    group: 'secrets-store.csi.x-k8s.io',
    version: 'v1',
    resource: 'secretproviderclasspodstatuses',
    kind: 'SecretProviderClassPodStatus',
    listKind: 'SecretProviderClassPodStatusList',
    namespaced: true,
    generationOn: [],
    fieldSelectors: { ...metaFields },
  },
];

/** The object the CSI driver writes for a pod that mounted `objects` through `secretProviderClass`. */
export function secretProviderClassPodStatus(s: {
  namespace: string;
  podName: string;
  secretProviderClass: string;
  objects: Array<{ id: string; version: string }>;
}): KubeObject {
  return {
    apiVersion: 'secrets-store.csi.x-k8s.io/v1',
    kind: 'SecretProviderClassPodStatus',
    // The driver names it <pod>-<namespace>-<class> and labels it with the node.
    metadata: {
      name: `${s.podName}-${s.namespace}-${s.secretProviderClass}`,
      namespace: s.namespace,
      labels: { 'internal.secrets-store.csi.k8s.io/node-name': 'aks-nodepool1-12345678-vmss000000' },
    },
    status: {
      podName: s.podName,
      secretProviderClassName: s.secretProviderClass,
      mounted: true,
      targetPath: `/var/lib/kubelet/pods/${s.podName}/volumes/kubernetes.io~csi/secrets-store-inline/mount`,
      objects: s.objects,
    },
  };
}
