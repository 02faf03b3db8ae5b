// Test world for backups: the strict fake Kubernetes API (with discovery, exec and the controller
// simulations of kube-backup-controllers.ts), Azurite blob containers unique to the test, a local
// key encryption key, and a realistic application namespace (MS5.0/Packamal shapes) plus the
// noise a backup must leave out.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import type { KubeObject } from '../fakes/kube-resources.js';
import { controllerRef, podObject } from '../fakes/kube-seed.js';
import { KubeRest } from '../../src/adapters/kube-rest.js';
import { BackupBlobStore } from '../../src/adapters/blob-store.js';
import { localKeyWrapper } from '../../src/backup/crypto.js';
import type { BackupEnv } from '../../src/backup/env.js';
import { backupObjects, planBackup } from '../../src/backup/engine.js';
import { writeManifest } from '../../src/backup/manifest-write.js';
import { backupsSchema, type BackupsConfig } from '../../src/config/backup-schema.js';

export const CLUSTER = 'ms5-prod';

export function uniqueContainers(tag: string, suffix = randomBytes(3).toString('hex')): BackupsConfig['containers'] {
  const s = `${tag}${suffix}`
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  return { objects: `${s}-objects`, databases: `${s}-dumps`, snapshots: `${s}-snaps`, grafana: `${s}-grafana`, keyVault: `${s}-kv`, appData: `${s}-data` };
}

export interface World {
  kube: FakeKubeApiServer;
  env: BackupEnv;
  blobs: BackupBlobStore;
  backups: BackupsConfig;
  kek: string;
  settings: Record<string, string>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  tag: string;
  /** The backups section (containers and encryption are filled in). */
  backups?: Record<string, unknown>;
  clusterBackup?: Record<string, unknown>;
  settings?: Record<string, string>;
  now?: () => Date;
  /** Fixed container names and key instead of random ones (a fixture reused across re-runs). */
  fixed?: { kek: string };
}

export async function createWorld(o: WorldOptions): Promise<World> {
  const kube = await startFakeKubeApiServer({ token: 'test-token' });
  const kek = o.fixed?.kek ?? randomBytes(32).toString('base64');
  const settings: Record<string, string> = { BACKUP_LOCAL_KEY: kek, ...(o.settings ?? {}) };
  const backups = backupsSchema.parse({
    containers: o.fixed ? uniqueContainers(o.tag, 'fixed') : uniqueContainers(o.tag),
    encryption: { localKeySetting: 'BACKUP_LOCAL_KEY' },
    clusters: [{ cluster: CLUSTER, ...(o.clusterBackup ?? {}) }],
    ...(o.backups ?? {}),
  });
  const blobs = new BackupBlobStore({ connectionString: inject('azurite').connectionString });
  const rest = new KubeRest(kube.kubeConfig());
  const env: BackupEnv = {
    backups,
    protectedNamespaces: () => new Set(['kube-system', 'kube-public', 'kube-node-lease']),
    kube: async () => ({ rest, kubeConfig: kube.kubeConfig() }),
    blobs,
    keyWrapper: async () => localKeyWrapper('BACKUP_LOCAL_KEY', settings['BACKUP_LOCAL_KEY']!),
    setting: (name) => settings[name],
    tool: { name: 'aks-estate-ops', version: '0.1.0-test' },
    now: o.now ?? (() => new Date()),
  };
  return {
    kube,
    env,
    blobs,
    backups,
    kek,
    settings,
    async stop() {
      await rest.close();
      await kube.stop();
    },
  };
}

const PASSWORD_B64 = Buffer.from('s3cr3t-Pa55w0rd!').toString('base64');
export const SECRET_VALUES = ['s3cr3t-Pa55w0rd!', PASSWORD_B64, 'postgres://ms5:s3cr3t-Pa55w0rd!@timescaledb:5432/ms5'];

/** Objects of an application namespace as a real cluster holds them (controllers' fields included). */
export function shopObjects(ns: string): Array<[string, KubeObject]> {
  const labels = { app: 'api', 'app.kubernetes.io/part-of': 'ms5' };
  const podSpec = {
    serviceAccountName: 'api',
    containers: [
      {
        name: 'api',
        image: 'contoso.azurecr.io/ms5/api:2.4.1',
        ports: [{ containerPort: 8000, protocol: 'TCP' }],
        envFrom: [{ secretRef: { name: 'api-credentials' } }, { configMapRef: { name: 'api-config' } }],
        resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 8000 }, periodSeconds: 10 },
      },
    ],
  };
  return [
    ['serviceaccounts', { metadata: { name: 'api', namespace: ns, labels } }],
    [
      'configmaps',
      {
        metadata: { name: 'api-config', namespace: ns, labels },
        data: { LOG_LEVEL: 'info', CELERY_BROKER: 'redis://redis:6379/0', 'settings.toml': '[server]\nworkers = 4\n' },
      },
    ],
    [
      'secrets',
      {
        metadata: { name: 'api-credentials', namespace: ns, labels },
        type: 'Opaque',
        data: { DATABASE_PASSWORD: PASSWORD_B64, DATABASE_URL: Buffer.from(SECRET_VALUES[2]!).toString('base64') },
      },
    ],
    [
      'secrets',
      {
        metadata: { name: 'registry-pull', namespace: ns },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from('{"auths":{"contoso.azurecr.io":{"auth":"dXNlcjpwYXNz"}}}').toString('base64') },
      },
    ],
    [
      'persistentvolumeclaims',
      {
        metadata: {
          name: 'analysis-results',
          namespace: ns,
          annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/storage-provisioner': 'disk.csi.azure.com' },
        },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'managed-csi',
          resources: { requests: { storage: '20Gi' } },
          volumeName: 'pvc-5f1e',
          volumeMode: 'Filesystem',
        },
        status: { phase: 'Bound', capacity: { storage: '20Gi' } },
      },
    ],
    [
      'deployments',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: ns, labels, annotations: { 'deployment.kubernetes.io/revision': '3' } },
        spec: { replicas: 3, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels }, spec: podSpec } },
        status: { replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 },
      },
    ],
    [
      'deployments',
      {
        metadata: { name: 'celery-worker', namespace: ns, labels: { app: 'celery-worker' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'celery-worker' } },
          template: {
            metadata: { labels: { app: 'celery-worker' } },
            spec: { containers: [{ name: 'worker', image: 'contoso.azurecr.io/ms5/api:2.4.1', args: ['celery', '-A', 'ms5', 'worker'] }] },
          },
        },
      },
    ],
    [
      'statefulsets',
      {
        metadata: { name: 'redis', namespace: ns, labels: { app: 'redis' } },
        spec: {
          replicas: 1,
          serviceName: 'redis',
          selector: { matchLabels: { app: 'redis' } },
          template: { metadata: { labels: { app: 'redis' } }, spec: { containers: [{ name: 'redis', image: 'redis:7.2', args: ['--appendonly', 'yes'] }] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }],
        },
      },
    ],
    [
      'services',
      { metadata: { name: 'api', namespace: ns, labels }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8000 }] } },
    ],
    ['services', { metadata: { name: 'redis', namespace: ns }, spec: { clusterIP: 'None', selector: { app: 'redis' }, ports: [{ port: 6379 }] } }],
    [
      'horizontalpodautoscalers',
      {
        metadata: { name: 'api', namespace: ns },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
          minReplicas: 3,
          maxReplicas: 12,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        },
        status: { currentReplicas: 3, desiredReplicas: 3 },
      },
    ],
    [
      'cronjobs',
      {
        metadata: { name: 'nightly-report', namespace: ns },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'report', image: 'contoso.azurecr.io/ms5/report:1.1' }] } } },
          },
        },
      },
    ],
    [
      'ingresses',
      {
        metadata: { name: 'api', namespace: ns, annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' } },
        spec: {
          ingressClassName: 'nginx',
          tls: [{ hosts: ['api.ms5.example.com'], secretName: 'api-tls' }],
          rules: [
            { host: 'api.ms5.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } }] } },
          ],
        },
      },
    ],
    ['poddisruptionbudgets', { metadata: { name: 'api', namespace: ns }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'api' } } } }],
    [
      'networkpolicies',
      {
        metadata: { name: 'api-ingress', namespace: ns },
        spec: {
          podSelector: { matchLabels: { app: 'api' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] }],
        },
      },
    ],
    ['roles', { metadata: { name: 'api', namespace: ns }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] }],
    [
      'rolebindings',
      {
        metadata: { name: 'api', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'api' },
        subjects: [{ kind: 'ServiceAccount', name: 'api', namespace: ns }],
      },
    ],
  ];
}

/** Seeds the namespace's objects plus what a backup must skip (events, endpoints, owned pods ...). */
export function seedShop(kube: FakeKubeApiServer, ns: string): { kept: number } {
  const objs = shopObjects(ns);
  const seeded: Record<string, KubeObject> = {};
  for (const [resource, obj] of objs) seeded[`${resource}/${obj.metadata.name}`] = kube.seed(resource as never, obj);
  // Controller output and runtime state.
  const rs = kube.seed('replicasets', {
    metadata: { name: 'api-7d9f8', namespace: ns, labels: { app: 'api' }, ownerReferences: [controllerRef(seeded['deployments/api']!)] },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'api' } },
      template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'x:1' }] } },
    },
  });
  kube.seedPod({ namespace: ns, name: 'api-7d9f8-abcde', labels: { app: 'api' }, ownerReferences: [controllerRef(rs)] });
  kube.seed('pods', { ...podObject({ namespace: ns, name: 'report-28934-xyz' }), status: { phase: 'Succeeded' } });
  kube.seedPod({ namespace: ns, name: 'debug-shell' }); // a bare pod: kept
  kube.seed('events', {
    metadata: { name: 'api.17a', namespace: ns },
    involvedObject: { kind: 'Pod', name: 'api-7d9f8-abcde' },
    reason: 'Started',
    message: 'Started container api',
  });
  kube.seed('endpoints', { metadata: { name: 'api', namespace: ns }, subsets: [] });
  kube.seed('endpointslices', { metadata: { name: 'api-x1', namespace: ns }, addressType: 'IPv4', endpoints: [] });
  kube.seed('secrets', {
    metadata: { name: 'api-token-x', namespace: ns, annotations: { 'kubernetes.io/service-account.name': 'api' } },
    type: 'kubernetes.io/service-account-token',
    data: { token: 'dG9rZW4=' },
  });
  return { kept: objs.length + 1 /* debug pod */ + 1 /* Namespace object */ };
}

/** A complete objects-only backup of namespace `shop` (seed it first), written by the real engine: plan, objects, manifest. */
export async function writeShopBackup(env: BackupEnv, backupId: string, warnings: string[] = []): Promise<void> {
  const plan = await planBackup(env, { backupId, cluster: CLUSTER, parts: ['objects'] });
  const part = await backupObjects(env, { backupId, cluster: CLUSTER, namespace: 'shop', types: plan.namespacedTypes });
  await writeManifest(env, {
    backupId,
    cluster: CLUSTER,
    parts: [part.part],
    failed: [],
    warnings,
    trigger: 'schedule',
    requestedBy: 'schedule:nightly',
    startedAt: '2025-01-01T02:00:00.000Z',
    finishedAt: '2025-01-01T02:01:00.000Z',
  });
}
