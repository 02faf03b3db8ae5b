// What the upper bound costs and what it buys, per pool: the same demand replayed through the
// reactive autoscaler alone and through the autoscaler with our minCount controller (simulate.ts),
// compared over one window. The extra node-hours are the price of the coverage target; the
// waiting demand-minutes avoided are what it buys. Used by the backtest, the report, and the
// live enforce gate (mode.ts), so all three state the same figure.
import type { DecisionPolicy } from './decide.js';
import { poolOutcome, simulatePool, type PoolOutcome, type PoolTrace } from './simulate.js';

export interface BoundCostInput {
  /** Demand per step (units; NaN = unknown, skipped when scoring). */
  demand: ArrayLike<number>;
  /** At each origin, the capacity the bound wants ready from now + lead (NaN = none). */
  decisionUpper: ArrayLike<number>;
  stepMs: number;
  /** Units per node. */
  nodeCapacity: number;
  provisioningSteps: number;
  policy: DecisionPolicy;
  /** Share of node capacity kept free when the controller sizes (0..0.9). */
  headroom: number;
  /** The controller acts from here; outcomes are scored over [from, to). */
  from: number;
  to: number;
}

export interface BoundCost {
  predictive: PoolOutcome;
  reactive: PoolOutcome;
  /** predictive / reactive node-hours - 1 (null when reactive used none). */
  extraNodeHoursVsReactive: number | null;
  /** Reactive minus predictive waiting demand-minutes (unit-minutes of demand no longer left waiting). */
  waitingDemandMinutesAvoided: number;
  traces: { predictive: PoolTrace; reactive: PoolTrace; actions: number };
}

export function boundCost(i: BoundCostInput): BoundCost {
  const sim = {
    stepMs: i.stepMs,
    nodeCapacity: i.nodeCapacity,
    provisioningSteps: i.provisioningSteps,
    minNodes: i.policy.minCount,
    maxNodes: i.policy.maxCount,
  };
  const reactive = simulatePool(i.demand, sim);
  const predictive = simulatePool(i.demand, sim, { decisionUpper: i.decisionUpper, startIndex: i.from, policy: i.policy, headroom: i.headroom });
  const outR = poolOutcome(i.demand, reactive, sim, i.from, i.to);
  const outP = poolOutcome(i.demand, predictive, sim, i.from, i.to);
  return {
    predictive: outP,
    reactive: outR,
    extraNodeHoursVsReactive: outR.nodeHours > 0 ? outP.nodeHours / outR.nodeHours - 1 : null,
    waitingDemandMinutesAvoided: outR.waitingDemandMinutes - outP.waitingDemandMinutes,
    traces: { predictive, reactive, actions: predictive.actions },
  };
}
