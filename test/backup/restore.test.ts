// Restores, driven through the restore and drill orchestrations (replay harness) with the real
// activities: a namespace of realistic objects backed up and restored into another namespace
// compares equal (specs, data; Secrets identical after decryption); restore order; dry-run;
// conflict policies; protected namespaces; a second cluster (disaster recovery) with CRDs that
// must become Established first; PVCs from VolumeSnapshots; the restore drill.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReplayHarness } from '../support/replay-harness.js';
import { backupOrchestrator } from '../../orchestrations/backup.js';
import { drillOrchestrator, restoreOrchestrator } from '../../orchestrations/restore.js';
import { backupActivities } from '../../src/backup/activities.js';
import { KubeRest } from '../../src/adapters/kube-rest.js';
import { backupIdFor } from '../../src/backup/manifest.js';
import type { BackupOutput, RestoreInput, RestoreOutput } from '../../src/domain/backup-types.js';
import type { DrillOutput } from '../../src/domain/drill-types.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { simulateControllers } from '../fakes/kube-backup-controllers.js';
import type { KubeObject } from '../fakes/kube-resources.js';
import { CLUSTER, createWorld, seedShop, shopObjects, type World } from './world.js';

let w: World;
let audit: Map<string, AuditRecord>;
const ID = backupIdFor(new Date('2025-01-01T02:00:00Z'), 'nightly');

const activities = () => ({ ...backupActivities(w.env), writeAudit: async (r: AuditRecord) => void audit.set(r.id, r) }) as never;

async function backup(parts: Array<'objects' | 'snapshots'> = ['objects']): Promise<BackupOutput> {
  const h = createReplayHarness({
    orchestrator: backupOrchestrator,
    instanceId: `backup:${CLUSTER}:${ID}`,
    input: { backupId: ID, cluster: CLUSTER, parts, trigger: 'cli', requestedBy: 'test', applyRetention: false },
    activities: activities(),
    startTime: '2025-01-01T02:00:00.000Z',
  });
  const r = await h.run();
  expect(r.status).toBe('completed');
  return r.output as BackupOutput;
}

async function restore(over: Partial<RestoreInput>): Promise<{ out: RestoreOutput; statuses: unknown[] }> {
  const input: RestoreInput = {
    restoreId: 'r1',
    cluster: CLUSTER,
    backupId: ID,
    conflict: 'skip',
    dryRun: false,
    requestedBy: 'user:oncall@contoso.com',
    ...over,
  };
  const h = createReplayHarness({
    orchestrator: restoreOrchestrator,
    instanceId: `restore:${input.cluster}:${input.restoreId}`,
    input,
    activities: activities(),
    startTime: '2025-01-02T00:00:00.000Z',
  });
  const r = await h.run();
  expect(r.status).toBe('completed');
  return { out: r.output as RestoreOutput, statuses: h.store.customStatusLog };
}

beforeEach(async () => {
  w = await createWorld({ tag: 'restore' });
  audit = new Map();
  seedShop(w.kube, 'shop');
});
afterEach(async () => {
  await w.stop();
});

/** What must be equal between the original and the restored object (minus what the target assigns). */
function comparable(resource: string, o: KubeObject): unknown {
  const { metadata, status: _s, ...rest } = structuredClone(o);
  const spec = rest.spec;
  if (resource === 'services' && spec && spec['clusterIP'] !== 'None') {
    delete spec['clusterIP'];
    delete spec['clusterIPs'];
  }
  if (resource === 'persistentvolumeclaims' && spec) delete spec['volumeName'];
  const ann = { ...(metadata.annotations ?? {}) };
  for (const a of ['pv.kubernetes.io/bind-completed', 'volume.kubernetes.io/storage-provisioner']) delete ann[a];
  const subjects = (rest as { subjects?: Array<{ namespace?: string }> }).subjects;
  if (subjects) for (const s of subjects) if (s.namespace) s.namespace = 'NS';
  return { name: metadata.name, labels: metadata.labels ?? {}, annotations: ann, ...rest };
}

describe('round trip', () => {
  it('restores a namespace into another one: every object equal, Secrets identical, in restore order', async () => {
    const b = await backup();
    expect(b.outcome).toBe('complete');
    w.kube.clearRequests();
    const { out } = await restore({ namespaces: ['shop'], namespaceMap: { shop: 'shop-copy' } });
    expect(out).toMatchObject({ outcome: 'restored', failed: [], updated: 0, skipped: 0 });
    for (const [resource, obj] of shopObjects('shop')) {
      const original = w.kube.get(resource as never, 'shop', obj.metadata.name!)!;
      const copy = w.kube.get(resource as never, 'shop-copy', obj.metadata.name!);
      expect(copy, `${resource}/${obj.metadata.name}`).toBeDefined();
      expect(comparable(resource, copy!), `${resource}/${obj.metadata.name}`).toEqual(comparable(resource, original));
    }
    expect(w.kube.get('secrets', 'shop-copy', 'api-credentials')!['data']).toEqual(w.kube.get('secrets', 'shop', 'api-credentials')!['data']);
    expect(w.kube.get('pods', 'shop-copy', 'debug-shell')).toBeDefined();
    expect(w.kube.list('pods', 'shop-copy').map((p) => p.metadata.name)).toEqual(['debug-shell']); // no controller-owned or finished pods
    expect(w.kube.list('events', 'shop-copy')).toEqual([]);
    expect(w.kube.get('rolebindings', 'shop-copy', 'api')!['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'api', namespace: 'shop-copy' }]);
    expect(w.kube.get('namespaces', undefined, 'shop-copy')).toBeDefined();
    expect(out.created).toBe(shopObjects('shop').length + 2); // + the bare pod and the Namespace
    // Order of creation: Namespace, PVC, ServiceAccount, Secrets, ConfigMap, RBAC, Services, workloads, HPA, PDB, Ingress, NetworkPolicy, the rest.
    const kinds = w.kube.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').at(-1));
    const firstIndex = (k: string) => kinds.indexOf(k);
    const order = [
      'namespaces',
      'persistentvolumeclaims',
      'serviceaccounts',
      'secrets',
      'configmaps',
      'roles',
      'services',
      'deployments',
      'statefulsets',
      'cronjobs',
      'horizontalpodautoscalers',
      'poddisruptionbudgets',
      'ingresses',
      'networkpolicies',
      'pods',
    ];
    expect(order.map(firstIndex)).toEqual([...order.map(firstIndex)].sort((a, b) => a - b));
    expect(order.every((k) => firstIndex(k) >= 0)).toBe(true);
    expect([...audit.values()].at(-1)).toMatchObject({ runbook: 'restore', result: 'restored', actor: 'user:oncall@contoso.com' });
  });

  it('dry-run: the server validates every object (dryRun=All) and nothing is stored', async () => {
    await backup();
    w.kube.clearRequests();
    const { out } = await restore({ namespaces: ['shop'], namespaceMap: { shop: 'shop-dry' }, dryRun: true });
    expect(out).toMatchObject({ outcome: 'restored', dryRun: true, failed: [] });
    expect(out.created).toBe(shopObjects('shop').length + 2);
    const writes = w.kube.writes();
    expect(writes.length).toBeGreaterThan(10);
    expect(writes.every((r) => r.query['dryRun'] === 'All')).toBe(true);
    expect(w.kube.get('namespaces', undefined, 'shop-dry')).toBeUndefined();
    expect(w.kube.list('configmaps', 'shop-dry')).toEqual([]);
  });

  it('conflicts: skip leaves live objects alone, update replaces them (with the live resourceVersion)', async () => {
    await backup();
    w.kube.modify('configmaps', 'shop', 'api-config', (o) => ((o as KubeObject & { data: Record<string, string> }).data['LOG_LEVEL'] = 'debug'));
    const skip = await restore({ namespaces: ['shop'], kinds: ['ConfigMap', 'Deployment'] });
    expect(skip.out).toMatchObject({ created: 0, updated: 0, skipped: 3, failed: [] }); // 1 ConfigMap, 2 Deployments (+ Namespace skipped below)
    expect((w.kube.get('configmaps', 'shop', 'api-config') as KubeObject & { data: Record<string, string> }).data['LOG_LEVEL']).toBe('debug');
    const upd = await restore({ restoreId: 'r2', namespaces: ['shop'], kinds: ['configmaps'], conflict: 'update' });
    expect(upd.out).toMatchObject({ updated: 1, failed: [] });
    expect((w.kube.get('configmaps', 'shop', 'api-config') as KubeObject & { data: Record<string, string> }).data['LOG_LEVEL']).toBe('info');
    const put = w.kube.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/configmaps/api-config'));
    expect((put[0]!.body as KubeObject).metadata.resourceVersion).toBeDefined();
    // A Service keeps its allocated clusterIP when updated from a backup that has none.
    const before = w.kube.get('services', 'shop', 'api')!.spec!['clusterIP'];
    const svc = await restore({ restoreId: 'r3', namespaces: ['shop'], kinds: ['services'], conflict: 'update' });
    expect(svc.out.failed).toEqual([]);
    expect(w.kube.get('services', 'shop', 'api')!.spec!['clusterIP']).toBe(before);
  });

  it('refuses protected namespaces and incomplete backups', async () => {
    await backup();
    const p = await restore({ namespaces: ['shop'], namespaceMap: { shop: 'kube-system' } });
    expect(p.out).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/namespace kube-system is protected/) });
    const missing = await restore({ backupId: '20240101T000000Z-nightly' });
    expect(missing.out).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/has no manifest: it is incomplete/) });
  });

  it("restores PVCs from the backup's VolumeSnapshots when restoring in place", async () => {
    simulateControllers(w.kube.registry, { snapshots: { readyAfterReads: 1 } });
    w.backups.clusters[0]!.snapshots = [{ namespace: 'shop', pvc: 'analysis-results', volumeSnapshotClass: 'csi-azuredisk-vsc', readyTimeout: '10m' }];
    await backup(['objects', 'snapshots']);
    w.kube.registry.delete(
      (await import('../fakes/kube-resources.js')).resourceType('persistentvolumeclaims'),
      'shop',
      'analysis-results',
      { dryRun: false },
      undefined,
    );
    const { out } = await restore({ namespaces: ['shop'], kinds: ['persistentvolumeclaims'], fromSnapshots: true });
    expect(out.created).toBe(1);
    const pvc = w.kube.get('persistentvolumeclaims', 'shop', 'analysis-results')!;
    expect(pvc.spec!['dataSource']).toEqual({
      apiGroup: 'snapshot.storage.k8s.io',
      kind: 'VolumeSnapshot',
      name: w.kube.list('volumesnapshots', 'shop')[0]!.metadata.name,
    });
    expect(pvc.spec!['volumeName']).toBeUndefined();
  });
});

describe('disaster recovery into another cluster', () => {
  let dr: FakeKubeApiServer;
  beforeEach(async () => {
    dr = await startFakeKubeApiServer({ token: 'dr-token' });
    simulateControllers(dr.registry, { crds: { establishedAfterReads: 3 } });
  });
  afterEach(async () => dr.stop());

  it('creates CRDs first and waits until they are Established, then the rest', async () => {
    w.kube.seed('customresourcedefinitions', {
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
      status: { conditions: [{ type: 'Established', status: 'True' }] },
    });
    w.backups.clusters[0]!.objects.clusterResources.customResourceDefinitions = ['*'];
    w.backups.clusters.push({ ...w.backups.clusters[0]!, cluster: 'ms5-dr' });
    await backup();
    const drRest = new KubeRest(dr.kubeConfig());
    const main = w.env.kube;
    w.env.kube = async (c: string) => (c === 'ms5-dr' ? { rest: drRest, kubeConfig: dr.kubeConfig() } : main(c));
    w.env.protectedNamespaces = () => new Set();
    const { out, statuses } = await restore({ cluster: 'ms5-dr', sourceCluster: CLUSTER, restoreId: 'dr1' });
    await drRest.close();
    expect(out).toMatchObject({ outcome: 'restored', failed: [] });
    expect(dr.get('customresourcedefinitions', undefined, 'widgets.example.com')!.status!['conditions']).toContainEqual(
      expect.objectContaining({ type: 'Established', status: 'True' }),
    );
    expect(dr.get('deployments', 'shop', 'api')).toBeDefined();
    const phases = (statuses as Array<{ phase: string }>).map((s) => s.phase).filter((p, i, a) => a[i - 1] !== p);
    expect(phases).toEqual(['planning', 'restoring', 'waiting-for-crds', 'restoring', 'done']);
    // Nothing namespaced was created before the CRD was Established.
    const posts = dr.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    expect(posts[0]).toBe('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    const crdGets = dr.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/widgets.example.com'));
    expect(crdGets.length).toBe(3);
  });
});

describe('restore drill', () => {
  it('restores the latest backup into a scratch namespace, waits for workloads, reports, deletes the scratch namespace', async () => {
    simulateControllers(w.kube.registry, { workloads: { availableAfterReads: 2 } });
    await backup();
    const h = createReplayHarness({
      orchestrator: drillOrchestrator,
      instanceId: 'drill:ms5-prod:20250105T040000Z',
      input: {
        drillId: 'drill-20250105t040000z',
        cluster: CLUSTER,
        namespace: 'shop',
        scratchNamespace: 'aksops-drill-20250105t0400',
        timeoutSeconds: 900,
        requestedBy: 'timer',
      },
      activities: activities(),
      startTime: '2025-01-05T04:00:00.000Z',
    });
    const r = await h.run();
    const out = r.output as DrillOutput;
    expect(out).toMatchObject({ outcome: 'passed', backupId: ID, missing: [], unavailable: [] });
    expect(out.restored).toBeGreaterThan(15);
    expect(w.kube.get('namespaces', undefined, 'aksops-drill-20250105t0400')).toBeUndefined();
    expect(w.kube.list('deployments', 'aksops-drill-20250105t0400')).toEqual([]);
    expect(w.kube.get('deployments', 'shop', 'api')).toBeDefined(); // the source is untouched
    expect(h.store.history.filter((e) => e.EventType === 10).length).toBeGreaterThan(0); // waited with durable timers
    expect([...audit.values()].at(-1)).toMatchObject({ runbook: 'restore-drill', result: 'passed' });
  });

  it('fails when a workload never becomes available, and still deletes the scratch namespace', async () => {
    simulateControllers(w.kube.registry, { workloads: { availableAfterReads: 1, neverAvailable: ['celery-worker'] } });
    await backup();
    const h = createReplayHarness({
      orchestrator: drillOrchestrator,
      instanceId: 'drill-2',
      input: { drillId: 'drill-2', cluster: CLUSTER, namespace: 'shop', scratchNamespace: 'aksops-drill-x', timeoutSeconds: 120, requestedBy: 'timer' },
      activities: activities(),
      startTime: '2025-01-05T04:00:00.000Z',
    });
    const out = (await h.run()).output as DrillOutput;
    expect(out).toMatchObject({ outcome: 'failed', unavailable: ['Deployment aksops-drill-x/celery-worker'] });
    expect(w.kube.get('namespaces', undefined, 'aksops-drill-x')).toBeUndefined();
  });

  it('never deletes a namespace that is not its own scratch namespace', async () => {
    simulateControllers(w.kube.registry, { workloads: { availableAfterReads: 1 } });
    await backup();
    w.kube.seed('namespaces', { metadata: { name: 'prod-app' } });
    const h = createReplayHarness({
      orchestrator: drillOrchestrator,
      instanceId: 'drill-3',
      input: { drillId: 'drill-3', cluster: CLUSTER, namespace: 'shop', scratchNamespace: 'prod-app', timeoutSeconds: 60, requestedBy: 'timer' },
      activities: activities(),
      startTime: '2025-01-05T04:00:00.000Z',
    });
    const out = (await h.run()).output as DrillOutput;
    expect(out.error).toMatch(/scratch namespace not deleted: namespace prod-app is not this drill's scratch namespace/);
    expect(w.kube.get('namespaces', undefined, 'prod-app')).toBeDefined();
  });
});
