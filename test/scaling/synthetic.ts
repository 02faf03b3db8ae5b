// Synthetic series with known structure for the forecasting tests (seeded, so tests repeat).

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal via Box-Muller. */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export interface SyntheticOptions {
  days: number;
  stepMinutes: number;
  seed?: number;
  level?: number;
  /** Amplitude of the daily cycle. */
  daily?: number;
  /** Weekend factor: Saturday and Sunday demand is multiplied by this (1 = no weekly cycle). */
  weekend?: number;
  noise?: number;
}

/** Demand with a morning ramp and evening fall, optional weekend dip, gaussian noise. */
export function syntheticDemand(o: SyntheticOptions): Float64Array {
  const perDay = (24 * 60) / o.stepMinutes;
  const n = Math.round(o.days * perDay);
  const g = gaussian(rng(o.seed ?? 1));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const dayFrac = (i % perDay) / perDay;
    const dow = Math.floor(i / perDay) % 7;
    const shape = Math.max(0, Math.sin(Math.PI * Math.min(1, Math.max(0, (dayFrac - 0.25) / 0.6)))) ** 1.5;
    const weekFactor = dow >= 5 ? (o.weekend ?? 1) : 1;
    out[i] = (o.level ?? 100) + (o.daily ?? 50) * shape * weekFactor + (o.noise ?? 2) * g();
  }
  return out;
}

export function whiteNoise(n: number, seed = 7, sd = 1, level = 10): Float64Array {
  const g = gaussian(rng(seed));
  return Float64Array.from({ length: n }, () => level + sd * g());
}

export function randomWalk(n: number, seed = 9): Float64Array {
  const g = gaussian(rng(seed));
  const out = new Float64Array(n);
  let v = 100;
  for (let i = 0; i < n; i++) out[i] = v += g();
  return out;
}

export interface ShiftOptions {
  days: number;
  stepMinutes: number;
  seed?: number;
  /** Multi-day level shifts: the level jumps by up to this much every 1-3 days. */
  shift?: number;
  /** Linear trend per day. */
  trendPerDay?: number;
  /** Share of steps hit by a one-step outlier of +10 x noise. */
  outliers?: number;
  /** Share of steps missing (NaN), in runs of about an hour. */
  gaps?: number;
  /** Daily cycle amplitude on top (0 = none). */
  daily?: number;
  noise?: number;
}

/** No-cycle (or cycle-on-top) series: level shifts, trend, outliers, gaps; like a real CPU series. */
export function shiftedDemand(o: ShiftOptions): Float64Array {
  const perDay = (24 * 60) / o.stepMinutes;
  const n = Math.round(o.days * perDay);
  const rand = rng(o.seed ?? 3);
  const g = gaussian(rng((o.seed ?? 3) + 100));
  const noise = o.noise ?? 1;
  const cycle = o.daily ? syntheticDemand({ days: o.days, stepMinutes: o.stepMinutes, level: 0, daily: o.daily, noise: 0 }) : null;
  const out = new Float64Array(n);
  let level = 50;
  let nextShift = Math.round(perDay * (1 + 2 * rand()));
  let gapLeft = 0;
  for (let i = 0; i < n; i++) {
    if (i === nextShift) {
      level = Math.max(10, level + (o.shift ?? 0) * (2 * rand() - 1));
      nextShift = i + Math.round(perDay * (1 + 2 * rand()));
    }
    let v = level + (o.trendPerDay ?? 0) * (i / perDay) + noise * g() + (cycle ? cycle[i]! : 0);
    if (rand() < (o.outliers ?? 0)) v += 10 * noise;
    if (gapLeft === 0 && rand() < (o.gaps ?? 0) / Math.max(1, 60 / o.stepMinutes)) gapLeft = Math.max(1, Math.round(60 / o.stepMinutes));
    if (gapLeft > 0) {
      gapLeft--;
      v = NaN;
    }
    out[i] = v;
  }
  return out;
}
