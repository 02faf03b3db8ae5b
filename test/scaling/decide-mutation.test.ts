// Scaling decisions that mutation testing found unguarded (issue #19).
import { describe, expect, it } from 'vitest';
import { decideMinCount, type DecisionInput } from '../../src/scaling/decide.js';

const HOUR = 3_600_000;
type Over = Partial<Omit<DecisionInput, 'state' | 'policy'>> & { state?: Partial<DecisionInput['state']>; policy?: Partial<DecisionInput['policy']> };
const input = (over: Over = {}): DecisionInput => ({
  nowMs: 100 * HOUR,
  desiredNodes: 3,
  mode: 'enforce',
  protectedPool: false,
  ...over,
  state: { minCount: 2, maxCount: 10, nodeCount: 2, enableAutoScaling: true, poolMode: 'User', lastChangeAtMs: null, ...over.state },
  policy: { minCount: 0, maxCount: 10, maxStepUp: 2, maxStepDown: 10, cooldownMs: 10 * 60_000, lowerAfterMs: HOUR, ...over.policy },
});

describe('scaling decide edges', () => {
  it('keeps one node on a System pool even when the step down would allow zero', () => {
    const d = decideMinCount(input({ desiredNodes: 0, state: { minCount: 3, poolMode: 'System' }, policy: { maxStepDown: 10 } }));
    expect(d).toMatchObject({ action: 'lower', fromMinCount: 3, toMinCount: 1, target: 1, apply: true });
    expect(d.reasons).toContain('forecast needs 0, clamped up to the lower bound 1');
    // A User pool with the same input goes to zero.
    expect(decideMinCount(input({ desiredNodes: 0, state: { minCount: 3 } }))).toMatchObject({ action: 'lower', toMinCount: 0 });
  });

  it('holds on a NaN or infinite forecast', () => {
    for (const desiredNodes of [NaN, Infinity]) {
      expect(decideMinCount(input({ desiredNodes }))).toEqual({
        action: 'hold',
        fromMinCount: 2,
        toMinCount: 2,
        target: null,
        apply: false,
        reasons: ['no usable forecast'],
      });
    }
  });

  it('lowers to the ceiling when minCount is above it', () => {
    const d = decideMinCount(input({ desiredNodes: 9, state: { minCount: 8, maxCount: 10 }, policy: { maxCount: 5 } }));
    expect(d).toMatchObject({ action: 'lower', fromMinCount: 8, toMinCount: 5, target: 5, apply: true });
    expect(d.reasons[0]).toBe('lower minCount 8 -> 5 (forecast needs 9 node(s))');
  });

  it('holds, without a change that would reset the cooldown, when the step limit up is 0', () => {
    const d = decideMinCount(input({ desiredNodes: 6, state: { minCount: 2, nodeCount: 2 }, policy: { maxStepUp: 0 } }));
    expect(d.action).toBe('hold');
    expect(d.apply).toBe(false);
    expect(d.toMinCount).toBe(2);
  });

  it('records but does not apply in forecast-only mode', () => {
    const d = decideMinCount(input({ desiredNodes: 4, mode: 'forecast-only' }));
    expect(d).toMatchObject({ action: 'raise', toMinCount: 4, apply: false });
    expect(d.reasons).toContain('forecast-only: recorded, not applied');
  });
});
