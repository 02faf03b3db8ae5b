// The SLO jobs, free of the Functions framework: the timer's evaluation (read every SLO from
// Prometheus, store its state, announce budget thresholds crossed) and the orchestrations' gate
// activity (the error-budget policy's verdict for one action at the orchestration's time).
import type { PrometheusClient } from '../adapters/prometheus.js';
import type { StoredSlo } from '../adapters/slo-store.js';
import type { OpsConfig } from '../config/schema.js';
import type { AuditRecord, NotifyInput, Target } from '../domain/types.js';
import { thresholdCrossings, type SloState } from './budget.js';
import { readSloState } from './evaluate.js';
import { scopeText } from '../windows/gate-activity.js';
import type { WindowJob } from '../config/windows-schema.js';
import { observe } from '../telemetry/metrics.js';
import { errorBudgetGate, holdExpired, type ActionImpact, type GateScope, type GateVerdict } from './policy.js';

export interface SloStorePort {
  put(s: StoredSlo): Promise<void>;
  all(): Promise<Map<string, StoredSlo>>;
}

export interface SloEvaluationDeps {
  config: OpsConfig;
  store: SloStorePort;
  prometheus: (source: NonNullable<OpsConfig['slo']>['prometheus']) => PrometheusClient;
  notify: (n: NotifyInput) => Promise<unknown>;
  nowMs: number;
  log?: (message: string) => void;
}

export interface SloEvaluation {
  states: SloState[];
  failed: { slo: string; error: string }[];
  announced: { slo: string; threshold: number }[];
}

/** Reads, stores and announces every configured SLO; one SLO's failure does not stop the others. */
export async function evaluateSlos(deps: SloEvaluationDeps): Promise<SloEvaluation> {
  const section = deps.config.slo;
  const out: SloEvaluation = { states: [], failed: [], announced: [] };
  if (!section) return out;
  const client = deps.prometheus(section.prometheus);
  const stored = await deps.store.all();
  for (const slo of section.objectives) {
    let state: SloState;
    try {
      state = await readSloState(client, slo, deps.nowMs);
    } catch (e) {
      out.failed.push({ slo: slo.name, error: (e as Error).message });
      deps.log?.(`SLO ${slo.name}: ${(e as Error).message}`);
      continue;
    }
    const crossing = thresholdCrossings(stored.get(slo.name)?.lastNotified ?? null, state.budgetRemaining);
    // State first: a crash between the two re-announces at most once, never loses the state.
    for (const threshold of crossing.announce) {
      await deps.notify(budgetNotice(state, threshold));
      out.announced.push({ slo: slo.name, threshold });
    }
    await deps.store.put({ state, lastNotified: crossing.lastNotified });
    if (state.budgetRemaining !== null) observe('sloBudgetRemaining', state.budgetRemaining, { slo: state.slo, service: state.service });
    out.states.push(state);
  }
  return out;
}

function budgetNotice(state: SloState, threshold: number): NotifyInput {
  const left = Math.round((state.budgetRemaining ?? 0) * 1000) / 10;
  const level = threshold === 0 ? 'spent' : `below ${threshold * 100}%`;
  return {
    id: `slo~${state.slo}~${threshold}~${state.at}`,
    kind: threshold === 0 ? 'escalation' : 'result',
    at: state.at,
    instanceId: `slo-${state.slo}`,
    rule: state.slo,
    runbook: 'slo',
    target: state.service,
    fingerprint: '',
    reason: `error-budget-${threshold === 0 ? 'spent' : `below-${threshold * 100}`}`,
    detail: `SLO ${state.slo} (${state.objective}% over ${state.window}) of ${state.service}: error budget ${level}, ${left}% left; burn 1h ${fmt(state.burnRates['1h'])}x, 6h ${fmt(state.burnRates['6h'])}x`,
    severity: threshold === 0 ? 'critical' : threshold <= 0.25 ? 'warning' : 'info',
  };
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : String(Math.round(v * 10) / 10));

export interface ErrorBudgetGateInput {
  /** The remediation's target (orchestrations/remediation-error-budget.ts). */
  target?: Target;
  /** Every other job's scope (orchestrations/action-gates.ts); wins over `target`. */
  scope?: GateScope;
  impact: ActionImpact;
  nodePool?: string;
  /** The orchestration's time (ISO), so staleness is judged at the moment it acts. */
  at: string;
  /** Set by orchestrations/action-gates.ts: the activity audits its decision, like the window gate. */
  hold?: ErrorBudgetHoldContext;
}

export interface ErrorBudgetHoldContext {
  instanceId: string;
  /** budgets, scaling, rotation (the window gate's job names). */
  job: WindowJob;
  /** What is about to happen, for the audit: "ms5-dev: stop the cluster", "rotate db-password". */
  action: string;
  target?: string;
  /** Seconds this action has been held so far (its recheck timers): 0 at the first look. */
  waitedSeconds: number;
}

export interface SloGateDeps {
  config: OpsConfig;
  store: Pick<SloStorePort, 'all'>;
  /** Where the decisions of `hold` requests go (the audit table). */
  audit?: (records: AuditRecord[]) => Promise<void>;
}

/** The policy's verdict for one action; no policies configured: allow without reading state. */
export async function errorBudgetGateActivity(deps: SloGateDeps, input: ErrorBudgetGateInput): Promise<GateVerdict> {
  const policies = deps.config.slo?.policies ?? [];
  if (policies.length === 0 || input.impact === 'restorative') return { verdict: 'allow' };
  const stored = await deps.store.all();
  const states = new Map([...stored].map(([k, v]) => [k, v.state]));
  const t = input.target;
  const scope: GateScope = input.scope ?? {
    cluster: t?.cluster ?? '',
    ...(t?.namespace ? { namespace: t.namespace } : {}),
    ...(input.nodePool ? { nodePool: input.nodePool } : {}),
  };
  const verdict = errorBudgetGate(policies, states, scope, input.impact, Date.parse(input.at));
  const row = input.hold ? holdDecision(verdict, input.hold) : undefined;
  if (row && deps.audit) {
    const h = input.hold!;
    await deps.audit([
      {
        // One row per instant: a re-run of the activity rewrites the same row.
        id: `slo:${h.instanceId}:${h.action}:${input.at}`,
        at: input.at,
        kind: 'policy',
        actor: 'orchestration',
        instanceId: h.instanceId,
        ...(h.target ? { target: h.target } : {}),
        decision: row.decision,
        result: 'error-budget',
        detail: `${h.job} ${h.action} on ${scopeText({ scope: { ...scope, job: h.job } })}: ${row.detail}`,
      },
    ]);
  }
  return verdict;
}

/** What the audit says of a verdict within a hold: the first wait, an approval, the release, the end. Nothing for a plain allow or a re-check that still waits. */
function holdDecision(v: GateVerdict, hold: ErrorBudgetHoldContext): { decision: string; detail: string } | undefined {
  const waited = Math.round(hold.waitedSeconds / 60);
  if (v.verdict === 'allow')
    return hold.waitedSeconds > 0 ? { decision: 'released', detail: `the error budget allows it again after ${waited} minutes` } : undefined;
  if (v.verdict === 'approval') return { decision: 'approval-required', detail: v.reason };
  if (holdExpired(v, hold.waitedSeconds)) return { decision: 'expired', detail: `${v.reason}; still held after ${waited} minutes, so nothing was done` };
  if (hold.waitedSeconds === 0)
    return {
      decision: 'held',
      detail: `${v.reason}; looking again every ${Math.round(v.recheckSeconds / 60)} minutes for up to ${Math.round(v.maxWaitSeconds / 60)}`,
    };
  return undefined;
}
