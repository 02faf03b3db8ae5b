// Scaling decisions, second round of mutation survivors (issue #19): the exact reasons an operator
// reads in the audit and the scaling report, and the edges of each bound.
import { describe, expect, it } from 'vitest';
import { decideMinCount, nodesNeeded, type DecisionInput } from '../../src/scaling/decide.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
type Over = Partial<Omit<DecisionInput, 'state' | 'policy'>> & { state?: Partial<DecisionInput['state']>; policy?: Partial<DecisionInput['policy']> };
const input = (over: Over = {}): DecisionInput => ({
  nowMs: 100 * HOUR,
  desiredNodes: 3,
  mode: 'enforce',
  protectedPool: false,
  ...over,
  state: { minCount: 2, maxCount: 10, nodeCount: 2, enableAutoScaling: true, poolMode: 'User', lastChangeAtMs: null, ...over.state },
  policy: { minCount: 0, maxCount: 10, maxStepUp: 2, maxStepDown: 10, cooldownMs: 10 * MIN, lowerAfterMs: HOUR, ...over.policy },
});
const decide = (over: Over = {}) => decideMinCount(input(over));

describe('scaling decide: holds and their reasons', () => {
  it('holds without a forecast (null), never reading null as zero nodes', () => {
    expect(decide({ desiredNodes: null })).toEqual({
      action: 'hold',
      fromMinCount: 2,
      toMinCount: 2,
      target: null,
      apply: false,
      reasons: ['no usable forecast'],
    });
  });

  it('holds when minCount already is the target, saying so and nothing else', () => {
    expect(decide({ desiredNodes: 2 })).toEqual({
      action: 'hold',
      fromMinCount: 2,
      toMinCount: 2,
      target: 2,
      apply: false,
      reasons: ['minCount is already 2'],
    });
  });

  it('holds inside the cooldown, naming how long ago the last change was and the cooldown in minutes', () => {
    expect(decide({ desiredNodes: 5, state: { lastChangeAtMs: 100 * HOUR - 5 * MIN } })).toEqual({
      action: 'hold',
      fromMinCount: 2,
      toMinCount: 2,
      target: 5,
      apply: false,
      reasons: ['cooldown: last change 5 min ago (< 10 min)'],
    });
    expect(decide({ desiredNodes: 5, state: { lastChangeAtMs: 100 * HOUR - 20 * MIN }, policy: { cooldownMs: 30 * MIN } }).reasons).toEqual([
      'cooldown: last change 20 min ago (< 30 min)',
    ]);
  });

  it('holds a lowering until lowerAfter has passed since the last change, and lowers exactly at lowerAfter', () => {
    const early = decide({ desiredNodes: 1, state: { minCount: 4, lastChangeAtMs: 100 * HOUR - 30 * MIN } });
    expect(early).toEqual({
      action: 'hold',
      fromMinCount: 4,
      toMinCount: 4,
      target: 1,
      apply: false,
      reasons: ['demand fell, but lowering waits 60 min after the last change'],
    });
    const onTime = decide({ desiredNodes: 1, state: { minCount: 4, lastChangeAtMs: 100 * HOUR - HOUR } });
    expect(onTime).toMatchObject({ action: 'lower', toMinCount: 1, apply: true });
  });
});

describe('scaling decide: clamping says which bound applied', () => {
  it("clamps to the pool's own maxCount when it is the lower of the two ceilings", () => {
    const d = decide({ desiredNodes: 12, state: { maxCount: 8, nodeCount: 8 }, policy: { maxStepUp: 10 } });
    expect(d).toEqual({
      action: 'raise',
      fromMinCount: 2,
      toMinCount: 8,
      target: 8,
      apply: true,
      reasons: ['raise minCount 2 -> 8 (forecast needs 12 node(s))', "forecast needs 12, clamped to 8 (the pool's maxCount)"],
    });
  });

  it('clamps to the configured maxCount when it is the lower ceiling', () => {
    const d = decide({ desiredNodes: 12, state: { maxCount: 20, nodeCount: 6 }, policy: { maxCount: 6 } });
    expect(d.reasons).toEqual(['raise minCount 2 -> 6 (forecast needs 12 node(s))', 'forecast needs 12, clamped to 6 (the configured maxCount)']);
  });

  it('a forecast exactly at a bound is not reported as clamped', () => {
    expect(decide({ desiredNodes: 6, state: { maxCount: 6, nodeCount: 6 } }).reasons).toEqual(['raise minCount 2 -> 6 (forecast needs 6 node(s))']);
    expect(decide({ desiredNodes: 1, state: { minCount: 3 }, policy: { minCount: 1 } }).reasons).toEqual(['lower minCount 3 -> 1 (forecast needs 1 node(s))']);
  });

  it('a minCount above the ceiling drops to the ceiling at once, whatever the step-down limit', () => {
    const d = decide({ desiredNodes: 9, state: { minCount: 8 }, policy: { maxCount: 5, maxStepDown: 1 } });
    expect(d).toMatchObject({ action: 'lower', fromMinCount: 8, toMinCount: 5, target: 5, apply: true });
  });
});

describe('scaling decide: step limits are reported only when they bite', () => {
  it('a raise within the step limit has only the action reason', () => {
    expect(decide({ desiredNodes: 3 }).reasons).toEqual(['raise minCount 2 -> 3 (forecast needs 3 node(s))']);
    // Exactly the step: to === target, still not "limited".
    expect(decide({ desiredNodes: 4 }).reasons).toEqual(['raise minCount 2 -> 4 (forecast needs 4 node(s))']);
  });

  it('a raise beyond the step limit says how many nodes it added over those held', () => {
    expect(decide({ desiredNodes: 8, state: { nodeCount: 3 } })).toEqual({
      action: 'raise',
      fromMinCount: 2,
      toMinCount: 5,
      target: 8,
      apply: true,
      reasons: ['raise minCount 2 -> 5 (forecast needs 8 node(s))', 'step limited to +2 node(s) over the 3 held'],
    });
  });

  it('a lowering within the step limit has only the action reason; beyond it, the limit is named', () => {
    expect(decide({ desiredNodes: 3, state: { minCount: 5 }, policy: { maxStepDown: 2 } }).reasons).toEqual([
      'lower minCount 5 -> 3 (forecast needs 3 node(s))',
    ]);
    expect(decide({ desiredNodes: 1, state: { minCount: 8 }, policy: { maxStepDown: 2 } })).toEqual({
      action: 'lower',
      fromMinCount: 8,
      toMinCount: 6,
      target: 1,
      apply: true,
      reasons: ['lower minCount 8 -> 6 (forecast needs 1 node(s))', 'lowering limited to -2 node(s) per change'],
    });
  });

  it('enforce mode applies without the forecast-only note', () => {
    const d = decide({ desiredNodes: 3, mode: 'enforce' });
    expect(d.apply).toBe(true);
    expect(d.reasons).not.toContain('forecast-only: recorded, not applied');
  });
});

describe('nodesNeeded refuses capacities that cannot size anything', () => {
  it('returns null for a node with no allocatable capacity, or a negative one', () => {
    expect(nodesNeeded(5, 0, 0.1)).toBeNull();
    expect(nodesNeeded(5, -4, 0.1)).toBeNull();
    expect(nodesNeeded(NaN, 4, 0.1)).toBeNull();
    expect(nodesNeeded(10, 4, 0)).toBe(3);
  });
});
