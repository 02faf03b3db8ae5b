// File-level PVC copies through an ephemeral pod, against the strict fake API server (pod
// lifecycle by kube-kubelet.ts, exec running real GNU tar locally over a temp dir standing in for
// the volume) and Azurite: plan, backup, verify, restore into a new PVC, byte-for-byte compare;
// a retried activity reuses its pod; the pod is deleted on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER, createWorld, type World } from './world.js';
import { readManifest, writeManifest } from '../../src/backup/manifest-write.js';
import { verifyBackup } from '../../src/backup/catalog.js';
import { paths } from '../../src/backup/manifest.js';
import { backupVolume, restoreVolume } from '../../src/backup/volumes.js';
import { planVolumes } from '../../src/backup/volume-plan.js';
import { volumePodName } from '../../src/backup/volume-pod.js';
import { planBackup } from '../../src/backup/engine.js';
import { configureExec } from '../fakes/kube-exec.js';
import { simulateKubelet, volumeRewrite } from '../fakes/kube-kubelet.js';
import type { KubeObject } from '../fakes/kube-resources.js';

const root = mkdtempSync(join(tmpdir(), 'volumes-'));
const dirs: Record<string, string> = {};
let w: World;
const ID = '20250101T020000Z-nightly';
const NODE = 'aks-compute-31415926-vmss000002';
const TOLERATION = { key: 'workload', operator: 'Equal', value: 'media', effect: 'NoSchedule' };

/** A volume as an application leaves it: text, binary, nested, empty, long and odd names, a symlink, lost+found. */
function fillVolume(dir: string): void {
  mkdirSync(join(dir, 'lost+found'), { recursive: true });
  writeFileSync(join(dir, 'lost+found', '#1234'), 'orphan');
  mkdirSync(join(dir, 'uploads/2025/01'), { recursive: true });
  writeFileSync(join(dir, 'uploads/2025/01/report.csv'), 'id,value\n1,42\n2,43\n');
  writeFileSync(join(dir, 'uploads/2025/01/scan.bin'), randomBytes(3 * 1024 * 1024 + 17));
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, `${'long-name-'.repeat(15)}.txt`), 'a name over 100 characters needs a GNU/pax header');
  writeFileSync(join(dir, 'with space ü.txt'), 'unicode');
  mkdirSync(join(dir, 'empty-dir'));
  symlinkSync('uploads/2025/01/report.csv', join(dir, 'latest.csv'));
}

/** Every path under dir (lost+found left out) with its type and content / link target. */
function snapshot(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    if (p === 'lost+found') continue;
    const st = lstatSync(join(dir, p));
    if (st.isSymbolicLink()) out[p] = `link:${readlinkSync(join(dir, p))}`;
    else if (st.isDirectory()) Object.assign(out, { [p]: 'dir' }, snapshot(dir, p));
    else out[p] = `file:${createHash('sha256').update(readFileSync(join(dir, p))).digest('hex')}`;
  }
  return out;
}

const pvc = (ns: string, name: string, opts: { phase?: string; labels?: Record<string, string> } = {}): KubeObject => ({
  metadata: { name, namespace: ns, ...(opts.labels ? { labels: opts.labels } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'managed-csi-premium', resources: { requests: { storage: '5Gi' } }, volumeMode: 'Filesystem', ...(opts.phase === 'Pending' ? {} : { volumeName: `pvc-${name}` }) },
  status: opts.phase === 'Pending' ? { phase: 'Pending' } : { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' } },
});

/** The parts of a pod spec the tests read. */
interface PodSpecView {
  volumes: unknown[];
  securityContext: Record<string, unknown>;
  tolerations?: unknown[];
  automountServiceAccountToken?: boolean;
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: unknown[] } } };
  containers: Array<{ volumeMounts: unknown[]; securityContext: unknown; resources: unknown }>;
}

const podCreates = () => w.kube.requests.filter((r) => r.method === 'POST' && /\/namespaces\/[^/]+\/pods$/.test(r.path));
const podGone = (ns: string, name: string) => {
  const p = w.kube.get('pods', ns, name);
  return p === undefined || p.metadata.deletionTimestamp !== undefined;
};

beforeAll(async () => {
  w = await createWorld({
    tag: 'volumes',
    clusterBackup: {
      databases: [{ name: 'media-db', namespace: 'media', podSelector: 'app=media-db', database: 'media' }],
      volumes: [{ namespace: 'media', selector: 'backup=files', expectedSize: '10Mi', pod: { image: 'busybox:1.36.1', runAsUser: 1000, fsGroup: 1000, startTimeout: '30s' } }],
    },
  });
  for (const [name, labels, phase] of [['uploads', { backup: 'files' }, 'Bound'], ['pgdata', { backup: 'files' }, 'Bound'], ['scratch', { backup: 'files' }, 'Pending'], ['cache', { backup: 'no' }, 'Bound']] as const) {
    w.kube.seed('persistentvolumeclaims', pvc('media', name, { labels, phase }));
  }
  w.kube.seedPod({ namespace: 'media', name: 'media-api-0', nodeName: NODE, spec: { tolerations: [TOLERATION], containers: [{ name: 'api', image: 'contoso.azurecr.io/media:1.0' }], volumes: [{ name: 'files', persistentVolumeClaim: { claimName: 'uploads' } }] } });
  w.kube.seedPod({ namespace: 'media', name: 'media-db-0', labels: { app: 'media-db' }, spec: { containers: [{ name: 'postgres', image: 'postgres:16' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'pgdata' } }] } });
  w.kube.seed('namespaces', { metadata: { name: 'media-restored' } });
  dirs['media/uploads'] = join(root, 'uploads');
  fillVolume(dirs['media/uploads']);
  simulateKubelet(w.kube.registry, { runningAfterReads: 2, badImages: ['registry.invalid/busybox:1'] });
  configureExec(w.kube.registry, {
    rewrite: volumeRewrite(w.kube.registry, (ns, claim) => {
      const key = `${ns}/${claim}`;
      if (!dirs[key] && ns === 'media-restored') mkdirSync((dirs[key] = join(root, `restored-${claim}`)));
      return dirs[key];
    }),
  });
}, 60_000);

afterAll(async () => {
  await w?.stop();
  rmSync(root, { recursive: true, force: true });
});

const fast = { pollMs: 5 };

describe('volume backup: plan', () => {
  it('copies configured Bound PVCs and leaves out those an application-aware method covers', async () => {
    const r = await planVolumes(w.env, CLUSTER);
    expect(r.volumes).toEqual([{ namespace: 'media', pvc: 'uploads' }]);
    expect(r.warnings).toEqual([
      'PVC media/pgdata not copied file by file: database media-db backs it up application-aware',
      'PVC media/scratch is not Bound: nothing to copy',
    ]);
    const plan = await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['volumes'] });
    expect(plan.volumes).toEqual([{ namespace: 'media', pvc: 'uploads' }]);
  });
});

describe('volume backup and restore through an ephemeral pod', () => {
  it('streams tar of the PVC into Blob from a restricted, read-only pod on the PVC node, then deletes the pod', async () => {
    const s = await backupVolume(w.env, { backupId: ID, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast);
    expect([s.part, s.items, s.resumed]).toEqual(['volume.media.uploads', 1, false]);
    const [create] = podCreates();
    const pod = create!.body as KubeObject;
    const name = volumePodName('backup', ID, 'media', 'uploads');
    expect(pod.metadata.name).toBe(name);
    expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'aksops', 'app.kubernetes.io/component': 'volume-backup' });
    const spec = pod.spec as unknown as PodSpecView;
    expect(spec['volumes']).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'uploads', readOnly: true } }]);
    expect(spec.containers[0]!.volumeMounts).toEqual([{ name: 'data', mountPath: '/aksops/volume', readOnly: true }]);
    expect(spec.containers[0]!.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(spec['securityContext']).toEqual({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.containers[0]!.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [NODE] }] }]);
    expect(spec['tolerations']).toEqual([TOLERATION]);
    expect(spec['automountServiceAccountToken']).toBe(false);
    expect(w.kube.get('pods', 'media', name)?.spec?.['nodeName']).toBe(NODE); // scheduled there
    expect(podGone('media', name)).toBe(true);
    expect(w.kube.requests.some((r) => r.method === 'DELETE' && r.path.endsWith(`/pods/${name}`))).toBe(true);

    await writeManifest(w.env, { backupId: ID, cluster: CLUSTER, parts: [s.part], failed: [], warnings: [], trigger: 'cli', requestedBy: 'test', startedAt: 'x', finishedAt: 'y' });
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    const item = m.items.find((i) => i.type === 'volume')!;
    const blob = await w.blobs.readBuffer(w.backups.containers.appData, paths.volume(CLUSTER, ID, 'media', 'uploads'));
    expect([item.size, item.sha256]).toEqual([blob.length, createHash('sha256').update(blob).digest('hex')]);
    expect(item.entries).toBe(Object.keys(snapshot(dirs['media/uploads']!)).length);
    expect(item.pvc).toEqual({ name: 'uploads', storageClassName: 'managed-csi-premium', storage: '5Gi', accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' });
    expect(m.counts['volumes']).toBe(1);
    const listed = execFileSync('tar', ['-tf', '-'], { input: blob }).toString().split('\n');
    expect(listed.some((n) => n.includes('lost+found'))).toBe(false);
    expect((await verifyBackup(w.env, CLUSTER, ID)).ok).toBe(true);
  });

  it('dry-run of a restore into a new PVC shows the plan and creates nothing', async () => {
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    w.kube.clearRequests();
    const r = await restoreVolume(w.env, { restoreId: 'r-dry', cluster: CLUSTER, sourceCluster: CLUSTER, backupId: ID, volume: { namespace: 'media', pvc: 'uploads', target: { namespace: 'media-restored', name: 'uploads-restored' } }, dryRun: true }, m, fast);
    expect(r).toMatchObject({ outcome: 'planned', target: 'media-restored/uploads-restored', storageClassName: 'managed-csi-premium', storage: '5Gi' });
    expect(w.kube.writes().map((x) => [x.method, x.path, x.query['dryRun']])).toEqual([['POST', '/api/v1/namespaces/media-restored/persistentvolumeclaims', 'All']]);
    expect(w.kube.get('persistentvolumeclaims', 'media-restored', 'uploads-restored')).toBeUndefined();
  });

  it('restores into a new PVC: same storage class and size, files identical byte for byte, pod deleted', async () => {
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    const r = await restoreVolume(w.env, { restoreId: 'r-1', cluster: CLUSTER, sourceCluster: CLUSTER, backupId: ID, volume: { namespace: 'media', pvc: 'uploads', target: { namespace: 'media-restored', name: 'uploads-restored' } }, dryRun: false }, m, fast);
    expect(r.outcome).toBe('created');
    const created = w.kube.get('persistentvolumeclaims', 'media-restored', 'uploads-restored')!;
    expect(created.spec).toMatchObject({ storageClassName: 'managed-csi-premium', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } });
    expect(snapshot(dirs['media-restored/uploads-restored']!)).toEqual(snapshot(dirs['media/uploads']!));
    const podName = volumePodName('restore', 'r-1', 'media-restored', 'uploads-restored');
    const pod = podCreates().find((x) => (x.body as KubeObject).metadata.name === podName)!.body as KubeObject;
    expect((pod.spec as unknown as PodSpecView).volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'uploads-restored', readOnly: false } }]);
    expect((pod.spec as unknown as PodSpecView).securityContext).toMatchObject({ runAsNonRoot: true, fsGroup: 1000 });
    expect(podGone('media-restored', podName)).toBe(true);
  });

  it('never writes into an existing PVC: the conflict is reported and no pod is created', async () => {
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    w.kube.clearRequests();
    await expect(restoreVolume(w.env, { restoreId: 'r-2', cluster: CLUSTER, sourceCluster: CLUSTER, backupId: ID, volume: { namespace: 'media', pvc: 'uploads', target: { namespace: 'media-restored', name: 'uploads-restored' } }, dryRun: false }, m, fast)).rejects.toThrow(
      /PVC media-restored\/uploads-restored already exists: a restore never writes into an existing PVC/,
    );
    expect(w.kube.writes()).toEqual([]);
  });

  it('a checksum mismatch fails the restore (tampered blob)', async () => {
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    const tampered = { ...m, items: m.items.map((i) => (i.type === 'volume' ? { ...i, sha256: '0'.repeat(64) } : i)) };
    await expect(restoreVolume(w.env, { restoreId: 'r-3', cluster: CLUSTER, sourceCluster: CLUSTER, backupId: ID, volume: { namespace: 'media', pvc: 'uploads', target: { namespace: 'media-restored', name: 'uploads-tampered' } }, dryRun: false }, tampered, fast)).rejects.toThrow(/does not match the manifest/);
    expect(podGone('media-restored', volumePodName('restore', 'r-3', 'media-restored', 'uploads-tampered'))).toBe(true);
  });
});

describe('volume backup: retries and failures', () => {
  it('a retried activity finds its own pod instead of creating a second one', async () => {
    const id = '20250102T020000Z-nightly';
    w.kube.clearRequests();
    // The first attempt dies while waiting for the pod to start (the worker was recycled).
    const crash = { pollMs: 5, sleep: async () => { throw new Error('worker recycled'); } };
    await expect(backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, crash)).rejects.toThrow(/worker recycled/);
    const name = volumePodName('backup', id, 'media', 'uploads');
    expect(w.kube.get('pods', 'media', name)?.status?.['phase']).toBe('Pending'); // left behind by the crash
    const s = await backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast);
    expect(s.items).toBe(1);
    expect(podCreates().map((r) => (r.body as KubeObject).metadata.name)).toEqual([name]);
    expect(podGone('media', name)).toBe(true);
    // A third delivery of the same activity: the part record answers, no pod at all.
    w.kube.clearRequests();
    expect((await backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast)).resumed).toBe(true);
    expect(podCreates()).toEqual([]);
  });

  it('tar failing: nothing committed, the pod deleted, the error names the PVC', async () => {
    const id = '20250103T020000Z-nightly';
    const saved = dirs['media/uploads']!;
    dirs['media/uploads'] = join(root, 'does-not-exist');
    try {
      await expect(backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast)).rejects.toThrow(/tar of media\/uploads.tar in media\/aksops-vb-uploads-[0-9a-f]+ failed \(exit \d+\)/);
    } finally {
      dirs['media/uploads'] = saved;
    }
    expect(await w.blobs.exists(w.backups.containers.appData, paths.volume(CLUSTER, id, 'media', 'uploads'))).toBe(false);
    expect(podGone('media', volumePodName('backup', id, 'media', 'uploads'))).toBe(true);
  });

  it('an image that cannot be pulled fails fast, naming pod.image, and the pod is deleted', async () => {
    const id = '20250104T020000Z-nightly';
    const cfg = w.backups.clusters[0]!.volumes[0]!;
    const saved = cfg.pod.image;
    cfg.pod.image = 'registry.invalid/busybox:1';
    try {
      await expect(backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast)).rejects.toThrow(/cannot start: ImagePullBackOff: .*Fix: check pod.image \(registry.invalid\/busybox:1\)/);
    } finally {
      cfg.pod.image = saved;
    }
    expect(podGone('media', volumePodName('backup', id, 'media', 'uploads'))).toBe(true);
  });

  it('a pod of the same name that is not ours is never touched', async () => {
    const id = '20250105T020000Z-nightly';
    const name = volumePodName('backup', id, 'media', 'uploads');
    w.kube.seedPod({ namespace: 'media', name });
    await expect(backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast)).rejects.toThrow(/exists and is not aksops' copy pod .*: it is not touched/);
    expect(w.kube.get('pods', 'media', name)?.metadata.deletionTimestamp).toBeUndefined();
  });
});
