// The world of the volume backup tests: the backup world (fake API server, Azurite) plus a media
// namespace whose PVCs are backed by temp dirs (kube-kubelet.ts maps the copy pod's mount to
// them, so real tar reads and writes real files), a pod mounting `uploads` on a tainted node, a
// database pod whose PVC an app-aware entry covers, and an empty namespace to restore into.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorld, type World } from './world.js';
import { configureExec } from '../fakes/kube-exec.js';
import { simulateKubelet, volumeRewrite } from '../fakes/kube-kubelet.js';
import type { KubeObject } from '../fakes/kube-resources.js';

export const NODE = 'aks-compute-31415926-vmss000002';
export const TOLERATION = { key: 'workload', operator: 'Equal', value: 'media', effect: 'NoSchedule' };
export const BAD_IMAGE = 'registry.invalid/busybox:1';

/** A volume as an application leaves it: text, binary, nested, empty, long and odd names, a symlink, lost+found. */
export function fillVolume(dir: string): void {
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

/** Every path under dir (lost+found left out) with its type and content hash / link target. */
export function snapshot(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    if (p === 'lost+found') continue;
    const st = lstatSync(join(dir, p));
    if (st.isSymbolicLink()) out[p] = `link:${readlinkSync(join(dir, p))}`;
    else if (st.isDirectory()) Object.assign(out, { [p]: 'dir' }, snapshot(dir, p));
    else
      out[p] = `file:${createHash('sha256')
        .update(readFileSync(join(dir, p)))
        .digest('hex')}`;
  }
  return out;
}

const pvc = (ns: string, name: string, labels: Record<string, string>, phase: string): KubeObject => ({
  metadata: { name, namespace: ns, labels },
  spec: {
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'managed-csi-premium',
    resources: { requests: { storage: '5Gi' } },
    volumeMode: 'Filesystem',
    ...(phase === 'Pending' ? {} : { volumeName: `pvc-${name}` }),
  },
  status: phase === 'Pending' ? { phase: 'Pending' } : { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' } },
});

export interface VolumeWorld {
  w: World;
  /** Host directory of each PVC ("ns/claim"); PVCs outside media (restored ones) get one on first use. */
  dirs: Record<string, string>;
  stop(): Promise<void>;
}

export async function createVolumeWorld(tag: string, backups: Record<string, unknown> = {}): Promise<VolumeWorld> {
  const root = mkdtempSync(join(tmpdir(), 'volumes-'));
  const dirs: Record<string, string> = {};
  const w = await createWorld({
    tag,
    backups,
    clusterBackup: {
      databases: [{ name: 'media-db', namespace: 'media', podSelector: 'app=media-db', database: 'media' }],
      volumes: [
        {
          namespace: 'media',
          selector: 'backup=files',
          expectedSize: '10Mi',
          pod: { image: 'busybox:1.36.1', runAsUser: 1000, fsGroup: 1000, startTimeout: '30s' },
        },
      ],
    },
  });
  // Copy pods turn Running after a few reads of the fake kubelet: poll fast instead of every 2 s.
  w.env.podWait = { pollMs: 5 };
  for (const [name, labels, phase] of [
    ['uploads', { backup: 'files' }, 'Bound'],
    ['pgdata', { backup: 'files' }, 'Bound'],
    ['scratch', { backup: 'files' }, 'Pending'],
    ['cache', { backup: 'no' }, 'Bound'],
  ] as const) {
    w.kube.seed('persistentvolumeclaims', pvc('media', name, labels, phase));
  }
  w.kube.seedPod({
    namespace: 'media',
    name: 'media-api-0',
    nodeName: NODE,
    spec: {
      tolerations: [TOLERATION],
      containers: [{ name: 'api', image: 'contoso.azurecr.io/media:1.0' }],
      volumes: [{ name: 'files', persistentVolumeClaim: { claimName: 'uploads' } }],
    },
  });
  w.kube.seedPod({
    namespace: 'media',
    name: 'media-db-0',
    labels: { app: 'media-db' },
    spec: { containers: [{ name: 'postgres', image: 'postgres:16' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'pgdata' } }] },
  });
  w.kube.seed('namespaces', { metadata: { name: 'media-restored' } });
  dirs['media/uploads'] = join(root, 'uploads');
  fillVolume(dirs['media/uploads']);
  simulateKubelet(w.kube.registry, { runningAfterReads: 2, badImages: [BAD_IMAGE] });
  configureExec(w.kube.registry, {
    rewrite: volumeRewrite(w.kube.registry, (ns, claim) => {
      const key = `${ns}/${claim}`;
      // Any PVC outside media (a restore target, a drill's scratch namespace) gets a new empty dir.
      if (!dirs[key] && ns !== 'media') mkdirSync((dirs[key] = join(root, `restored-${ns}-${claim}`)));
      return dirs[key];
    }),
  });
  return {
    w,
    dirs,
    async stop() {
      await w.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The parts of a pod spec the tests read. */
export interface PodSpecView {
  volumes: unknown[];
  securityContext: Record<string, unknown>;
  tolerations?: unknown[];
  automountServiceAccountToken?: boolean;
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: unknown[] } } };
  containers: Array<{ volumeMounts: unknown[]; securityContext: unknown; resources: unknown }>;
}

/** The pods created through the API (POST bodies), in order. */
export const podCreates = (w: World) => w.kube.requests.filter((r) => r.method === 'POST' && /\/namespaces\/[^/]+\/pods$/.test(r.path));
/** Deleted (gone, or terminating: the kubelet has not confirmed yet). */
export const podGone = (w: World, ns: string, name: string) => {
  const p = w.kube.get('pods', ns, name);
  return p === undefined || p.metadata.deletionTimestamp !== undefined;
};
