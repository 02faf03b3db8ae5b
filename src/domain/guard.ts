// Per-target guard: one remediation at a time, cooldown, N actions per window, and a circuit
// breaker that only a human closes. Pure functions over plain JSON state: the durable entity
// (orchestrations/guard-entity.ts) stores the state and passes the orchestration's time in,
// so nothing here reads the clock and every decision can be replayed and unit-tested.
import type { GuardPolicy } from './types.js';

/** A point in time as an ISO 8601 string or epoch milliseconds (always passed in, never read). */
export type Instant = string | number;

export interface GuardHolder {
  instanceId: string;
  /** Epoch ms when the lock was granted. */
  since: number;
  /** Epoch ms after which another instance may take the lock over (the holder is presumed dead). */
  leaseUntil: number;
  /** The policy's threshold at acquire time: release judges the outcome against the policy it was granted under. */
  circuitBreakerThreshold: number;
}

export interface GuardState {
  holder: GuardHolder | null;
  /** Epoch ms of counted actions inside the window as of the last grant, plus those since (oldest first). */
  actions: number[];
  /** Epoch ms of the last counted action; kept apart from `actions` because cooldown may outlast the window. */
  lastActionAt: number | null;
  /** Consecutive failed or ineffective remediations since the last effective one. */
  consecutiveFailures: number;
  breaker: { since: number; reason: string } | null;
  /** Last human reset, for the status endpoint and audit. */
  lastReset: { by: string; at: number | null } | null;
  /** Last time a stale holder was replaced, so operators can see it happened. */
  lastTakeover: { from: string; to: string; at: number } | null;
}

export type RefusalReason = 'busy' | 'cooldown' | 'rate-limited' | 'circuit-open';

/** What a remediation reports when it gives the lock back. */
export type ReleaseOutcome = 'effective' | 'ineffective' | 'failed' | 'noop' | 'dry-run';

export interface AcquireRequest {
  instanceId: string;
  now: Instant;
  policy: GuardPolicy;
  /** How long the lock stays valid without a release; default DEFAULT_LEASE_SECONDS. */
  leaseSeconds?: number;
}

export type AcquireResult =
  | { state: GuardState; granted: true; takeoverFrom?: string }
  | { state: GuardState; granted: false; reason: RefusalReason; detail: string; retryAfter?: number };

export interface ReleaseRequest {
  instanceId: string;
  now: Instant;
  outcome: ReleaseOutcome;
}

export type ReleaseResult = { state: GuardState; released: true; breakerOpened: boolean } | { state: GuardState; released: false; reason: 'not-holder' };

/** A lock older than this without a release is presumed abandoned (crashed or terminated run). */
export const DEFAULT_LEASE_SECONDS = 3600;

export function initialGuardState(): GuardState {
  return { holder: null, actions: [], lastActionAt: null, consecutiveFailures: 0, breaker: null, lastReset: null, lastTakeover: null };
}

export function toEpochMs(t: Instant): number {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(t)}`);
  return ms;
}

/** Counted actions in the window (now - windowSeconds, now]: one exactly windowSeconds old has left it. */
export function actionsInWindow(state: GuardState, now: Instant, windowSeconds: number): number {
  const from = toEpochMs(now) - windowSeconds * 1000;
  return state.actions.filter((t) => t > from).length;
}

export function acquire(state: GuardState, req: AcquireRequest): AcquireResult {
  const now = toEpochMs(req.now);
  const { policy } = req;
  // Idempotent: a retried or re-delivered acquire by the holder is granted again, unchanged.
  if (state.holder?.instanceId === req.instanceId) return { state, granted: true };
  if (state.breaker) {
    return {
      state,
      granted: false,
      reason: 'circuit-open',
      detail: `circuit breaker open since ${iso(state.breaker.since)}: ${state.breaker.reason}; a human must reset it`,
    };
  }
  const stale = state.holder !== null && now >= state.holder.leaseUntil;
  if (state.holder && !stale) {
    return {
      state,
      granted: false,
      reason: 'busy',
      detail: `held by ${state.holder.instanceId} since ${iso(state.holder.since)}`,
      retryAfter: state.holder.leaseUntil,
    };
  }
  if (state.lastActionAt !== null && now < state.lastActionAt + policy.cooldownSeconds * 1000) {
    const until = state.lastActionAt + policy.cooldownSeconds * 1000;
    return {
      state,
      granted: false,
      reason: 'cooldown',
      detail: `last action at ${iso(state.lastActionAt)}; cooldown ${policy.cooldownSeconds}s ends ${iso(until)}`,
      retryAfter: until,
    };
  }
  const recent = state.actions.filter((t) => t > now - policy.windowSeconds * 1000);
  if (recent.length >= policy.maxActionsPerWindow) {
    // The oldest counted action leaves the window first.
    const retryAfter = recent.length > 0 ? recent[0]! + policy.windowSeconds * 1000 : undefined;
    const r: AcquireResult = {
      state,
      granted: false,
      reason: 'rate-limited',
      detail: `${recent.length} actions in the last ${policy.windowSeconds}s (max ${policy.maxActionsPerWindow})`,
    };
    if (retryAfter !== undefined) r.retryAfter = retryAfter;
    return r;
  }
  const leaseSeconds = req.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const next: GuardState = {
    ...state,
    actions: recent,
    holder: { instanceId: req.instanceId, since: now, leaseUntil: now + leaseSeconds * 1000, circuitBreakerThreshold: policy.circuitBreakerThreshold },
    lastTakeover: stale && state.holder ? { from: state.holder.instanceId, to: req.instanceId, at: now } : state.lastTakeover,
  };
  return stale && state.holder ? { state: next, granted: true, takeoverFrom: state.holder.instanceId } : { state: next, granted: true };
}

/** Only the holder releases: a late release from a replaced (stale) holder changes nothing. */
export function release(state: GuardState, req: ReleaseRequest): ReleaseResult {
  const holder = state.holder;
  if (holder?.instanceId !== req.instanceId) return { state, released: false, reason: 'not-holder' };
  const now = toEpochMs(req.now);
  const next: GuardState = { ...state, holder: null, actions: [...state.actions] };
  let breakerOpened = false;
  // Dry runs and no-ops changed nothing on the cluster: they neither count nor judge.
  if (req.outcome === 'effective' || req.outcome === 'ineffective' || req.outcome === 'failed') {
    // Cooldown runs from the end of a remediation (after its verification), not from its start.
    next.actions.push(now);
    next.lastActionAt = now;
    if (req.outcome === 'effective') {
      next.consecutiveFailures = 0;
    } else {
      next.consecutiveFailures = state.consecutiveFailures + 1;
      const threshold = holder.circuitBreakerThreshold;
      // A threshold below 1 disables the breaker.
      if (threshold >= 1 && next.consecutiveFailures >= threshold && !state.breaker) {
        next.breaker = { since: now, reason: `${next.consecutiveFailures} consecutive failed or ineffective remediations (threshold ${threshold})` };
        breakerOpened = true;
      }
    }
  }
  return { state: next, released: true, breakerOpened };
}

/** A human closes the breaker; the failure count starts again from zero. Holder and history stay. */
export function reset(state: GuardState, req: { by: string; now?: Instant }): { state: GuardState; wasOpen: boolean } {
  const at = req.now === undefined ? null : toEpochMs(req.now);
  return {
    state: { ...state, breaker: null, consecutiveFailures: 0, lastReset: { by: req.by, at } },
    wasOpen: state.breaker !== null,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
