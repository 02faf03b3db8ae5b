// minCount decisions, the pool simulation (reactive autoscaler vs predictive) and mode fallback.
import { describe, expect, it } from 'vitest';
import { decideMinCount, nodesNeeded, type DecisionInput, type PoolState } from '../../src/scaling/decide.js';
import { effectiveMode, type ModeEvidence } from '../../src/scaling/mode.js';
import { poolOutcome, simulatePool } from '../../src/scaling/simulate.js';

const MIN = 60_000;
const NOW = 1_700_000_000_000;
const state: PoolState = { minCount: 2, maxCount: 30, nodeCount: 3, enableAutoScaling: true, poolMode: 'User', lastChangeAtMs: null };
const policy = { minCount: 1, maxCount: 20, maxStepUp: 5, maxStepDown: 2, cooldownMs: 10 * MIN, lowerAfterMs: 30 * MIN };

function decide(over: Partial<DecisionInput> & { s?: Partial<PoolState> }) {
  const { s, ...rest } = over;
  return decideMinCount({ nowMs: NOW, desiredNodes: 8, state: { ...state, ...s }, policy, mode: 'enforce', protectedPool: false, ...rest });
}

describe('decideMinCount', () => {
  it('raises to the forecast need, counting from the nodes the autoscaler already holds', () => {
    expect(decide({})).toMatchObject({ action: 'raise', fromMinCount: 2, toMinCount: 8, apply: true });
    // 10 nodes already running: a minCount of 12 adds only 2 nodes, within the step.
    expect(decide({ desiredNodes: 12, s: { nodeCount: 10 } })).toMatchObject({ action: 'raise', toMinCount: 12 });
  });

  it('bounds the step and clamps to the configured and the pool bounds', () => {
    expect(decide({ desiredNodes: 14 })).toMatchObject({ toMinCount: 8, target: 14 });
    expect(decide({ desiredNodes: 50, s: { nodeCount: 19 } })).toMatchObject({ toMinCount: 20, target: 20 });
    expect(decide({ desiredNodes: 50, s: { nodeCount: 19, maxCount: 16 } }).reasons.join()).toMatch(/clamped to 16 \(the pool's maxCount\)/);
    expect(decide({ desiredNodes: 0, s: { minCount: 1, lastChangeAtMs: NOW - 60 * MIN } })).toMatchObject({ action: 'hold', target: 1 });
  });

  it('keeps a system pool at one node at least', () => {
    expect(
      decide({ desiredNodes: 0, s: { poolMode: 'System', minCount: 3, lastChangeAtMs: NOW - 60 * MIN }, policy: { ...policy, minCount: 0 } }),
    ).toMatchObject({ action: 'lower', toMinCount: 1 });
  });

  it('waits out the cooldown (never below 10 minutes, whatever the config says)', () => {
    expect(decide({ s: { lastChangeAtMs: NOW - 9 * MIN } })).toMatchObject({ action: 'hold', apply: false });
    expect(decide({ s: { lastChangeAtMs: NOW - 9 * MIN }, policy: { ...policy, cooldownMs: MIN } }).action).toBe('hold');
    expect(decide({ s: { lastChangeAtMs: NOW - 10 * MIN } }).action).toBe('raise');
  });

  it('lowers slowly: only after lowerAfter and by maxStepDown', () => {
    const high = { minCount: 10, nodeCount: 10 };
    expect(decide({ desiredNodes: 3, s: { ...high, lastChangeAtMs: NOW - 20 * MIN } })).toMatchObject({ action: 'hold' });
    expect(decide({ desiredNodes: 3, s: { ...high, lastChangeAtMs: NOW - 31 * MIN } })).toMatchObject({ action: 'lower', toMinCount: 8 });
    expect(decide({ desiredNodes: 9, s: { ...high, lastChangeAtMs: null } })).toMatchObject({ action: 'lower', toMinCount: 9 });
  });

  it('never touches protected pools or pools without the autoscaler, and only records in forecast-only', () => {
    expect(decide({ protectedPool: true })).toMatchObject({ action: 'hold', apply: false, reasons: ['protected pool: never changed'] });
    expect(decide({ s: { enableAutoScaling: false } }).reasons[0]).toMatch(/no cluster autoscaler/);
    const fo = decide({ mode: 'forecast-only' });
    expect(fo).toMatchObject({ action: 'raise', toMinCount: 8, apply: false });
    expect(fo.reasons.at(-1)).toBe('forecast-only: recorded, not applied');
    expect(decide({ desiredNodes: null })).toMatchObject({ action: 'hold', reasons: ['no usable forecast'] });
  });

  it('nodesNeeded sizes with headroom', () => {
    expect(nodesNeeded(10, 4, 0)).toBe(3);
    expect(nodesNeeded(10, 4, 0.2)).toBe(4); // 3.2 usable per node
    expect(nodesNeeded(8, 4, 0)).toBe(2);
    expect(nodesNeeded(NaN, 4, 0)).toBeNull();
  });
});

describe('pool simulation', () => {
  const sim = { stepMs: 5 * MIN, nodeCapacity: 10, provisioningSteps: 2, minNodes: 1, maxNodes: 100 };

  it('reactive: adds nodes only after demand exceeds capacity, ready after the provisioning delay', () => {
    const demand = [10, 10, 35, 35, 35, 35];
    const t = simulatePool(demand, sim);
    expect(Array.from(t.ready)).toEqual([1, 1, 1, 1, 4, 4]);
    expect(Array.from(t.billed)).toEqual([1, 1, 4, 4, 4, 4]);
    const out = poolOutcome(demand, t, sim, 0, demand.length);
    expect(out.underProvisionedShare).toBeCloseTo(2 / 6);
    expect(out.waitingDemandMinutes).toBeCloseTo(2 * 25 * 5);
  });

  it('reactive: removes nodes after 10 minutes unneeded (and not within 10 minutes of adding)', () => {
    const demand = [40, 40, 40, 40, 10, 10, 10, 10];
    const t = simulatePool(demand, sim);
    expect(Array.from(t.ready)).toEqual([4, 4, 4, 4, 4, 4, 1, 1]);
  });

  it('predictive: a perfect forecast removes the wait at the same node-hours', () => {
    const demand = [10, 10, 10, 35, 35, 35, 35, 35];
    // At origin t the controller sees the need from t + 2 (lead) on.
    const decisionUpper = demand.map((_, t) => Math.max(...demand.slice(t + 2, t + 3).concat(demand[Math.min(t + 2, demand.length - 1)]!)));
    const policy = { minCount: 1, maxCount: 100, maxStepUp: 10, maxStepDown: 10, cooldownMs: 10 * MIN, lowerAfterMs: 10 * MIN };
    const p = simulatePool(demand, sim, { decisionUpper, startIndex: 0, policy, headroom: 0 });
    const r = simulatePool(demand, sim);
    expect(poolOutcome(demand, p, sim, 0, demand.length).underProvisionedShare).toBe(0);
    expect(poolOutcome(demand, r, sim, 0, demand.length).underProvisionedShare).toBeGreaterThan(0);
    expect(Array.from(p.ready).slice(3)).toEqual([4, 4, 4, 4, 4]);
    expect(p.actions).toBe(1);
  });
});

describe('effectiveMode', () => {
  const good: ModeEvidence = {
    configured: 'enforce',
    historyDays: 14,
    periods: ['daily'],
    maseVsSeasonalNaive: 0.6,
    maseVsPersistence: 0.4,
    coverage: 0.95,
    coverageTarget: 0.95,
  };

  it('enforces only when everything qualifies', () => {
    expect(effectiveMode(good).mode).toBe('enforce');
  });

  it.each([
    [{ historyDays: 5 }, /only 5.0 days of history; acting needs 7/],
    [{ periods: [] }, /no daily or weekly period detected/],
    [{ maseVsSeasonalNaive: 1.05 }, /not better than seasonal naive \(MASE 1.050 >= 1\)/],
    [{ maseVsPersistence: 1.2 }, /not better than persistence/],
    [{ coverage: 0.85 }, /upper bound covered 85.0 % of intervals \(target 95 %\)/],
    [{ maseVsSeasonalNaive: null }, /quality against seasonal naive is unknown/],
  ] as [Partial<ModeEvidence>, RegExp][])('falls back to forecast-only and says why (%o)', (over, reason) => {
    const v = effectiveMode({ ...good, ...over });
    expect(v.mode).toBe('forecast-only');
    expect(v.reasons[0]).toBe('configured enforce, falling back to forecast-only');
    expect(v.reasons.join(' | ')).toMatch(reason);
  });

  it('stays forecast-only when configured so', () => {
    expect(effectiveMode({ ...good, configured: 'forecast-only' })).toEqual({ mode: 'forecast-only', reasons: ['configured forecast-only'] });
  });
});
