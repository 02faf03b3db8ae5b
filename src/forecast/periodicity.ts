// Daily and weekly periodicity: is there a cycle worth modelling, and how strong is it?
//
// Two tests on the series with its slow trend removed, both reported:
//  - autocorrelation at the period's lag (the peak within +-2 % of it). Daily is taken from the
//    series minus its centred one-day moving average (classical decomposition), which keeps the
//    intraday shape and removes day-to-day drift. Weekly is taken from the series minus a linear
//    trend, and must beat the one-day autocorrelation by a margin: a strong daily cycle repeats at
//    a 7-day lag too, so only "same weekday is more alike than yesterday" shows a weekly cycle.
//  - spectral share: the fraction of the detrended variance carried by the first four harmonics
//    of the period (a periodogram read at exactly those frequencies, i.e. a Fisher-type test on
//    the frequencies we care about instead of the whole spectrum).
// A period is detected when both pass their thresholds and the data covers at least two cycles.
import { DAY_MS, periodSteps } from './series.js';

export interface PeriodCheck {
  name: 'daily' | 'weekly';
  periodMs: number;
  /** Period in steps; null when the step does not divide it. */
  steps: number | null;
  /** Full cycles covered by the data. */
  cycles: number;
  /** Autocorrelation at the period (peak lag within +-2 %); null when not computable. */
  acf: number | null;
  /** For weekly: acf minus the one-day autocorrelation of the same detrended series. */
  acfMargin: number | null;
  /** Share of detrended variance in harmonics 1-4 of the period (0..1). */
  spectralShare: number | null;
  detected: boolean;
  /** Why (not) detected, in words. */
  reason: string;
}

export interface PeriodicityReport {
  daily: PeriodCheck;
  weekly: PeriodCheck;
  /** Detected periods in steps, shortest first (what the models may use). */
  periods: number[];
}

export interface PeriodicityOptions {
  minAcf?: number;
  minSpectralShare?: number;
  /** Weekly acf must exceed the one-day acf by this much. */
  minWeeklyMargin?: number;
  minCycles?: number;
}

export const PERIODICITY_DEFAULTS: Required<PeriodicityOptions> = { minAcf: 0.3, minSpectralShare: 0.1, minWeeklyMargin: 0.05, minCycles: 2 };

/** Residual of the centred moving average over `w` steps (2 x w for even w); NaN at the edges. */
export function detrendMovingAverage(y: ArrayLike<number>, w: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n).fill(NaN);
  if (n < w + 1) return out;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + y[i]!;
  const half = Math.floor(w / 2);
  for (let t = half; t + half < n; t++) {
    let ma: number;
    if (w % 2 === 1) ma = (prefix[t + half + 1]! - prefix[t - half]!) / w;
    else {
      // 2 x w MA: average of the two w-windows around t, i.e. half weight on both ends.
      const a = (prefix[t + half]! - prefix[t - half]!) / w;
      const b = (prefix[t + half + 1]! - prefix[t - half + 1]!) / w;
      ma = (a + b) / 2;
    }
    out[t] = y[t]! - ma;
  }
  return out;
}

/** Residual of the least-squares line through the series. */
export function detrendLinear(y: ArrayLike<number>): Float64Array {
  const n = y.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += i;
    sy += y[i]!;
    sxx += i * i;
    sxy += i * y[i]!;
  }
  const d = n * sxx - sx * sx;
  const slope = d === 0 ? 0 : (n * sxy - sx * sy) / d;
  const icpt = (sy - slope * sx) / n;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = y[i]! - (icpt + slope * i);
  return out;
}

/** Sample autocorrelation of the finite values of r at `lag` (pairs with a NaN are skipped). */
export function autocorrelation(r: ArrayLike<number>, lag: number): number | null {
  return acfAt(moments(r), r, lag);
}

interface Moments {
  mean: number;
  /** Variance of the finite values (population). */
  variance: number;
  count: number;
}

function moments(r: ArrayLike<number>): Moments {
  let s = 0;
  let c = 0;
  for (let i = 0; i < r.length; i++) {
    const v = r[i]!;
    if (!Number.isNaN(v)) {
      s += v;
      c++;
    }
  }
  const mean = c === 0 ? NaN : s / c;
  let ss = 0;
  for (let i = 0; i < r.length; i++) {
    const v = r[i]!;
    if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
  }
  return { mean, variance: c === 0 ? 0 : ss / c, count: c };
}

function acfAt(mo: Moments, r: ArrayLike<number>, lag: number): number | null {
  const n = r.length;
  if (lag <= 0 || lag >= n || mo.count < 3 || mo.variance === 0) return null;
  const m = mo.mean;
  let num = 0;
  let pairs = 0;
  for (let i = 0; i + lag < n; i++) {
    const a = r[i]!;
    const b = r[i + lag]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    num += (a - m) * (b - m);
    pairs++;
  }
  if (pairs < 2) return null;
  // Scaled per pair, so acf at long lags is not shrunk by the shorter overlap.
  return num / pairs / mo.variance;
}

function peakAcf(r: ArrayLike<number>, lag: number): number | null {
  const mo = moments(r);
  const tol = Math.max(1, Math.round(lag * 0.02));
  let best: number | null = null;
  for (let l = lag - tol; l <= lag + tol; l++) {
    const a = acfAt(mo, r, l);
    if (a !== null && (best === null || a > best)) best = a;
  }
  return best;
}

/** Share of the variance of r's finite values at frequencies k/period, k = 1..4. */
export function spectralShare(r: ArrayLike<number>, period: number): number | null {
  const mo = moments(r);
  const n = mo.count;
  if (n < period || mo.variance === 0) return null;
  let explained = 0;
  for (let k = 1; k <= 4 && 2 * k < period; k++) {
    // DFT at one frequency; the phasor is advanced by rotation instead of cos/sin per sample.
    const w = (2 * Math.PI * k) / period;
    const cw = Math.cos(w);
    const sw = Math.sin(w);
    let c = 1;
    let s = 0;
    let re = 0;
    let im = 0;
    for (let i = 0; i < r.length; i++) {
      const v = r[i]!;
      if (!Number.isNaN(v)) {
        re += (v - mo.mean) * c;
        im -= (v - mo.mean) * s;
      }
      const c2 = c * cw - s * sw;
      s = s * cw + c * sw;
      c = c2;
      if ((i & 1023) === 1023) {
        // Renormalise now and then so rounding does not let the phasor drift off the unit circle.
        const norm = Math.hypot(c, s);
        c /= norm;
        s /= norm;
      }
    }
    // A sinusoid of amplitude A has variance A^2/2 and |X| = A n / 2.
    explained += (2 * (re * re + im * im)) / (n * n);
  }
  return Math.min(1, explained / mo.variance);
}

function round3(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1000) / 1000;
}

export function detectPeriodicity(values: ArrayLike<number>, stepMs: number, options: PeriodicityOptions = {}): PeriodicityReport {
  const o = { ...PERIODICITY_DEFAULTS, ...options };
  const n = values.length;
  const check = (name: 'daily' | 'weekly', periodMs: number): PeriodCheck => {
    const steps = periodSteps(periodMs, stepMs);
    const cycles = steps ? Math.floor(n / steps) : 0;
    return { name, periodMs, steps, cycles, acf: null, acfMargin: null, spectralShare: null, detected: false, reason: '' };
  };
  const daily = check('daily', DAY_MS);
  const weekly = check('weekly', 7 * DAY_MS);

  if (daily.steps === null) daily.reason = `the step (${stepMs / 60000} min) does not divide a day`;
  else if (daily.cycles < o.minCycles) daily.reason = `only ${(n / daily.steps).toFixed(1)} days of data; need ${o.minCycles}`;
  else {
    const r = detrendMovingAverage(values, daily.steps);
    daily.acf = round3(peakAcf(r, daily.steps));
    daily.spectralShare = round3(spectralShare(r, daily.steps));
    daily.detected = (daily.acf ?? 0) >= o.minAcf && (daily.spectralShare ?? 0) >= o.minSpectralShare;
    daily.reason = daily.detected
      ? `autocorrelation ${daily.acf} at 1 d >= ${o.minAcf} and spectral share ${daily.spectralShare} >= ${o.minSpectralShare}`
      : `autocorrelation ${daily.acf} at 1 d (need >= ${o.minAcf}), spectral share ${daily.spectralShare} (need >= ${o.minSpectralShare})`;
  }

  if (weekly.steps === null) weekly.reason = `the step (${stepMs / 60000} min) does not divide a week`;
  else if (weekly.cycles < o.minCycles) weekly.reason = `only ${(n / weekly.steps).toFixed(1)} weeks of data; need ${o.minCycles}`;
  else {
    const r = detrendLinear(values);
    const a7 = peakAcf(r, weekly.steps);
    const a1 = daily.steps ? peakAcf(r, daily.steps) : null;
    weekly.acf = round3(a7);
    weekly.acfMargin = a7 !== null && a1 !== null ? round3(a7 - a1) : null;
    weekly.spectralShare = round3(spectralShare(r, weekly.steps));
    weekly.detected = (weekly.acf ?? 0) >= o.minAcf && (weekly.acfMargin ?? 0) >= o.minWeeklyMargin;
    weekly.reason = weekly.detected
      ? `autocorrelation ${weekly.acf} at 7 d, ${weekly.acfMargin} above the 1-day lag`
      : `autocorrelation ${weekly.acf} at 7 d (need >= ${o.minAcf}) is ${weekly.acfMargin} above the 1-day lag (need >= ${o.minWeeklyMargin})`;
  }
  const periods: number[] = [];
  if (daily.detected && daily.steps) periods.push(daily.steps);
  if (weekly.detected && weekly.steps) periods.push(weekly.steps);
  return { daily, weekly, periods };
}
