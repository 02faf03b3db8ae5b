// The live forecast for one pool: given its demand history (requests, on a regular grid), what
// will it need over the lead window, how good has the forecast been lately, and may it act?
// Runs the same engine as the backtest, but fits Holt-Winters once, `qualityWindow` before the
// end: the recent errors that drive selection, bounds and the quality figures are then out of
// sample, and the fitted state simply runs on through the window to now (parameters change
// slowly; the state is what follows the data). That keeps a 2-week, 5-minute history inside the
// 20 ms budget (bench: scaling.fit_forecast_ms). Periodicity is reported on the whole history.
import { baselineForecasts, runEngine, type CandidateKind, type PathPoint } from '../forecast/engine.js';
import { evaluateForecast, r3 } from '../forecast/metrics.js';
import { detectPeriodicity, type PeriodicityReport } from '../forecast/periodicity.js';
import { DAY_MS, prepareSeries, stepsIn, type RegularSeries } from '../forecast/series.js';
import { boundCost } from './cost.js';
import type { DecisionPolicy } from './decide.js';

export interface PoolForecastOptions {
  horizonMs: number;
  leadMs: number;
  /** The decision must also cover this long after the lead (the cooldown). */
  decisionWindowMs: number;
  coverage: number;
  underCost: number;
  /** Recent window scored for quality and used for selection (default 2 days). */
  qualityWindowMs?: number;
  /** Leave candidates out (the benchmark's baseline runs without Holt-Winters). */
  exclude?: CandidateKind[];
  /** The pool, when known: the bound's recent cost against reactive is then replayed (cost.ts). */
  pool?: { allocatable: number; headroom: number; policy: DecisionPolicy };
}

export interface PoolForecast {
  historyDays: number;
  /** Slots filled because Prometheus had no sample. */
  gapsFilled: number;
  periodicity: PeriodicityReport | null;
  model: string | null;
  /** Units the upper bound needs ready from now + lead to now + lead + window (null: not calibrated yet). */
  decisionUpper: number | null;
  /** Forecast path from the last sample: k steps ahead. */
  path: PathPoint[];
  /** Epoch ms of the last sample (the origin). */
  originMs: number;
  stepMs: number;
  /** Recent out-of-sample quality at the horizon. */
  quality: {
    targets: number;
    maseVsPersistence: number | null;
    maseVsSeasonalNaive: number | null;
    wape: number | null;
    accuracy: number | null;
    coverage: number | null;
  };
  /** Over the quality window: what pre-warming with this bound cost and bought (null without `pool`). */
  cost: { extraNodeHoursVsReactive: number | null; waitingDemandMinutesAvoided: number | null; underProvisionedShare: number | null } | null;
  /** Baseline forecasts for the horizon target (stored with the forecast, scored later). */
  baselines: { persistence: number | null; seasonalNaive: number | null };
}

export function forecastPool(series: RegularSeries, o: PoolForecastOptions): PoolForecast {
  const { stepMs } = series;
  const { n, day, observed, gapsFilled, y, H, L } = prepareSeries(series, o.horizonMs, o.leadMs);
  const W = Math.max(0, Math.ceil(o.decisionWindowMs / stepMs) - 1);
  const window = Math.min(n - 1, stepsIn(o.qualityWindowMs ?? 2 * DAY_MS, stepMs));
  const firstFit = n - 1 - window;
  const engine = runEngine(y, {
    stepMs,
    horizonSteps: H,
    leadSteps: L,
    decisionWindowSteps: W,
    coverage: o.coverage,
    underCost: o.underCost,
    observed,
    selectionWindowSteps: window,
    refitAt: (t) => t === firstFit,
    ...(o.exclude ? { exclude: o.exclude } : {}),
    // Older errors fall out of the (7-day) error window before the end anyway.
    scoreFrom: Math.max(0, n - 7 * stepsIn(DAY_MS, stepMs) - H - W - L),
  });
  const from = Math.max(H, n - window);
  const persistence = baselineForecasts(y, H, null);
  const seasonal = day ? baselineForecasts(y, H, day) : null;
  const ev = evaluateForecast({
    actual: series.values,
    forecast: engine.forecast,
    upper: engine.upper,
    persistence,
    ...(seasonal ? { seasonalNaive: seasonal } : {}),
    from,
    to: n,
  });
  const last = n - 1;
  const du = last >= 0 ? engine.decisionUpper[last]! : NaN;
  const hw = engine.final.model;
  return {
    historyDays: (n * stepMs) / DAY_MS,
    gapsFilled,
    periodicity: n >= 3 ? detectPeriodicity(y, stepMs) : null,
    model: hw ? engine.names[hw] : null,
    decisionUpper: Number.isFinite(du) ? du : null,
    path: engine.final.path,
    originMs: series.startMs + last * stepMs,
    stepMs,
    quality: {
      targets: ev.n,
      maseVsPersistence: r3(ev.maseVsPersistence),
      maseVsSeasonalNaive: r3(ev.maseVsSeasonalNaive),
      wape: r3(ev.wape),
      accuracy: r3(ev.accuracy),
      coverage: r3(ev.coverage),
    },
    cost: o.pool ? recentCost(series.values, engine.decisionUpper, stepMs, L, from, o.pool) : null,
    baselines: {
      persistence: last >= 0 ? y[last]! : null,
      seasonalNaive: day && last + H - day * Math.ceil(H / day) >= 0 ? y[last + H - day * Math.ceil(H / day)]! : null,
    },
  };
}

/** The recent window replayed through both simulated pools (capacity = allocatable less headroom). */
function recentCost(
  demand: Float64Array,
  decisionUpper: Float64Array,
  stepMs: number,
  leadSteps: number,
  from: number,
  pool: NonNullable<PoolForecastOptions['pool']>,
): PoolForecast['cost'] {
  const c = boundCost({
    demand,
    decisionUpper,
    stepMs,
    nodeCapacity: pool.allocatable * (1 - pool.headroom),
    provisioningSteps: leadSteps,
    policy: pool.policy,
    headroom: 0,
    from,
    to: demand.length,
  });
  return {
    extraNodeHoursVsReactive: r3(c.extraNodeHoursVsReactive),
    waitingDemandMinutesAvoided: r3(c.waitingDemandMinutesAvoided),
    underProvisionedShare: r3(c.predictive.underProvisionedShare),
  };
}
