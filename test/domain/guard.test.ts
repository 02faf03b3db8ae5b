import { describe, expect, it } from 'vitest';
import { acquire, actionsInWindow, initialGuardState, release, reset, type GuardState } from '../../src/domain/guard.js';
import { decodeGuardKey, encodeGuardKey, guardEntityKey } from '../../orchestrations/guard-entity.js';
import { targetKey, type GuardPolicy, type Target } from '../../src/domain/types.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const s = (sec: number) => T0 + sec * 1000;
const policy: GuardPolicy = { cooldownSeconds: 300, maxActionsPerWindow: 3, windowSeconds: 3600, circuitBreakerThreshold: 2 };

/** Acquire + release as `id` at `sec` with `outcome`; fails the test if either is refused. */
function cycle(state: GuardState, id: string, sec: number, outcome: Parameters<typeof release>[1]['outcome'], p: GuardPolicy = policy): GuardState {
  const a = acquire(state, { instanceId: id, now: s(sec), policy: p });
  if (!a.granted) throw new Error(`acquire refused at ${sec}s: ${a.reason}`);
  const r = release(a.state, { instanceId: id, now: s(sec), outcome });
  if (!r.released) throw new Error('release refused');
  return r.state;
}

describe('guard: lock', () => {
  it('grants a free target and refuses a second instance as busy', () => {
    const a = acquire(initialGuardState(), { instanceId: 'i1', now: s(0), policy });
    expect(a.granted).toBe(true);
    const b = acquire(a.state, { instanceId: 'i2', now: s(1), policy });
    expect(b).toMatchObject({ granted: false, reason: 'busy' });
    expect(b.state).toBe(a.state);
  });

  it('is idempotent for the holder (a re-delivered acquire is granted, state unchanged)', () => {
    const a = acquire(initialGuardState(), { instanceId: 'i1', now: s(0), policy });
    const again = acquire(a.state, { instanceId: 'i1', now: s(5), policy });
    expect(again.granted).toBe(true);
    expect(again.state).toEqual(a.state);
  });

  it('accepts ISO strings and epoch ms alike', () => {
    const a = acquire(initialGuardState(), { instanceId: 'i1', now: '2025-03-01T12:00:00.000Z', policy });
    expect(a.state.holder?.since).toBe(T0);
    expect(() => acquire(initialGuardState(), { instanceId: 'i1', now: 'not a time', policy })).toThrow(RangeError);
  });

  it('only the holder releases', () => {
    const a = acquire(initialGuardState(), { instanceId: 'i1', now: s(0), policy });
    const r = release(a.state, { instanceId: 'i2', now: s(1), outcome: 'failed' });
    expect(r).toMatchObject({ released: false, reason: 'not-holder' });
    expect(r.state).toBe(a.state);
  });

  it('takes over a stale holder once its lease has run out, not before', () => {
    const a = acquire(initialGuardState(), { instanceId: 'dead', now: s(0), policy, leaseSeconds: 600 });
    expect(acquire(a.state, { instanceId: 'i2', now: s(599), policy })).toMatchObject({ granted: false, reason: 'busy' });
    const b = acquire(a.state, { instanceId: 'i2', now: s(600), policy });
    expect(b).toMatchObject({ granted: true, takeoverFrom: 'dead' });
    expect(b.state.holder?.instanceId).toBe('i2');
    expect(b.state.lastTakeover).toEqual({ from: 'dead', to: 'i2', at: s(600) });
    // The late release of the replaced holder changes nothing.
    const late = release(b.state, { instanceId: 'dead', now: s(601), outcome: 'failed' });
    expect(late.released).toBe(false);
    expect(late.state.holder?.instanceId).toBe('i2');
  });
});

describe('guard: cooldown', () => {
  it('refuses until exactly cooldownSeconds after the last action, then grants', () => {
    const st = cycle(initialGuardState(), 'i1', 0, 'effective');
    const early = acquire(st, { instanceId: 'i2', now: s(299.999), policy });
    expect(early).toMatchObject({ granted: false, reason: 'cooldown', retryAfter: s(300) });
    expect(acquire(st, { instanceId: 'i2', now: s(300), policy }).granted).toBe(true);
  });

  it('runs from the release (end of verification), not the acquire', () => {
    const a = acquire(initialGuardState(), { instanceId: 'i1', now: s(0), policy });
    const r = release(a.state, { instanceId: 'i1', now: s(600), outcome: 'ineffective' });
    expect(acquire(r.state, { instanceId: 'i2', now: s(899), policy })).toMatchObject({ reason: 'cooldown' });
    expect(acquire(r.state, { instanceId: 'i2', now: s(900), policy }).granted).toBe(true);
  });

  it('dry-run and noop do not count as actions', () => {
    let st = cycle(initialGuardState(), 'i1', 0, 'dry-run');
    st = cycle(st, 'i2', 1, 'noop');
    expect(st.lastActionAt).toBeNull();
    expect(st.actions).toEqual([]);
    expect(acquire(st, { instanceId: 'i3', now: s(2), policy }).granted).toBe(true);
  });
});

describe('guard: actions per window', () => {
  const p: GuardPolicy = { ...policy, cooldownSeconds: 0 };

  it('refuses the (max+1)th action inside the window and grants once the oldest leaves it', () => {
    let st = initialGuardState();
    st = cycle(st, 'a', 0, 'effective', p);
    st = cycle(st, 'b', 100, 'effective', p);
    st = cycle(st, 'c', 200, 'effective', p);
    expect(actionsInWindow(st, s(3599), 3600)).toBe(3);
    expect(acquire(st, { instanceId: 'd', now: s(3599), policy: p })).toMatchObject({ granted: false, reason: 'rate-limited', retryAfter: s(3600) });
    // An action exactly windowSeconds old has left the window.
    expect(actionsInWindow(st, s(3600), 3600)).toBe(2);
    expect(acquire(st, { instanceId: 'd', now: s(3600), policy: p }).granted).toBe(true);
  });

  it('counts failed and ineffective actions too', () => {
    let st = initialGuardState();
    const lenient = { ...p, circuitBreakerThreshold: 0 };
    st = cycle(st, 'a', 0, 'failed', lenient);
    st = cycle(st, 'b', 1, 'ineffective', lenient);
    st = cycle(st, 'c', 2, 'effective', lenient);
    expect(acquire(st, { instanceId: 'd', now: s(3), policy: lenient })).toMatchObject({ reason: 'rate-limited' });
  });

  it('maxActionsPerWindow 0 refuses every action', () => {
    expect(acquire(initialGuardState(), { instanceId: 'a', now: s(0), policy: { ...p, maxActionsPerWindow: 0 } })).toMatchObject({
      granted: false,
      reason: 'rate-limited',
    });
  });
});

describe('guard: circuit breaker', () => {
  const p: GuardPolicy = { ...policy, cooldownSeconds: 0, maxActionsPerWindow: 100 };

  it('opens at the threshold of consecutive failed/ineffective outcomes and refuses with circuit-open', () => {
    const a = acquire(initialGuardState(), { instanceId: 'a', now: s(0), policy: p });
    const r1 = release(a.state, { instanceId: 'a', now: s(1), outcome: 'failed' });
    expect(r1).toMatchObject({ released: true, breakerOpened: false });
    expect(r1.state.consecutiveFailures).toBe(1);
    const b = acquire(r1.state, { instanceId: 'b', now: s(2), policy: p });
    const r2 = release(b.state, { instanceId: 'b', now: s(3), outcome: 'ineffective' });
    expect(r2).toMatchObject({ released: true, breakerOpened: true });
    expect(r2.state.breaker).toMatchObject({ since: s(3) });
    const c = acquire(r2.state, { instanceId: 'c', now: s(4), policy: p });
    expect(c).toMatchObject({ granted: false, reason: 'circuit-open' });
    // Refusals do not change state, and time alone does not close the breaker.
    expect(acquire(r2.state, { instanceId: 'c', now: s(86400 * 30), policy: p })).toMatchObject({ reason: 'circuit-open' });
  });

  it('an effective remediation resets the count', () => {
    let st = cycle(initialGuardState(), 'a', 0, 'failed', p);
    st = cycle(st, 'b', 1, 'effective', p);
    expect(st.consecutiveFailures).toBe(0);
    st = cycle(st, 'c', 2, 'failed', p);
    expect(st.breaker).toBeNull();
  });

  it('dry-run and noop neither count nor reset', () => {
    let st = cycle(initialGuardState(), 'a', 0, 'failed', p);
    st = cycle(st, 'b', 1, 'dry-run', p);
    st = cycle(st, 'c', 2, 'noop', p);
    expect(st.consecutiveFailures).toBe(1);
    const d = acquire(st, { instanceId: 'd', now: s(3), policy: p });
    expect(release(d.state, { instanceId: 'd', now: s(3), outcome: 'failed' })).toMatchObject({ breakerOpened: true });
  });

  it('uses the threshold the holder was granted under; below 1 disables the breaker', () => {
    let st = initialGuardState();
    for (let i = 0; i < 5; i++) st = cycle(st, `i${i}`, i, 'failed', { ...p, circuitBreakerThreshold: 0 });
    expect(st.breaker).toBeNull();
    expect(st.consecutiveFailures).toBe(5);
  });

  it('a human reset closes it and restarts the count; the holder is kept', () => {
    let st = cycle(initialGuardState(), 'a', 0, 'failed', p);
    st = cycle(st, 'b', 1, 'failed', p);
    expect(st.breaker).not.toBeNull();
    const r = reset(st, { by: 'user:alice@contoso.com', now: s(10) });
    expect(r.wasOpen).toBe(true);
    expect(r.state.breaker).toBeNull();
    expect(r.state.consecutiveFailures).toBe(0);
    expect(r.state.lastReset).toEqual({ by: 'user:alice@contoso.com', at: s(10) });
    expect(acquire(r.state, { instanceId: 'c', now: s(11), policy: p }).granted).toBe(true);
    expect(reset(r.state, { by: 'x' }).wasOpen).toBe(false);
  });

  it('the holder re-acquiring stays granted even if the breaker opened meanwhile (idempotency wins)', () => {
    const a = acquire(initialGuardState(), { instanceId: 'a', now: s(0), policy: p });
    const opened: GuardState = { ...a.state, breaker: { since: s(0), reason: 'x' } };
    expect(acquire(opened, { instanceId: 'a', now: s(1), policy: p }).granted).toBe(true);
    expect(acquire(opened, { instanceId: 'b', now: s(1), policy: p })).toMatchObject({ reason: 'circuit-open' });
  });
});

describe('guard entity key', () => {
  const deployment: Target = { cluster: 'aks-prod-weu', namespace: 'shop', kind: 'Deployment', name: 'api.v2' };
  const node: Target = { cluster: 'aks_prod', namespace: '', kind: 'Node', name: 'aks-system-1234-vmss000000' };

  it('is readable for ordinary targets and reversible', () => {
    expect(guardEntityKey(deployment)).toBe('aks-prod-weu~shop~Deployment~api.v2');
    expect(decodeGuardKey(guardEntityKey(deployment))).toBe(targetKey(deployment));
    expect(decodeGuardKey(guardEntityKey(node))).toBe(targetKey(node));
  });

  it('never contains characters the extension, Azure Storage keys or the entity HTTP path refuse', () => {
    const nasty = ['a/b\\c#d?e', 'x y%2Fz', 'ünï©ødé', 'tab\there', 'at@sign', '~_~', '\u0000\u007f'];
    for (const k of nasty) {
      const enc = encodeGuardKey(k);
      expect(enc).toMatch(/^[A-Za-z0-9.~_-]+$/);
      expect(decodeGuardKey(enc)).toBe(k);
    }
  });

  it('distinct targets never share a key', () => {
    const keys = ['a/b', 'a~b', 'a_2Fb', 'a_b'].map(encodeGuardKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
