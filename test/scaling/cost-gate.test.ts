// Issue #17: the cost of the bound (extra node-hours against the reactive autoscaler, waiting
// demand avoided) and the enforce gate that knows it; accuracy = 1 - WAPE reported, never gating.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsvSeries } from '../../src/forecast/csv.js';
import { evaluateForecast } from '../../src/forecast/metrics.js';
import { runBacktest } from '../../src/scaling/backtest.js';
import { boundCost } from '../../src/scaling/cost.js';
import { effectiveMode, type ModeEvidence } from '../../src/scaling/mode.js';
import { forecastPool } from '../../src/scaling/pool-forecast.js';
import { tracePath } from '../support/traces.js';

const policy = { minCount: 1, maxCount: 100, maxStepUp: 5, maxStepDown: 10, cooldownMs: 600_000, lowerAfterMs: 600_000 };

describe('the enforce gate with cost', () => {
  const good: ModeEvidence = {
    configured: 'enforce',
    historyDays: 14,
    periods: ['daily'],
    maseVsSeasonalNaive: 0.6,
    maseVsPersistence: 0.4,
    coverage: 0.95,
    coverageTarget: 0.95,
    cost: { extraNodeHoursVsReactive: 0.1, underProvisionedShare: 0.01 },
  };

  it('enforces when forecast quality and cost both qualify', () => {
    expect(effectiveMode(good)).toEqual({
      mode: 'enforce',
      reasons: ['configured enforce; history, periodicity, forecast quality, coverage and cost all qualify'],
    });
  });

  it.each([
    [
      { cost: { extraNodeHoursVsReactive: 0.31, underProvisionedShare: 0.01 } },
      /costs \+31.0 % node-hours against the reactive autoscaler \(limit \+15.0 %, maxExtraNodeHours\)/,
    ],
    [{ cost: { extraNodeHoursVsReactive: 0.2, underProvisionedShare: 0.01 }, maxExtraNodeHours: 0.1 }, /\+20.0 % .*limit \+10.0 %/],
    [
      { cost: { extraNodeHoursVsReactive: 0.1, underProvisionedShare: 0.061 } },
      /demand exceeded capacity in 6.1 % of intervals \(limit 5.0 %, maxUnderProvisioned\)/,
    ],
    [{ cost: { extraNodeHoursVsReactive: null, underProvisionedShare: null } }, /cost of the bound against the reactive autoscaler is unknown/],
  ] as [Partial<ModeEvidence>, RegExp][])('falls back to forecast-only on cost and says why (%o)', (over, reason) => {
    const v = effectiveMode({ ...good, ...over });
    expect(v.mode).toBe('forecast-only');
    expect(v.reasons.join(' | ')).toMatch(reason);
  });

  it('a higher limit lets the same pool enforce: the operator picks the trade-off', () => {
    expect(effectiveMode({ ...good, cost: { extraNodeHoursVsReactive: 0.31, underProvisionedShare: 0.01 }, maxExtraNodeHours: 0.35 }).mode).toBe('enforce');
  });
});

describe('cost of the bound', () => {
  it('a flat bound at peak demand buys no waiting (there was none to avoid) and costs every idle node', () => {
    // Demand 10 units, 20 units for an hour every day; nodes of 10 units; the bound asks for 20 all day.
    const n = 3 * 288;
    const demand = Float64Array.from({ length: n }, (_, i) => (i % 288 >= 100 && i % 288 < 112 ? 20 : 10));
    const always = new Float64Array(n).fill(20);
    const c = boundCost({ demand, decisionUpper: always, stepMs: 300_000, nodeCapacity: 10, provisioningSteps: 3, policy, headroom: 0, from: 0, to: n });
    expect(c.reactive.waitingDemandMinutes).toBeGreaterThan(0);
    expect(c.predictive.waitingDemandMinutes).toBe(0);
    expect(c.waitingDemandMinutesAvoided).toBeCloseTo(c.reactive.waitingDemandMinutes, 9);
    // Two nodes all day against one most of the day: close to +100 % node-hours.
    expect(c.extraNodeHoursVsReactive!).toBeGreaterThan(0.8);
    const exact = boundCost({
      demand,
      decisionUpper: Float64Array.from(demand, (_, i) => demand[Math.min(n - 1, i + 3)]!),
      stepMs: 300_000,
      nodeCapacity: 10,
      provisioningSteps: 3,
      policy,
      headroom: 0,
      from: 0,
      to: n,
    });
    expect(exact.extraNodeHoursVsReactive!).toBeLessThan(c.extraNodeHoursVsReactive!);
  });

  it('the live forecast replays its recent window and reports the cost, the gate figures and accuracy', () => {
    const s = parseCsvSeries(readFileSync(tracePath('nab-rds_cpu_utilization_cc0c53.csv'), 'utf8')).series;
    const f = forecastPool(s, {
      horizonMs: 3_600_000,
      leadMs: 900_000,
      decisionWindowMs: 600_000,
      coverage: 0.95,
      underCost: 2,
      pool: { allocatable: 2, headroom: 0, policy },
    });
    expect(f.cost).not.toBeNull();
    expect(f.cost!.extraNodeHoursVsReactive).toEqual(expect.any(Number));
    expect(f.cost!.waitingDemandMinutesAvoided).toEqual(expect.any(Number));
    expect(f.quality.accuracy!).toBeCloseTo(1 - f.quality.wape!, 3);
    expect(forecastPool(s, { horizonMs: 3_600_000, leadMs: 900_000, decisionWindowMs: 600_000, coverage: 0.95, underCost: 2 }).cost).toBeNull();
  });
});

describe('accuracy = 1 - WAPE, next to MASE', () => {
  it('is 1 - WAPE, and persistence scores over 85 % on a smooth series while MASE vs persistence is exactly 1', () => {
    const y = Float64Array.from({ length: 2000 }, (_, i) => 100 + 10 * Math.sin(i / 200));
    const pers = Float64Array.from(y, (_, i) => (i >= 12 ? y[i - 12]! : NaN));
    const ev = evaluateForecast({ actual: y, forecast: pers, persistence: pers, from: 12, to: y.length });
    expect(ev.accuracy).toBeCloseTo(1 - ev.wape, 12);
    expect(ev.accuracy).toBeGreaterThan(0.85);
    expect(ev.maseVsPersistence).toBe(1);
  });

  it('the backtest reports accuracy and the cost of the bound, and its gate names the node-hours it spends (alibaba)', () => {
    const s = parseCsvSeries(readFileSync(tracePath('alibaba2018-machine_usage_300s.csv'), 'utf8'), { stepMs: 300_000 }).series;
    const { summary } = runBacktest(s, { horizonMs: 3_600_000, leadMs: 900_000 });
    expect(summary.forecast.accuracy).toBeCloseTo(1 - summary.forecast.wape!, 3);
    expect(summary.pool.waitingDemandMinutesAvoided).toBeCloseTo(
      summary.pool.reactive.waitingDemandMinutes! - summary.pool.predictive.waitingDemandMinutes!,
      2,
    );
    expect(summary.pool.extraNodeHoursVsReactive!).toBeGreaterThan(0.15);
    expect(summary.recommendedMode.mode).toBe('forecast-only');
    expect(summary.recommendedMode.reasons.join(' | ')).toMatch(/node-hours against the reactive autoscaler \(limit \+15.0 %/);
    // With a limit above what it spends, that reason goes.
    const lax = runBacktest(s, { horizonMs: 3_600_000, leadMs: 900_000, maxExtraNodeHours: 1 }).summary;
    expect(lax.recommendedMode.reasons.join(' | ')).not.toMatch(/node-hours against/);
  });
});
