// File-level PVC copies through an ephemeral pod, against the strict fake API server (pod
// lifecycle by kube-kubelet.ts, exec running real GNU tar locally over a temp dir standing in for
// the volume) and Azurite: plan, backup, verify, restore into a new PVC, byte-for-byte compare;
// a retried activity reuses its pod; the pod is deleted on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CLUSTER, type World } from './world.js';
import { runRestore } from '../../src/cli/backup.js';
import type { CliIo } from '../../src/cli/io.js';
import {
  BAD_IMAGE,
  createVolumeWorld,
  NODE,
  podCreates as created,
  podGone as gone,
  snapshot,
  TOLERATION,
  type PodSpecView,
  type VolumeWorld,
} from './volume-world.js';
import { readManifest, writeManifest } from '../../src/backup/manifest-write.js';
import { verifyBackup } from '../../src/backup/catalog.js';
import { paths } from '../../src/backup/manifest.js';
import { backupVolume, restoreVolume } from '../../src/backup/volumes.js';
import { planVolumes } from '../../src/backup/volume-plan.js';
import { volumePodName } from '../../src/backup/volume-pod.js';
import { planBackup } from '../../src/backup/engine.js';
import type { KubeObject } from '../fakes/kube-resources.js';
import { configureExec, execConfig } from '../fakes/kube-exec.js';

let vw: VolumeWorld;
let w: World;
let dirs: Record<string, string>;
const ID = '20250101T020000Z-nightly';
const podCreates = () => created(w);
const podGone = (ns: string, name: string) => gone(w, ns, name);

beforeAll(async () => {
  vw = await createVolumeWorld('volumes');
  ({ w, dirs } = vw);
}, 60_000);

afterAll(async () => {
  await vw?.stop();
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
    expect(spec.containers[0]!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(spec['securityContext']).toEqual({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.containers[0]!.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: [NODE] }] },
    ]);
    expect(spec['tolerations']).toEqual([TOLERATION]);
    expect(spec['automountServiceAccountToken']).toBe(false);
    expect(w.kube.get('pods', 'media', name)?.spec?.['nodeName']).toBe(NODE); // scheduled there
    expect(podGone('media', name)).toBe(true);
    expect(w.kube.requests.some((r) => r.method === 'DELETE' && r.path.endsWith(`/pods/${name}`))).toBe(true);

    await writeManifest(w.env, {
      backupId: ID,
      cluster: CLUSTER,
      parts: [s.part],
      failed: [],
      warnings: [],
      trigger: 'cli',
      requestedBy: 'test',
      startedAt: 'x',
      finishedAt: 'y',
    });
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    const item = m.items.find((i) => i.type === 'volume')!;
    const blob = await w.blobs.readBuffer(w.backups.containers.appData, paths.volume(CLUSTER, ID, 'media', 'uploads'));
    expect([item.size, item.sha256]).toEqual([blob.length, createHash('sha256').update(blob).digest('hex')]);
    expect(item.entries).toBe(Object.keys(snapshot(dirs['media/uploads']!)).length);
    expect(item.pvc).toEqual({
      name: 'uploads',
      storageClassName: 'managed-csi-premium',
      storage: '5Gi',
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
    });
    expect(m.counts['volumes']).toBe(1);
    const listed = execFileSync('tar', ['-tf', '-'], { input: blob }).toString().split('\n');
    expect(listed.some((n) => n.includes('lost+found'))).toBe(false);
    expect((await verifyBackup(w.env, CLUSTER, ID)).ok).toBe(true);
  });

  it('dry-run of a restore into a new PVC shows the plan and creates nothing', async () => {
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    w.kube.clearRequests();
    const r = await restoreVolume(
      w.env,
      {
        restoreId: 'r-dry',
        cluster: CLUSTER,
        sourceCluster: CLUSTER,
        backupId: ID,
        volume: { namespace: 'media', pvc: 'uploads', target: { namespace: 'media-restored', name: 'uploads-restored' } },
        dryRun: true,
      },
      m,
      fast,
    );
    expect(r).toMatchObject({ outcome: 'planned', target: 'media-restored/uploads-restored', storageClassName: 'managed-csi-premium', storage: '5Gi' });
    expect(w.kube.writes().map((x) => [x.method, x.path, x.query['dryRun']])).toEqual([
      ['POST', '/api/v1/namespaces/media-restored/persistentvolumeclaims', 'All'],
    ]);
    expect(w.kube.get('persistentvolumeclaims', 'media-restored', 'uploads-restored')).toBeUndefined();
  });

  it('restores into a new PVC: same storage class and size, files identical byte for byte, pod deleted', async () => {
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    const r = await restoreVolume(
      w.env,
      {
        restoreId: 'r-1',
        cluster: CLUSTER,
        sourceCluster: CLUSTER,
        backupId: ID,
        volume: { namespace: 'media', pvc: 'uploads', target: { namespace: 'media-restored', name: 'uploads-restored' } },
        dryRun: false,
      },
      m,
      fast,
    );
    expect(r.outcome).toBe('created');
    const created = w.kube.get('persistentvolumeclaims', 'media-restored', 'uploads-restored')!;
    expect(created.spec).toMatchObject({
      storageClassName: 'managed-csi-premium',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
    });
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
    await expect(
      restoreVolume(
        w.env,
        {
          restoreId: 'r-2',
          cluster: CLUSTER,
          sourceCluster: CLUSTER,
          backupId: ID,
          volume: { namespace: 'media', pvc: 'uploads', target: { namespace: 'media-restored', name: 'uploads-restored' } },
          dryRun: false,
        },
        m,
        fast,
      ),
    ).rejects.toThrow(/PVC media-restored\/uploads-restored already exists: a restore never writes into an existing PVC/);
    expect(w.kube.writes()).toEqual([]);
  });

  it('aksops restore --volume: a dry-run plan, then --apply restores through the same code', async () => {
    const out: string[] = [];
    const io: CliIo = { out: (l) => void out.push(l), err: () => undefined, env: {}, readStdin: () => '', cwd: process.cwd() };
    const args = ['--backup', ID, '--map', 'media=media-restored', '--volume', 'media/uploads=uploads-cli'];
    expect(await runRestore(args, io, async () => w.env)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({
      dryRun: true,
      outcome: 'restored',
      volumes: [{ source: 'media/uploads', target: 'media-restored/uploads-cli', ok: true }],
    });
    expect(w.kube.get('persistentvolumeclaims', 'media-restored', 'uploads-cli')).toBeUndefined();
    expect(await runRestore([...args, '--apply'], io, async () => w.env)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({
      dryRun: false,
      outcome: 'restored',
      volumes: [{ ok: true, entries: Object.keys(snapshot(dirs['media/uploads']!)).length }],
    });
    expect(snapshot(dirs['media-restored/uploads-cli']!)).toEqual(snapshot(dirs['media/uploads']!));
    // Into a protected namespace: refused before anything is created.
    await expect(runRestore(['--backup', ID, '--map', 'media=kube-system', '--volume', 'media/uploads=x', '--apply'], io, async () => w.env)).resolves.not.toBe(
      0,
    );
    expect(w.kube.get('persistentvolumeclaims', 'kube-system', 'x')).toBeUndefined();
  });

  it('a checksum mismatch fails the restore (tampered blob)', async () => {
    const m = (await readManifest(w.env, CLUSTER, ID))!;
    const tampered = { ...m, items: m.items.map((i) => (i.type === 'volume' ? { ...i, sha256: '0'.repeat(64) } : i)) };
    await expect(
      restoreVolume(
        w.env,
        {
          restoreId: 'r-3',
          cluster: CLUSTER,
          sourceCluster: CLUSTER,
          backupId: ID,
          volume: { namespace: 'media', pvc: 'uploads', target: { namespace: 'media-restored', name: 'uploads-tampered' } },
          dryRun: false,
        },
        tampered,
        fast,
      ),
    ).rejects.toThrow(/does not match the manifest/);
    expect(podGone('media-restored', volumePodName('restore', 'r-3', 'media-restored', 'uploads-tampered'))).toBe(true);
  });
});

describe('volume backup: retries and failures', () => {
  it('a retried activity finds its own pod instead of creating a second one', async () => {
    const id = '20250102T020000Z-nightly';
    w.kube.clearRequests();
    // The first attempt dies while waiting for the pod to start (the worker was recycled).
    const crash = {
      pollMs: 5,
      sleep: async () => {
        throw new Error('worker recycled');
      },
    };
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
    dirs['media/uploads'] = join(saved, 'does-not-exist');
    try {
      await expect(backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast)).rejects.toThrow(
        /tar of media\/uploads.tar in media\/aksops-vb-uploads-[0-9a-f]+ failed \(exit \d+\)/,
      );
    } finally {
      dirs['media/uploads'] = saved;
    }
    expect(await w.blobs.exists(w.backups.containers.appData, paths.volume(CLUSTER, id, 'media', 'uploads'))).toBe(false);
    expect(podGone('media', volumePodName('backup', id, 'media', 'uploads'))).toBe(true);
  });

  it('tar output that is not a tar archive (exit 0): nothing committed, the error says so and what to check', async () => {
    const id = '20250103T030000Z-nightly';
    const saved = execConfig(w.kube.registry);
    configureExec(w.kube.registry, {
      ...saved,
      rewrite: (req) => (req.command.some((a) => a.includes('exec tar')) ? ['head', '-c', '70000', '/dev/urandom'] : saved.rewrite!(req)),
    });
    try {
      await expect(backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast)).rejects.toThrow(
        /tar output is not a readable tar archive \(the first header checksum does not match\); nothing was committed\. Fix: check the copy pod image's tar/,
      );
    } finally {
      configureExec(w.kube.registry, saved);
    }
    expect(await w.blobs.exists(w.backups.containers.appData, paths.volume(CLUSTER, id, 'media', 'uploads'))).toBe(false);
    expect(podGone('media', volumePodName('backup', id, 'media', 'uploads'))).toBe(true);
  });

  it('an image that cannot be pulled fails fast, naming pod.image, and the pod is deleted', async () => {
    const id = '20250104T020000Z-nightly';
    const cfg = w.backups.clusters[0]!.volumes[0]!;
    const saved = cfg.pod.image;
    cfg.pod.image = BAD_IMAGE;
    try {
      await expect(backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast)).rejects.toThrow(
        /cannot start: ImagePullBackOff: .*Fix: check pod.image \(registry.invalid\/busybox:1\)/,
      );
    } finally {
      cfg.pod.image = saved;
    }
    expect(podGone('media', volumePodName('backup', id, 'media', 'uploads'))).toBe(true);
  });

  it('a pod of the same name that is not ours is never touched', async () => {
    const id = '20250105T020000Z-nightly';
    const name = volumePodName('backup', id, 'media', 'uploads');
    w.kube.seedPod({ namespace: 'media', name });
    await expect(backupVolume(w.env, { backupId: id, cluster: CLUSTER, namespace: 'media', pvc: 'uploads' }, fast)).rejects.toThrow(
      /exists and is not aksops' copy pod .*: it is not touched/,
    );
    expect(w.kube.get('pods', 'media', name)?.metadata.deletionTimestamp).toBeUndefined();
  });
});
