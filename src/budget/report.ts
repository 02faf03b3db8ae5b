// Which namespaces drive a budget's spend, for its notifications: each allocation cluster's node
// pool costs this period (Cost Management, grouped by resource in the cluster's node resource
// group: the AKS scale sets aks-<pool>-<n>-vmss) spread over the pool's current nodes, then
// OpenCost-style allocation by the requests of the running pods on each node (allocation.ts).
// Approximations, said in the report: current nodes and pods stand for the whole period.
import { allocateByRequests, nodeCosts, type AllocNode, type AllocPod } from './allocation.js';
import type { BudgetReport, BudgetReportInput, Period } from './types.js';

export interface ReportPorts {
  /** Nodes of a cluster with their pool (agentpool label) and allocatable CPU/memory. */
  nodes(cluster: string): Promise<Array<Omit<AllocNode, 'cost' | 'cluster'>>>;
  /** Running pods with their node and the sums of their containers' requests. */
  pods(cluster: string): Promise<Array<Omit<AllocPod, 'cluster'>>>;
  /** Cost per node pool of the cluster over the period so far. */
  poolCosts(cluster: string, period: Period, now: string): Promise<Record<string, number>>;
}

const UNITS: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("250m", "2", "512Mi", "1e3") as a number, or 0 when absent/invalid. */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?)(?:[eE]([+-]?\d+))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return 0;
  return Number(m[1]) * 10 ** Number(m[2] ?? 0) * UNITS[m[3] ?? '']!;
}

export async function namespaceReport(ports: ReportPorts, input: BudgetReportInput): Promise<BudgetReport> {
  const notes: string[] = [];
  const nodes: AllocNode[] = [];
  const pods: AllocPod[] = [];
  for (const cluster of input.budget.allocationClusters) {
    try {
      const [ns, ps, costs] = await Promise.all([ports.nodes(cluster), ports.pods(cluster), ports.poolCosts(cluster, input.period, input.now)]);
      const withCost = nodeCosts(
        Object.fromEntries(Object.entries(costs).map(([pool, c]) => [`${cluster}/${pool}`, c])),
        ns.map((n) => ({ ...n, cluster })),
      );
      nodes.push(...withCost);
      pods.push(...ps.map((p) => ({ ...p, cluster })));
    } catch (e) {
      notes.push(`namespace allocation for ${cluster} unavailable: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (nodes.length === 0) return { namespaces: [], idle: [], notes };
  const a = allocateByRequests(nodes, pods);
  notes.push(
    "namespace costs: node pool cost this period spread over current nodes, split by the running pods' CPU and memory requests (OpenCost model); idle is capacity nobody requested",
  );
  return { namespaces: a.namespaces, idle: a.idle, notes };
}
