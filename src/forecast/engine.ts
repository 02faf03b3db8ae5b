// The rolling forecaster: replays a series one step at a time as if live. At every origin t it
//  1. scores the forecasts that targeted t (each candidate, at the lead and report horizons):
//     their errors feed the candidate's asymmetric loss (selection) and error quantiles (bounds);
//  2. lets every candidate observe y[t]; on refit origins re-detects periods and refits
//     Holt-Winters on y[0..t];
//  3. picks the candidate with the lowest mean asymmetric loss over the selection window;
//  4. issues that candidate's forecast for t + H and its upper bound (forecast + the coverage
//     quantile of its recent errors at that horizon), and the decision bound: the highest upper
//     bound over the lead window [t + L, t + L + W], which is what capacity ordered now must meet.
// Nothing at origin t reads y after t, so a forecast for t uses data up to t - H only, and
// truncating the series never changes earlier output (tested).
import { asymmetricLoss } from './metrics.js';
import { HoltWintersForecaster, Persistence, SeasonalNaive, type Forecaster } from './models.js';
import { detectPeriodicity, type PeriodicityOptions, type PeriodicityReport } from './periodicity.js';
import { DAY_MS, HOUR_MS, periodSteps, stepsIn } from './series.js';
import { AdaptiveBound, type BoundConditioning } from './adaptive-bound.js';
import { RollingSum } from './stats.js';

export interface EngineOptions {
  stepMs: number;
  /** Report horizon H in steps (forecast/upper columns, MASE). */
  horizonSteps: number;
  /** Lead time L in steps: capacity ordered now is ready this much later. */
  leadSteps: number;
  /** Steps after the lead the decision bound must also cover (the cooldown before the next change). */
  decisionWindowSteps: number;
  /** Upper bounds aim to cover this share of actuals (default 0.95). */
  coverage?: number;
  /** Asymmetric loss weight of running short vs running over (default 2). */
  underCost?: number;
  /** Errors per candidate used for selection (default 2 days). */
  selectionWindowSteps?: number;
  /** Errors per candidate and horizon used for quantiles (default 7 days, at most 4032). */
  errorWindowSteps?: number;
  /** Origins after which to re-detect periods and refit (default: at the end of every day). */
  refitAt?: (t: number) => boolean;
  periodicity?: PeriodicityOptions;
  /** 0 where y[t] was filled rather than observed: such targets score no error. */
  observed?: ArrayLike<number>;
  /**
   * Targets before this index score no errors and origins before it issue nothing (default 0).
   * A live forecast only needs the last error window, so it skips the older bookkeeping.
   */
  scoreFrom?: number;
  /** Candidates to leave out (by kind), for experiments and tests. */
  exclude?: CandidateKind[];
  /**
   * Upper bound: 'adaptive' (default) conditions on time of day and recent volatility and keeps the
   * coverage target online (adaptive-bound.ts); 'static' is one error quantile for the whole day.
   */
  bound?: 'adaptive' | 'static';
  /** What the adaptive bound's scale follows (default time of day and recent volatility). */
  boundConditioning?: BoundConditioning;
}

export type CandidateKind = 'persistence' | 'seasonal-naive-1d' | 'seasonal-naive-7d' | 'holt-winters';
export const CANDIDATES: readonly CandidateKind[] = ['persistence', 'seasonal-naive-1d', 'seasonal-naive-7d', 'holt-winters'];

export interface PathPoint {
  /** Steps ahead of the origin. */
  k: number;
  forecast: number;
  upper: number;
}

export interface EngineResult {
  /** Forecast for target t issued at t - H (NaN while no candidate is ready). */
  forecast: Float64Array;
  upper: Float64Array;
  /** At origin t: max upper bound over targets t+L .. t+L+W. NaN until bounds are calibrated. */
  decisionUpper: Float64Array;
  /** At origin t: index into CANDIDATES of the chosen model, -1 when none. */
  chosen: Int8Array;
  /** Model names (Holt-Winters' periods as of the last refit). */
  names: Record<CandidateKind, string>;
  /** Periodicity as of the last refit (null when no refit happened). */
  periodicity: PeriodicityReport | null;
  /** The last origin's chosen model and forecast path k = 1..max(H, L+W). */
  final: { origin: number; model: CandidateKind | null; path: PathPoint[] };
}

/** Quantile samples needed before an upper bound is trusted. */
const MIN_QUANTILE_SAMPLES = 50;
const PERSISTENCE = 0;
const HOLT_WINTERS = 3;

export function runEngine(y: Float64Array, o: EngineOptions): EngineResult {
  const n = y.length;
  const H = o.horizonSteps;
  const L = o.leadSteps;
  const W = o.decisionWindowSteps;
  if (!(H >= 1 && L >= 1 && W >= 0)) throw new RangeError(`horizon and lead must be >= 1 step, window >= 0 (got H=${H}, L=${L}, W=${W})`);
  const coverage = o.coverage ?? 0.95;
  const underCost = o.underCost ?? 2;
  const day = stepsIn(DAY_MS, o.stepMs);
  const selectionWindow = o.selectionWindowSteps ?? 2 * day;
  const errorWindow = Math.min(o.errorWindowSteps ?? 7 * day, 4032);
  const refitAt = o.refitAt ?? ((t: number) => (t + 1) % day === 0);
  const exclude = new Set(o.exclude ?? []);
  const horizons = L === H ? [L] : [L, H];
  const K = Math.max(H, L + W);
  const ring = K + 1;

  const m1 = periodSteps(DAY_MS, o.stepMs);
  const m7 = periodSteps(7 * DAY_MS, o.stepMs);
  const hw = new HoltWintersForecaster(o.stepMs, horizons);
  const models: (Forecaster | null)[] = [
    exclude.has('persistence') ? null : new Persistence(),
    m1 && !exclude.has('seasonal-naive-1d') ? new SeasonalNaive('seasonal-naive-1d', m1) : null,
    m7 && !exclude.has('seasonal-naive-7d') ? new SeasonalNaive('seasonal-naive-7d', m7) : null,
    exclude.has('holt-winters') ? null : hw,
  ];
  const M = models.length;
  const pending = models.map(() => horizons.map(() => new Float64Array(ring).fill(NaN)));
  // The bound's scale and quantile when each pending forecast was issued (its conformal score).
  const pendingScale = models.map(() => horizons.map(() => new Float64Array(ring).fill(NaN)));
  const pendingQ = models.map(() => horizons.map(() => new Float64Array(ring).fill(NaN)));
  // Hour-of-day bins when the step divides an hour or a day into hours; else one bin.
  const stepsPerHour = HOUR_MS / o.stepMs;
  const hourly = Number.isInteger(stepsPerHour) && stepsPerHour >= 1 && day % stepsPerHour === 0;
  const boundOptions = {
    coverage,
    window: errorWindow,
    stepsPerBin: hourly ? stepsPerHour : day,
    bins: hourly ? 24 : 1,
    volatilitySteps: Math.max(2, stepsPerHour),
    adaptive: o.bound !== 'static',
    ...(o.boundConditioning ? { conditioning: o.boundConditioning } : {}),
    minSamples: MIN_QUANTILE_SAMPLES,
  };
  const bounds = models.map(() => horizons.map(() => new AdaptiveBound(boundOptions)));
  const losses = models.map(() => new RollingSum(selectionWindow));
  const minSelect = Math.min(selectionWindow, day) / 2;

  const forecast = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  const decisionUpper = new Float64Array(n).fill(NaN);
  const chosen = new Int8Array(n).fill(-1);
  let periodicity: PeriodicityReport | null = null;

  // Additive bounds: tried errors scaled by the forecast level (wider at peaks), which cost 30-60 %
  // more node-hours on the shared traces for no coverage gain; see docs/decisions/0005-forecasting.md.
  // Scaled by past errors at that hour and recent volatility instead: docs/decisions/0010.
  // Normalised quantiles at the tracked horizons, read once per origin; in between interpolated.
  let qa = NaN;
  let qb = NaN;
  let origin = 0;
  let chosenBounds: AdaptiveBound[] = [];
  const readBounds = (m: number, t: number): void => {
    chosenBounds = bounds[m]!;
    origin = t;
    qa = chosenBounds[0]!.quantileNow();
    qb = horizons.length === 1 ? qa : chosenBounds[1]!.quantileNow();
  };
  const boundAt = (k: number): number => {
    const a = qa * chosenBounds[0]!.scale(origin + k);
    if (horizons.length === 1) return a;
    const b = qb * chosenBounds[1]!.scale(origin + k);
    return a + Math.min(1, Math.max(0, (k - L) / (H - L))) * (b - a);
  };

  const scoreFrom = o.scoreFrom ?? 0;
  for (let t = 0; t < n; t++) {
    const v = y[t]!;
    const isObserved = (!o.observed || o.observed[t] !== 0) && t >= scoreFrom;
    const slot = t % ring;
    for (let m = 0; m < M; m++) {
      if (!models[m]) continue;
      let loss = 0;
      let complete = true;
      for (let j = 0; j < horizons.length; j++) {
        const f = pending[m]![j]![slot]!;
        pending[m]![j]![slot] = NaN;
        if (Number.isNaN(f) || !isObserved) {
          complete = false;
          continue;
        }
        const e = v - f;
        bounds[m]![j]!.push(t, e, pendingScale[m]![j]![slot], pendingQ[m]![j]![slot]);
        loss += asymmetricLoss(e, underCost);
      }
      losses[m]!.push(complete ? loss : NaN);
    }

    for (const model of models) model?.observe(y, t);
    if (refitAt(t)) {
      periodicity = detectPeriodicity(y.subarray(0, t + 1), o.stepMs, o.periodicity);
      if (models[HOLT_WINTERS]) hw.refit(y, t, periodicity.periods);
    }

    // Selection: lowest mean loss among candidates with enough scored errors. Once detection has
    // found no cycle the forecast is persistence: seasonal naive repeats yesterday's shifts, and
    // smoothing, even when it must beat persistence's recent absolute error by 10 %, lost to it
    // after level shifts (MASE 1.01-1.09 on the synthetic cases; docs/scaling.md).
    const noCycle = periodicity !== null && periodicity.periods.length === 0 && models[PERSISTENCE] !== null;
    let best = -1;
    let bestLoss = Infinity;
    for (let m = 0; m < M; m++) {
      const model = models[m];
      if (!model || !model.ready) continue;
      if (noCycle && m !== PERSISTENCE) continue;
      const l = losses[m]!;
      if (l.count < minSelect) continue;
      const mean = l.sum / l.count;
      if (mean < bestLoss) {
        bestLoss = mean;
        best = m;
      }
    }
    if (best < 0 && models[PERSISTENCE]?.ready) best = PERSISTENCE;

    for (let m = 0; m < M; m++) {
      const model = models[m];
      if (!model || !model.ready) continue;
      for (let j = 0; j < horizons.length; j++) {
        const k = horizons[j]!;
        if (t + k < scoreFrom) continue;
        const b = bounds[m]![j]!;
        pending[m]![j]![(t + k) % ring] = model.forecast(k);
        pendingScale[m]![j]![(t + k) % ring] = b.scale(t + k);
        pendingQ[m]![j]![(t + k) % ring] = b.quantileNow();
      }
    }
    chosen[t] = best;
    if (best < 0 || t < scoreFrom) continue;
    const model = models[best]!;
    readBounds(best, t);
    if (t + H < n) {
      const f = model.forecast(H);
      forecast[t + H] = f;
      upper[t + H] = f + boundAt(H);
    }
    let need = -Infinity;
    for (let k = L; k <= L + W; k++) {
      const f = model.forecast(k);
      need = Math.max(need, f + boundAt(k));
    }
    decisionUpper[t] = need;
  }

  const last = n - 1;
  const lastChoice = last >= 0 ? chosen[last]! : -1;
  const path: PathPoint[] = [];
  if (lastChoice >= 0) {
    const model = models[lastChoice]!;
    readBounds(lastChoice, last);
    for (let k = 1; k <= K; k++) {
      const f = model.forecast(k);
      path.push({ k, forecast: f, upper: f + boundAt(k) });
    }
  }
  return {
    forecast,
    upper,
    decisionUpper,
    chosen,
    names: { persistence: 'persistence', 'seasonal-naive-1d': 'seasonal-naive-1d', 'seasonal-naive-7d': 'seasonal-naive-7d', 'holt-winters': hw.name },
    periodicity,
    final: { origin: last, model: lastChoice >= 0 ? CANDIDATES[lastChoice]! : null, path },
  };
}

/** Baseline forecasts for target t at horizon H: persistence y[t-H], seasonal naive y[t - m*ceil(H/m)]. */
export function baselineForecasts(y: ArrayLike<number>, horizonSteps: number, seasonSteps: number | null): Float64Array {
  const n = y.length;
  const out = new Float64Array(n).fill(NaN);
  const lag = seasonSteps ? seasonSteps * Math.ceil(horizonSteps / seasonSteps) : horizonSteps;
  for (let t = lag; t < n; t++) out[t] = y[t - lag]!;
  return out;
}
