// Durable entity `guard`: one instance per target holds the guard state (lock, cooldown, actions
// per window, circuit breaker). Entities process one operation at a time, which is what makes the
// lock a lock. The rules live in src/domain/guard.ts; this file only stores state and maps
// operations. Registration (df.app.entity(GUARD_ENTITY, guardEntity)) lives in functions/.
import * as df from 'durable-functions';
import type { EntityContext, EntityHandler } from 'durable-functions';
import {
  acquire,
  initialGuardState,
  release,
  reset,
  type AcquireRequest,
  type GuardState,
  type RefusalReason,
  type ReleaseRequest,
} from '../src/domain/guard.js';
import { targetKey, type Target } from '../src/domain/types.js';

export const GUARD_ENTITY = 'guard';

export const GUARD_OP = { acquire: 'acquire', release: 'release', reset: 'reset', get: 'get' } as const;

/** What `acquire` returns to the orchestration (never the whole state). */
export type GuardAcquireResponse = { granted: true; takeoverFrom?: string } | { granted: false; reason: RefusalReason; detail: string; retryAfter?: string };

export type GuardReleaseResponse = { released: true; breakerOpened: boolean } | { released: false; reason: 'not-holder' };

export interface GuardResetRequest {
  /** Who closed the breaker: "user:alice@contoso.com". */
  by: string;
  now?: string | number;
}

// Entity keys become Azure Storage partition/row keys and a path segment of the entity HTTP API:
// the extension refuses '/', '\', '#', '?' and control characters, and the HTTP API decodes %2F.
// So keep [A-Za-z0-9.-], write '/' (targetKey's separator) as '~', and every other byte as _XX.
const KEEP = /[A-Za-z0-9.-]/;

/** Entity key for a target: targetKey(target) in a reversible, storage- and URL-safe encoding. */
export function guardEntityKey(target: Target): string {
  return encodeGuardKey(targetKey(target));
}

export function guardEntityId(target: Target): df.EntityId {
  return new df.EntityId(GUARD_ENTITY, guardEntityKey(target));
}

export function encodeGuardKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (KEEP.test(ch)) out += ch;
    else if (ch === '/') out += '~';
    else for (const b of Buffer.from(ch, 'utf8')) out += `_${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of encodeGuardKey: the targetKey(...) an entity key stands for (status pages, CLI). */
export function decodeGuardKey(encoded: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!;
    if (ch === '_') {
      const hex = encoded.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new RangeError(`bad guard key escape at ${i}: ${encoded}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push((ch === '~' ? '/' : ch).charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export const guardEntity: EntityHandler<GuardState> = (context: EntityContext<GuardState>) => {
  const state = context.df.getState(initialGuardState) ?? initialGuardState();
  switch (context.df.operationName) {
    case GUARD_OP.acquire: {
      const r = acquire(state, required<AcquireRequest>(context, 'acquire'));
      context.df.setState(r.state);
      const res: GuardAcquireResponse = r.granted
        ? r.takeoverFrom
          ? { granted: true, takeoverFrom: r.takeoverFrom }
          : { granted: true }
        : r.retryAfter !== undefined
          ? { granted: false, reason: r.reason, detail: r.detail, retryAfter: new Date(r.retryAfter).toISOString() }
          : { granted: false, reason: r.reason, detail: r.detail };
      context.df.return(res);
      return;
    }
    case GUARD_OP.release: {
      const r = release(state, required<ReleaseRequest>(context, 'release'));
      context.df.setState(r.state);
      const res: GuardReleaseResponse = r.released ? { released: true, breakerOpened: r.breakerOpened } : { released: false, reason: r.reason };
      context.df.return(res);
      return;
    }
    case GUARD_OP.reset: {
      const r = reset(state, required<GuardResetRequest>(context, 'reset'));
      context.df.setState(r.state);
      context.df.return({ wasOpen: r.wasOpen });
      return;
    }
    case GUARD_OP.get:
      context.df.return(state);
      return;
    default:
      // Thrown errors reach the caller as a failed entity call; state is left as it was.
      throw new Error(`guard: unknown operation ${String(context.df.operationName)}`);
  }
};

function required<T>(context: EntityContext<GuardState>, op: string): T {
  const input = context.df.getInput<T>();
  if (input === undefined || input === null || typeof input !== 'object') throw new Error(`guard ${op}: input object required`);
  return input;
}
