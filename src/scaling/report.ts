// GET /api/scaling/report, per pool, from the stored forecasts and the actuals that followed:
//  - forecast quality at the horizon: MASE against persistence and seasonal naive (forecasts of
//    both stored with each forecast), WAPE, and coverage of the upper bound;
//  - provisioning: share of intervals where demand exceeded what the pool held (observed), and,
//    replaying the recorded demand through the same pool simulation as the backtest, the
//    predictive controller against the reactive autoscaler: under-provisioned share and node-hours
//    (extra node-hours against reactive). In forecast-only mode these are what enforce would have
//    done; in enforce they are the simulation of what we did.
import { evaluateForecast, r3 } from '../forecast/metrics.js';
import type { DecisionRecord, ForecastRecord } from '../adapters/scaling-store.js';
import { boundCost } from './cost.js';
import type { DecisionPolicy } from './decide.js';

export interface PoolReport {
  cluster: string;
  pool: string;
  mode: string | null;
  modeReasons: string[];
  intervals: number;
  from: string | null;
  to: string | null;
  /** accuracy = 1 - WAPE, reported next to MASE; MASE and coverage are what gate enforce. */
  forecast: {
    targets: number;
    maseVsPersistence: number | null;
    maseVsSeasonalNaive: number | null;
    wape: number | null;
    accuracy: number | null;
    coverage: number | null;
  };
  provisioning: {
    /** Intervals where recorded demand exceeded nodes x allocatable. */
    observedUnderProvisionedShare: number | null;
    predictive: SimulatedPool;
    reactive: SimulatedPool;
    /** What the bound costs ... */
    extraNodeHoursVsReactive: number | null;
    /** ... and what it buys (unit-minutes of demand not left waiting). */
    waitingDemandMinutesAvoided: number | null;
  };
  lastDecision: DecisionRecord | null;
  /** Per interval (targetAt): demand seen, forecast, upper bound, and simulated capacity (nodes x allocatable) of both controllers. */
  series?: {
    at: string[];
    actual: (number | null)[];
    forecast: (number | null)[];
    upper: (number | null)[];
    predictiveCapacity: (number | null)[];
    reactiveCapacity: (number | null)[];
  };
}

const num = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);
interface SimulatedPool {
  underProvisionedShare: number | null;
  nodeHours: number | null;
  waitingDemandMinutes: number | null;
}

export interface ReportOptions {
  policy: DecisionPolicy;
  leadMs: number;
  /** Add the per-interval series (the console's chart). */
  series?: boolean;
}

export function poolReport(cluster: string, pool: string, rows: ForecastRecord[], decisions: DecisionRecord[], o: ReportOptions): PoolReport {
  const n = rows.length;
  const col = (f: (r: ForecastRecord) => number | null) => Float64Array.from(rows, (r) => f(r) ?? NaN);
  const ev = evaluateForecast({
    actual: col((r) => r.actual),
    forecast: col((r) => r.forecast),
    upper: col((r) => r.upper),
    persistence: col((r) => r.persistence),
    seasonalNaive: col((r) => r.seasonalNaive),
    from: 0,
    to: n,
  });
  // Persistence may exist where seasonal naive does not (first day): score MASE vs persistence on its own set.
  const evP = evaluateForecast({
    actual: col((r) => r.actual),
    forecast: col((r) => r.forecast),
    upper: col((r) => r.upper),
    persistence: col((r) => r.persistence),
    from: 0,
    to: n,
  });

  let observed = 0;
  let observedUnder = 0;
  for (const r of rows) {
    if (r.demand === null || r.nodes === null || r.allocatable === null) continue;
    observed++;
    if (r.demand > r.nodes * r.allocatable + 1e-9) observedUnder++;
  }

  const last = rows.at(-1);
  let predictive: SimulatedPool = { underProvisionedShare: null, nodeHours: null, waitingDemandMinutes: null };
  let reactive = { ...predictive };
  let extra: number | null = null;
  let capacities: { predictive: (number | null)[]; reactive: (number | null)[] } = { predictive: rows.map(() => null), reactive: rows.map(() => null) };
  let avoided: number | null = null;
  const alloc = last?.allocatable ?? null;
  if (n >= 2 && alloc !== null && alloc > 0) {
    const stepMs = last!.stepMs;
    const capacity = alloc * (1 - (last!.headroom ?? 0));
    const demand = col((r) => r.demand);
    const c = boundCost({
      demand,
      decisionUpper: col((r) => r.decisionUpper),
      stepMs,
      nodeCapacity: capacity,
      provisioningSteps: Math.max(1, Math.ceil(o.leadMs / stepMs)),
      policy: o.policy,
      headroom: 0,
      from: 0,
      to: n,
    });
    const pool = (x: typeof c.predictive): SimulatedPool => ({
      underProvisionedShare: r3(x.underProvisionedShare),
      nodeHours: r3(x.nodeHours),
      waitingDemandMinutes: r3(x.waitingDemandMinutes),
    });
    predictive = pool(c.predictive);
    reactive = pool(c.reactive);
    extra = r3(c.extraNodeHoursVsReactive);
    avoided = r3(c.waitingDemandMinutesAvoided);
    capacities = { predictive: Array.from(c.traces.predictive.ready, (k) => k * capacity), reactive: Array.from(c.traces.reactive.ready, (k) => k * capacity) };
  }
  return {
    cluster,
    pool,
    mode: last?.mode ?? null,
    modeReasons: last?.modeReasons ?? [],
    intervals: n,
    from: rows[0]?.at ?? null,
    to: last?.at ?? null,
    forecast: {
      targets: evP.n,
      maseVsPersistence: r3(evP.maseVsPersistence),
      maseVsSeasonalNaive: r3(ev.maseVsSeasonalNaive),
      wape: r3(evP.wape),
      accuracy: r3(evP.accuracy),
      coverage: r3(evP.coverage),
    },
    provisioning: {
      observedUnderProvisionedShare: observed ? r3(observedUnder / observed) : null,
      predictive,
      reactive,
      extraNodeHoursVsReactive: extra,
      waitingDemandMinutesAvoided: avoided,
    },
    lastDecision: decisions.at(-1) ?? null,
    ...(o.series
      ? {
          series: {
            at: rows.map((r) => r.targetAt),
            actual: rows.map((r) => num(r.actual)),
            forecast: rows.map((r) => num(r.forecast)),
            upper: rows.map((r) => num(r.upper)),
            predictiveCapacity: capacities.predictive,
            reactiveCapacity: capacities.reactive,
          },
        }
      : {}),
  };
}
