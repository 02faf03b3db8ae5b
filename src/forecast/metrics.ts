// Forecast quality figures, computed over the same target indices for the model and its baselines.
//
// MASE here is the scaled error of Hyndman & Koehler (2006, "Another look at measures of forecast
// accuracy") with the scale taken from the baseline forecast at the same horizon over the same
// targets: MASE = MAE(model) / MAE(baseline). Below 1 means the model beats that baseline where
// it matters (at the horizon the decision uses), not only one step ahead in-sample.
// WAPE = sum |error| / sum |actual| (stable near zero, unlike MAPE). Coverage = share of targets
// with actual <= upper bound.

/** Loss of one error e = actual - forecast: running short (e > 0) costs `underCost` per unit. */
export function asymmetricLoss(e: number, underCost: number): number {
  return e > 0 ? underCost * e : -e;
}

export interface ForecastEvaluation {
  /** Targets scored: observed, with model and every baseline defined. */
  n: number;
  mae: number;
  wape: number;
  /** 1 - WAPE (the "accuracy" of the monitoring plan; NaN when WAPE is). */
  accuracy: number;
  /** Mean of (forecast - actual): positive = forecasts run high. */
  bias: number;
  maseVsPersistence: number | null;
  maseVsSeasonalNaive: number | null;
  /** Share of scored targets with actual <= upper (null without an upper bound). */
  coverage: number | null;
}

export interface EvaluationInput {
  actual: ArrayLike<number>;
  forecast: ArrayLike<number>;
  upper?: ArrayLike<number>;
  persistence: ArrayLike<number>;
  seasonalNaive?: ArrayLike<number>;
  /** Index range [from, to) of targets. */
  from: number;
  to: number;
}

function mase(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

export function evaluateForecast(input: EvaluationInput): ForecastEvaluation {
  const { actual, forecast, upper, persistence, seasonalNaive, from, to } = input;
  let n = 0;
  let absErr = 0;
  let absAct = 0;
  let err = 0;
  let persErr = 0;
  let snErr = 0;
  let covered = 0;
  for (let t = from; t < to; t++) {
    const a = actual[t]!;
    const f = forecast[t]!;
    const p = persistence[t]!;
    const s = seasonalNaive ? seasonalNaive[t]! : 0;
    if (Number.isNaN(a) || Number.isNaN(f) || Number.isNaN(p) || Number.isNaN(s)) continue;
    n++;
    absErr += Math.abs(a - f);
    absAct += Math.abs(a);
    err += f - a;
    persErr += Math.abs(a - p);
    if (seasonalNaive) snErr += Math.abs(a - s);
    if (upper && a <= upper[t]!) covered++;
  }
  return {
    n,
    mae: n ? absErr / n : NaN,
    wape: absAct > 0 ? absErr / absAct : NaN,
    accuracy: absAct > 0 ? 1 - absErr / absAct : NaN,
    bias: n ? err / n : NaN,
    maseVsPersistence: mase(absErr, persErr),
    maseVsSeasonalNaive: seasonalNaive ? mase(absErr, snErr) : null,
    coverage: upper && n ? covered / n : null,
  };
}

/** Round for reports (3 significant decimals). */
export function r3(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000;
}
