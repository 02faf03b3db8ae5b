// The forecasting core on synthetic series with known periods, where the right answer is known.
import { describe, expect, it } from 'vitest';
import { baselineForecasts, CANDIDATES, runEngine, type CandidateKind } from '../../src/forecast/engine.js';
import { fitHoltWinters } from '../../src/forecast/holt-winters.js';
import { asymmetricLoss, evaluateForecast } from '../../src/forecast/metrics.js';
import { Persistence, SeasonalNaive } from '../../src/forecast/models.js';
import { autocorrelation, detectPeriodicity } from '../../src/forecast/periodicity.js';
import { RollingQuantile, quantileSorted } from '../../src/forecast/stats.js';
import { randomWalk, rng, syntheticDemand, whiteNoise } from './synthetic.js';

const FIVE_MIN = 300_000;
const DAY = 288;

describe('periodicity detection', () => {
  it('finds the daily cycle and no weekly one in 14 days without a weekend effect', () => {
    const y = syntheticDemand({ days: 14, stepMinutes: 5 });
    const p = detectPeriodicity(y, FIVE_MIN);
    expect(p.daily).toMatchObject({ detected: true, steps: DAY, cycles: 14 });
    expect(p.daily.acf!).toBeGreaterThan(0.9);
    expect(p.daily.spectralShare!).toBeGreaterThan(0.5);
    expect(p.weekly.detected).toBe(false);
    expect(p.periods).toEqual([DAY]);
  });

  it('finds the weekly cycle when weekends differ, over four weeks', () => {
    const y = syntheticDemand({ days: 28, stepMinutes: 30, weekend: 0.3 });
    const p = detectPeriodicity(y, 1_800_000);
    expect(p.daily.detected).toBe(true);
    expect(p.weekly.detected).toBe(true);
    expect(p.weekly.acfMargin!).toBeGreaterThan(0.05);
    expect(p.periods).toEqual([48, 336]);
  });

  it('finds nothing in white noise or a random walk, and says why', () => {
    for (const y of [whiteNoise(14 * DAY), randomWalk(14 * DAY)]) {
      const p = detectPeriodicity(y, FIVE_MIN);
      expect(p.periods).toEqual([]);
      expect(p.daily.reason).toMatch(/need >= 0.3/);
    }
  });

  it('needs two cycles and a step that divides the period', () => {
    expect(detectPeriodicity(syntheticDemand({ days: 1.5, stepMinutes: 5 }), FIVE_MIN).daily.reason).toMatch(/only 1.5 days of data; need 2/);
    expect(detectPeriodicity(whiteNoise(1000), 7 * 60_000).daily.reason).toMatch(/does not divide a day/);
  });

  it('autocorrelation of a pure sine is 1 at its period and -1 at half of it', () => {
    const y = Float64Array.from({ length: 400 }, (_, i) => Math.sin((2 * Math.PI * i) / 40));
    expect(autocorrelation(y, 40)).toBeCloseTo(1, 2);
    expect(autocorrelation(y, 20)).toBeCloseTo(-1, 2);
  });
});

describe('baseline models', () => {
  it('persistence repeats the last value; seasonal naive the value one season before the target', () => {
    const y = Float64Array.from({ length: 30 }, (_, i) => i);
    const p = new Persistence();
    const s = new SeasonalNaive('sn', 10);
    p.observe(y, 24);
    s.observe(y, 24);
    expect(p.forecast()).toBe(24);
    expect(s.forecast(1)).toBe(15);
    expect(s.forecast(10)).toBe(24);
    expect(s.forecast(11)).toBe(15); // two seasons back once k > m
    expect(Array.from(baselineForecasts(y, 3, null)).slice(3, 6)).toEqual([0, 1, 2]);
    expect(Array.from(baselineForecasts(y, 3, 10)).slice(10, 12)).toEqual([0, 1]);
  });
});

describe('Holt-Winters', () => {
  it('beats persistence and both seasonal naives on a noisy double-seasonal series', () => {
    const y = syntheticDemand({ days: 28, stepMinutes: 30, weekend: 0.4, noise: 4, seed: 3 });
    const H = 2;
    const fit = fitHoltWinters(y, 21 * 48, [48, 336], { stepMs: 1_800_000, horizons: [H] });
    // Score out of sample: the last week, forecasts made H steps before each target.
    let hw = 0;
    let pers = 0;
    let sn1 = 0;
    let sn7 = 0;
    const model = fit.model;
    const pending: number[] = [];
    for (let t = 21 * 48; t < y.length; t++) {
      const f = pending[t];
      if (f !== undefined) {
        hw += Math.abs(y[t]! - f);
        pers += Math.abs(y[t]! - y[t - H]!);
        sn1 += Math.abs(y[t]! - y[t - 48]!);
        sn7 += Math.abs(y[t]! - y[t - 336]!);
      }
      model.observe(y[t]!);
      pending[t + H] = model.forecast(H);
    }
    expect(hw / pers).toBeLessThan(0.8);
    expect(hw / sn1).toBeLessThan(0.8);
    expect(hw / sn7).toBeLessThan(1);
  });

  it('reproduces a noiseless daily pattern almost exactly', () => {
    const y = syntheticDemand({ days: 6, stepMinutes: 30, noise: 0 });
    const fit = fitHoltWinters(y, 5 * 48, [48], { stepMs: 1_800_000, horizons: [2] });
    for (let k = 1; k <= 4; k++) expect(fit.model.forecast(k)).toBeCloseTo(y[5 * 48 - 1 + k]!, 0);
  });
});

describe('rolling engine', () => {
  const opts = { stepMs: FIVE_MIN, horizonSteps: 12, leadSteps: 3, decisionWindowSteps: 1 };

  it('chooses a seasonal model on a seasonal series and beats both baselines at the horizon', () => {
    const y = syntheticDemand({ days: 10, stepMinutes: 5, noise: 3 });
    const r = runEngine(y, opts);
    expect(r.final.model).toMatch(/holt-winters|seasonal-naive-1d/);
    expect(r.periodicity?.periods).toEqual([DAY]);
    const ev = evaluateForecast({
      actual: y,
      forecast: r.forecast,
      upper: r.upper,
      persistence: baselineForecasts(y, 12, null),
      seasonalNaive: baselineForecasts(y, 12, DAY),
      from: 4 * DAY,
      to: y.length,
    });
    expect(ev.maseVsPersistence!).toBeLessThan(1);
    expect(ev.maseVsSeasonalNaive!).toBeLessThan(1);
  });

  it('upper bounds cover about the target share of a stationary noisy series', () => {
    const y = whiteNoise(10 * DAY, 11, 5, 50);
    const r = runEngine(y, { ...opts, coverage: 0.95 });
    const ev = evaluateForecast({ actual: y, forecast: r.forecast, upper: r.upper, persistence: baselineForecasts(y, 12, null), from: 3 * DAY, to: y.length });
    expect(ev.coverage!).toBeGreaterThan(0.92);
    expect(ev.coverage!).toBeLessThan(0.98);
  });

  // Each candidate alone (so a leak in one that is rarely chosen still shows), then all together.
  const configs: { name: string; exclude: CandidateKind[] }[] = [
    ...CANDIDATES.map((keep) => ({ name: keep, exclude: CANDIDATES.filter((c) => c !== keep) })),
    { name: 'all candidates', exclude: [] },
  ];

  it.each(configs)('never looks ahead ($name): a truncated series gives identical earlier output', ({ exclude }) => {
    const y = syntheticDemand({ days: 9, stepMinutes: 30, noise: 3, seed: 5 });
    const o = { stepMs: 1_800_000, horizonSteps: 2, leadSteps: 1, decisionWindowSteps: 1, exclude };
    const full = runEngine(y, o);
    expect(full.forecast.some((v) => !Number.isNaN(v))).toBe(true);
    for (const cut of [2 * 48 + 17, 4 * 48 + 10, 8 * 48 - 1, y.length - 1]) {
      const part = runEngine(y.slice(0, cut), o);
      expect(Array.from(part.forecast)).toEqual(Array.from(full.forecast.subarray(0, cut)));
      expect(Array.from(part.upper)).toEqual(Array.from(full.upper.subarray(0, cut)));
      expect(Array.from(part.decisionUpper)).toEqual(Array.from(full.decisionUpper.subarray(0, cut)));
    }
  });

  it.each(configs)('ignores the future even when it is absurd ($name): values after t do not change forecasts up to t + H', ({ exclude }) => {
    const y = syntheticDemand({ days: 9, stepMinutes: 30, seed: 8 });
    const o = { stepMs: 1_800_000, horizonSteps: 2, leadSteps: 1, decisionWindowSteps: 1, exclude };
    const t = 8 * 48 + 5;
    const poisoned = y.slice();
    for (let i = t + 1; i < y.length; i++) poisoned[i] = 1e9;
    const a = runEngine(y, o);
    const b = runEngine(poisoned, o);
    expect(Array.from(b.forecast.subarray(0, t + 3))).toEqual(Array.from(a.forecast.subarray(0, t + 3)));
    expect(Array.from(b.decisionUpper.subarray(0, t + 1))).toEqual(Array.from(a.decisionUpper.subarray(0, t + 1)));
    // The poison is visible once it may be (seasonal naives only see it a season later).
    if (!exclude.includes('persistence')) expect(b.forecast.subarray(t + 3)).not.toEqual(a.forecast.subarray(t + 3));
  });
});

describe('metrics and statistics', () => {
  it('MASE, WAPE, bias and coverage on a worked example', () => {
    const actual = [10, 20, 30, 40];
    const ev = evaluateForecast({
      actual,
      forecast: [12, 18, 33, 40],
      upper: [15, 19, 40, 41],
      persistence: [5, 10, 20, 30],
      seasonalNaive: [10, 25, 25, 45],
      from: 0,
      to: 4,
    });
    expect(ev.mae).toBeCloseTo(7 / 4);
    expect(ev.wape).toBeCloseTo(7 / 100);
    expect(ev.maseVsPersistence).toBeCloseTo(7 / 35);
    expect(ev.maseVsSeasonalNaive).toBeCloseTo(7 / 15);
    expect(ev.bias).toBeCloseTo(3 / 4);
    expect(ev.coverage).toBeCloseTo(3 / 4);
  });

  it('asymmetric loss charges running short more than running over', () => {
    expect(asymmetricLoss(2, 3)).toBe(6);
    expect(asymmetricLoss(-2, 3)).toBe(2);
  });

  it('RollingQuantile equals the quantile of the last N values', () => {
    const r = rng(4);
    const q = new RollingQuantile(50);
    const all: number[] = [];
    for (let i = 0; i < 400; i++) {
      const v = Math.round(r() * 100);
      q.push(v);
      all.push(v);
      const window = all.slice(-50).sort((a, b) => a - b);
      expect(q.quantile(0.95)).toBeCloseTo(quantileSorted(window, 0.95), 9);
    }
  });
});
