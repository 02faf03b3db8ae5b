// Which PVCs a volume backup copies (backups.clusters[].volumes): configured (names and/or label
// selector), Bound, outside protected namespaces, and not mounted by a pod that an
// application-aware entry (database, redis, prometheus) of the same namespace selects: those have
// a consistent copy already, a file copy of a live database is not one. Kept apart from
// volumes.ts so the planner (engine.ts) does not import the part code that imports it.
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import type { KubeRest } from '../adapters/kube-rest.js';
import { namespaceProtection } from '../domain/protection.js';
import { PODS, PVCS } from './volume-pod.js';
import type { BackupVolumeInputRef as VolumeRef } from '../domain/backup-types.js';

/** Claims mounted by the pods an application-aware entry (database, redis, prometheus) selects. */
async function appAwareClaims(env: BackupEnv, rest: KubeRest, cluster: string, namespace: string): Promise<Map<string, string>> {
  const cfg = clusterBackupConfig(env, cluster);
  const covered = new Map<string, string>();
  const entries = [
    ...cfg.databases.map((d) => ['database', d] as const),
    ...cfg.redis.map((r) => ['redis', r] as const),
    ...cfg.prometheus.map((p) => ['prometheus', p] as const),
  ];
  for (const [kind, e] of entries) {
    if (e.namespace !== namespace) continue;
    for await (const page of rest.listPages(PODS, namespace, { labelSelector: e.podSelector, limit: 500 })) {
      for (const p of page) {
        for (const vol of (p['spec'] as { volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> } | undefined)?.volumes ?? []) {
          const claim = vol.persistentVolumeClaim?.claimName;
          if (claim) covered.set(claim, `${kind} ${e.name}`);
        }
      }
    }
  }
  return covered;
}

/** The PVCs to copy: configured, Bound, not in a protected namespace, not covered by an app-aware method. */
export async function planVolumes(env: BackupEnv, cluster: string, namespaces?: string[]): Promise<{ volumes: VolumeRef[]; warnings: string[] }> {
  const volumes: VolumeRef[] = [];
  const warnings: string[] = [];
  const entries = clusterBackupConfig(env, cluster).volumes;
  if (entries.length === 0) return { volumes, warnings };
  const { rest } = await env.kube(cluster);
  for (const v of entries) {
    if (namespaces && !namespaces.includes(v.namespace)) continue;
    const prot = namespaceProtection(v.namespace, env.protectedNamespaces(cluster));
    if (prot) {
      warnings.push(`volumes in ${v.namespace} not copied: ${prot}`);
      continue;
    }
    const covered = await appAwareClaims(env, rest, cluster, v.namespace);
    const found = new Set<string>();
    for await (const page of rest.listPages(PVCS, v.namespace, { limit: 500, ...(v.selector ? { labelSelector: v.selector } : {}) })) {
      for (const pvc of page) {
        const name = String(pvc.metadata?.['name']);
        if ((v.pvcs && !v.pvcs.includes(name)) || v.exclude.includes(name)) continue;
        found.add(name);
        const by = covered.get(name);
        if (by) warnings.push(`PVC ${v.namespace}/${name} not copied file by file: ${by} backs it up application-aware`);
        else if ((pvc['status'] as { phase?: string } | undefined)?.phase !== 'Bound')
          warnings.push(`PVC ${v.namespace}/${name} is not Bound: nothing to copy`);
        else if (!volumes.some((x) => x.namespace === v.namespace && x.pvc === name)) volumes.push({ namespace: v.namespace, pvc: name });
      }
    }
    for (const n of v.pvcs ?? [])
      if (!found.has(n)) warnings.push(`PVC ${v.namespace}/${n} is configured but does not exist${v.selector ? ` or does not match ${v.selector}` : ''}`);
  }
  return { volumes, warnings };
}
