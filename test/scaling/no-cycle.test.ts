// Issue #17: without a cycle the reported forecast and bound are at least as good as persistence,
// and detection still finds a daily cycle sitting on top of the same disturbances. Synthetic
// series with known structure: multi-day level shifts, trends, outliers, gaps.
import { describe, expect, it } from 'vitest';
import { baselineForecasts, runEngine } from '../../src/forecast/engine.js';
import { evaluateForecast } from '../../src/forecast/metrics.js';
import { detectPeriodicity } from '../../src/forecast/periodicity.js';
import { fillGapsCausal } from '../../src/forecast/series.js';
import { shiftedDemand, type ShiftOptions } from './synthetic.js';

const FIVE_MIN = 300_000;
const DAY = 288;
const H = 12;
const WARMUP = 3 * DAY;

const CASES: [string, Omit<ShiftOptions, 'days' | 'stepMinutes'>][] = [
  ['level shifts', { shift: 40 }],
  ['level shifts and a trend', { shift: 30, trendPerDay: 4 }],
  ['level shifts and outliers', { shift: 40, outliers: 0.01 }],
  ['level shifts and gaps', { shift: 40, gaps: 0.03 }],
  ['all of them', { shift: 40, trendPerDay: -2, outliers: 0.01, gaps: 0.03 }],
];

function run(raw: Float64Array, exclude: ('seasonal-naive-1d' | 'seasonal-naive-7d' | 'holt-winters')[] = []) {
  const observed = Uint8Array.from(raw, (v) => (Number.isNaN(v) ? 0 : 1));
  const y = fillGapsCausal(raw, { seasonSteps: DAY }).values;
  const e = runEngine(y, { stepMs: FIVE_MIN, horizonSteps: H, leadSteps: 3, decisionWindowSteps: 1, observed, exclude });
  const ev = evaluateForecast({ actual: raw, forecast: e.forecast, upper: e.upper, persistence: baselineForecasts(y, H, null), from: WARMUP, to: raw.length });
  let width = 0;
  let count = 0;
  for (let t = WARMUP; t < raw.length; t++) {
    if (Number.isNaN(raw[t]!) || Number.isNaN(e.upper[t]!)) continue;
    width += e.upper[t]! - raw[t]!;
    count++;
  }
  return { engine: e, ev, meanHeadroom: width / count };
}

describe('no daily cycle: never worse than persistence', () => {
  it.each(CASES)('%s: no period is detected', (_, o) => {
    const raw = shiftedDemand({ days: 14, stepMinutes: 5, ...o });
    const y = fillGapsCausal(raw, { seasonSteps: DAY }).values;
    const p = detectPeriodicity(y, FIVE_MIN);
    expect(p.periods).toEqual([]);
  });

  it.each(CASES)("%s: forecast MASE vs persistence <= 1, never seasonal naive, bound as good as persistence's", (_, o) => {
    for (const seed of [3, 11, 29]) {
      const raw = shiftedDemand({ days: 14, stepMinutes: 5, seed, ...o });
      const ours = run(raw);
      const pers = run(raw, ['seasonal-naive-1d', 'seasonal-naive-7d', 'holt-winters']);
      expect(ours.ev.maseVsPersistence!).toBeLessThanOrEqual(1);
      // Persistence is the choice once detection has found no cycle (never seasonal naive).
      for (let t = WARMUP; t < raw.length; t++) expect(ours.engine.chosen[t]).toBe(0);
      // The bound covers as often as persistence's own bound, with no more headroom on average.
      expect(ours.ev.coverage!).toBeGreaterThanOrEqual(pers.ev.coverage! - 0.01);
      expect(ours.meanHeadroom).toBeLessThanOrEqual(pers.meanHeadroom * 1.02);
    }
  });
});

describe('a daily cycle on top of the same disturbances', () => {
  it.each(CASES)('%s: the daily cycle is still detected', (_, o) => {
    const raw = shiftedDemand({ days: 14, stepMinutes: 5, daily: 60, ...o });
    const y = fillGapsCausal(raw, { seasonSteps: DAY }).values;
    const p = detectPeriodicity(y, FIVE_MIN);
    expect(p.daily.detected).toBe(true);
    expect(p.periods).toEqual([DAY]);
  });
});
