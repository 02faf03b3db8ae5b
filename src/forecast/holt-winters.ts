// Double-seasonal Holt-Winters with an AR(1) adjustment of the one-step error (Taylor 2003,
// "Short-term electricity demand forecasting using double seasonal exponential smoothing",
// J. Oper. Res. Soc. 54:799-805): additive level, intraday seasonal d (period m1) and intraweek
// seasonal w (period m2), no trend (a 1-2 h horizon needs none; the AR term follows short
// excursions). With one period it is ordinary additive Holt-Winters, with none exponential
// smoothing plus AR(1).
//
//   base_t  = l_{t-1} + d_{t-m1} + w_{t-m2}            eps_t = y_t - base_t
//   l_t     = l_{t-1} + alpha * eps_t
//   d_t     = d_{t-m1} + delta * (y_t - l_t - w_{t-m2} - d_{t-m1})
//   w_t     = w_{t-m2} + omega * (y_t - l_t - d_{t-m1} - w_{t-m2})
//   yhat_{t+k|t} = l_t + d_{t+k-m1} + w_{t+k-m2} + phi^k * eps_t      (k <= m1)
//
// Seasonal slots are indexed by absolute phase (t mod m), so the state can be rebuilt from
// any history that starts at index 0. Parameters are chosen by grid search on the history
// (fitHoltWinters) minimising the absolute error at the horizons the caller cares about; the grid
// is written in time units (half-lives), so it means the same at a 1-minute or a 1-hour step.
import { HOUR_MS } from './series.js';

export interface HoltWintersParams {
  alpha: number;
  /** Per-cycle smoothing of the intraday seasonal (each phase is updated once a cycle). */
  delta: number;
  omega: number;
  phi: number;
}

export class HoltWinters {
  private level = 0;
  private eps = 0;
  private readonly d: Float64Array;
  private readonly w: Float64Array;
  private readonly m1: number;
  private readonly m2: number;
  /** Index of the last observation. */
  private t = -1;

  constructor(
    readonly periods: readonly number[],
    readonly params: HoltWintersParams,
  ) {
    this.m1 = periods[0] ?? 0;
    this.m2 = periods[1] ?? 0;
    this.d = new Float64Array(this.m1);
    this.w = new Float64Array(this.m2);
  }

  /** Initial state from y[0..n): level = mean of the first days, seasonals = average shape. */
  initialise(y: ArrayLike<number>, n: number): void {
    const { m1, m2 } = this;
    const block = m1 > 0 ? m1 : Math.min(n, 24);
    const days = Math.max(1, Math.min(3, Math.floor(n / block)));
    let total = 0;
    for (let i = 0; i < days * block; i++) total += y[i]!;
    this.level = total / (days * block);
    if (m1 > 0) {
      this.d.fill(0);
      for (let j = 0; j < days; j++) {
        let dayMean = 0;
        for (let i = 0; i < m1; i++) dayMean += y[j * m1 + i]!;
        dayMean /= m1;
        for (let i = 0; i < m1; i++) this.d[i]! += (y[j * m1 + i]! - dayMean) / days;
      }
    }
    if (m2 > 0) {
      // Weekly shape: the first week's deviation from level + daily shape, averaged over the
      // weeks available (at most 2) and smoothed over +-1 h of phase to damp single-sample noise.
      this.w.fill(0);
      const weeks = Math.max(1, Math.min(2, Math.floor(n / m2)));
      const raw = new Float64Array(m2);
      for (let j = 0; j < weeks; j++) for (let i = 0; i < m2; i++) raw[i]! += (y[j * m2 + i]! - this.level - (m1 > 0 ? this.d[i % m1]! : 0)) / weeks;
      const half = Math.max(0, Math.round(m1 / 48));
      for (let i = 0; i < m2; i++) {
        let s = 0;
        for (let k = -half; k <= half; k++) s += raw[(i + k + m2) % m2]!;
        this.w[i] = s / (2 * half + 1);
      }
    }
    this.eps = 0;
    this.t = -1;
  }

  observe(y: number): void {
    const t = ++this.t;
    const { m1, m2, params } = this;
    const p1 = m1 > 0 ? t % m1 : 0;
    const p2 = m2 > 0 ? t % m2 : 0;
    const dOld = m1 > 0 ? this.d[p1]! : 0;
    const wOld = m2 > 0 ? this.w[p2]! : 0;
    const eps = y - (this.level + dOld + wOld);
    const level = this.level + params.alpha * eps;
    if (m1 > 0) this.d[p1] = dOld + params.delta * (y - level - wOld - dOld);
    if (m2 > 0) this.w[p2] = wOld + params.omega * (y - level - dOld - wOld);
    this.level = level;
    this.eps = eps;
  }

  /** Forecast k >= 1 steps after the last observation. */
  forecast(k: number): number {
    const t = this.t + k;
    const { m1, m2 } = this;
    return this.level + (m1 > 0 ? this.d[t % m1]! : 0) + (m2 > 0 ? this.w[t % m2]! : 0) + this.phiPower(k) * this.eps;
  }

  private powers: number[] = [1];
  private phiPower(k: number): number {
    const p = this.powers;
    while (p.length <= k) p.push(p[p.length - 1]! * this.params.phi);
    return p[k]!;
  }

  get observed(): number {
    return this.t + 1;
  }
}

/** Steps of history Holt-Winters needs: two cycles of its longest period (or a day without one). */
export function holtWintersMinHistory(periods: readonly number[], stepMs: number): number {
  const longest = periods.length > 0 ? Math.max(...periods) : Math.round((24 * HOUR_MS) / stepMs);
  return 2 * longest;
}

function halfLifeFactor(stepMs: number, halfLifeMs: number): number {
  return halfLifeMs <= 0 ? 0 : 0.5 ** (stepMs / halfLifeMs);
}

/** The parameter grid, in time units so it means the same at any step. */
export function parameterGrid(periods: readonly number[], stepMs: number): HoltWintersParams[] {
  const levelHalfLives = [1, 4, 24, 96].map((h) => h * HOUR_MS);
  const arHalfLives = [0, 0.25, 1, 4].map((h) => h * HOUR_MS);
  const deltas = periods.length >= 1 ? [0.1, 0.25, 0.5] : [0];
  const omegas = periods.length >= 2 ? [0.1, 0.3] : [0];
  const grid: HoltWintersParams[] = [];
  for (const hl of levelHalfLives)
    for (const delta of deltas)
      for (const omega of omegas)
        for (const ar of arHalfLives) grid.push({ alpha: 1 - halfLifeFactor(stepMs, hl), delta, omega, phi: halfLifeFactor(stepMs, ar) });
  return grid;
}

export interface FitOptions {
  stepMs: number;
  /** Horizons (steps) whose absolute errors the fit minimises. */
  horizons: readonly number[];
  /** Score on the last this-many origins of the history (default: 3 days). */
  scoreSteps?: number;
  /** Use at most this much history (steps, default 21 days): older data is dropped. */
  maxHistorySteps?: number;
}

export interface FitResult {
  model: HoltWinters;
  params: HoltWintersParams;
  /** Mean absolute error at the horizons on the scored origins. */
  mae: number;
}

/**
 * Grid search over parameterGrid on y[0..n); returns the best model with its state advanced
 * through y[0..n) (ready to forecast from n-1). Only y[0..n) is read.
 */
export function fitHoltWinters(y: ArrayLike<number>, n: number, periods: readonly number[], options: FitOptions): FitResult {
  const { stepMs, horizons } = options;
  const maxH = Math.max(1, ...horizons);
  const maxHistory = options.maxHistorySteps ?? Math.round((21 * 24 * HOUR_MS) / stepMs);
  const period = periods.length > 0 ? Math.max(...periods) : 1;
  // Start on a whole cycle so phases line up with absolute time (t mod m).
  let from = Math.max(0, n - maxHistory);
  from -= from % period;
  const scoreSteps = Math.min(options.scoreSteps ?? Math.round((3 * 24 * HOUR_MS) / stepMs), Math.max(1, n - from - maxH - 1));
  const scoreFrom = n - maxH - scoreSteps;
  const view = from === 0 ? y : (Array.prototype.slice.call(y, from, n) as number[]);
  const len = n - from;
  let best: FitResult | undefined;
  for (const params of parameterGrid(periods, stepMs)) {
    const model = new HoltWinters(periods, params);
    model.initialise(view, len);
    let err = 0;
    let count = 0;
    // Forecasts made at origin o for o+k are scored once y[o+k] is known; keep them in a ring.
    const ring = new Float64Array((maxH + 1) * horizons.length).fill(NaN);
    for (let i = 0; i < len; i++) {
      const t = from + i;
      const v = view[i]!;
      for (let h = 0; h < horizons.length; h++) {
        const slot = (t % (maxH + 1)) * horizons.length + h;
        const f = ring[slot]!;
        if (!Number.isNaN(f)) {
          err += Math.abs(v - f);
          count++;
          ring[slot] = NaN;
        }
      }
      model.observe(v);
      if (t >= scoreFrom && t + maxH < n) {
        for (let h = 0; h < horizons.length; h++) {
          const k = horizons[h]!;
          ring[((t + k) % (maxH + 1)) * horizons.length + h] = model.forecast(k);
        }
      }
    }
    const mae = count > 0 ? err / count : Infinity;
    if (!best || mae < best.mae) best = { model, params, mae };
  }
  // `from` is a whole number of the longest cycle (and 1 d divides 7 d), so phases relative to
  // `from` equal absolute phases: the winner's state continues correctly from index n.
  return best!;
}
