// The one home for "may automation touch this?": the namespaces no configuration can unprotect,
// how the config's protected namespaces and node pools compile per cluster, which node pool a
// node belongs to, and the reason given when something is refused. Every job (intake, runbooks,
// rotation, budgets, backups and restores) asks here, so a fix lands once. Pure.
import type { Target } from './types.js';

/** Namespaces no configuration can unprotect (the safety model's floor). */
export const ALWAYS_PROTECTED_NAMESPACES: readonly string[] = Object.freeze(['kube-system', 'kube-public', 'kube-node-lease']);

export function isAlwaysProtectedNamespace(namespace: string): boolean {
  return ALWAYS_PROTECTED_NAMESPACES.includes(namespace);
}

/** What the operations config protects, in the shape the schema gives it (OpsConfig fits). */
export interface ProtectionConfig {
  protected: { namespaces: readonly string[]; nodePools: readonly string[] };
  clusters: ReadonlyArray<{ name: string; protectedNamespaces: readonly string[]; protectedNodePools: readonly string[] }>;
}

/** Per cluster: the config's protected namespaces and node pools (global + the cluster's own). CompiledConfig carries these. */
export interface ProtectedScopes {
  protectedNamespaces: ReadonlyMap<string, ReadonlySet<string>>;
  protectedNodePools: ReadonlyMap<string, ReadonlySet<string>>;
}

export function compileProtectedScopes(cfg: ProtectionConfig): { protectedNamespaces: Map<string, Set<string>>; protectedNodePools: Map<string, Set<string>> } {
  const protectedNamespaces = new Map<string, Set<string>>();
  const protectedNodePools = new Map<string, Set<string>>();
  for (const c of cfg.clusters) {
    protectedNamespaces.set(c.name, new Set([...cfg.protected.namespaces, ...c.protectedNamespaces]));
    protectedNodePools.set(c.name, new Set([...cfg.protected.nodePools, ...c.protectedNodePools]));
  }
  return { protectedNamespaces, protectedNodePools };
}

/** Why `namespace` may not be touched, or null. `configured`: the cluster's protected namespaces from the config. */
export function namespaceProtection(namespace: string, configured?: ReadonlySet<string>): string | null {
  if (!namespace) return null;
  if (isAlwaysProtectedNamespace(namespace)) return `namespace ${namespace} is always protected`;
  if (configured?.has(namespace)) return `namespace ${namespace} is protected by config`;
  return null;
}

/** Why node pool `pool` may not be touched, or null. `configured`: the cluster's protected node pools. */
export function poolProtection(pool: string | null, configured?: ReadonlySet<string>): string | null {
  return pool && configured?.has(pool) ? `node pool ${pool} is protected by config` : null;
}

/** Node labels AKS sets with the node's pool, in the order they are trusted. */
export const AGENTPOOL_LABELS = ['kubernetes.azure.com/agentpool', 'agentpool'] as const;

/** AKS node names look like aks-<pool>-<digits>-vmss<suffix>: the pool, when the name says it. */
export function nodePoolOf(nodeName: string): string | null {
  const m = /^aks-([a-z0-9]{1,12})-\d+-vmss[0-9a-z]+$/.exec(nodeName);
  return m ? m[1]! : null;
}

/** A node's pool: from the AKS agentpool label, else from its name. Takes a V1Node or any object with its metadata. */
export function poolOfNode(node: { metadata?: { name?: string; labels?: Record<string, string> } }): string | null {
  for (const l of AGENTPOOL_LABELS) {
    const v = node.metadata?.labels?.[l];
    if (v) return v;
  }
  return nodePoolOf(node.metadata?.name ?? '');
}

/** Why automation (the intake, the HTTP runbooks, the activities) may not touch `target`, or null. */
export function protectedReason(scopes: ProtectedScopes, target: Target): string | null {
  const ns = namespaceProtection(target.namespace, scopes.protectedNamespaces.get(target.cluster));
  if (ns) return ns;
  if (target.kind === 'Node') return poolProtection(nodePoolOf(target.name), scopes.protectedNodePools.get(target.cluster));
  return null;
}
