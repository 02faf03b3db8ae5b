// Plain data shapes of cost-budget enforcement. They cross the durable history as JSON (orchestration
// input, activity inputs and outputs, entity state), so nothing here imports a framework, and no
// value is ever a secret. The activity contracts of the budget orchestration are at the end.
import type { BudgetActionConfig } from '../config/budget-schema.js';

export type Basis = 'actual' | 'forecast';
export type BudgetMode = 'dry-run' | 'enforce';
export type BudgetAction = BudgetActionConfig;

export interface PeriodSpec {
  type: 'calendar-month' | 'billing-month';
  /** First day of a billing month (1 for calendar months). */
  startDay: number;
}

/** One budget period: [start, end), UTC. `key` is the start date (YYYY-MM-DD) and names the entity. */
export interface Period {
  key: string;
  start: string;
  end: string;
}

export interface StageSpec {
  index: number;
  name: string;
  /** Percentage of the amount. */
  threshold: number;
  basis: Basis;
  /** Percentage points below the threshold at which the stage is restored within the period. */
  hysteresis: number;
  restoreWithinPeriod: boolean;
  /** Seconds to wait for a human's approval; null: no approval needed. */
  approvalTimeoutSeconds: number | null;
  actions: BudgetAction[];
}

export interface BudgetScope {
  subscriptionId: string;
  resourceGroup?: string;
  /** Tag filter: tag name -> accepted values. */
  tags?: Record<string, string[]>;
}

/** A budget from the config, compiled (defaults applied, durations in seconds): orchestration input. */
export interface BudgetSpec {
  name: string;
  scope: BudgetScope;
  amount: number;
  currency: string;
  period: PeriodSpec;
  mode: BudgetMode;
  costType: 'ActualCost' | 'AmortizedCost';
  refreshIntervalSeconds: number;
  topDrivers: { groupBy: string; count: number };
  /** Clusters whose namespaces notifications break the spend down by. */
  allocationClusters: string[];
  /** Notification targets; null = all configured. */
  notify: string[] | null;
  stages: StageSpec[];
}

// ---- cost data

export interface CostDriver {
  name: string;
  cost: number;
}

/** Cost to date and forecast for one budget period, as Cost Management reported them. */
export interface Measurement {
  period: string;
  /** Cost to date in the period; null when unavailable. */
  actual: number | null;
  /** Forecast cost of the whole period (actual to date + forecast to the end); null when unavailable. */
  forecast: number | null;
  currency: string;
  /** When the data was fetched from Cost Management (a cached value keeps its original time). */
  asOf: string;
  /** Biggest cost drivers of the period, largest first. */
  drivers: CostDriver[];
  /** Why actual or forecast is missing (throttled, forecast not available yet, currency mismatch...). */
  notes: string[];
  /** Whether this came from the cache (true) or a fresh query. */
  cached: boolean;
}

// ---- changes and their records

export type ChangeKind = 'pool-autoscaler' | 'pool-count' | 'cluster-power' | 'workload-replicas';

/** Field values a change sets or found: compared field by field, restored exactly. */
export type Values = Record<string, string | number | boolean | null>;

/** One reversible change to one target, planned by a stage. */
export interface Step {
  /** `${stage}:${target}`: a stage changes a target once per period. */
  id: string;
  stage: number;
  kind: ChangeKind;
  /** targetKey(...): what is changed, e.g. pool/ms5-dev/spot/autoscaler. */
  target: string;
  cluster: string;
  pool?: string;
  namespace?: string;
  name?: string;
  /** The values the change sets. */
  after: Values;
  /** For humans: "spot: autoscaler maxCount 10 -> 2". */
  description: string;
}

export type ActionStatus = 'intended' | 'applied' | 'skipped' | 'failed' | 'restored' | 'drifted' | 'restore-failed';

/** What a stage changed, with the previous values, as the budget entity keeps it. */
export interface ActionRecord extends Step {
  /** Apply order within the period: restores go in reverse. */
  seq: number;
  /** The values found right before the change: what restore writes back. */
  before: Values;
  status: ActionStatus;
  intendedAt: string;
  appliedAt?: string;
  restoredAt?: string;
  detail?: string;
}

export function targetKeyOf(s: Pick<Step, 'kind' | 'cluster' | 'pool' | 'namespace' | 'name'>): string {
  switch (s.kind) {
    case 'pool-autoscaler':
      return `pool/${s.cluster}/${s.pool}/autoscaler`;
    case 'pool-count':
      return `pool/${s.cluster}/${s.pool}/count`;
    case 'cluster-power':
      return `cluster/${s.cluster}/power`;
    case 'workload-replicas':
      return `deployment/${s.cluster}/${s.namespace}/${s.name}/replicas`;
  }
}

export function sameValues(a: Values, b: Values): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? null) !== (b[k] ?? null)) return false;
  return true;
}

/** Only the fields of `shape` taken from `v` (current state compared with a step's values). */
export function pick(v: Values, shape: Values): Values {
  const out: Values = {};
  for (const k of Object.keys(shape)) out[k] = v[k] ?? null;
  return out;
}

export function showValues(v: Values): string {
  return Object.entries(v)
    .map(([k, x]) => `${k}=${x === null ? 'null' : String(x)}`)
    .join(' ');
}

// ---- what the estate looks like (read before planning)

export interface PoolSnapshot {
  cluster: string;
  name: string;
  mode: 'System' | 'User';
  enableAutoScaling: boolean;
  minCount: number | null;
  maxCount: number | null;
  count: number;
  provisioningState: string;
  spot?: boolean;
}

export interface ClusterSnapshot {
  name: string;
  power: 'Running' | 'Stopped' | 'Unknown';
  provisioningState: string;
}

export interface WorkloadSnapshot {
  cluster: string;
  namespace: string;
  kind: 'Deployment';
  name: string;
  replicas: number;
}

export interface EstateSnapshot {
  pools: PoolSnapshot[];
  clusters: ClusterSnapshot[];
  workloads: WorkloadSnapshot[];
  /** Targets that could not be read (the stage skips them and says why). */
  errors: Array<{ target: string; error: string }>;
}

/** What the config protects, resolved per cluster at planning time. */
export interface Protection {
  /** cluster -> namespaces never touched (always-protected ones included). */
  namespaces: Record<string, string[]>;
  /** cluster -> node pools never touched. */
  nodePools: Record<string, string[]>;
  /** cluster -> environment (stop only when set and not production). */
  environments: Record<string, string | undefined>;
}

export interface SkippedTarget {
  target: string;
  reason: string;
}

export interface StagePlan {
  stage: number;
  steps: Step[];
  skipped: SkippedTarget[];
}

// ---- activity contracts of the budget orchestration (JSON in the durable history; no secrets)

/** budgetMeasure: cost to date and forecast of the period (cached; throttling honoured). */
export interface BudgetMeasureInput {
  budget: BudgetSpec;
  period: Period;
  /** Orchestration time (the cache and throttle decisions use it, not the clock). */
  now: string;
  /** Bypass the refresh interval (budget webhook): still never within MIN_REQUERY_SECONDS or while throttled. */
  refresh: boolean;
}

/** budgetPlan: read the targets of a stage and plan its steps (protection re-checked from the live config). */
export interface BudgetPlanInput {
  budget: BudgetSpec;
  stage: number;
  /** Ids of actions this period already has (a stage changes a target once per period). */
  existing: string[];
  /** Clusters stopped by earlier stages of this period (nothing else is changed in them). */
  stoppedClusters: string[];
}

/** budgetReadStep: the current values of a step's fields. Output: Values. */
export interface BudgetReadStepInput {
  step: Step;
}

/**
 * budgetApplyStep: compare-and-set. direction 'apply' writes `after` when the target holds `before`;
 * 'restore' writes `before` when it holds `after`. Idempotent: a target already holding the values
 * to write answers 'already'. Long-running ARM operations answer 'pending' (poll with budgetCheckStep).
 */
export interface BudgetApplyStepInput {
  step: Step;
  before: Values;
  direction: 'apply' | 'restore';
  dryRun: boolean;
  instanceId: string;
}

export type StepOutcome =
  | { outcome: 'done' | 'already'; values: Values }
  | { outcome: 'pending'; retryAfterSeconds: number; detail: string; statusUrl?: string }
  | { outcome: 'drifted'; values: Values; detail: string }
  | { outcome: 'throttled'; retryAfterSeconds: number; detail: string }
  | { outcome: 'skipped' | 'failed'; detail: string };

/** budgetCheckStep: has a pending long-running change finished? Same outcomes as budgetApplyStep. */
export interface BudgetCheckStepInput {
  step: Step;
  target: Values;
  /** The ARM operation's status URL, when the change answered one (polled once per check). */
  statusUrl?: string;
}

/** budgetReport: namespaces driving the spend (OpenCost-style allocation) for a notification. */
export interface BudgetReportInput {
  budget: BudgetSpec;
  period: Period;
  now: string;
}

export interface NamespaceCost {
  cluster: string;
  namespace: string;
  cost: number;
}

export interface BudgetReport {
  namespaces: NamespaceCost[];
  /** Cost of node capacity no pod requested, per cluster (shown apart, as OpenCost does). */
  idle: Array<{ cluster: string; cost: number }>;
  notes: string[];
}

/** budgetNotify: one notification (stage fired, restored, approval wanted, dry-run report, failure). */
export interface BudgetNotifyInput {
  /** Stable per event, so a re-run notifies once. */
  id: string;
  at: string;
  kind: 'stage' | 'dry-run' | 'restore' | 'approval' | 'drift' | 'failure';
  budget: string;
  period: string;
  instanceId: string;
  stage?: string;
  mode: BudgetMode;
  summary: string;
  lines: string[];
  targets: string[] | null;
}

// ---------------------------------------------------------------- Durable names and contracts
// Shared by the registrations (functions/budgets.ts), the starter (src/budget/http.ts) and the
// orchestration, so a renamed function cannot leave a caller behind.

export const BUDGET_ORCHESTRATION = 'budgetEnforcement';
/** The entity holding one budget's state per period (orchestrations/budget-entity.ts). */
export const BUDGET_ENTITY = 'budget';
/** Raised by POST /api/budgets/{name}/approval to the instance waiting for a decision. */
export const EVENT_BUDGET_APPROVAL = 'budgetApproval';

export const BUDGET_ACTIVITY = {
  gate: 'budgetGate',
  measure: 'budgetMeasure',
  plan: 'budgetPlan',
  readStep: 'budgetReadStep',
  applyStep: 'budgetApplyStep',
  checkStep: 'budgetCheckStep',
  report: 'budgetReport',
  notify: 'budgetNotify',
  /** Writes a batch of audit records (idempotent: rows keyed by record id). */
  audit: 'budgetAudit',
} as const;
export type BudgetActivityName = (typeof BUDGET_ACTIVITY)[keyof typeof BUDGET_ACTIVITY];

/** Input of the budgetEnforcement orchestration (src/budget/http.ts starts it). */
export interface BudgetEnforcementInput {
  budget: BudgetSpec;
  period: Period;
  trigger: 'timer' | 'webhook' | 'http';
  refresh: boolean;
  forceDryRun: boolean;
  requestedBy?: string;
}

/** The EVENT_BUDGET_APPROVAL payload. */
export interface BudgetApprovalEvent {
  approve: boolean;
  by: string;
  /** Stage name the decision is for (a decision for another stage is ignored). */
  stage?: string;
}
