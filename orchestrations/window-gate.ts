// The one helper every orchestration calls right before it acts:
//   const gate = yield* windowGate(context, 'restart-pod', scope);
// It asks the windowGate activity (src/windows/gate-activity.ts) with the orchestration's time,
// and while a maintenance window says "wait", sleeps on a durable timer until the window's end
// and asks again (the window may have been extended, or another one opened). It returns the
// final verdict: proceed, skip (suppressed or expired) or approval (freeze). Deterministic: the
// verdicts are activity results in the history, the waits are durable timers.
import type { OrchestrationContext, Task } from 'durable-functions';
import type { GateVerdict, WindowScope } from '../src/windows/policy.js';
import { WINDOW_GATE_ACTIVITY, type WindowGateInput } from '../src/windows/gate-activity.js';
import type { WindowJob } from '../src/config/windows-schema.js';
import type { Target } from '../src/domain/types.js';
import { nodePoolOf } from '../src/domain/protection.js';

export { WINDOW_GATE_ACTIVITY };

export interface WindowGateOptions {
  target?: string;
  override?: boolean;
  scaleDown?: boolean;
  /** Tasks that end the wait early (alert resolved, cancel): the first to finish is returned as `interruptedBy`. */
  interrupt?: Task[];
}

export type WindowGateResult = GateVerdict & { interruptedBy?: Task };

export function* windowGate(
  context: OrchestrationContext,
  action: string,
  scope: WindowScope,
  opts: WindowGateOptions = {},
): Generator<Task, WindowGateResult, unknown> {
  const since = context.df.currentUtcDateTime.toISOString();
  for (;;) {
    const input: WindowGateInput = {
      instanceId: context.df.instanceId,
      action,
      scope,
      at: context.df.currentUtcDateTime.toISOString(),
      since,
      ...(opts.target ? { target: opts.target } : {}),
      ...(opts.override ? { override: true } : {}),
      ...(opts.scaleDown ? { scaleDown: true } : {}),
    };
    let verdict: GateVerdict;
    try {
      verdict = (yield context.df.callActivity(WINDOW_GATE_ACTIVITY, input)) as GateVerdict;
    } catch (e) {
      // Cannot tell whether a window is open (config or storage unreadable): do not act, like the pause switch.
      return { decision: 'skip', reason: `window gate unavailable, not acting: ${String((e as Error)?.message ?? e).slice(0, 200)}`, active: [] };
    }
    if (verdict.decision !== 'wait' || !verdict.retryAt) return verdict;
    context.df.setCustomStatus({ phase: 'waiting-for-window', window: verdict.window?.policy, until: verdict.retryAt, action });
    const done = (opts.interrupt ?? []).find((t) => t.isCompleted);
    if (done) return { ...verdict, interruptedBy: done };
    const open = (opts.interrupt ?? []).filter((t) => !t.isCompleted);
    const timer = context.df.createTimer(new Date(verdict.retryAt));
    if (open.length === 0) {
      yield timer;
      continue;
    }
    const first = (yield context.df.Task.any([timer, ...open])) as Task;
    if (first !== timer) {
      timer.cancel();
      return { ...verdict, interruptedBy: first };
    }
  }
}

/** The window scope of a Kubernetes target: its namespace, or for a Node its AKS pool. */
export function windowScope(target: Target, job: WindowJob): WindowScope {
  const pool = target.kind === 'Node' ? nodePoolOf(target.name) : null;
  return { cluster: target.cluster, job, ...(target.namespace ? { namespace: target.namespace } : {}), ...(pool ? { nodePool: pool } : {}) };
}
