// planRestore and restoreStep (src/backup/restore.ts) over backups the fast fixture of
// restore-protection-mutation.test.ts does not hold: a partial backup, items of other types, a
// backup without namespaces, CSI snapshots, items written by an older version, labelled Namespaces
// and long errors. The manifests and object blobs are written into Azurite the way the backup lays
// them out (src/backup/manifest.ts paths), so readManifest and the object reader run for real; the
// cluster is the strict fake API server. Issue #19: kills the survivors listed in docs/testing.md.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupIdFor, MANIFEST_FORMAT, paths, type Manifest, type ManifestItem, type SnapshotRecord } from '../../src/backup/manifest.js';
import { planRestore, restoreStep } from '../../src/backup/restore.js';
import type { KubeJson } from '../../src/backup/objects.js';
import type { RestoreInput, RestorePlan, RestoreStepInput, RestoreStepOutput } from '../../src/domain/backup-types.js';
import { CLUSTER, createWorld, type World } from './world.js';

let w: World;
beforeAll(async () => {
  w = await createWorld({ tag: 'restore-plan' });
});
afterAll(async () => {
  await w.stop();
});

type Fields = Omit<ManifestItem, 'part' | 'container' | 'path' | 'size' | 'sha256'>;
interface Stored {
  file: string;
  fields: Fields;
  objects?: KubeJson[];
}

/** Writes a backup's object blobs and its manifest (last, as the backup does); returns its ID. */
async function writeBackup(label: string, stored: Stored[], over: Partial<Pick<Manifest, 'status' | 'warnings' | 'snapshots'>> = {}): Promise<string> {
  const id = backupIdFor(new Date('2025-02-01T02:00:00Z'), label);
  const container = w.backups.containers.objects;
  const items: ManifestItem[] = [];
  for (const s of stored) {
    const body = Buffer.from((s.objects ?? []).map((o) => `${JSON.stringify(o)}\n`).join(''), 'utf8');
    const path = `${CLUSTER}/${id}/${s.file}`;
    await w.blobs.writeOnceBuffer(container, path, body, {}, 'application/x-ndjson');
    items.push({ part: 'objects', container, path, size: body.length, sha256: createHash('sha256').update(body).digest('hex'), ...s.fields });
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    backupId: id,
    cluster: CLUSTER,
    tool: { name: 'aks-estate-ops', version: '0.1.0-test' },
    trigger: 'cli',
    requestedBy: 'test',
    startedAt: '2025-02-01T02:00:00.000Z',
    finishedAt: '2025-02-01T02:01:00.000Z',
    encryption: null,
    status: 'complete',
    parts: [],
    items,
    snapshots: [],
    counts: {},
    totals: { items: items.length, bytes: 0, objects: 0 },
    warnings: [],
    ...over,
  };
  await w.blobs.writeOnceBuffer(container, paths.manifest(CLUSTER, id), JSON.stringify(manifest));
  return id;
}

const core = (resource: string, kind: string, namespace: string | null): Fields => ({
  type: 'objects',
  namespace,
  group: '',
  version: 'v1',
  resource,
  kind,
  namespaced: namespace !== null,
});
const configMap = (ns: string, name: string): KubeJson => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { k: name } });
const namespaceObj = (name: string, labels?: Record<string, string>): KubeJson => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...(labels ? { labels } : {}) },
});

const input = (backupId: string, over: Partial<RestoreInput> = {}): RestoreInput => ({
  restoreId: 'r1',
  cluster: CLUSTER,
  backupId,
  conflict: 'skip',
  dryRun: true,
  requestedBy: 'user:x',
  ...over,
});

/** Every step of `plan`, in order; the outputs of all steps together. */
async function runSteps(plan: RestorePlan, over: Partial<RestoreStepInput> = {}): Promise<RestoreStepOutput> {
  const all: RestoreStepOutput = { created: 0, updated: 0, skipped: 0, failed: [], objects: [] };
  for (const step of plan.steps) {
    const out = await restoreStep(w.env, {
      restoreId: 'r1',
      cluster: CLUSTER,
      sourceCluster: CLUSTER,
      backupId: plan.backupId,
      step,
      namespaces: plan.namespaces,
      namespaceMap: {},
      conflict: 'skip',
      dryRun: false,
      fromSnapshots: false,
      ...over,
    });
    all.created += out.created;
    all.updated += out.updated;
    all.skipped += out.skipped;
    all.failed.push(...out.failed);
    all.objects.push(...out.objects);
  }
  return all;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}

describe('a partial backup', () => {
  it("the plan warns that the backup is partial and names only the parts that FAILED, joined by '; '", async () => {
    const id = await writeBackup(
      'partial',
      [{ file: 'objects/shop/configmaps.ndjson', fields: core('configmaps', 'ConfigMap', 'shop'), objects: [configMap('shop', 'a')] }],
      {
        status: 'partial',
        warnings: ['part objects.ns.ci FAILED: HTTP 500', 'objects.ns.shop: 2 objects left out (owned by ReplicaSet)', 'part database.app FAILED: timeout'],
      },
    );
    const plan = await planRestore(w.env, input(id));
    expect(plan.warnings).toEqual([`backup ${id} is partial: part objects.ns.ci FAILED: HTTP 500; part database.app FAILED: timeout`]);
  });
});

describe('a backup with items of other types (databases, Grafana, S3, volumes)', () => {
  let id: string;
  beforeAll(async () => {
    id = await writeBackup('mixed', [
      { file: 'objects/_cluster/namespaces.ndjson', fields: core('namespaces', 'Namespace', null), objects: [namespaceObj('shop'), namespaceObj('vault')] },
      // Secrets are their own item type (encrypted in a real backup).
      {
        file: 'objects/vault/secrets.ndjson',
        fields: { ...core('secrets', 'Secret', 'vault'), type: 'secrets' },
        objects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'vault' }, data: { p: 'eA==' } }],
      },
      // After vault: the plan lists namespaces sorted, not in manifest order.
      { file: 'objects/shop/configmaps.ndjson', fields: core('configmaps', 'ConfigMap', 'shop'), objects: [configMap('shop', 'api-config')] },
      { file: 'databases/app.pgdump', fields: { type: 'database', database: 'app', format: 'custom' } },
      { file: 'grafana/dash.json', fields: { type: 'grafana', uid: 'dash', title: 'Dash' } },
      { file: 's3/media/0a', fields: { type: 's3', name: 'media', bucket: 'media', key: 'a.png' } },
      {
        file: 'volumes/vols/data.tar',
        fields: {
          type: 'volume',
          namespace: 'vols',
          pvc: { name: 'data', storageClassName: 'managed-csi', storage: '1Gi', accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' },
        },
      },
    ]);
  });

  it('a full restore plans only the object and secret items, in the namespaces that hold them (not a volume-only namespace)', async () => {
    const plan = await planRestore(w.env, input(id));
    expect(plan.namespaces).toEqual(['shop', 'vault']);
    expect(plan.warnings).toEqual([]);
    const p = (f: string) => `${CLUSTER}/${id}/${f}`;
    expect(plan.steps).toEqual([
      { stage: 'namespaces', namespace: null, items: [p('objects/_cluster/namespaces.ndjson')] },
      { stage: 'secrets', namespace: 'vault', items: [p('objects/vault/secrets.ndjson')] },
      { stage: 'configmaps', namespace: 'shop', items: [p('objects/shop/configmaps.ndjson')] },
    ]);
  });

  it('refuses a namespace that only a volume copy holds', async () => {
    expect((await rejection(planRestore(w.env, input(id, { namespaces: ['vols'] })))).message).toBe(
      `backup ${id} holds no objects of namespace vols (it has shop, vault)`,
    );
  });

  it('a dry run counts a secret as created in a namespace the restore creates (a namespace holding only secrets)', async () => {
    const plan = await planRestore(w.env, input(id, { namespaces: ['vault'], namespaceMap: { vault: 'vault-dry' } }));
    const out = await runSteps(plan, { dryRun: true, namespaceMap: { vault: 'vault-dry' } });
    expect(out).toEqual({ created: 2, updated: 0, skipped: 0, failed: [], objects: ['Namespace vault-dry', 'Secret vault-dry/db'] });
    expect(w.kube.get('secrets', 'vault-dry', 'db')).toBeUndefined();
  });
});

describe('a backup without any namespace', () => {
  it('plans no namespace, and refuses a namespace restore saying it has none', async () => {
    const id = await writeBackup('cluster-only', [
      {
        file: 'objects/_cluster/storageclasses.storage.k8s.io.ndjson',
        fields: {
          type: 'objects',
          namespace: null,
          group: 'storage.k8s.io',
          version: 'v1',
          resource: 'storageclasses',
          kind: 'StorageClass',
          namespaced: false,
        },
        objects: [{ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'disk.csi.azure.com' }],
      },
      { file: 'databases/app.pgdump', fields: { type: 'database', database: 'app', format: 'custom' } },
    ]);
    const plan = await planRestore(w.env, input(id));
    expect(plan.namespaces).toEqual([]);
    expect(plan.steps.map((s) => [s.stage, s.namespace])).toEqual([['storageclasses', null]]);
    expect((await rejection(planRestore(w.env, input(id, { namespaces: ['shop'] })))).message).toBe(
      `backup ${id} holds no objects of namespace shop (it has none)`,
    );
  });
});

describe('a restore fromSnapshots', () => {
  const pvc = (ns: string, name: string): KubeJson => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'managed-csi', resources: { requests: { storage: '1Gi' } } },
  });
  const snapshot = (ns: string, name: string, readyToUse: boolean): SnapshotRecord => ({
    namespace: ns,
    pvc: name,
    name: `snap-${name}`,
    volumeSnapshotClassName: 'csi-azuredisk-vsc',
    readyToUse,
  });
  async function restorePvcs(ns: string, fromSnapshots: boolean): Promise<Array<unknown>> {
    const id = await writeBackup(
      `snaps-${ns}`,
      [
        {
          file: `objects/${ns}/persistentvolumeclaims.ndjson`,
          fields: core('persistentvolumeclaims', 'PersistentVolumeClaim', ns),
          objects: [pvc(ns, 'pg'), pvc(ns, 'cache')],
        },
      ],
      { snapshots: [snapshot(ns, 'pg', true), snapshot(ns, 'cache', false)] },
    );
    w.kube.seed('namespaces', { metadata: { name: ns } });
    const out = await runSteps(await planRestore(w.env, input(id, { namespaces: [ns], kinds: ['persistentvolumeclaims'] })), { fromSnapshots });
    expect(out.failed).toEqual([]);
    return ['pg', 'cache'].map((n) => w.kube.get('persistentvolumeclaims', ns, n)?.['spec']?.['dataSource']);
  }

  it('restores a PVC from its ready snapshot only; a snapshot not ready is not used', async () => {
    expect(await restorePvcs('snapa', true)).toEqual([{ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap-pg' }, undefined]);
  });

  it('without fromSnapshots no PVC gets a snapshot as its data source', async () => {
    expect(await restorePvcs('snapb', false)).toEqual([undefined, undefined]);
  });
});

describe('a manifest written by an older version, and an item whose version is not v1', () => {
  let id: string;
  beforeAll(async () => {
    id = await writeBackup('older', [
      // No group, version or namespaced: the core group, v1, and namespaced when it has a namespace.
      {
        file: 'objects/_cluster/namespaces.ndjson',
        fields: { type: 'objects', namespace: null, resource: 'namespaces', kind: 'Namespace' },
        objects: [namespaceObj('old', { team: 'legacy' })],
      },
      {
        file: 'objects/old/configmaps.ndjson',
        fields: { type: 'objects', namespace: 'old', resource: 'configmaps', kind: 'ConfigMap' },
        objects: [configMap('old', 'legacy')],
      },
      // No kind: the object is restored and named without it.
      {
        file: 'objects/old/serviceaccounts.ndjson',
        fields: { type: 'objects', namespace: 'old', group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true },
        objects: [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'legacy-sa', namespace: 'old' } }],
      },
      // No resource: nothing can be addressed; the cluster's answer names the path.
      {
        file: 'objects/old/unknown.ndjson',
        fields: { type: 'objects', namespace: 'old', group: '', version: 'v1', kind: 'Widget', namespaced: true },
        objects: [{ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'old' } }],
      },
      {
        file: 'objects/old/horizontalpodautoscalers.autoscaling.ndjson',
        fields: {
          type: 'objects',
          namespace: 'old',
          group: 'autoscaling',
          version: 'v2',
          resource: 'horizontalpodautoscalers',
          kind: 'HorizontalPodAutoscaler',
          namespaced: true,
        },
        objects: [
          {
            apiVersion: 'autoscaling/v2',
            kind: 'HorizontalPodAutoscaler',
            metadata: { name: 'api', namespace: 'old' },
            spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }, minReplicas: 1, maxReplicas: 3 },
          },
        ],
      },
    ]);
  });

  it('restores each object at the address its item names (core v1 by default, autoscaling/v2 as stored), keeping labels beside the scratch label', async () => {
    const plan = await planRestore(w.env, input(id, { namespaceMap: { old: 'old-r' } }));
    const out = await runSteps(plan, { namespaceMap: { old: 'old-r' }, scratchLabel: 'drill-7' });
    expect(out.objects).toEqual(['Namespace old-r', ' old-r/legacy-sa', 'ConfigMap old-r/legacy', 'HorizontalPodAutoscaler old-r/api']);
    expect(out.failed).toEqual([
      {
        object: 'Widget old-r/w1',
        error: 'POST /api/v1/namespaces/old-r/: HTTP 405 MethodNotAllowed: the server does not allow this method on the requested resource',
      },
    ]);
    expect(w.kube.get('namespaces', undefined, 'old-r')?.metadata.labels).toEqual({ team: 'legacy', 'aksops.io/scratch': 'drill-7' });
    expect(w.kube.get('configmaps', 'old-r', 'legacy')?.['data']).toEqual({ k: 'legacy' });
    expect(w.kube.get('serviceaccounts', 'old-r', 'legacy-sa')).toBeDefined();
    expect(w.kube.get('horizontalpodautoscalers', 'old-r', 'api')?.['spec']).toMatchObject({ maxReplicas: 3 });
  });
});

describe("the cluster's error on a failed object", () => {
  it('is cut to 400 characters', async () => {
    const id = await writeBackup('long-error', [
      { file: 'objects/shop/configmaps.ndjson', fields: core('configmaps', 'ConfigMap', 'shop'), objects: [configMap('shop', 'api-config')] },
    ]);
    const target = `ns-${'abcdefghij'.repeat(25)}`;
    const plan = await planRestore(w.env, input(id, { namespaces: ['shop'], kinds: ['configmaps'], namespaceMap: { shop: target } }));
    const out = await runSteps(plan, { namespaceMap: { shop: target } });
    expect(out.failed).toHaveLength(1);
    const full = `POST /api/v1/namespaces/${target}/configmaps: HTTP 404 NotFound: namespaces "${target}" not found`;
    expect(full.length).toBeGreaterThan(400);
    expect(out.failed[0]).toEqual({ object: `ConfigMap ${target}/api-config`, error: full.slice(0, 400) });
  });
});
