// Which namespaces drive the spend: OpenCost's allocation model, by resource requests. Pure.
//
// OpenCost spec v0.1 (opencost/opencost spec/opencost-specv01.md): a node's cost is the cost of its
// CPU plus its RAM; a workload is charged max(request, usage) of each resource at the node's
// per-unit price; whatever no workload is charged is idle cost, reported apart (not spread).
// Here: requests only (usage would need Prometheus history, which budget notifications do without),
// and a node's cost split between CPU and RAM in the ratio of OpenCost's default list prices
// (0.031611 per vCPU-hour, 0.004237 per GiB-hour) when no per-resource price is known.
import type { NamespaceCost } from './types.js';

export const DEFAULT_CPU_HOURLY = 0.031611;
export const DEFAULT_RAM_GIB_HOURLY = 0.004237;
const GIB = 1024 ** 3;

export interface AllocNode {
  cluster: string;
  name: string;
  pool: string;
  cpuCores: number;
  memoryBytes: number;
  /** Cost of this node over the window. */
  cost: number;
}

export interface AllocPod {
  cluster: string;
  namespace: string;
  node: string;
  cpuCores: number;
  memoryBytes: number;
}

export interface Allocation {
  namespaces: NamespaceCost[];
  idle: Array<{ cluster: string; cost: number }>;
  total: number;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Splits each node's cost to the namespaces of the pods on it by their requests; the rest is idle. */
export function allocateByRequests(nodes: AllocNode[], pods: AllocPod[], prices = { cpu: DEFAULT_CPU_HOURLY, ramGiB: DEFAULT_RAM_GIB_HOURLY }): Allocation {
  const byNs = new Map<string, NamespaceCost>();
  const idle = new Map<string, number>();
  let total = 0;
  for (const n of nodes) {
    total += n.cost;
    const cpuWeight = n.cpuCores * prices.cpu;
    const ramWeight = (n.memoryBytes / GIB) * prices.ramGiB;
    const cpuCost = cpuWeight + ramWeight > 0 ? (n.cost * cpuWeight) / (cpuWeight + ramWeight) : 0;
    const ramCost = n.cost - cpuCost;
    let charged = 0;
    const onNode = pods.filter((p) => p.cluster === n.cluster && p.node === n.name);
    // Requests beyond allocatable cannot be scheduled; if they are reported anyway, scale them down.
    const cpuReq = onNode.reduce((s, p) => s + p.cpuCores, 0);
    const ramReq = onNode.reduce((s, p) => s + p.memoryBytes, 0);
    const cpuScale = cpuReq > n.cpuCores && cpuReq > 0 ? n.cpuCores / cpuReq : 1;
    const ramScale = ramReq > n.memoryBytes && ramReq > 0 ? n.memoryBytes / ramReq : 1;
    for (const p of onNode) {
      const c =
        (n.cpuCores > 0 ? (p.cpuCores * cpuScale) / n.cpuCores : 0) * cpuCost + (n.memoryBytes > 0 ? (p.memoryBytes * ramScale) / n.memoryBytes : 0) * ramCost;
      charged += c;
      const key = `${p.cluster}/${p.namespace}`;
      const cur = byNs.get(key) ?? { cluster: p.cluster, namespace: p.namespace, cost: 0 };
      cur.cost += c;
      byNs.set(key, cur);
    }
    idle.set(n.cluster, (idle.get(n.cluster) ?? 0) + Math.max(0, n.cost - charged));
  }
  return {
    namespaces: [...byNs.values()].map((x) => ({ ...x, cost: round2(x.cost) })).sort((a, b) => b.cost - a.cost || a.namespace.localeCompare(b.namespace)),
    idle: [...idle.entries()].map(([cluster, cost]) => ({ cluster, cost: round2(cost) })),
    total: round2(total),
  };
}

/**
 * The node pool of an AKS virtual machine scale set (resource name aks-<pool>-<number>-vmss, in
 * the node resource group), or null.
 */
export function poolOfScaleSet(resourceId: string): string | null {
  const m = /\/virtualmachinescalesets\/aks-([a-z][a-z0-9]{0,11})-\d+-vmss$/i.exec(resourceId.trim());
  return m ? m[1]!.toLowerCase() : null;
}

/** Spreads each pool's cost over its current nodes evenly (a node's share of its pool's spend). */
export function nodeCosts(poolCost: Record<string, number>, nodes: Array<Omit<AllocNode, 'cost'>>): AllocNode[] {
  const perPool = new Map<string, number>();
  for (const n of nodes) perPool.set(`${n.cluster}/${n.pool}`, (perPool.get(`${n.cluster}/${n.pool}`) ?? 0) + 1);
  return nodes.map((n) => ({ ...n, cost: (poolCost[`${n.cluster}/${n.pool}`] ?? 0) / (perPool.get(`${n.cluster}/${n.pool}`) ?? 1) }));
}
