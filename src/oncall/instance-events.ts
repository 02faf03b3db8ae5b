// Events raised into orchestrations from HTTP (approvals): only into an instance of the route's
// own kind that still waits for that event. The SDK's raiseEvent resolves on 410 Gone (the
// instance has ended), so "202 accepted" would otherwise be answered for an approval nobody will
// ever read, or one aimed at another job's instance (#12).
import type { RunStatus } from './runs.js';
import { text } from '../domain/text.js';

export interface InstanceEvents {
  status(instanceId: string): Promise<RunStatus | null>;
  raise(instanceId: string, event: string, data: unknown): Promise<void>;
}

export interface EventTarget {
  /** The orchestration function name the instance must run (compared case-insensitively). */
  orchestration: string;
  /** customStatus.phase while the instance waits for the event. */
  phase: string;
  /** What the instance is, for messages: "rotation", "run". */
  kind: string;
}

const LIVE = new Set(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

/** The instance's status when it is of kind `target`; null when it is not (or does not exist). */
export async function statusOfKind(
  port: Pick<InstanceEvents, 'status'>,
  instanceId: string,
  target: Pick<EventTarget, 'orchestration'>,
): Promise<RunStatus | null> {
  const s = await port.status(instanceId);
  return s && s.name.toLowerCase() === target.orchestration.toLowerCase() ? s : null;
}

export type RaiseResult = { ok: true } | { ok: false; status: 404 | 409; error: string };

export async function raiseToWaiting(port: InstanceEvents, instanceId: string, target: EventTarget, event: string, data: unknown): Promise<RaiseResult> {
  const s = await statusOfKind(port, instanceId, target);
  if (!s) return { ok: false, status: 404, error: `no ${target.kind} ${instanceId}` };
  const phase = (s.customStatus as { phase?: unknown } | null)?.phase;
  if (!LIVE.has(s.runtimeStatus) || phase !== target.phase) {
    return {
      ok: false,
      status: 409,
      error: `${target.kind} ${instanceId} is not waiting for approval (status ${s.runtimeStatus}, phase ${text(phase, 'unknown')})`,
    };
  }
  await port.raise(instanceId, event, data);
  return { ok: true };
}
