// Durable entity `rotationSlots` (one instance, key "global"): the concurrency limit across
// rotations and the "one rotation per secret at a time" rule. Holders are keyed by instance ID,
// so an acquire replayed or retried by the same rotation is granted again, not counted twice.
// A holder older than its lease (a rotation that died without releasing) is dropped.
import type { EntityContext } from 'durable-functions';

export const ROTATION_SLOTS_ENTITY = 'rotationSlots';
export const ROTATION_SLOTS_KEY = 'global';
export const SLOTS_OP = { acquire: 'acquire', release: 'release' } as const;

export interface SlotsState {
  holders: Record<string, { secret: string; since: string; leaseUntil: string }>;
}

export interface AcquireRequest {
  instanceId: string;
  secret: string;
  max: number;
  /** Orchestration time (ISO). */
  now: string;
  leaseSeconds: number;
}

export type AcquireResponse = { granted: true } | { granted: false; reason: 'full' | 'secret-busy'; detail: string };

/** Pure transition, shared by the entity and its tests. */
export function acquireSlot(state: SlotsState, req: AcquireRequest): { state: SlotsState; response: AcquireResponse } {
  const now = Date.parse(req.now);
  const holders = Object.fromEntries(Object.entries(state.holders).filter(([, h]) => Date.parse(h.leaseUntil) > now));
  if (holders[req.instanceId]) return { state: { holders }, response: { granted: true } };
  const busy = Object.entries(holders).find(([, h]) => h.secret.toLowerCase() === req.secret.toLowerCase());
  if (busy) return { state: { holders }, response: { granted: false, reason: 'secret-busy', detail: `rotation ${busy[0]} of ${req.secret} is still running` } };
  if (Object.keys(holders).length >= req.max) {
    return { state: { holders }, response: { granted: false, reason: 'full', detail: `${Object.keys(holders).length} rotations running (limit ${req.max})` } };
  }
  holders[req.instanceId] = { secret: req.secret, since: req.now, leaseUntil: new Date(now + req.leaseSeconds * 1000).toISOString() };
  return { state: { holders }, response: { granted: true } };
}

export function rotationSlotsEntity(context: EntityContext<SlotsState>): void {
  const state = context.df.getState(() => ({ holders: {} })) ?? { holders: {} };
  switch (context.df.operationName) {
    case SLOTS_OP.acquire: {
      const { state: next, response } = acquireSlot(state, context.df.getInput() as AcquireRequest);
      context.df.setState(next);
      context.df.return(response);
      return;
    }
    case SLOTS_OP.release: {
      const { instanceId } = context.df.getInput() as { instanceId: string };
      const holders = { ...state.holders };
      delete holders[instanceId];
      context.df.setState({ holders });
      context.df.return({ released: true });
      return;
    }
    default:
      throw new Error(`rotationSlots: unknown operation ${context.df.operationName}`);
  }
}
