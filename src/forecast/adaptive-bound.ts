// The upper bound of one candidate at one horizon, learnt online from its own errors:
//
//   upper(target u) = forecast + q * scale(u)
//
// - scale(u): how large errors are *now and at that time of day*: the geometric mean of the mean
//   absolute error of past targets in u's hour of day (a few days' memory) and of the most recent
//   errors (about an hour's memory, "recent volatility"). A quiet night no longer pays for the
//   noisiest hour, and a burst widens the bound while it lasts.
// - q: an empirical quantile of past *normalised* errors e / scale (split-conformal style, over a
//   window of recent targets), at level 1 - alpha_t, where alpha_t follows adaptive conformal
//   inference (Gibbs & Candes 2021, "Adaptive Conformal Inference Under Distribution Shift",
//   NeurIPS): alpha_{t+1} = alpha_t + gamma (alpha - miss_t). After a miss the level rises, after
//   a run of hits it falls, so the long-run miss rate stays at the target even when the error
//   distribution drifts.
// Everything is causal: an error enters only once its target has been observed; the scale of a
// score is read before that error updates it.
// Written here rather than taken from a library: no maintained npm package offers online
// (A)CI over an arbitrary forecaster, and it is ~100 lines over the RollingQuantile we have.
import { RollingQuantile } from './stats.js';

export interface AdaptiveBoundOptions {
  /** Target share of actuals at or below the bound (e.g. 0.95). */
  coverage: number;
  /** Normalised errors kept for the quantile. */
  window: number;
  /** Steps per hour-of-day bin and bins per day (bins = 1: no time-of-day conditioning). */
  stepsPerBin: number;
  bins: number;
  /** Steps of memory of the recent-volatility average (about one hour). */
  volatilitySteps: number;
  /** false: a plain quantile of raw errors at the fixed target level (the bound before issue #17). */
  adaptive?: boolean;
  /** What the scale follows (default both; the others are for the ablation in docs/scaling.md). */
  conditioning?: BoundConditioning;
  /** ACI step size gamma (default 0.005, the value Gibbs & Candes use). */
  gamma?: number;
  /** Scores needed before the bound is trusted (default 50). */
  minSamples?: number;
}

export type BoundConditioning = 'time-of-day+volatility' | 'time-of-day' | 'volatility' | 'none';

/** Days of memory of each hour-of-day bin's error average. */
const BIN_MEMORY_DAYS = 3;

export class AdaptiveBound {
  private readonly scores: RollingQuantile;
  private readonly binAbs: Float64Array;
  private readonly binSeen: Uint32Array;
  private readonly binWeight: number;
  private readonly volWeight: number;
  private readonly longWeight: number;
  private readonly gamma: number;
  private readonly minSamples: number;
  private vol = NaN;
  private long = NaN;
  private seen = 0;
  /** ACI's working miss rate alpha_t. */
  alpha: number;

  constructor(private readonly o: AdaptiveBoundOptions) {
    this.scores = new RollingQuantile(o.window);
    this.binAbs = new Float64Array(o.bins);
    this.binSeen = new Uint32Array(o.bins);
    this.binWeight = 1 / Math.max(1, BIN_MEMORY_DAYS * o.stepsPerBin);
    this.volWeight = 1 / Math.max(2, o.volatilitySteps);
    this.longWeight = 1 / Math.max(2, o.window);
    this.gamma = o.adaptive === false ? 0 : (o.gamma ?? 0.005);
    this.minSamples = o.minSamples ?? 50;
    this.alpha = 1 - o.coverage;
  }

  get count(): number {
    return this.scores.count;
  }

  private bin(target: number): number {
    return Math.floor(target / this.o.stepsPerBin) % this.o.bins;
  }

  /** Error scale expected for target index `target`, as known now (NaN before any error). */
  scale(target: number): number {
    if (this.o.adaptive === false) return 1;
    if (Number.isNaN(this.long)) return NaN;
    const b = this.bin(target);
    const tod = this.binSeen[b]! > 0 ? this.binAbs[b]! : this.long;
    const c = this.o.conditioning ?? 'time-of-day+volatility';
    const s = c === 'time-of-day' ? tod : c === 'volatility' ? this.vol : c === 'none' ? this.long : Math.sqrt(tod * this.vol);
    // Never collapse to zero (a flat stretch would make the next step's score infinite).
    return Math.max(s, 0.1 * this.long, 1e-9);
  }

  /** The normalised-error quantile at the current ACI level (NaN while too few scores). */
  quantileNow(): number {
    if (this.scores.count < this.minSamples) return NaN;
    const level = this.alpha <= 0 ? 1 : Math.min(1, Math.max(0.5, 1 - this.alpha));
    return Math.max(0, this.scores.quantile(level));
  }

  /**
   * The error e = actual - forecast of target index `target`, once observed, with the scale and
   * quantile that were in force when that forecast was issued (conformal scores are normalised by
   * what was known then; NaN: use the current ones).
   */
  push(target: number, e: number, issuedScale = NaN, issuedQuantile = NaN): void {
    if (Number.isNaN(e)) return;
    const s = Number.isNaN(issuedScale) ? this.scale(target) : issuedScale;
    if (!Number.isNaN(s)) {
      const score = e / s;
      const q = Number.isNaN(issuedQuantile) ? this.quantileNow() : issuedQuantile;
      if (!Number.isNaN(q)) {
        const miss = score > q ? 1 : 0;
        this.alpha += this.gamma * (1 - this.o.coverage - miss);
      }
      this.scores.push(score);
    }
    // Exponential averages that start as plain means (weight 1/n until the memory is full).
    const a = Math.abs(e);
    const b = this.bin(target);
    const nb = ++this.binSeen[b]!;
    this.binAbs[b] = this.binAbs[b]! + Math.max(this.binWeight, 1 / nb) * (a - this.binAbs[b]!);
    const n = ++this.seen;
    this.vol = n === 1 ? a : this.vol + Math.max(this.volWeight, 1 / n) * (a - this.vol);
    this.long = n === 1 ? a : this.long + Math.max(this.longWeight, 1 / n) * (a - this.long);
  }
}
