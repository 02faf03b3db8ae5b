// Regular time series: samples on a fixed grid (start + i * step), NaN where nothing was observed.
// Everything in src/forecast works on this shape. Raw points (CSV rows, Prometheus samples) are
// put on the grid by alignToGrid; gaps are filled causally (fillGapsCausal) so a forecast made at
// time t never depends on a value observed after t, not even through gap filling.

export interface RegularSeries {
  /** Epoch ms of values[0]. */
  startMs: number;
  stepMs: number;
  /** One value per step; NaN = no observation. */
  values: Float64Array;
}

export interface Point {
  t: number;
  v: number;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The most common spacing between consecutive timestamps (the smallest on a tie), robust to gaps. */
export function inferStepMs(timestamps: readonly number[]): number | null {
  const counts = new Map<number, number>();
  for (let i = 1; i < timestamps.length; i++) {
    const d = timestamps[i]! - timestamps[i - 1]!;
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best: number | null = null;
  let bestCount = 0;
  for (const [d, c] of counts) {
    if (c > bestCount || (c === bestCount && best !== null && d < best)) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

export interface AlignReport {
  /** Grid slots with no observation. */
  missing: number;
  /** Observations that shared a slot with another (averaged). */
  merged: number;
  /** Points dropped: non-finite values or timestamps. */
  dropped: number;
}

/**
 * Puts points on the grid startMs + i * stepMs (startMs defaults to the first timestamp): each
 * point goes to the nearest slot, several points in one slot are averaged, empty slots are NaN.
 * Points need not be sorted.
 */
export function alignToGrid(points: readonly Point[], stepMs: number, startMs?: number): { series: RegularSeries; report: AlignReport } {
  if (!(stepMs > 0)) throw new RangeError(`step must be positive, got ${stepMs}`);
  let dropped = 0;
  const good = points.filter((p) => {
    const ok = Number.isFinite(p.t) && Number.isFinite(p.v);
    if (!ok) dropped++;
    return ok;
  });
  if (good.length === 0) return { series: { startMs: startMs ?? 0, stepMs, values: new Float64Array(0) }, report: { missing: 0, merged: 0, dropped } };
  let first = Infinity;
  let last = -Infinity;
  for (const p of good) {
    if (p.t < first) first = p.t;
    if (p.t > last) last = p.t;
  }
  const start = startMs ?? first;
  const n = Math.max(0, Math.round((last - start) / stepMs) + 1);
  const sum = new Float64Array(n);
  const count = new Uint32Array(n);
  for (const p of good) {
    const i = Math.round((p.t - start) / stepMs);
    if (i < 0 || i >= n) {
      dropped++;
      continue;
    }
    sum[i]! += p.v;
    count[i]!++;
  }
  const values = new Float64Array(n);
  let missing = 0;
  let merged = 0;
  for (let i = 0; i < n; i++) {
    const c = count[i]!;
    if (c === 0) {
      values[i] = NaN;
      missing++;
    } else {
      values[i] = sum[i]! / c;
      merged += c - 1;
    }
  }
  return { series: { startMs: start, stepMs, values }, report: { missing, merged, dropped } };
}

export interface FillOptions {
  /** Gaps up to this many steps carry the last value forward. Default 6. */
  maxCarrySteps?: number;
  /** Longer gaps repeat the value one season earlier (steps), when there is one; else carry forward. */
  seasonSteps?: number;
}

/**
 * Fills NaNs using only earlier values (so no look-ahead): short gaps carry the last observation
 * forward; long gaps copy the (already filled) value one season earlier when a season is given.
 * Leading NaNs take the first observed value, which is the one exception to causality: a series
 * must start somewhere, and forecasts are never evaluated before the first observation.
 * Returns a new array and how many slots were filled.
 */
export function fillGapsCausal(values: Float64Array, options: FillOptions = {}): { values: Float64Array; filled: number } {
  const maxCarry = options.maxCarrySteps ?? 6;
  const season = options.seasonSteps ?? 0;
  const out = new Float64Array(values);
  let filled = 0;
  let firstObserved = -1;
  for (let i = 0; i < out.length; i++) {
    if (!Number.isNaN(out[i]!)) {
      firstObserved = i;
      break;
    }
  }
  if (firstObserved < 0) return { values: out, filled: 0 };
  for (let i = 0; i < firstObserved; i++) out[i] = out[firstObserved]!;
  filled += firstObserved;
  let gapLen = 0;
  for (let i = firstObserved + 1; i < out.length; i++) {
    if (!Number.isNaN(out[i]!)) {
      gapLen = 0;
      continue;
    }
    gapLen++;
    filled++;
    out[i] = gapLen > maxCarry && season > 0 && i - season >= 0 ? out[i - season]! : out[i - 1]!;
  }
  return { values: out, filled };
}

/**
 * Per-step increases of a cumulative counter, treating any decrease as a reset (the counter
 * restarted from zero, as Prometheus' rate() assumes): the increase is then the new value itself.
 * NaN in -> NaN out; the first value has no increase (NaN).
 */
export function counterIncreases(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  let prev = NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    if (!Number.isNaN(prev)) out[i] = v >= prev ? v - prev : v;
    prev = v;
  }
  return out;
}

/** How many whole steps make up `ms` (at least 1). */
export function stepsIn(ms: number, stepMs: number): number {
  return Math.max(1, Math.round(ms / stepMs));
}

/** Whole steps in a period when the step divides it exactly (e.g. 288 five-minute steps a day), else null. */
export function periodSteps(periodMs: number, stepMs: number): number | null {
  const p = periodMs / stepMs;
  return Number.isInteger(p) && p >= 2 ? p : null;
}

/** A series made ready for the engine: which steps were observed, gaps filled causally (seasonally
 * when a day is a whole number of steps), and the horizon and lead in steps. */
export function prepareSeries(series: RegularSeries, horizonMs: number, leadMs: number) {
  const { stepMs } = series;
  const n = series.values.length;
  const day = periodSteps(DAY_MS, stepMs);
  const observed = new Uint8Array(n).map((_, i) => (Number.isNaN(series.values[i]!) ? 0 : 1));
  const filled = fillGapsCausal(series.values, { seasonSteps: day ?? 0 });
  return { n, day, observed, gapsFilled: filled.filled, y: filled.values, H: stepsIn(horizonMs, stepMs), L: Math.max(1, Math.ceil(leadMs / stepMs)) };
}
