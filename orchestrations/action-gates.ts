// The gates a job passes right before it acts, composed the same way in every job that takes
// capacity away or restarts healthy parts (budget stops, predictive scale-downs, rotation
// roll-outs):
//   const gate = yield* actionGates(context, 'ms5-dev: stop the cluster', scope, { impact: 'disruptive' });
// First the window gate (maintenance, freeze: window-gate.ts), then the error-budget policy
// (docs/slo.md) through the errorBudgetGate activity: while a scope's SLO budget is spent,
// unknown/stale or burning fast, a disruptive action waits on durable timers until the budget
// allows it (or gives up after the policy's maxWait), or needs approval, as configured. A skip
// from either gate wins; an approval from either is an approval. Restorative actions never ask
// the error budget. The activity audits each decision (held, approval-required, released,
// expired). Deterministic: verdicts are activity results, waits are durable timers.
// (The remediation keeps its own error-budget step, remediation-error-budget.ts, which also
// races the alert's resolution and writes through the run's audit.)
import type { OrchestrationContext } from 'durable-functions';
import { windowGate, type WindowGateOptions } from './window-gate.js';
import { errorText, type Gen } from './lib.js';
import type { ErrorBudgetGateInput } from '../src/slo/activities.js';
import { holdExpired, type ActionImpact, type GateVerdict } from '../src/slo/policy.js';
import type { WindowScope } from '../src/windows/policy.js';

export const ERROR_BUDGET_GATE_ACTIVITY = 'errorBudgetGate';

export interface ActionGateOptions extends Omit<WindowGateOptions, 'interrupt'> {
  impact: ActionImpact;
  /** A job that runs again soon (scaling every 5 minutes) does not wait: a hold ends as skip and the next run asks again. */
  noWait?: boolean;
}

export interface ActionGateResult {
  decision: 'proceed' | 'skip' | 'approval';
  reason: string;
}

export function* actionGates(context: OrchestrationContext, action: string, scope: WindowScope, opts: ActionGateOptions): Gen<ActionGateResult> {
  const window = yield* windowGate(context, action, scope, opts);
  if (window.decision === 'skip') return { decision: 'skip', reason: window.reason };
  const budget = opts.impact === 'restorative' ? null : yield* errorBudgetGate(context, action, scope, opts);
  if (budget?.decision === 'skip') return budget;
  const asks = [window.decision === 'approval' ? window.reason : '', budget?.decision === 'approval' ? budget.reason : ''].filter((r) => r !== '');
  if (asks.length > 0) return { decision: 'approval', reason: asks.join('; ') };
  return { decision: 'proceed', reason: window.reason };
}

/** The error-budget policy for one disruptive action: proceed, approval, or skip (held past maxWait, or not waiting). */
export function* errorBudgetGate(
  context: OrchestrationContext,
  action: string,
  scope: WindowScope,
  opts: Pick<ActionGateOptions, 'target' | 'noWait'>,
): Gen<ActionGateResult> {
  let waitedSeconds = 0;
  for (;;) {
    const at = context.df.currentUtcDateTime.toISOString();
    const input: ErrorBudgetGateInput = {
      scope: { cluster: scope.cluster, ...(scope.namespace ? { namespace: scope.namespace } : {}), ...(scope.nodePool ? { nodePool: scope.nodePool } : {}) },
      impact: 'disruptive',
      at,
      hold: { instanceId: context.df.instanceId, job: scope.job, action, waitedSeconds, ...(opts.target ? { target: opts.target } : {}) },
    };
    let v: GateVerdict;
    try {
      v = (yield context.df.callActivity(ERROR_BUDGET_GATE_ACTIVITY, input)) as GateVerdict;
    } catch (e) {
      // Fail closed: nobody can tell the service can afford the disruption, so a human decides.
      return { decision: 'approval', reason: `the error budget could not be read (${errorText(e, { stripActivityPrefix: true })}): a human decides` };
    }
    if (v.verdict === 'allow') return { decision: 'proceed', reason: v.reason ?? 'error budget allows it' };
    if (v.verdict === 'approval') return { decision: 'approval', reason: v.reason };
    if (opts.noWait) return { decision: 'skip', reason: `${v.reason}; the next run asks again` };
    if (holdExpired(v, waitedSeconds))
      return { decision: 'skip', reason: `${v.reason}; still held after ${Math.round(waitedSeconds / 60)} minutes, so nothing was done` };
    const next = new Date(context.df.currentUtcDateTime.getTime() + v.recheckSeconds * 1000);
    context.df.setCustomStatus({ phase: 'held-by-error-budget', policy: v.policy, until: next.toISOString(), action });
    yield context.df.createTimer(next);
    waitedSeconds += v.recheckSeconds;
  }
}
