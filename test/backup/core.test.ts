// The pure core of backups: which objects, in what form, GFS retention, restore order and
// preparation, the manifest, encryption, schedules and the config section.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  cleanObject,
  globMatch,
  kindMatches,
  restorableTypes,
  selectNamespaces,
  selectTypes,
  skipReason,
  type DiscoveredGroupVersion,
  type ResourceTypeRef,
} from '../../src/backup/objects.js';
import { evaluateRetention, isoWeek, type BackupRef, type RetentionPolicy } from '../../src/backup/retention.js';
import { prepareForRestore, restoreOrder, stageOf } from '../../src/backup/restore-order.js';
import { backupIdFor, backupIdTime, buildManifest, parseManifest, paths, type PartRecord, type ManifestMeta } from '../../src/backup/manifest.js';
import {
  decryptBuffer,
  decryptStream,
  encryptBuffer,
  encryptStream,
  localKeyWrapper,
  newKeyDocument,
  openKeyDocument,
  DecryptionError,
  ENCRYPTION_OVERHEAD,
} from '../../src/backup/crypto.js';
import { dueSlot, latestSlot, parseCron } from '../../src/backup/schedule.js';
import { parseConfig, ConfigError } from '../../src/config/load.js';
import { parseSize } from '../../src/config/backup-schema.js';

const t = (group: string, version: string, resource: string, kind: string, namespaced = true): ResourceTypeRef => ({
  group,
  version,
  resource,
  kind,
  namespaced,
});
const DEPLOY = t('apps', 'v1', 'deployments', 'Deployment');
const POD = t('', 'v1', 'pods', 'Pod');
const SECRET = t('', 'v1', 'secrets', 'Secret');

describe('restorable types from discovery', () => {
  const docs: DiscoveredGroupVersion[] = [
    {
      groupVersion: 'v1',
      resources: [
        { name: 'pods', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] },
        { name: 'pods/exec', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'pods/status', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
        { name: 'events', namespaced: true, kind: 'Event', verbs: ['create', 'get', 'list'] },
        { name: 'endpoints', namespaced: true, kind: 'Endpoints', verbs: ['create', 'get', 'list'] },
        { name: 'componentstatuses', namespaced: false, kind: 'ComponentStatus', verbs: ['get', 'list'] },
        { name: 'bindings', namespaced: true, kind: 'Binding', verbs: ['create'] },
        { name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['create', 'get', 'list'] },
      ],
    },
    { groupVersion: 'apps/v1', resources: [{ name: 'deployments', namespaced: true, kind: 'Deployment', verbs: ['create', 'get', 'list'] }] },
    { groupVersion: 'discovery.k8s.io/v1', resources: [{ name: 'endpointslices', namespaced: true, kind: 'EndpointSlice', verbs: ['create', 'get', 'list'] }] },
    { groupVersion: 'events.k8s.io/v1', resources: [{ name: 'events', namespaced: true, kind: 'Event', verbs: ['create', 'get', 'list'] }] },
    { groupVersion: 'authentication.k8s.io/v1', resources: [{ name: 'tokenreviews', namespaced: false, kind: 'TokenReview', verbs: ['create'] }] },
  ];

  it('keeps listable, creatable top-level resources and drops events, endpoints, slices and subresources', () => {
    expect(restorableTypes(docs).map((x) => `${x.resource}.${x.group}`)).toEqual(['configmaps.', 'deployments.apps', 'pods.']);
  });

  it('filters namespaces and kinds by globs and names', () => {
    expect(selectNamespaces(['shop', 'kube-system', 'shop', 'monitoring', 'analytics-dev'], { include: [], exclude: ['kube-*'] })).toEqual([
      'analytics-dev',
      'monitoring',
      'shop',
    ]);
    expect(selectNamespaces(['shop', 'analytics-dev', 'analytics-prod'], { include: ['analytics-*'], exclude: ['*-dev'] })).toEqual(['analytics-prod']);
    expect(globMatch('a?c', 'abc')).toBe(true);
    expect(globMatch('a.c', 'abc')).toBe(false);
    expect(['Deployment', 'deployments', 'deployments.apps', 'DEPLOYMENT'].every((e) => kindMatches(e, DEPLOY))).toBe(true);
    expect(kindMatches('deployments.extensions', DEPLOY)).toBe(false);
    expect(selectTypes([DEPLOY, POD, SECRET], { include: [], exclude: ['secrets'] })).toEqual([DEPLOY, POD]);
    expect(selectTypes([DEPLOY, POD, SECRET], { include: ['Deployment', 'Secret'], exclude: [] })).toEqual([DEPLOY, SECRET]);
  });
});

describe('objects', () => {
  it('skips controller-owned pods, finished pods and token secrets; keeps bare pods and owned-but-not-controlled ones', () => {
    const owned = { metadata: { name: 'api-1', ownerReferences: [{ kind: 'ReplicaSet', name: 'api-7d', controller: true }] }, status: { phase: 'Running' } };
    expect(skipReason(POD, owned)).toBe('owned by ReplicaSet api-7d');
    expect(skipReason(POD, { metadata: { name: 'job-x' }, status: { phase: 'Succeeded' } })).toBe('pod Succeeded');
    expect(skipReason(POD, { metadata: { name: 'debug' }, status: { phase: 'Running' } })).toBeNull();
    expect(skipReason(POD, { metadata: { name: 'p', ownerReferences: [{ kind: 'X', name: 'x' }] } })).toBeNull();
    expect(skipReason(SECRET, { metadata: { name: 't' }, type: 'kubernetes.io/service-account-token' })).toMatch(/token/);
    expect(skipReason(SECRET, { metadata: { name: 't' }, type: 'Opaque' })).toBeNull();
    expect(skipReason(DEPLOY, { metadata: { name: 'd', ownerReferences: [{ kind: 'HelmRelease', name: 'x', controller: true }] } })).toBeNull();
  });

  it('removes server-populated fields and sets apiVersion/kind, leaving the input untouched', () => {
    const listed = {
      metadata: {
        name: 'api',
        namespace: 'shop',
        uid: 'u',
        resourceVersion: '12',
        generation: 3,
        creationTimestamp: '2025-01-01T00:00:00Z',
        selfLink: '/x',
        managedFields: [{ manager: 'kubectl' }],
        labels: { app: 'api' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
      spec: { replicas: 2 },
      status: { availableReplicas: 2 },
    };
    const before = structuredClone(listed);
    expect(cleanObject(DEPLOY, listed)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'shop', labels: { app: 'api' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: { replicas: 2 },
    });
    expect(listed).toEqual(before);
  });
});

describe('GFS retention', () => {
  const policy: RetentionPolicy = { keepLast: 2, daily: 3, weekly: 2, monthly: 2, yearly: 1, incompleteAfterSeconds: 2 * 86400 };
  const b = (iso: string, complete = true): BackupRef => ({ backupId: backupIdFor(new Date(iso), 'nightly'), startedAt: iso, complete });

  it('keeps last N, newest per day/week/month/year, and reports why', () => {
    // Daily backups at 02:00 from 2024-11-20 to 2025-01-10, plus an hourly one on 2025-01-10.
    const all: BackupRef[] = [];
    for (let d = Date.parse('2024-11-20T02:00:00Z'); d <= Date.parse('2025-01-10T02:00:00Z'); d += 86_400_000) all.push(b(new Date(d).toISOString()));
    all.push(b('2025-01-10T03:00:00.000Z'));
    const r = evaluateRetention(all, policy, new Date('2025-01-10T04:00:00Z'));
    const kept = Object.fromEntries(r.keep.map((k) => [k.backupId.slice(0, 16), k.reasons]));
    expect(kept).toEqual({
      '20250110T030000Z': ['last', 'daily 2025-01-10', 'weekly 2025-W02', 'monthly 2025-01', 'yearly 2025'],
      '20250110T020000Z': ['last'],
      '20250109T020000Z': ['daily 2025-01-09'],
      '20250108T020000Z': ['daily 2025-01-08'],
      '20250105T020000Z': ['weekly 2025-W01'], // Sunday, last day of ISO week 1
      '20241231T020000Z': ['monthly 2024-12'],
    });
    expect(r.keep.length + r.expire.length).toBe(all.length);
    expect(r.expire.every((e) => e.reason === 'not kept by any retention rule')).toBe(true);
  });

  it('never expires the newest complete backup, even with an all-zero policy', () => {
    const zero: RetentionPolicy = { keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, incompleteAfterSeconds: 60 };
    const r = evaluateRetention(
      [b('2025-01-01T00:00:00Z'), b('2025-01-02T00:00:00Z'), b('2025-01-03T00:00:00Z', false)],
      zero,
      new Date('2025-01-03T00:00:30Z'),
    );
    expect(r.keep.map((k) => [k.backupId.slice(0, 8), k.reasons])).toEqual([
      ['20250103', ['incomplete, may still be running']],
      ['20250102', ['newest complete backup']],
    ]);
    expect(r.expire.map((e) => e.backupId.slice(0, 8))).toEqual(['20250101']);
  });

  it('expires old incomplete backups, which never count toward a rule', () => {
    const r = evaluateRetention(
      [b('2025-01-01T00:00:00Z', false), b('2024-12-31T00:00:00Z')],
      { ...policy, keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
      new Date('2025-01-05T00:00:00Z'),
    );
    expect(r.expire).toEqual([
      { backupId: backupIdFor(new Date('2025-01-01T00:00:00Z'), 'nightly'), reason: 'incomplete (no manifest) for more than 172800s' },
    ]);
    expect(r.keep.map((k) => k.reasons)).toEqual([['last']]);
  });

  it('does not depend on input order and rejects nonsense', () => {
    const list = [b('2025-03-01T00:00:00Z'), b('2025-01-01T00:00:00Z'), b('2025-02-01T00:00:00Z')];
    const now = new Date('2025-03-02T00:00:00Z');
    expect(evaluateRetention([...list].reverse(), policy, now)).toEqual(evaluateRetention(list, policy, now));
    expect(() => evaluateRetention(list, { ...policy, daily: -1 }, now)).toThrow(/daily/);
    expect(() => evaluateRetention([list[0]!, list[0]!], policy, now)).toThrow(/twice/);
  });

  it('computes ISO weeks at year boundaries', () => {
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeek(new Date('2021-01-03T00:00:00Z'))).toBe('2020-W53');
    expect(isoWeek(new Date('2025-06-15T12:00:00Z'))).toBe('2025-W24');
  });
});

describe('restore order and preparation', () => {
  it('orders CRDs, namespaces, storage, identities, config, RBAC, services, workloads, then the rest', () => {
    const types = [
      t('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy'),
      t('example.com', 'v1', 'widgets', 'Widget'),
      t('batch', 'v1', 'jobs', 'Job'),
      t('apps', 'v1', 'deployments', 'Deployment'),
      t('', 'v1', 'services', 'Service'),
      t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
      t('', 'v1', 'configmaps', 'ConfigMap'),
      t('', 'v1', 'secrets', 'Secret'),
      t('', 'v1', 'serviceaccounts', 'ServiceAccount'),
      t('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
      t('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false),
      t('', 'v1', 'namespaces', 'Namespace', false),
      t('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
      t('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
      t('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget'),
      t('networking.k8s.io', 'v1', 'ingresses', 'Ingress'),
      t('batch', 'v1', 'cronjobs', 'CronJob'),
      t('apps', 'v1', 'statefulsets', 'StatefulSet'),
      t('apps', 'v1', 'daemonsets', 'DaemonSet'),
      t('rbac.authorization.k8s.io', 'v1', 'roles', 'Role'),
    ];
    expect(restoreOrder(types).map((x) => x.kind)).toEqual([
      'CustomResourceDefinition',
      'Namespace',
      'StorageClass',
      'PersistentVolumeClaim',
      'ServiceAccount',
      'Secret',
      'ConfigMap',
      'RoleBinding',
      'Role',
      'Service',
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'CronJob',
      'Job',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Ingress',
      'NetworkPolicy',
      'Widget',
    ]);
    expect(stageOf({ group: 'example.com', resource: 'widgets' })).toBe('rest');
  });

  it('maps namespaces and drops what the target cluster assigns', () => {
    const map = { namespaceMap: { shop: 'shop-restore' } };
    const svc = prepareForRestore(
      t('', 'v1', 'services', 'Service'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: 'shop', ownerReferences: [{ uid: 'x' }] },
        spec: { clusterIP: '10.0.0.7', clusterIPs: ['10.0.0.7'], type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] },
      },
      map,
    );
    expect(svc).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'shop-restore' },
      spec: { type: 'NodePort', ports: [{ port: 80 }] },
    });
    const headless = prepareForRestore(t('', 'v1', 'services', 'Service'), { metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None' } }, map);
    expect((headless['spec'] as Record<string, unknown>)['clusterIP']).toBe('None');

    const pvc = prepareForRestore(
      t('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
      {
        metadata: { name: 'data', namespace: 'shop', annotations: { 'pv.kubernetes.io/bind-completed': 'yes', keep: 'me' } },
        spec: { volumeName: 'pvc-123', resources: { requests: { storage: '1Gi' } } },
      },
      { namespaceMap: {}, snapshotsByPvc: { 'shop/data': 'aksops-20250101t000000z-data' } },
    );
    expect(pvc['metadata']).toEqual({ name: 'data', namespace: 'shop', annotations: { keep: 'me' } });
    expect(pvc['spec']).toEqual({
      resources: { requests: { storage: '1Gi' } },
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'aksops-20250101t000000z-data' },
    });

    const job = prepareForRestore(
      t('batch', 'v1', 'jobs', 'Job'),
      {
        metadata: { name: 'migrate', namespace: 'shop' },
        spec: {
          selector: { matchLabels: { 'controller-uid': 'u' } },
          template: { metadata: { labels: { 'controller-uid': 'u', 'batch.kubernetes.io/controller-uid': 'u', app: 'm' } } },
        },
      },
      map,
    );
    expect(job['spec']).toEqual({ template: { metadata: { labels: { app: 'm' } } } });

    const rb = prepareForRestore(
      t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
      {
        metadata: { name: 'rb', namespace: 'shop' },
        subjects: [
          { kind: 'ServiceAccount', name: 'api', namespace: 'shop' },
          { kind: 'ServiceAccount', name: 'x', namespace: 'other' },
        ],
      },
      map,
    );
    expect(rb['subjects']).toEqual([
      { kind: 'ServiceAccount', name: 'api', namespace: 'shop-restore' },
      { kind: 'ServiceAccount', name: 'x', namespace: 'other' },
    ]);

    const ns = prepareForRestore(
      t('', 'v1', 'namespaces', 'Namespace', false),
      { metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } }, spec: { finalizers: ['kubernetes'] } },
      map,
    );
    expect(ns).toEqual({ metadata: { name: 'shop-restore', labels: { 'kubernetes.io/metadata.name': 'shop-restore' } } });
  });
});

describe('manifest', () => {
  const meta: ManifestMeta = {
    backupId: '20250101T020000Z-nightly',
    cluster: 'ms5-prod',
    tool: { name: 'aks-estate-ops', version: '0.1.0' },
    trigger: 'schedule',
    requestedBy: 'timer',
    startedAt: '2025-01-01T02:00:00.000Z',
    finishedAt: '2025-01-01T02:05:00.000Z',
    encryption: null,
  };
  const rec = (part: string, items: PartRecord['items'], warnings: string[] = []): PartRecord => ({
    format: 'aksops-part/v1',
    backupId: meta.backupId,
    cluster: meta.cluster,
    part,
    items,
    warnings,
  });
  const item = (path: string, extra: Partial<PartRecord['items'][number]> = {}) => ({
    part: 'p',
    type: 'objects' as const,
    container: 'k8s-objects',
    path,
    size: 10,
    sha256: 'a'.repeat(64),
    ...extra,
  });

  it('lists every item with counts per kind and totals; failed parts make it partial with warnings', () => {
    const m = buildManifest(
      meta,
      [
        rec(
          'objects.ns.shop',
          [
            item('x/deploy', { kind: 'Deployment', group: 'apps', count: 3 }),
            item('x/secrets', { type: 'secrets', kind: 'Secret', group: '', count: 2, encrypted: true }),
          ],
          ['1 pod skipped'],
        ),
        rec('database.ts', [item('x/db', { type: 'database', container: 'postgres-dumps', size: 1000 })]),
      ],
      [{ part: 'grafana', error: 'HTTP 401' }],
    );
    expect(m.status).toBe('partial');
    expect(m.counts).toEqual({ 'Deployment.apps': 3, Secret: 2, databases: 1 });
    expect(m.totals).toEqual({ items: 3, bytes: 1020, objects: 5 });
    expect(m.warnings).toEqual(['objects.ns.shop: 1 pod skipped', 'grafana: FAILED: HTTP 401']);
    expect(m.parts).toEqual([
      { part: 'database.ts', status: 'ok' },
      { part: 'grafana', status: 'failed', error: 'HTTP 401' },
      { part: 'objects.ns.shop', status: 'ok' },
    ]);
    expect(parseManifest(JSON.stringify(m), 'm')).toEqual(m);
  });

  it('refuses to call "complete" a backup that stored nothing, foreign records and double claims', () => {
    expect(() => buildManifest(meta, [], [{ part: 'objects.ns.shop', error: 'boom' }])).toThrow(/nothing was stored/);
    expect(() => buildManifest(meta, [{ ...rec('a', []), backupId: 'other' }], [])).toThrow(/belongs to/);
    expect(() => buildManifest(meta, [rec('a', [item('same')]), rec('b', [item('same')])], [])).toThrow(/claimed twice/);
    expect(() => parseManifest('{"format":"x"}', 'm')).toThrow(/not an aksops-backup\/v1 manifest/);
    expect(() =>
      parseManifest(
        JSON.stringify({ ...buildManifest(meta, [rec('a', [item('p')])], []), items: [{ path: 'p', container: 'c', size: 1, sha256: 'zz' }] }),
        'm',
      ),
    ).toThrow(/items\[0\]/);
  });

  it('backup IDs sort by time and carry it', () => {
    const id = backupIdFor(new Date('2025-01-01T02:00:00.123Z'), 'nightly');
    expect(id).toBe('20250101T020000Z-nightly');
    expect(backupIdTime(id)?.toISOString()).toBe('2025-01-01T02:00:00.000Z');
    expect(backupIdTime('../etc')).toBeNull();
    expect(() => backupIdFor(new Date(), 'Bad Name')).toThrow(/backup ID/);
    expect(paths.objects('c', id, null, 'storageclasses.storage.k8s.io', false)).toBe(
      'c/20250101T020000Z-nightly/objects/_cluster/storageclasses.storage.k8s.io.ndjson',
    );
  });
});

describe('encryption', () => {
  const key = randomBytes(32);

  it('round-trips through the streaming and buffer forms, never showing the plaintext', async () => {
    const plain = Buffer.from('{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}\n'.repeat(1000));
    const blob = await encryptBuffer(key, 'k8s-objects/a/secrets', plain);
    expect(blob.length).toBe(plain.length + ENCRYPTION_OVERHEAD);
    expect(blob.includes(Buffer.from('aHVudGVyMg=='))).toBe(false);
    expect(await decryptBuffer(key, 'k8s-objects/a/secrets', blob)).toEqual(plain);
    // In odd-sized chunks through the streams.
    const chunks: Buffer[] = [];
    for (let i = 0; i < plain.length; i += 777) chunks.push(plain.subarray(i, i + 777));
    const enc: Buffer[] = [];
    await pipeline(Readable.from(chunks), encryptStream(key, 'aad'), async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) enc.push(c);
    });
    const encBlob = Buffer.concat(enc);
    const dec: Buffer[] = [];
    const pieces: Buffer[] = [];
    for (let i = 0; i < encBlob.length; i += 5) pieces.push(encBlob.subarray(i, i + 5));
    await pipeline(Readable.from(pieces), decryptStream(key, 'aad'), async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) dec.push(c);
    });
    expect(Buffer.concat(dec)).toEqual(plain);
  });

  it('fails on a changed byte, another path (AAD), a wrong key or truncation', async () => {
    const blob = await encryptBuffer(key, 'p', Buffer.from('secret'));
    const flipped = Buffer.from(blob);
    flipped[20] = flipped[20]! ^ 1;
    await expect(decryptBuffer(key, 'p', flipped)).rejects.toThrow(DecryptionError);
    await expect(decryptBuffer(key, 'q', blob)).rejects.toThrow(/authentication failed/);
    await expect(decryptBuffer(randomBytes(32), 'p', blob)).rejects.toThrow(DecryptionError);
    await expect(decryptBuffer(key, 'p', blob.subarray(0, 10))).rejects.toThrow(/truncated/);
    await expect(decryptBuffer(key, 'p', Buffer.concat([Buffer.from('XXXXXXXX'), blob.subarray(8)]))).rejects.toThrow(/magic/);
  });

  it('wraps the data key with a local KEK and refuses another one', async () => {
    const kek = randomBytes(32).toString('base64');
    const w = localKeyWrapper('BACKUP_LOCAL_KEY', kek);
    const { doc, dataKey } = await newKeyDocument(w);
    expect(JSON.stringify(doc)).not.toContain(dataKey.toString('base64'));
    expect(doc.kek).toEqual({ kind: 'local', id: 'setting:BACKUP_LOCAL_KEY', wrapAlgorithm: 'A256KW' });
    expect(await openKeyDocument(doc, w)).toEqual(dataKey);
    await expect(openKeyDocument(doc, localKeyWrapper('BACKUP_LOCAL_KEY', randomBytes(32).toString('base64')))).rejects.toThrow(
      /not the key the backup was made with/,
    );
    expect(() => localKeyWrapper('BACKUP_LOCAL_KEY', 'c2hvcnQ=')).toThrow(/32 bytes/);
  });
});

describe('schedules', () => {
  it('finds the latest slot at or before now, in UTC', () => {
    const nightly = parseCron('30 2 * * *');
    expect(latestSlot(nightly, new Date('2025-03-10T02:30:59Z'))?.toISOString()).toBe('2025-03-10T02:30:00.000Z');
    expect(latestSlot(nightly, new Date('2025-03-10T02:29:00Z'))?.toISOString()).toBe('2025-03-09T02:30:00.000Z');
    expect(latestSlot(parseCron('0 * * * *'), new Date('2025-03-10T05:17:00Z'))?.toISOString()).toBe('2025-03-10T05:00:00.000Z');
    expect(latestSlot(parseCron('*/15 9-17 * * 1-5'), new Date('2025-03-09T12:00:00Z'))?.toISOString()).toBe('2025-03-07T17:45:00.000Z'); // Sunday -> Friday
    expect(latestSlot(parseCron('0 4 1 1,7 *'), new Date('2025-03-10T00:00:00Z'))?.toISOString()).toBe('2025-01-01T04:00:00.000Z');
    expect(latestSlot(parseCron('0 0 29 2 *'), new Date('2025-03-01T00:00:00Z'))?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    // Both day fields restricted: either matches (Vixie cron).
    expect(latestSlot(parseCron('0 0 13 * 5'), new Date('2025-03-10T00:00:00Z'))?.toISOString()).toBe('2025-03-07T00:00:00.000Z');
    expect(latestSlot(parseCron('0 0 * * 7'), new Date('2025-03-10T00:00:00Z'))?.toISOString()).toBe('2025-03-09T00:00:00.000Z');
  });

  it('starts a slot only within startWithin, so every tick of a slot maps to the same slot', () => {
    const c = parseCron('0 2 * * *');
    const a = dueSlot(c, new Date('2025-03-10T02:00:10Z'), 3600);
    const b = dueSlot(c, new Date('2025-03-10T02:05:00Z'), 3600);
    expect(a?.getTime()).toBe(b?.getTime());
    expect(dueSlot(c, new Date('2025-03-10T03:00:01Z'), 3600)).toBeNull();
  });

  it('rejects malformed expressions with the field and the fix', () => {
    expect(() => parseCron('0 2 * *')).toThrow(/four fields|has 4 fields/);
    expect(() => parseCron('61 * * * *')).toThrow(/"61 \* \* \* \*" is not a cron schedule in UTC: .*minute: 61.*Fix/);
    expect(() => parseCron('0 2 * * foo')).toThrow(/illegal characters.*Fix/);
    expect(() => parseCron('0 2 * * *', 'Europe/Nowhere')).toThrow(/not a cron schedule in Europe\/Nowhere/);
    expect(latestSlot(parseCron('0 2 * * mon'), new Date('2025-03-10T03:00:00Z'))?.toISOString()).toBe('2025-03-10T02:00:00.000Z'); // names accepted
  });

  it('a nightly 02:00 Europe/London schedule stays 02:00 local across both clock changes (croner)', () => {
    const c = parseCron('0 2 * * *', 'Europe/London');
    expect(latestSlot(c, new Date('2026-03-28T12:00:00Z'))?.toISOString()).toBe('2026-03-28T02:00:00.000Z'); // GMT
    expect(latestSlot(c, new Date('2026-03-30T12:00:00Z'))?.toISOString()).toBe('2026-03-30T01:00:00.000Z'); // BST
    expect(latestSlot(c, new Date('2026-10-26T12:00:00Z'))?.toISOString()).toBe('2026-10-26T02:00:00.000Z'); // GMT again
    // The slot (its UTC instant) is the backup ID's source: every tick in the slot maps to it.
    expect(dueSlot(c, new Date('2026-07-01T01:04:00Z'), 3600)?.getTime()).toBe(dueSlot(c, new Date('2026-07-01T01:55:00Z'), 3600)?.getTime());
    // 29 February in a zone: only leap years.
    expect(latestSlot(parseCron('0 0 29 2 *', 'Europe/London'), new Date('2027-03-01T00:00:00Z'))?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });
});

describe('config: backups section', () => {
  const base = `version: 1
clusters:
  - name: ms5-prod
    kubeContext: kind-ms5
`;
  it('applies defaults and accepts a complete section', () => {
    const cfg = parseConfig(`${base}backups:
  encryption: { localKeySetting: BACKUP_LOCAL_KEY }
  schedules:
    - { name: hourly, cron: "0 * * * *", parts: [objects] }
    - { name: nightly, cron: "30 2 * * *" }
  drill: { cron: "0 4 * * 0", cluster: ms5-prod, namespace: shop }
  clusters:
    - cluster: ms5-prod
      objects: { excludeKinds: [Lease], clusterResources: { storageClasses: ["*"] } }
      databases:
        - { name: timescaledb, namespace: timescaledb, podSelector: "app=timescaledb,role=primary", database: ms5, passwordEnv: POSTGRES_PASSWORD, expectedSize: 50Gi }
      snapshots:
        - { namespace: redis, pvc: redis-data-redis-0, volumeSnapshotClass: csi-azuredisk-vsc }
`);
    const b = cfg.source.backups!;
    expect(b.containers.databases).toBe('postgres-dumps');
    expect(b.retention).toMatchObject({ keepLast: 3, daily: 7, weekly: 4, monthly: 12, yearly: 2 });
    expect(b.clusters[0]!.objects.excludeNamespaces).toEqual(['kube-system', 'kube-public', 'kube-node-lease']);
    expect(b.clusters[0]!.databases[0]!.user).toBe('postgres');
    expect(b.schedules[1]!.parts).toEqual(['objects', 'databases', 'snapshots', 'grafana', 'keyVault', 'redis', 'prometheus', 's3', 'volumes']);
    expect(b.drill?.scratchPrefix).toBe('aksops-drill');
    expect(parseSize('50Gi')).toBe(50 * 1024 ** 3);
  });

  it('names the path and the fix for each mistake', () => {
    let err: ConfigError | undefined;
    try {
      parseConfig(`${base}backups:
  encryption: {}
  schedules:
    - { name: nightly, cron: "0 2 * *" }
    - { name: nightly, cron: "0 3 * * *", clusters: [nowhere] }
  clusters:
    - cluster: ms5-dev
      databases:
        - { name: db, namespace: Bad_NS, podSelector: "app in (x)", database: ms5 }
`);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const byPath = Object.fromEntries(err!.problems.map((p) => [p.path, p.message]));
    expect(byPath['backups.clusters[0].databases[0].podSelector']).toMatch(/equality label selector. Fix/);
    const paths2 = byPath;
    expect(paths2['backups.encryption']).toMatch(/exactly one of keyVaultKey and localKeySetting/);
    expect(paths2['backups.clusters[0].cluster']).toMatch(/"ms5-dev" is not a configured cluster. Fix: use one of ms5-prod/);
    expect(paths2['backups.clusters[0].databases[0].namespace']).toMatch(/not a valid namespace/);
    expect(paths2['backups.schedules[0].cron']).toMatch(/has 4 fields/);
    expect(paths2['backups.schedules[1].name']).toMatch(/used twice/);
    expect(paths2['backups.schedules[1].clusters[0]']).toMatch(/no backups.clusters entry/);
  });
});
