// A node pool under the cluster autoscaler, stepped through a demand series, with or without the
// predictive minCount controller. Demand is in units (e.g. requested cores); each node offers
// `nodeCapacity` units. The reactive autoscaler, as the Kubernetes cluster autoscaler behaves
// with its defaults (FAQ: scale-up when pods are pending; scale-down-unneeded-time 10m,
// scale-down-delay-after-add 10m):
//  - scale-up: when demand exceeds the capacity of ready plus provisioning nodes (pods pending),
//    it orders the missing nodes, which become ready `provisioningSteps` later;
//  - scale-down: a node is removed once it has been unneeded for 10 minutes (demand over the last
//    10 minutes fits on fewer nodes), never below minCount, and not within 10 minutes of a scale-up.
// The predictive pool is the same autoscaler whose minCount the controller moves (decide.ts);
// raising minCount above the node count orders nodes like a scale-up does.
// Node-hours count every node from the moment it is ordered (that is when billing starts).
import { decideMinCount, nodesNeeded, type DecisionPolicy } from './decide.js';

export interface PoolSimOptions {
  stepMs: number;
  nodeCapacity: number;
  /** Steps between ordering a node and its being ready (provisioning time). */
  provisioningSteps: number;
  /** The pool's autoscaler bounds. */
  minNodes: number;
  maxNodes: number;
  /** Default 10 minutes (the autoscaler's scale-down-unneeded-time). */
  unneededMs?: number;
  /** Default 10 minutes (scale-down-delay-after-add). */
  delayAfterAddMs?: number;
}

export interface PredictiveOptions {
  /** At origin t: the capacity (units) the forecast wants ready from t + lead (NaN = no forecast). */
  decisionUpper: ArrayLike<number>;
  /** The controller acts from this index on (before: reactive only). */
  startIndex: number;
  policy: DecisionPolicy;
  /** Share of node capacity kept free when sizing (0..1). */
  headroom: number;
}

export interface PoolTrace {
  /** Ready nodes at each step (the capacity demand meets). */
  ready: Int32Array;
  /** Ready + provisioning nodes (what is billed). */
  billed: Int32Array;
  /** minCount in force at each step. */
  minCount: Int32Array;
  /** minCount changes made by the controller. */
  actions: number;
}

export function simulatePool(demand: ArrayLike<number>, o: PoolSimOptions, predictive?: PredictiveOptions): PoolTrace {
  const n = demand.length;
  const cap = o.nodeCapacity;
  const unneededSteps = Math.max(1, Math.ceil((o.unneededMs ?? 600_000) / o.stepMs));
  const delayAfterAdd = Math.max(1, Math.ceil((o.delayAfterAddMs ?? 600_000) / o.stepMs));
  const ready = new Int32Array(n);
  const billed = new Int32Array(n);
  const minTrace = new Int32Array(n);
  const arrivals = new Int32Array(n + o.provisioningSteps + 1);
  const needs = new Int32Array(unneededSteps);
  let R = Math.max(o.minNodes, needOf(demand[0] ?? 0, cap));
  let P = 0;
  let minCount = o.minNodes;
  let lastAdd = -Infinity;
  let lastChange: number | null = null;
  let actions = 0;

  const order = (t: number, count: number): void => {
    if (count <= 0) return;
    arrivals[t + o.provisioningSteps]! += count;
    P += count;
    lastAdd = t;
  };

  for (let t = 0; t < n; t++) {
    const arriving = arrivals[t]!;
    R += arriving;
    P -= arriving;
    const d = demand[t]!;
    const need = Number.isNaN(d) ? 0 : needOf(d, cap);
    needs[t % unneededSteps] = need;
    ready[t] = R;

    // Pending pods: order what is missing (within maxNodes).
    order(t, Math.min(need, o.maxNodes) - (R + P));

    if (predictive && t >= predictive.startIndex) {
      const upper = predictive.decisionUpper[t]!;
      const desired = Number.isNaN(upper) ? null : nodesNeeded(upper, cap, predictive.headroom);
      const decision = decideMinCount({
        nowMs: t * o.stepMs,
        desiredNodes: desired,
        state: { minCount, maxCount: o.maxNodes, nodeCount: R + P, enableAutoScaling: true, poolMode: 'User', lastChangeAtMs: lastChange },
        policy: predictive.policy,
        mode: 'enforce',
        protectedPool: false,
      });
      if (decision.apply) {
        minCount = decision.toMinCount;
        lastChange = t * o.stepMs;
        actions++;
        order(t, minCount - (R + P));
      }
    }
    minTrace[t] = minCount;
    // Billed this step: everything running or ordered (a node removed below still ran this step).
    billed[t] = R + P;

    // Scale-down: nodes unneeded for the whole unneeded window, not right after a scale-up.
    if (P === 0 && t - lastAdd >= delayAfterAdd && t + 1 >= unneededSteps) {
      let recent = 0;
      for (const x of needs) recent = Math.max(recent, x);
      const keep = Math.max(recent, minCount);
      if (R > keep) R = keep;
    }
  }
  return { ready, billed, minCount: minTrace, actions };
}

function needOf(d: number, cap: number): number {
  return Math.max(0, Math.ceil(d / cap - 1e-9));
}

export interface PoolOutcome {
  /** Share of steps where demand exceeded ready capacity. */
  underProvisionedShare: number;
  nodeHours: number;
  /** Sum over steps of (demand above ready capacity) x step minutes: unit-minutes left waiting. */
  waitingDemandMinutes: number;
  steps: number;
}

/** Outcome over steps [from, to); steps with unknown demand are skipped. */
export function poolOutcome(
  demand: ArrayLike<number>,
  trace: PoolTrace,
  o: Pick<PoolSimOptions, 'stepMs' | 'nodeCapacity'>,
  from: number,
  to: number,
): PoolOutcome {
  const stepMin = o.stepMs / 60_000;
  let steps = 0;
  let under = 0;
  let nodeSteps = 0;
  let waiting = 0;
  for (let t = from; t < to; t++) {
    const d = demand[t]!;
    if (Number.isNaN(d)) continue;
    steps++;
    nodeSteps += trace.billed[t]!;
    const short = d - trace.ready[t]! * o.nodeCapacity;
    if (short > 1e-9 * Math.max(1, Math.abs(d))) {
      under++;
      waiting += short * stepMin;
    }
  }
  return { underProvisionedShare: steps ? under / steps : NaN, nodeHours: (nodeSteps * stepMin) / 60, waitingDemandMinutes: waiting, steps };
}
