// Restore activities: plan a restore from a manifest, apply one step (one stage of one
// namespace), wait for CRDs to be Established, restore a database, and the drill's checks.
// Only complete backups (with a manifest) are restored. Secrets are decrypted in memory only.
// Protected namespaces (kube-system & co. and the config's) are never restored into.
//
// Creating an object: POST (with ?dryRun=All for a dry run, the server validates and admits it
// without persisting). AlreadyExists (409) then follows the conflict policy: `skip` leaves the
// live object alone; `update` replaces it (PUT with the live resourceVersion, so a concurrent
// change answers 409 Conflict instead of being overwritten silently).
import type { BackupEnv } from './env.js';
import { namespaceProtection } from '../domain/protection.js';
import { isKubeRestStatus, KubeRestError, type KubeRest } from '../adapters/kube-rest.js';
import { backupDataKey } from './engine.js';
import { readManifest } from './manifest-write.js';
import { decryptBuffer } from './crypto.js';
import { kindMatches, qualifiedName, type KubeJson, type ResourceTypeRef } from './objects.js';
import { mapNamespace, prepareForRestore, RESTORE_STAGES, stageOf } from './restore-order.js';
import type { ManifestItem } from './manifest.js';
import { redactSecrets } from '../domain/redact.js';
import { drillVolumeMap, planVolumeRestores } from './volumes.js';
import { text } from '../domain/text.js';
import type { RestoreInput, RestorePlan, RestoreStep, RestoreStepInput, RestoreStepOutput, WaitCrdsInput } from '../domain/backup-types.js';
import type { DrillCheckInput, DrillCheckOutput } from '../domain/drill-types.js';

export const NAMESPACE_TYPE: ResourceTypeRef = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
const CRD_TYPE: ResourceTypeRef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};
/** Label put on namespaces a drill creates; only such namespaces are ever deleted by a drill. */
export const LABEL_SCRATCH = 'aksops.io/scratch';

function typeOf(it: ManifestItem): ResourceTypeRef {
  return {
    group: it.group ?? '',
    version: it.version ?? 'v1',
    resource: it.resource ?? '',
    kind: it.kind ?? '',
    namespaced: it.namespaced ?? it.namespace !== null,
  };
}

// The one protection check of restores (repoint it at src/domain/protection.ts when that lands).
function isProtected(env: BackupEnv, cluster: string, ns: string): boolean {
  return namespaceProtection(ns, env.protectedNamespaces(cluster)) !== null;
}

const CLUSTER_RBAC = new Set(['clusterroles', 'clusterrolebindings']);

/**
 * Every namespaceMap target, not only those of the namespaces restored: binding subjects are
 * rewritten with any entry, so {"ci": "kube-system"} would hand a ci binding to kube-system (#12).
 */
function checkNamespaceMap(env: BackupEnv, cluster: string, map: Record<string, string>): void {
  for (const [from, to] of Object.entries(map)) {
    if (isProtected(env, cluster, to))
      throw new Error(
        `namespaceMap: "${from}" -> "${to}": namespace ${to} is protected in cluster ${cluster}: nothing is restored or rebound into it. Fix: map it to another namespace`,
      );
  }
}

export async function planRestore(env: BackupEnv, input: RestoreInput): Promise<RestorePlan> {
  const source = input.sourceCluster ?? input.cluster;
  const m = await readManifest(env, source, input.backupId);
  if (!m)
    throw new Error(
      `backup ${source}/${input.backupId} has no manifest: it is incomplete (or does not exist) and is never restored. Fix: pick a complete backup (aksops backup list)`,
    );
  const map = input.namespaceMap ?? {};
  checkNamespaceMap(env, input.cluster, map);
  const warnings: string[] = [];
  if (m.status === 'partial') warnings.push(`backup ${input.backupId} is partial: ${m.warnings.filter((w) => w.includes('FAILED')).join('; ')}`);
  const objectItems = m.items.filter((i) => i.type === 'objects' || i.type === 'secrets');
  const backedUpNs = [...new Set(objectItems.map((i) => i.namespace).filter((n): n is string => typeof n === 'string'))].sort();
  const namespaces = input.namespaces ?? backedUpNs;
  for (const ns of namespaces) {
    if (!backedUpNs.includes(ns)) throw new Error(`backup ${input.backupId} holds no objects of namespace ${ns} (it has ${backedUpNs.join(', ') || 'none'})`);
    const target = mapNamespace(ns, map);
    if (isProtected(env, input.cluster, target))
      throw new Error(
        `namespace ${target} is protected in cluster ${input.cluster}: nothing is restored into it. Fix: map it to another namespace (namespaceMap)`,
      );
  }
  const kinds = input.kinds;
  const wanted = (it: ManifestItem): boolean => {
    const t = typeOf(it);
    if (kinds && kinds.length > 0 && !kinds.some((k) => kindMatches(k, t))) return false;
    if (it.namespace === null || it.namespace === undefined) {
      // Namespace objects go with their namespaces; other cluster-scoped objects only on a
      // full restore or when their kind is asked for by name.
      if (t.resource === 'namespaces') return true;
      return input.namespaces === undefined || (kinds ?? []).some((k) => kindMatches(k, t));
    }
    return namespaces.includes(it.namespace);
  };
  const rbac = objectItems.filter((i) => wanted(i) && typeOf(i).group === 'rbac.authorization.k8s.io' && CLUSTER_RBAC.has(typeOf(i).resource));
  if (rbac.length > 0 && input.clusterRbac !== true) {
    throw new Error(
      `the restore would apply cluster-scoped RBAC (${[...new Set(rbac.map((i) => typeOf(i).resource))].join(', ')}): cluster-wide privileges are restored only on request. Fix: add "clusterRbac": true (needs the Approver role), or leave those kinds out`,
    );
  }
  const steps: RestoreStep[] = [];
  for (const stage of RESTORE_STAGES) {
    const inStage = objectItems.filter((i) => wanted(i) && stageOf(typeOf(i)) === stage);
    const byNs = new Map<string | null, string[]>();
    for (const it of inStage) {
      const key = it.namespace ?? null;
      byNs.set(key, [...(byNs.get(key) ?? []), it.path]);
    }
    for (const [ns, items] of [...byNs.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)))) {
      // Within a step, items keep restore order (e.g. Deployments before Jobs).
      const order = (p: string) => {
        const it = inStage.find((x) => x.path === p)!;
        return (
          RESTORE_STAGES.indexOf(stageOf(typeOf(it))) * 1000 +
          ['deployments.apps', 'statefulsets.apps', 'daemonsets.apps', 'cronjobs.batch', 'jobs.batch'].indexOf(qualifiedName(typeOf(it)))
        );
      };
      steps.push({ stage, namespace: ns, items: items.sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1)) });
    }
  }
  const databases = Object.entries(input.databases ?? {}).map(([name, target]) => {
    if (!m.items.some((i) => i.type === 'database' && i.database === name)) throw new Error(`backup ${input.backupId} holds no dump of database ${name}`);
    return { name, target };
  });
  const held = (type: 'grafana' | 'keyvault' | 's3', names: string[] | undefined, what: string) => {
    const have = [...new Set(m.items.filter((i) => i.type === type).map((i) => (type === 'grafana' ? i.uid : type === 's3' ? i.name : i.secret) ?? ''))];
    const absent = (names ?? []).filter((n) => n !== '*' && !have.includes(n));
    if (absent.length > 0) throw new Error(`backup ${input.backupId} holds no ${what} ${absent.join(', ')} (it has ${have.length} ${what}s)`);
    return names && names.length > 0 ? { [type === 'grafana' ? 'dashboards' : type === 's3' ? 'buckets' : 'keyVaultSecrets']: names } : {};
  };
  const volumes = planVolumeRestores(
    m,
    { ...(input.drillVolumes ? drillVolumeMap(m, namespaces) : {}), ...input.volumes },
    (ns) => mapNamespace(ns, map),
    (ns) => isProtected(env, input.cluster, ns),
  );
  return {
    restoreId: input.restoreId,
    backupId: input.backupId,
    namespaces,
    steps,
    databases,
    crds: [],
    warnings,
    ...(volumes.length > 0 ? { volumes } : {}),
    ...held('grafana', input.dashboards, 'dashboard'),
    ...held('keyvault', input.keyVaultSecrets, 'Key Vault secret'),
    ...held('s3', input.buckets, 's3 entry'),
  };
}

async function readObjects(env: BackupEnv, source: string, backupId: string, it: ManifestItem): Promise<KubeJson[]> {
  let bytes = await env.blobs.readBuffer(it.container, it.path);
  if (it.encrypted) {
    const { key } = await backupDataKey(env, source, backupId, false);
    bytes = await decryptBuffer(key, `${it.container}/${it.path}`, bytes);
  }
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as KubeJson);
}

function describe(t: ResourceTypeRef, obj: KubeJson): string {
  const meta = obj.metadata ?? {};
  return `${t.kind} ${meta['namespace'] ? `${text(meta['namespace'])}/` : ''}${text(meta['name'], 'undefined')}`;
}

async function apply(
  rest: KubeRest,
  t: ResourceTypeRef,
  obj: KubeJson,
  input: RestoreStepInput,
  pendingNamespaces: Set<string>,
): Promise<'created' | 'updated' | 'skipped'> {
  const meta = obj.metadata ?? {};
  const ns = t.namespaced ? String(meta['namespace']) : null;
  const name = String(meta['name']);
  try {
    await rest.create(t, ns, obj, input.dryRun);
    return 'created';
  } catch (e) {
    // A dry run cannot create the namespace its objects go into: the server answers NotFound
    // for the namespace. That object would be created by the real run.
    if (input.dryRun && ns && pendingNamespaces.has(ns) && isKubeRestStatus(e, 404)) return 'created';
    if (!isKubeRestStatus(e, 409) || (e as KubeRestError).reason !== 'AlreadyExists') throw e;
  }
  if (input.conflict === 'skip' || (t.group === '' && t.resource === 'namespaces')) return 'skipped'; // a live Namespace is kept: its labels (Pod Security, the mesh) are the cluster's, and the role has no update on namespaces
  const live = await rest.get(t, ns, name);
  const next: KubeJson = { ...obj, metadata: { ...meta, resourceVersion: (live.metadata ?? {})['resourceVersion'] } };
  await rest.replace(t, ns, name, next, input.dryRun);
  return 'updated';
}

export async function restoreStep(env: BackupEnv, input: RestoreStepInput): Promise<RestoreStepOutput> {
  const m = await readManifest(env, input.sourceCluster, input.backupId);
  if (!m) throw new Error(`backup ${input.sourceCluster}/${input.backupId} has no manifest`);
  const { rest } = await env.kube(input.cluster);
  const out: RestoreStepOutput = { created: 0, updated: 0, skipped: 0, failed: [], objects: [] };
  const snapshotsByPvc = input.fromSnapshots
    ? Object.fromEntries(m.snapshots.filter((s) => s.readyToUse).map((s) => [`${s.namespace}/${s.pvc}`, s.name]))
    : undefined;
  const restoredNs = new Set(
    m.items
      .filter((i) => i.type === 'objects' || i.type === 'secrets')
      .map((i) => i.namespace)
      .filter((n): n is string => typeof n === 'string'),
  );
  const pendingNamespaces = new Set([...restoredNs].map((n) => mapNamespace(n, input.namespaceMap)));
  for (const path of input.step.items) {
    const it = m.items.find((i) => i.path === path);
    if (!it) throw new Error(`${path} is not an item of backup ${input.backupId}`);
    const t = typeOf(it);
    for (const stored of await readObjects(env, input.sourceCluster, input.backupId, it)) {
      if (t.resource === 'namespaces' && t.group === '') {
        const name = String(stored.metadata?.['name']);
        if (!input.namespaces.includes(name)) continue;
      }
      const obj = prepareForRestore(t, stored, { namespaceMap: input.namespaceMap, ...(snapshotsByPvc ? { snapshotsByPvc } : {}) });
      if (t.resource === 'namespaces' && t.group === '' && input.scratchLabel) {
        const meta = obj.metadata!;
        meta['labels'] = { ...(meta['labels'] ?? {}), [LABEL_SCRATCH]: input.scratchLabel };
      }
      const id = describe(t, obj);
      const target = t.namespaced ? String(obj.metadata?.['namespace']) : undefined;
      if (target !== undefined && isProtected(env, input.cluster, target)) {
        out.failed.push({ object: id, error: `namespace ${target} is protected` });
        continue;
      }
      try {
        const r = await apply(rest, t, obj, input, pendingNamespaces);
        out[r] += 1;
        if (r !== 'skipped') out.objects.push(id);
      } catch (e) {
        out.failed.push({ object: id, error: redactSecrets((e as Error).message).slice(0, 400) });
      }
    }
  }
  return out;
}

/** CRDs among `names` that are not Established yet (empty: all are). */
export async function waitCrds(env: BackupEnv, input: WaitCrdsInput): Promise<string[]> {
  const { rest } = await env.kube(input.cluster);
  const pending: string[] = [];
  for (const name of input.names) {
    try {
      const crd = await rest.get(CRD_TYPE, null, name);
      const conds = (crd['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
      if (!conds.some((c) => c.type === 'Established' && c.status === 'True')) pending.push(name);
    } catch (e) {
      if (isKubeRestStatus(e, 404)) pending.push(name);
      else throw e;
    }
  }
  return pending;
}

const WORKLOADS: Record<string, ResourceTypeRef> = {
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true },
};

function available(kind: string, obj: KubeJson): boolean {
  const spec = (obj['spec'] ?? {}) as Record<string, unknown>;
  const st = (obj['status'] ?? {}) as Record<string, unknown>;
  const gen = Number((obj.metadata ?? {})['generation'] ?? 0);
  if (Number(st['observedGeneration'] ?? -1) < gen) return false;
  if (kind === 'DaemonSet') return Number(st['numberAvailable'] ?? 0) >= Number(st['desiredNumberScheduled'] ?? 1);
  const want = Number(spec['replicas'] ?? 1);
  return Number(kind === 'StatefulSet' ? (st['readyReplicas'] ?? 0) : (st['availableReplicas'] ?? 0)) >= want;
}

/**
 * The drill's check: every expected object ("Kind namespace/name") exists, and workloads are
 * available (all replicas available/ready for the current generation).
 */
export async function drillCheck(env: BackupEnv, input: DrillCheckInput, types: Record<string, ResourceTypeRef> = {}): Promise<DrillCheckOutput> {
  const { rest } = await env.kube(input.cluster);
  const out: DrillCheckOutput = { missing: [], unavailable: [] };
  const discovered = new Map<string, ResourceTypeRef>(Object.entries({ ...WORKLOADS, ...types }));
  if (discovered.size === Object.keys(WORKLOADS).length) {
    const d = await rest.discover();
    for (const gv of d.groupVersions) {
      const [g, v] = gv.groupVersion.includes('/') ? gv.groupVersion.split('/') : ['', gv.groupVersion];
      for (const r of gv.resources)
        if (!r.name.includes('/') && !discovered.has(r.kind))
          discovered.set(r.kind, { group: g!, version: v!, resource: r.name, kind: r.kind, namespaced: r.namespaced });
    }
  }
  for (const id of input.expected) {
    const m = /^(\S+) (?:([^/]+)\/)?(.+)$/.exec(id);
    if (!m) continue;
    const [, kind, ns, name] = m as unknown as [string, string, string | undefined, string];
    const t = discovered.get(kind);
    if (!t) {
      out.missing.push(`${id} (kind not served)`);
      continue;
    }
    try {
      const obj = await rest.get(t, t.namespaced ? (ns ?? input.namespace) : null, name);
      if (WORKLOADS[kind] && !available(kind, obj)) out.unavailable.push(id);
    } catch (e) {
      if (isKubeRestStatus(e, 404)) out.missing.push(id);
      else throw e;
    }
  }
  return out;
}

/** Deletes a drill's scratch namespace, only if it carries the drill's scratch label. */
export async function deleteScratchNamespace(
  env: BackupEnv,
  input: { cluster: string; namespace: string; scratchLabel: string },
): Promise<'deleted' | 'absent'> {
  const { rest } = await env.kube(input.cluster);
  let ns: KubeJson;
  try {
    ns = await rest.get(NAMESPACE_TYPE, null, input.namespace);
  } catch (e) {
    if (isKubeRestStatus(e, 404)) return 'absent';
    throw e;
  }
  const label = ((ns.metadata ?? {})['labels'] as Record<string, string> | undefined)?.[LABEL_SCRATCH];
  if (label !== input.scratchLabel)
    throw new Error(`namespace ${input.namespace} is not this drill's scratch namespace (label ${LABEL_SCRATCH}=${label ?? '(none)'}): not deleted`);
  try {
    await rest.delete(NAMESPACE_TYPE, null, input.namespace, { propagationPolicy: 'Background' });
  } catch (e) {
    if (!isKubeRestStatus(e, 404)) throw e;
  }
  return 'deleted';
}
