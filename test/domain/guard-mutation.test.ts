// Guard behaviours that mutation testing found unguarded (issue #19): edge policies and the
// exact refusal details operators read.
import { describe, expect, it } from 'vitest';
import { acquire, initialGuardState, release, type GuardState } from '../../src/domain/guard.js';
import type { GuardPolicy } from '../../src/domain/types.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const s = (sec: number) => T0 + sec * 1000;
const policy: GuardPolicy = { cooldownSeconds: 300, maxActionsPerWindow: 3, windowSeconds: 3600, circuitBreakerThreshold: 2 };

describe('guard edge policies', () => {
  it('opens the breaker on the first failure when the threshold is 1, and says why', () => {
    const a = acquire(initialGuardState(), { instanceId: 'i1', now: s(0), policy: { ...policy, circuitBreakerThreshold: 1 } });
    if (!a.granted) throw new Error('refused');
    const r = release(a.state, { instanceId: 'i1', now: s(10), outcome: 'ineffective' });
    expect(r).toMatchObject({ released: true, breakerOpened: true });
    expect(r.state.breaker).toEqual({ since: s(10), reason: '1 consecutive failed or ineffective remediations (threshold 1)' });
    const next = acquire(r.state, { instanceId: 'i2', now: s(5000), policy });
    expect(next).toEqual({
      state: r.state,
      granted: false,
      reason: 'circuit-open',
      detail: 'circuit breaker open since 2025-03-01T12:00:10.000Z: 1 consecutive failed or ineffective remediations (threshold 1); a human must reset it',
    });
  });

  it('never opens the breaker when the threshold is 0', () => {
    let st = initialGuardState();
    for (let i = 0; i < 3; i++) {
      const a = acquire(st, { instanceId: `i${i}`, now: s(i * 4000), policy: { ...policy, circuitBreakerThreshold: 0 } });
      if (!a.granted) throw new Error(`refused ${i}`);
      const r = release(a.state, { instanceId: `i${i}`, now: s(i * 4000), outcome: 'failed' });
      expect(r).toMatchObject({ released: true, breakerOpened: false });
      st = r.state;
    }
    expect(st.breaker).toBeNull();
    expect(st.consecutiveFailures).toBe(3);
  });

  it('refuses every action when maxActionsPerWindow is 0, without a retry time', () => {
    const st = initialGuardState();
    const a = acquire(st, { instanceId: 'i1', now: s(0), policy: { ...policy, maxActionsPerWindow: 0 } });
    expect(a).toEqual({ state: st, granted: false, reason: 'rate-limited', detail: '0 actions in the last 3600s (max 0)' });
    expect(Object.keys(a)).not.toContain('retryAfter');
  });

  it('refuses a release when nobody holds the guard, changing nothing', () => {
    const st = initialGuardState();
    const r = release(st, { instanceId: 'i1', now: s(0), outcome: 'failed' });
    expect(r).toEqual({ state: st, released: false, reason: 'not-holder' });
    expect(r.state).toBe(st);
  });
});

describe('guard refusal details', () => {
  it('names the holder and when its lease ends when busy', () => {
    const a = acquire(initialGuardState(), { instanceId: 'i1', now: s(0), policy, leaseSeconds: 60 });
    const b = acquire(a.state, { instanceId: 'i2', now: s(59), policy });
    expect(b).toEqual({ state: a.state, granted: false, reason: 'busy', detail: 'held by i1 since 2025-03-01T12:00:00.000Z', retryAfter: s(60) });
    // At the lease end exactly the holder is presumed dead and replaced.
    expect(acquire(a.state, { instanceId: 'i2', now: s(60), policy })).toMatchObject({ granted: true, takeoverFrom: 'i1' });
  });

  it('names the last action and when the cooldown ends', () => {
    const a = acquire(initialGuardState(), { instanceId: 'i1', now: s(0), policy });
    if (!a.granted) throw new Error('refused');
    const r = release(a.state, { instanceId: 'i1', now: s(100), outcome: 'effective' });
    const b = acquire(r.state, { instanceId: 'i2', now: s(399), policy });
    expect(b).toEqual({
      state: r.state,
      granted: false,
      reason: 'cooldown',
      detail: 'last action at 2025-03-01T12:01:40.000Z; cooldown 300s ends 2025-03-01T12:06:40.000Z',
      retryAfter: s(400),
    });
    expect(acquire(r.state, { instanceId: 'i2', now: s(400), policy }).granted).toBe(true);
  });

  it('counts the actions in the window and says when the oldest leaves it', () => {
    let st = initialGuardState();
    for (const [i, t] of [0, 400, 800].entries()) {
      const a = acquire(st, { instanceId: `i${i}`, now: s(t), policy });
      if (!a.granted) throw new Error(`refused ${i}`);
      st = release(a.state, { instanceId: `i${i}`, now: s(t), outcome: 'effective' }).state;
    }
    const b = acquire(st, { instanceId: 'i9', now: s(1200), policy });
    expect(b).toEqual({ state: st, granted: false, reason: 'rate-limited', detail: '3 actions in the last 3600s (max 3)', retryAfter: s(3600) });
    expect(acquire(st, { instanceId: 'i9', now: s(3600), policy }).granted).toBe(true);
  });
});

describe('guard state and time', () => {
  it('starts empty: no holder, no actions, no breaker', () => {
    const empty: GuardState = { holder: null, actions: [], lastActionAt: null, consecutiveFailures: 0, breaker: null, lastReset: null, lastTakeover: null };
    expect(initialGuardState()).toEqual(empty);
  });

  it('grants at epoch 0 when no action was ever taken (no cooldown from a missing last action)', () => {
    expect(acquire(initialGuardState(), { instanceId: 'i1', now: 0, policy }).granted).toBe(true);
  });

  it('refuses a time that is not one, naming it', () => {
    expect(() => acquire(initialGuardState(), { instanceId: 'i1', now: 'yesterday', policy })).toThrow(RangeError);
    expect(() => acquire(initialGuardState(), { instanceId: 'i1', now: 'yesterday', policy })).toThrow(new RangeError('not a time: yesterday'));
  });
});
