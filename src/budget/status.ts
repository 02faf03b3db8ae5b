// What GET /api/budgets/{name}, `aksops budgets status` and POST .../evaluate (dry-run) show: a
// budget's stages against its entity state, the changes in effect with their previous values, and
// a preview of what an evaluation would do now. Pure, except previewEvaluation (through the
// activities' ports: it reads cost data and the estate, and changes nothing).
import { budgetMeasure, budgetPlan, type BudgetEnv } from './activities.js';
import { decide, isRestorable, stoppedClusters, waitingApproval, type BudgetState, type Decision, type LastEvaluation } from './state.js';
import type { BudgetSpec, Measurement, Period, StagePlan, Values } from './types.js';

export interface StageView {
  index: number;
  name: string;
  threshold: number;
  basis: 'actual' | 'forecast';
  hysteresis: number;
  restoreWithinPeriod: boolean;
  approval: boolean;
  actions: string[];
  /** pending: not reached this period; fired / restored (enforce); reported (dry-run only). */
  state: 'pending' | 'fired' | 'restored' | 'reported';
  firedAt?: string;
  restoredAt?: string;
}

export interface ActionView {
  stage: string;
  target: string;
  description: string;
  status: string;
  before: Values;
  after: Values;
  appliedAt?: string;
  restoredAt?: string;
  detail?: string;
}

export interface BudgetStatusView {
  name: string;
  mode: BudgetSpec['mode'];
  amount: number;
  currency: string;
  scope: BudgetSpec['scope'];
  period: Period;
  stages: StageView[];
  last: LastEvaluation | null;
  /** Changes in effect now (restored ones are listed under `history`). */
  active: ActionView[];
  history: ActionView[];
  stoppedClusters: string[];
  evaluating: { instanceId: string; until: string } | null;
  approvals: BudgetState['approvals'];
  /** The stage waiting for an Approver (POST /api/budgets/{name}/approval decides it), or null. */
  waiting: { stage: string; instanceId: string; requestedAt: string } | null;
}

export function describeAction(a: BudgetSpec['stages'][number]['actions'][number]): string {
  switch (a.type) {
    case 'notify':
      return 'notify with the top cost drivers';
    case 'scaleDownPools':
      return `scale down pools ${a.pools.join(', ')} of ${a.cluster} (autoscaler maxCount to ${a.maxCount ?? 'minCount'})`;
    case 'scalePoolsToZero':
      return `scale pools ${a.pools.join(', ')} of ${a.cluster} to zero`;
    case 'stopClusters':
      return `stop clusters ${a.clusters.join(', ')}`;
    case 'scaleNamespacesToZero':
      return `scale Deployments of ${a.namespaces.join(', ')} in ${a.cluster} to zero`;
  }
}

export function budgetStatus(spec: BudgetSpec, period: Period, state: BudgetState | null): BudgetStatusView {
  const s = state ?? null;
  const stages: StageView[] = spec.stages.map((st) => {
    const fired = s?.fired.find((f) => f.index === st.index);
    const reported = s?.dryRun.find((f) => f.index === st.index);
    const v: StageView = {
      index: st.index,
      name: st.name,
      threshold: st.threshold,
      basis: st.basis,
      hysteresis: st.hysteresis,
      restoreWithinPeriod: st.restoreWithinPeriod,
      approval: st.approvalTimeoutSeconds !== null,
      actions: st.actions.map(describeAction),
      state: fired ? (fired.restoredAt ? 'restored' : 'fired') : reported ? 'reported' : 'pending',
    };
    const at = fired?.firedAt ?? reported?.firedAt;
    if (at) v.firedAt = at;
    if (fired?.restoredAt) v.restoredAt = fired.restoredAt;
    return v;
  });
  const view = (a: BudgetState['actions'][number]): ActionView => {
    const v: ActionView = {
      stage: spec.stages[a.stage]?.name ?? String(a.stage),
      target: a.target,
      description: a.description,
      status: a.status,
      before: a.before,
      after: a.after,
    };
    if (a.appliedAt) v.appliedAt = a.appliedAt;
    if (a.restoredAt) v.restoredAt = a.restoredAt;
    if (a.detail) v.detail = a.detail;
    return v;
  };
  const actions = [...(s?.actions ?? [])].sort((a, b) => a.seq - b.seq);
  const waiting = waitingApproval(s);
  return {
    name: spec.name,
    mode: spec.mode,
    amount: spec.amount,
    currency: spec.currency,
    scope: spec.scope,
    period,
    stages,
    last: s?.last ?? null,
    active: actions.filter(isRestorable).map(view),
    history: actions.filter((a) => !isRestorable(a)).map(view),
    stoppedClusters: s ? stoppedClusters(s) : [],
    evaluating: s?.lease ? { instanceId: s.lease.instanceId, until: s.lease.until } : null,
    approvals: s?.approvals ?? [],
    waiting: waiting ? { stage: spec.stages[waiting.stage]?.name ?? String(waiting.stage), instanceId: waiting.instanceId, requestedAt: waiting.at } : null,
  };
}

export interface Preview {
  period: Period;
  measurement: Measurement;
  decision: Decision;
  /** What each stage that would fire now would change (nothing is changed). */
  plans: Array<{ stage: string; plan: StagePlan }>;
  /** Changes that would be restored now (hysteresis), newest first. */
  restores: ActionView[];
}

/** A dry-run evaluation: measure, decide against the entity state, plan; changes nothing. */
export async function previewEvaluation(
  env: Pick<BudgetEnv, 'config' | 'estate' | 'cost'>,
  spec: BudgetSpec,
  period: Period,
  state: BudgetState | null,
  now: string,
): Promise<Preview> {
  const measurement = await budgetMeasure(env, { budget: spec, period, now, refresh: false });
  const st = state ?? ({ fired: [], dryRun: [], actions: [], approvals: [] } as unknown as BudgetState);
  const decision = decide(st, { mode: 'enforce', spec, measurement });
  const plans: Preview['plans'] = [];
  for (const idx of decision.fire) {
    const plan = await budgetPlan(env, {
      budget: spec,
      stage: idx,
      existing: st.actions.filter((a) => a.status !== 'intended').map((a) => a.id),
      stoppedClusters: stoppedClusters(st),
    });
    plans.push({ stage: spec.stages[idx]!.name, plan });
  }
  const status = budgetStatus(spec, period, state);
  const releasing = new Set(decision.release.map((i) => spec.stages[i]!.name));
  return { period, measurement, decision, plans, restores: status.active.filter((a) => releasing.has(a.stage)).reverse() };
}
