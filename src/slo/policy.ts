// The error-budget policy (pure): while a scope's SLO budget is spent or burning fast, automated
// actions that take capacity away or restart healthy parts ask a human, or wait; actions that
// restore service still run. Evaluated by the orchestration at the moment it acts, with the
// state the SLO timer last stored (docs/slo.md).
import { parseDuration } from '../domain/duration.js';
import type { ErrorBudgetPolicyConfig } from '../config/slo-schema.js';
import type { SloState } from './budget.js';
import type { OpsConfig } from '../config/schema.js';
import type { RemediationInput, Target } from '../domain/types.js';

/** What an action does to the service around it. */
export type ActionImpact = 'restorative' | 'disruptive';

export interface GateScope {
  cluster: string;
  /** Absent for cluster- or node-level actions (a drain): they touch every namespace, so every namespace policy applies. */
  namespace?: string;
  nodePool?: string;
}

export type GateVerdict =
  { verdict: 'allow'; reason?: string } | { verdict: 'approval' | 'wait'; policy: string; reason: string; maxWaitSeconds: number; recheckSeconds: number };

/** State older than this is not trusted to say "healthy" (the timer runs every 5 minutes). */
export const MAX_STATE_AGE_SECONDS = 20 * 60;

function inScope(p: ErrorBudgetPolicyConfig, s: GateScope): boolean {
  const has = (list: string[] | undefined, v: string | undefined) => list === undefined || v === undefined || list.includes(v);
  return (p.scope.clusters === undefined || p.scope.clusters.includes(s.cluster)) && has(p.scope.namespaces, s.namespace) && has(p.scope.nodePools, s.nodePool);
}

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

/**
 * The verdict for one action. `states` holds the stored state per SLO name; `nowMs` is the
 * orchestration's time. Unknown or stale state of a policy's SLO counts as spent for disruptive
 * actions (fail closed: nobody can tell that the service can afford it).
 */
export function errorBudgetGate(
  policies: ErrorBudgetPolicyConfig[],
  states: Map<string, SloState>,
  scope: GateScope,
  impact: ActionImpact,
  nowMs: number,
): GateVerdict {
  if (impact === 'restorative') return { verdict: 'allow' };
  const verdicts: Exclude<GateVerdict, { verdict: 'allow' }>[] = [];
  for (const p of policies) {
    if (!inScope(p, scope)) continue;
    for (const name of p.slos) {
      const st = states.get(name);
      const stale = st !== undefined && nowMs - Date.parse(st.at) > MAX_STATE_AGE_SECONDS * 1000;
      let why: string | undefined;
      let action: 'approval' | 'wait' | 'allow' = 'allow';
      if (st === undefined || stale || st.status === 'no-data') {
        why =
          st === undefined
            ? `the error budget of SLO ${name} has not been measured yet`
            : stale
              ? `the error budget of SLO ${name} was last measured at ${st.at}`
              : `SLO ${name} had no events to measure`;
        action = p.whenExhausted;
      } else if (st.status === 'exhausted') {
        why = `the error budget of SLO ${name} is spent (${pct(st.budgetRemaining ?? 0)} left of ${st.window})`;
        action = p.whenExhausted;
      } else if (st.status === 'burning-fast') {
        why = `SLO ${name} is burning its error budget fast (${Math.round((st.burnRates['1h'] ?? 0) * 10) / 10}x over 1h, ${pct(st.budgetRemaining ?? 0)} left)`;
        action = p.whenBurningFast;
      }
      if (why === undefined || action === 'allow') continue;
      verdicts.push({
        verdict: action,
        policy: p.name,
        reason: `${why}: error-budget policy ${p.name} ${action === 'wait' ? 'holds disruptive actions' : 'asks for approval of disruptive actions'}`,
        maxWaitSeconds: parseDuration(p.maxWait)!,
        recheckSeconds: parseDuration(p.recheckEvery)!,
      });
    }
  }
  // Waiting is the stricter answer: it wins over asking.
  return verdicts.find((v) => v.verdict === 'wait') ?? verdicts[0] ?? { verdict: 'allow' };
}

/**
 * A hold that has waited `waitedSeconds` (the sum of its recheck timers) gives up when the next
 * look would come after `maxWaitSeconds` (the remediation's rule too:
 * orchestrations/remediation-error-budget.ts).
 */
export function holdExpired(v: { maxWaitSeconds: number; recheckSeconds: number }, waitedSeconds: number): boolean {
  return waitedSeconds + v.recheckSeconds > v.maxWaitSeconds;
}

/**
 * The intake's question: does any policy cover this target? Then the run asks the gate before a
 * disruptive action, and its guard lease covers the longest hold. Undefined when none does.
 */
export function errorBudgetCoverage(policies: ErrorBudgetPolicyConfig[] | undefined, scope: GateScope): { maxWaitSeconds: number } | undefined {
  const covering = (policies ?? []).filter((p) => inScope(p, scope));
  if (covering.length === 0) return undefined;
  return { maxWaitSeconds: Math.max(...covering.map((p) => (p.whenExhausted === 'wait' || p.whenBurningFast === 'wait' ? parseDuration(p.maxWait)! : 0))) };
}

/** The remediation input's `errorBudget` field for a target: present when a policy covers it. */
export function errorBudgetField(cfg: Pick<OpsConfig, 'slo'>, target: Target): Pick<RemediationInput, 'errorBudget'> {
  const coverage = errorBudgetCoverage(cfg.slo?.policies, { cluster: target.cluster, ...(target.namespace ? { namespace: target.namespace } : {}) });
  return coverage ? { errorBudget: coverage } : {};
}
