// Object export: discovery and paginated LISTs against the strict fake API, NDJSON blobs in
// Azurite, Secrets encrypted, write-once blobs, part records, the manifest.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { CLUSTER, createWorld, seedShop, SECRET_VALUES, type World } from './world.js';
import { backupObjects, backupDataKey, planBackup } from '../../src/backup/engine.js';
import { readManifest, writeManifest } from '../../src/backup/manifest-write.js';
import { paths, partIds, type PartRecord } from '../../src/backup/manifest.js';
import { decryptBuffer } from '../../src/backup/crypto.js';
import { unavailableDiscovery } from '../fakes/kube-discovery.js';
import { SUBRESOURCE_HANDLERS, type SubresourceHandler } from '../fakes/kube-subresources.js';
import type { KubeObject } from '../fakes/kube-resources.js';

let w: World;
const ID = '20250101T020000Z-nightly';

beforeEach(async () => {
  w = await createWorld({ tag: 'objexp' });
});
afterEach(async () => {
  await w.stop();
});

async function ndjson(container: string, path: string): Promise<KubeObject[]> {
  const text = (await w.blobs.readBuffer(container, path)).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as KubeObject);
}

async function runObjects(id = ID) {
  const plan = await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['objects'] });
  const parts = [];
  for (const ns of plan.namespaces) parts.push(await backupObjects(w.env, { backupId: id, cluster: CLUSTER, namespace: ns, types: plan.namespacedTypes }));
  parts.push(
    await backupObjects(w.env, { backupId: id, cluster: CLUSTER, namespace: null, types: [], namespaces: plan.namespaces, clusterTypes: plan.clusterTypes }),
  );
  return { plan, parts };
}

describe('object export', () => {
  it('discovers types, lists every namespace and stores cleaned objects, one JSON document per line', async () => {
    seedShop(w.kube, 'shop');
    seedShop(w.kube, 'analytics');
    w.kube.seed('namespaces', { metadata: { name: 'kube-system' } });
    w.kube.seed('configmaps', { metadata: { name: 'coredns', namespace: 'kube-system' }, data: {} });
    const { plan, parts } = await runObjects();
    expect(plan.namespaces).toEqual(['analytics', 'shop']); // kube-system excluded by default
    expect(plan.namespacedTypes.map((t) => t.resource)).not.toEqual(expect.arrayContaining(['events']));
    expect(plan.namespacedTypes.map((t) => t.resource)).not.toContain('endpoints');
    expect(plan.namespacedTypes.map((t) => t.resource)).not.toContain('endpointslices');
    expect(parts.map((p) => p.part)).toEqual(['objects.ns.analytics', 'objects.ns.shop', 'objects.cluster']);

    const c = w.backups.containers.objects;
    const record = (await w.blobs.readJson<PartRecord>(c, paths.part(CLUSTER, ID, partIds.namespace('shop'))))!;
    const byResource = Object.fromEntries(record.items.map((i) => [`${i.resource}.${i.group}`, i]));
    expect(Object.keys(byResource).sort()).toEqual([
      'configmaps.',
      'cronjobs.batch',
      'deployments.apps',
      'horizontalpodautoscalers.autoscaling',
      'ingresses.networking.k8s.io',
      'networkpolicies.networking.k8s.io',
      'persistentvolumeclaims.',
      'poddisruptionbudgets.policy',
      'pods.',
      'rolebindings.rbac.authorization.k8s.io',
      'roles.rbac.authorization.k8s.io',
      'secrets.',
      'serviceaccounts.',
      'services.',
      'statefulsets.apps',
    ]);
    expect(record.skipped).toEqual({
      'Pod: owned by ReplicaSet': 1,
      'Pod: pod Succeeded': 1,
      'ReplicaSet: owned by Deployment': 1,
      'Secret: service-account token (minted by the token controller)': 1,
    });

    const deployments = await ndjson(c, byResource['deployments.apps']!.path);
    expect(deployments.map((d) => d.metadata.name)).toEqual(['api', 'celery-worker']);
    const api = deployments[0]!;
    expect(api.apiVersion).toBe('apps/v1');
    expect(api.kind).toBe('Deployment');
    expect(api.status).toBeUndefined();
    for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink']) expect(api.metadata[f]).toBeUndefined();
    expect(api.spec).toEqual(w.kube.get('deployments', 'shop', 'api')!.spec); // the spec exactly as the server holds it
    expect((await ndjson(c, byResource['pods.']!.path)).map((p) => p.metadata.name)).toEqual(['debug-shell']);

    // Checksums and sizes match the stored bytes.
    for (const it of record.items) {
      const bytes = await w.blobs.readBuffer(it.container, it.path);
      expect(bytes.length).toBe(it.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(it.sha256);
    }

    // Secrets: encrypted, no secret value in any blob, decryptable with the backup's key.
    const sec = byResource['secrets.']!;
    expect(sec.encrypted).toBe(true);
    expect(sec.path.endsWith('.ndjson.enc')).toBe(true);
    const raw = await w.blobs.readBuffer(c, sec.path);
    for (const v of SECRET_VALUES) expect(raw.includes(Buffer.from(v))).toBe(false);
    const { key } = await backupDataKey(w.env, CLUSTER, ID, false);
    const plain = (await decryptBuffer(key, `${c}/${sec.path}`, raw))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as KubeObject);
    expect(plain.map((s) => s.metadata.name)).toEqual(['api-credentials', 'registry-pull']);
    expect(plain[0]!['data']).toEqual(w.kube.get('secrets', 'shop', 'api-credentials')!['data']);

    // The cluster part holds the Namespace objects of the namespaces backed up.
    const cluster = (await w.blobs.readJson<PartRecord>(c, paths.part(CLUSTER, ID, partIds.clusterObjects)))!;
    expect(cluster.items.map((i) => i.path)).toEqual([paths.objects(CLUSTER, ID, null, 'namespaces', false)]);
    expect((await ndjson(c, cluster.items[0]!.path)).map((n) => n.metadata.name)).toEqual(['analytics', 'shop']);

    const summary = await writeManifest(w.env, {
      backupId: ID,
      cluster: CLUSTER,
      parts: parts.map((p) => p.part),
      failed: [],
      warnings: plan.warnings,
      trigger: 'schedule',
      requestedBy: 'nightly',
      startedAt: '2025-01-01T02:00:00.000Z',
      finishedAt: '2025-01-01T02:01:00.000Z',
    });
    expect(summary.status).toBe('complete');
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    expect(m.counts['Deployment.apps']).toBe(4);
    expect(m.counts['Secret']).toBe(4);
    expect(m.counts['Namespace']).toBe(2);
    expect(m.encryption).toEqual({
      algorithm: 'AES-256-GCM',
      keyBlob: paths.key(CLUSTER, ID),
      kek: { kind: 'local', id: 'setting:BACKUP_LOCAL_KEY', wrapAlgorithm: 'A256KW' },
    });
    expect(m.tool).toEqual({ name: 'aks-estate-ops', version: '0.1.0-test' });
    // Writing it again changes nothing (write-once).
    expect(
      await writeManifest(w.env, {
        backupId: ID,
        cluster: CLUSTER,
        parts: [],
        failed: [],
        warnings: [],
        trigger: 'x',
        requestedBy: 'x',
        startedAt: 'x',
        finishedAt: 'x',
      }),
    ).toEqual(summary);
  });

  it('re-running a finished part does nothing; a part whose blobs exist but record does not reuses them', async () => {
    seedShop(w.kube, 'shop');
    const plan = await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['objects'] });
    const first = await backupObjects(w.env, { backupId: ID, cluster: CLUSTER, namespace: 'shop', types: plan.namespacedTypes });
    const writesBefore = (await w.blobs.list(w.backups.containers.objects, `${CLUSTER}/${ID}/`)).length;
    expect(await backupObjects(w.env, { backupId: ID, cluster: CLUSTER, namespace: 'shop', types: plan.namespacedTypes })).toEqual({ ...first, resumed: true });
    // Crash after the blobs were committed but before the record: delete the record, change the cluster, run again.
    await w.blobs.delete(w.backups.containers.objects, paths.part(CLUSTER, ID, 'objects.ns.shop'));
    w.kube.modify('configmaps', 'shop', 'api-config', (o) => ((o as KubeObject & { data: Record<string, string> }).data['LOG_LEVEL'] = 'debug'));
    const again = await backupObjects(w.env, { backupId: ID, cluster: CLUSTER, namespace: 'shop', types: plan.namespacedTypes });
    expect(again).toEqual(first);
    expect((await w.blobs.list(w.backups.containers.objects, `${CLUSTER}/${ID}/`)).length).toBe(writesBefore);
    const cm = await ndjson(w.backups.containers.objects, paths.objects(CLUSTER, ID, 'shop', 'configmaps', false));
    expect((cm[0] as KubeObject & { data: Record<string, string> }).data['LOG_LEVEL']).toBe('info'); // never rewritten
  });

  it('pages with limit/continue and starts a list again when the continue token expires (410)', async () => {
    w.backups.clusters[0]!.objects.pageSize = 10;
    for (let i = 0; i < 25; i++)
      w.kube.seed('configmaps', { metadata: { name: `cm-${String(i).padStart(2, '0')}`, namespace: 'bulk' }, data: { i: String(i) } });
    let compacted = false;
    const compactOnSecondPage: SubresourceHandler = (_r, req) => {
      if (!compacted && req.path === '/api/v1/namespaces/bulk/configmaps' && req.query['continue']) {
        compacted = true;
        w.kube.modify('configmaps', 'bulk', 'cm-24', (o) => (o.metadata.labels = { touched: 'yes' }));
        w.kube.compact();
      }
      return null;
    };
    SUBRESOURCE_HANDLERS.unshift(compactOnSecondPage);
    try {
      const plan = await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['objects'], scope: { namespaces: ['bulk'] } });
      await backupObjects(w.env, { backupId: ID, cluster: CLUSTER, namespace: 'bulk', types: plan.namespacedTypes.filter((t) => t.resource === 'configmaps') });
    } finally {
      SUBRESOURCE_HANDLERS.splice(SUBRESOURCE_HANDLERS.indexOf(compactOnSecondPage), 1);
    }
    const lists = w.kube.requests.filter((r) => r.path === '/api/v1/namespaces/bulk/configmaps');
    expect(lists.map((r) => [r.status, r.query['limit'], r.query['continue'] ? 'continue' : 'first'])).toEqual([
      [200, '10', 'first'],
      [410, '10', 'continue'],
      [200, '10', 'first'],
      [200, '10', 'continue'],
      [200, '10', 'continue'],
    ]);
    const cms = await ndjson(w.backups.containers.objects, paths.objects(CLUSTER, ID, 'bulk', 'configmaps', false));
    expect(cms.map((c) => c.metadata.name)).toEqual(Array.from({ length: 25 }, (_, i) => `cm-${String(i).padStart(2, '0')}`));
    expect(cms[24]!.metadata.labels).toEqual({ touched: 'yes' });
  });

  it('filters kinds, namespaces and labels from the config, records discovery failures as warnings', async () => {
    w.backups.clusters[0]!.objects.excludeKinds = ['Secret', 'pods'];
    w.backups.clusters[0]!.objects.labelSelector = 'app.kubernetes.io/part-of=ms5';
    w.backups.clusters[0]!.objects.clusterResources.storageClasses = ['managed-csi'];
    w.kube.seed('storageclasses', { metadata: { name: 'managed-csi' }, provisioner: 'disk.csi.azure.com' });
    w.kube.seed('storageclasses', { metadata: { name: 'other' }, provisioner: 'file.csi.azure.com' });
    unavailableDiscovery(w.kube.registry, 'metrics.k8s.io/v1beta1');
    seedShop(w.kube, 'shop');
    const { plan, parts } = await runObjects();
    expect(plan.warnings).toEqual([
      expect.stringMatching(/^discovery of metrics.k8s.io\/v1beta1 failed, its objects are not backed up: .*503 ServiceUnavailable/),
    ]);
    expect(plan.namespacedTypes.map((t) => t.resource)).not.toContain('secrets');
    const shop = (await w.blobs.readJson<PartRecord>(w.backups.containers.objects, paths.part(CLUSTER, ID, parts[0]!.part)))!;
    // Only objects labelled part-of=ms5: the api ServiceAccount, ConfigMap, Deployment, Service.
    expect(shop.items.map((i) => `${i.kind}:${i.count}`).sort()).toEqual(['ConfigMap:1', 'Deployment:1', 'Service:1', 'ServiceAccount:1']);
    const lists = w.kube.requests.filter((r) => r.path === '/apis/apps/v1/namespaces/shop/deployments');
    expect(lists[0]!.query['labelSelector']).toBe('app.kubernetes.io/part-of=ms5');
    const cluster = (await w.blobs.readJson<PartRecord>(w.backups.containers.objects, paths.part(CLUSTER, ID, 'objects.cluster')))!;
    const sc = cluster.items.find((i) => i.resource === 'storageclasses')!;
    expect((await ndjson(w.backups.containers.objects, sc.path)).map((o) => o.metadata.name)).toEqual(['managed-csi']);
  });
});
