// Which namespaces drive a budget's spend, for its notifications: each allocation cluster's node
// pool costs this period (Cost Management, grouped by resource in the cluster's node resource
// group: the AKS scale sets aks-<pool>-<n>-vmss) spread over the pool's current nodes, then
// OpenCost-style allocation by the requests of the running pods on each node (allocation.ts).
// Approximations, said in the report: current nodes and pods stand for the whole period.
import { allocateByRequests, nodeCosts, type AllocNode, type AllocPod } from './allocation.js';
import { parseKubeQuantity } from '../domain/quantity.js';
import type { BudgetReport, BudgetReportInput, Period } from './types.js';

export interface ReportPorts {
  /** Nodes of a cluster with their pool (agentpool label) and allocatable CPU/memory. */
  nodes(cluster: string): Promise<Array<Omit<AllocNode, 'cost' | 'cluster'>>>;
  /** Running pods with their node and the sums of their containers' requests. */
  pods(cluster: string): Promise<Array<Omit<AllocPod, 'cluster'>>>;
  /** Cost per node pool of the cluster over the period so far. */
  poolCosts(cluster: string, period: Period, now: string): Promise<Record<string, number>>;
}

/** A Kubernetes quantity ("250m", "2", "512Mi", "1e3") as a number, or 0 when absent/invalid. */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  return parseKubeQuantity(q)?.value ?? 0;
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
