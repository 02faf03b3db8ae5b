// The budget orchestration's activities, free of the Functions framework: they take ports (the
// estate, cost data, the pause switch, the live config) so the function app, the CLI and the tests
// run the same code. Each is safe to run twice (Durable runs activities at least once):
//  - reads have no effect;
//  - applyStep is compare-and-set: it writes only when the target still holds the values it is
//    changing from, answers 'already' when it holds the values it is changing to (a re-run after a
//    crash), and 'drifted' when it holds neither (someone else changed it: never overwritten);
//  - long-running ARM operations are started and polled (checkStep), never waited for here.
// Protection is checked again from the live config when acting, and the global pause stops every
// change, restores included.
import type { CompiledConfig } from '../config/load.js';
import { protectionOf } from './compile.js';
import { BusyError, ThrottledError } from '../adapters/arm-errors.js';
import { planStage, poolValues } from './plan.js';
import {
  pick,
  sameValues,
  showValues,
  type BudgetApplyStepInput,
  type BudgetCheckStepInput,
  type BudgetMeasureInput,
  type BudgetPlanInput,
  type BudgetReadStepInput,
  type BudgetReport,
  type BudgetReportInput,
  type ClusterSnapshot,
  type EstateSnapshot,
  type Measurement,
  type PoolSnapshot,
  type StagePlan,
  type Step,
  type StepOutcome,
  type Values,
  type WorkloadSnapshot,
} from './types.js';

/** What an agent pool update may change (AKS agentPools PUT). */
export interface PoolChange {
  enableAutoScaling?: boolean;
  minCount?: number | null;
  maxCount?: number | null;
  count?: number;
}

/** The estate: AKS through ARM (pools, cluster power) and Kubernetes (Deployments). */
export interface EstatePort {
  listPools(cluster: string): Promise<PoolSnapshot[]>;
  getPool(cluster: string, pool: string): Promise<PoolSnapshot>;
  /** Starts the update (a long-running operation) and returns without waiting for it. */
  updatePool(cluster: string, pool: string, change: PoolChange): Promise<StartedOperation | void>;
  getCluster(cluster: string): Promise<ClusterSnapshot>;
  /** Starts managedClusters/stop or /start and returns without waiting for it. */
  setClusterPower(cluster: string, power: 'Running' | 'Stopped'): Promise<StartedOperation | void>;
  /** Polls a started operation's status URL once (estates without one are read instead). */
  pollOperation?(statusUrl: string): Promise<{ status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled'; error?: string }>;
  listDeployments(cluster: string, namespace: string): Promise<WorkloadSnapshot[]>;
  getDeployment(cluster: string, namespace: string, name: string): Promise<WorkloadSnapshot>;
  scaleDeployment(cluster: string, namespace: string, name: string, replicas: number): Promise<void>;
}

/** A long-running ARM operation that was started: its status URL (Azure-AsyncOperation or Location). */
export interface StartedOperation {
  statusUrl: string | null;
}

export interface CostPort {
  measure(input: BudgetMeasureInput): Promise<Measurement>;
}

export interface BudgetEnv {
  config: CompiledConfig;
  estate: EstatePort;
  cost: CostPort;
  /** Fails closed: throws when the switch cannot be read. */
  isPaused(): Promise<{ paused: boolean; reason: string | null }>;
  report?(input: BudgetReportInput): Promise<BudgetReport>;
}

const POLL_SECONDS = 30;

export async function budgetGate(env: Pick<BudgetEnv, 'isPaused'>): Promise<{ paused: boolean; reason: string | null }> {
  return env.isPaused();
}

export async function budgetMeasure(env: Pick<BudgetEnv, 'cost'>, input: BudgetMeasureInput): Promise<Measurement> {
  return env.cost.measure(input);
}

/** Reads what a stage's actions name, then plans the stage against the live config's protection. */
export async function budgetPlan(env: Pick<BudgetEnv, 'config' | 'estate'>, input: BudgetPlanInput): Promise<StagePlan> {
  const stage = input.budget.stages[input.stage];
  if (!stage) throw new Error(`budget ${input.budget.name} has no stage ${input.stage}`);
  const snapshot: EstateSnapshot = { pools: [], clusters: [], workloads: [], errors: [] };
  const message = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0]! : String(e));
  const clusters = new Set<string>();
  const poolClusters = new Set<string>();
  for (const a of stage.actions) {
    if (a.type === 'stopClusters') a.clusters.forEach((c) => clusters.add(c));
    if (a.type === 'scaleDownPools' || a.type === 'scalePoolsToZero') {
      clusters.add(a.cluster);
      poolClusters.add(a.cluster);
    }
    if (a.type === 'scaleNamespacesToZero') {
      if (env.config.clusters.find((c) => c.name === a.cluster)?.azure) clusters.add(a.cluster);
      for (const ns of a.namespaces) {
        try {
          snapshot.workloads.push(...(await env.estate.listDeployments(a.cluster, ns)));
        } catch (e) {
          snapshot.errors.push({ target: `namespace/${a.cluster}/${ns}`, error: message(e) });
        }
      }
    }
  }
  for (const c of clusters) {
    try {
      snapshot.clusters.push(await env.estate.getCluster(c));
    } catch (e) {
      snapshot.errors.push({ target: `cluster/${c}/power`, error: message(e) });
    }
  }
  for (const c of poolClusters) {
    if (snapshot.clusters.find((x) => x.name === c)?.power === 'Stopped') continue;
    try {
      snapshot.pools.push(...(await env.estate.listPools(c)));
    } catch (e) {
      for (const a of stage.actions)
        if ((a.type === 'scaleDownPools' || a.type === 'scalePoolsToZero') && a.cluster === c)
          for (const p of a.pools) snapshot.errors.push({ target: `pool/${c}/${p}`, error: message(e) });
    }
  }
  return planStage({
    spec: input.budget,
    stage: input.stage,
    snapshot,
    protection: protectionOf(env.config.source),
    existing: input.existing,
    stoppedClusters: input.stoppedClusters,
  });
}

interface Observed {
  values: Values;
  /** An operation on the target is still running (ARM provisioningState other than Succeeded/Failed). */
  busy: boolean;
  failed: boolean;
}

async function observe(env: Pick<BudgetEnv, 'estate'>, step: Step): Promise<Observed> {
  switch (step.kind) {
    case 'pool-autoscaler':
    case 'pool-count': {
      const p = await env.estate.getPool(step.cluster, step.pool!);
      return {
        values: poolValues(step.kind, p),
        busy: !/^(Succeeded|Failed|Canceled)$/i.test(p.provisioningState),
        failed: /^Failed$/i.test(p.provisioningState),
      };
    }
    case 'cluster-power': {
      const c = await env.estate.getCluster(step.cluster);
      return { values: { power: c.power }, busy: !/^(Succeeded|Failed|Canceled)$/i.test(c.provisioningState), failed: /^Failed$/i.test(c.provisioningState) };
    }
    case 'workload-replicas': {
      const d = await env.estate.getDeployment(step.cluster, step.namespace!, step.name!);
      return { values: { replicas: d.replicas }, busy: false, failed: false };
    }
  }
}

export async function budgetReadStep(env: Pick<BudgetEnv, 'estate'>, input: BudgetReadStepInput): Promise<Values> {
  return pick((await observe(env, input.step)).values, input.step.after);
}

function protectedNow(env: Pick<BudgetEnv, 'config'>, step: Step): string | null {
  const p = protectionOf(env.config.source);
  if (step.kind === 'workload-replicas' && (p.namespaces[step.cluster] ?? []).includes(step.namespace!)) return `namespace ${step.namespace} is protected`;
  if ((step.kind === 'pool-autoscaler' || step.kind === 'pool-count') && (p.nodePools[step.cluster] ?? []).includes(step.pool!))
    return `node pool ${step.pool} is protected`;
  if (step.kind === 'cluster-power' && step.after['power'] === 'Stopped') {
    const env2 = p.environments[step.cluster];
    if (env2 === undefined || /^prod(uction)?$/i.test(env2)) return `cluster ${step.cluster} is not a non-production cluster`;
  }
  return null;
}

async function write(env: Pick<BudgetEnv, 'estate'>, step: Step, to: Values): Promise<{ done: true } | { done: false; statusUrl: string | null }> {
  switch (step.kind) {
    case 'pool-autoscaler': {
      const change: PoolChange = {
        enableAutoScaling: to['enableAutoScaling'] === true,
        minCount: (to['minCount'] as number | null) ?? null,
        maxCount: (to['maxCount'] as number | null) ?? null,
      };
      const op = await env.estate.updatePool(step.cluster, step.pool!, change);
      return { done: false, statusUrl: op?.statusUrl ?? null };
    }
    case 'pool-count': {
      const op = await env.estate.updatePool(step.cluster, step.pool!, { count: to['count'] as number });
      return { done: false, statusUrl: op?.statusUrl ?? null };
    }
    case 'cluster-power': {
      const op = await env.estate.setClusterPower(step.cluster, to['power'] === 'Stopped' ? 'Stopped' : 'Running');
      return { done: false, statusUrl: op?.statusUrl ?? null };
    }
    case 'workload-replicas':
      await env.estate.scaleDeployment(step.cluster, step.namespace!, step.name!, to['replicas'] as number);
      return { done: true };
  }
}

function errorOutcome(e: unknown): StepOutcome {
  if (e instanceof ThrottledError || (e instanceof Error && e.name === 'ThrottledError'))
    return { outcome: 'throttled', retryAfterSeconds: (e as ThrottledError).retryAfterSeconds, detail: e.message };
  if (e instanceof BusyError || (e instanceof Error && e.name === 'BusyError'))
    return { outcome: 'throttled', retryAfterSeconds: POLL_SECONDS, detail: e.message };
  throw e;
}

/** Compare-and-set change of one step (see the file header). */
export async function budgetApplyStep(env: BudgetEnv, input: BudgetApplyStepInput): Promise<StepOutcome> {
  const { step, direction } = input;
  const from = direction === 'apply' ? input.before : step.after;
  const to = direction === 'apply' ? step.after : input.before;
  const pause = await env.isPaused();
  if (pause.paused) return { outcome: 'skipped', detail: `paused: ${pause.reason ?? 'automation is paused'}` };
  if (direction === 'apply') {
    const prot = protectedNow(env, step);
    if (prot) return { outcome: 'skipped', detail: `protected: ${prot}` };
  }
  try {
    const now = await observe(env, step);
    const current = pick(now.values, to);
    if (sameValues(current, to))
      return now.busy ? { outcome: 'pending', retryAfterSeconds: POLL_SECONDS, detail: `${step.target} is updating` } : { outcome: 'already', values: current };
    if (now.busy) return { outcome: 'throttled', retryAfterSeconds: POLL_SECONDS, detail: `another operation is running on ${step.target}` };
    if (!sameValues(current, pick(from, to))) {
      return { outcome: 'drifted', values: current, detail: `${step.target} holds ${showValues(current)}, expected ${showValues(from)}` };
    }
    if (input.dryRun) return { outcome: 'skipped', detail: `dry-run: would set ${showValues(to)}` };
    const r = await write(env, step, to);
    if (r.done) return { outcome: 'done', values: to };
    const pending: StepOutcome = { outcome: 'pending', retryAfterSeconds: POLL_SECONDS, detail: `${step.target}: ${showValues(to)} requested` };
    if (r.statusUrl) pending.statusUrl = r.statusUrl;
    return pending;
  } catch (e) {
    return errorOutcome(e);
  }
}

/** Has the long-running change finished? done when the target holds the values and ARM says Succeeded. */
export async function budgetCheckStep(env: Pick<BudgetEnv, 'estate'>, input: BudgetCheckStepInput): Promise<StepOutcome> {
  try {
    if (input.statusUrl && env.estate.pollOperation) {
      const op = await env.estate.pollOperation(input.statusUrl);
      if (op.status === 'InProgress')
        return { outcome: 'pending', retryAfterSeconds: POLL_SECONDS, detail: `${input.step.target}: operation in progress`, statusUrl: input.statusUrl };
      if (op.status !== 'Succeeded')
        return { outcome: 'failed', detail: `${input.step.target}: the operation ${op.status.toLowerCase()}: ${op.error ?? ''}`.trim() };
    }
    const now = await observe(env, input.step);
    const current = pick(now.values, input.target);
    if (now.failed) return { outcome: 'failed', detail: `${input.step.target}: the operation failed (provisioningState Failed), holds ${showValues(current)}` };
    if (now.busy) return { outcome: 'pending', retryAfterSeconds: POLL_SECONDS, detail: `${input.step.target} is updating` };
    if (sameValues(current, input.target)) return { outcome: 'done', values: current };
    return { outcome: 'drifted', values: current, detail: `${input.step.target} finished with ${showValues(current)}, expected ${showValues(input.target)}` };
  } catch (e) {
    return errorOutcome(e);
  }
}

export async function budgetReport(env: Pick<BudgetEnv, 'report'>, input: BudgetReportInput): Promise<BudgetReport> {
  if (!env.report) return { namespaces: [], idle: [], notes: ['namespace allocation is not configured'] };
  return env.report(input);
}
