// The adaptive upper bound (issue #17): scale by time of day and recent volatility, level by
// adaptive conformal inference. Synthetic series where the right answer is known.
import { describe, expect, it } from 'vitest';
import { AdaptiveBound } from '../../src/forecast/adaptive-bound.js';
import { runEngine } from '../../src/forecast/engine.js';
import { gaussian, rng } from './synthetic.js';

const FIVE_MIN = 300_000;
const DAY = 288;

function coverageOf(y: Float64Array, upper: Float64Array, from: number, pick: (t: number) => boolean = () => true): { coverage: number; headroom: number } {
  let n = 0;
  let hit = 0;
  let head = 0;
  for (let t = from; t < y.length; t++) {
    if (Number.isNaN(upper[t]!) || !pick(t)) continue;
    n++;
    if (y[t]! <= upper[t]!) hit++;
    head += upper[t]! - y[t]!;
  }
  return { coverage: hit / n, headroom: head / n };
}

describe('AdaptiveBound on its own', () => {
  it('ACI: after the error spread doubles, coverage comes back to the target; a fixed level stays short', () => {
    const g = gaussian(rng(5));
    const errors = Float64Array.from({ length: 20_000 }, (_, i) => (i < 4000 ? 1 : 3) * g() + (i >= 4000 ? 1.5 : 0));
    const run = (adaptive: boolean) => {
      const b = new AdaptiveBound({ coverage: 0.9, window: 2000, stepsPerBin: 12, bins: 1, volatilitySteps: 12, adaptive, conditioning: 'none' });
      let hits = 0;
      let n = 0;
      for (let t = 0; t < errors.length; t++) {
        const bound = b.quantileNow() * b.scale(t);
        if (t >= 4000 && !Number.isNaN(bound)) {
          n++;
          if (errors[t]! <= bound) hits++;
        }
        b.push(t, errors[t]!, b.scale(t), b.quantileNow());
      }
      return hits / n;
    };
    expect(Math.abs(run(true) - 0.9)).toBeLessThan(0.01);
    // Without ACI and with a 2000-error window the old quantile lags the shift.
    expect(run(false)).toBeLessThan(0.89);
  });

  it('the scale follows the hour of the target, learnt only from errors already seen', () => {
    const b = new AdaptiveBound({ coverage: 0.95, window: 500, stepsPerBin: 12, bins: 24, volatilitySteps: 12, conditioning: 'time-of-day' });
    for (let t = 0; t < 3 * DAY; t++) b.push(t, Math.floor(t / 12) % 24 === 9 ? 10 : 1);
    expect(b.scale(3 * DAY + 9 * 12)).toBeCloseTo(10, 6);
    expect(b.scale(3 * DAY + 2 * 12)).toBeCloseTo(1, 6);
  });
});

describe('engine bound: a noisy working day and a quiet night', () => {
  // Level 100, noise sd 8 from 09:00 to 17:00 and 1 otherwise: one quantile for the whole day pays
  // for the noisy hours all night long.
  const g = gaussian(rng(17));
  const y = Float64Array.from({ length: 14 * DAY }, (_, i) => {
    const hour = Math.floor((i % DAY) / 12);
    return 100 + (hour >= 9 && hour < 17 ? 8 : 1) * g();
  });
  const opts = {
    stepMs: FIVE_MIN,
    horizonSteps: 12,
    leadSteps: 3,
    decisionWindowSteps: 1,
    exclude: ['seasonal-naive-1d', 'seasonal-naive-7d', 'holt-winters'] as const,
  };
  const adaptive = runEngine(y, { ...opts, exclude: [...opts.exclude] });
  const fixed = runEngine(y, { ...opts, exclude: [...opts.exclude], bound: 'static' });
  const from = 7 * DAY;
  const night = (t: number) => Math.floor((t % DAY) / 12) < 7;
  const day = (t: number) => {
    const h = Math.floor((t % DAY) / 12);
    return h >= 10 && h < 17;
  };

  it('keeps ~95 % coverage overall and in the noisy hours, with far less headroom at night', () => {
    const a = coverageOf(y, adaptive.upper, from);
    const s = coverageOf(y, fixed.upper, from);
    expect(Math.abs(a.coverage - 0.95)).toBeLessThan(0.02);
    expect(coverageOf(y, adaptive.upper, from, day).coverage).toBeGreaterThan(0.9);
    // The static bound misses in the noisy hours and wastes capacity at night.
    expect(coverageOf(y, fixed.upper, from, day).coverage).toBeLessThan(coverageOf(y, adaptive.upper, from, day).coverage);
    expect(coverageOf(y, adaptive.upper, from, night).headroom).toBeLessThan(0.5 * coverageOf(y, fixed.upper, from, night).headroom);
    expect(a.headroom).toBeLessThan(s.headroom);
  });
});
