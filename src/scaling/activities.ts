// The work behind the predictive-scaling orchestration's activities, as plain functions over
// injected adapters (functions/scaling.ts wires the real ones; tests pass fakes, Azurite and a
// real Prometheus). Each is safe to run twice with the same input (Durable runs activities at
// least once): forecasts and decisions are upserts keyed by time, and setting minCount to the
// value it already has changes nothing.
import type { AgentPools } from '../adapters/arm-agent-pools.js';
import { observe } from '../telemetry/metrics.js';
import type { AuditStore } from '../adapters/audit-store.js';
import { fetchPoolDemand, type PrometheusClient } from '../adapters/prometheus.js';
import type { DecisionRecord, ScalingStore } from '../adapters/scaling-store.js';
import type { AuditRecord } from '../domain/types.js';
import { r3 } from '../forecast/metrics.js';
import { DAY_MS } from '../forecast/series.js';
import { nodesNeeded, type PoolState, type ScalingMode } from './decide.js';
import { effectiveMode } from './mode.js';
import { SCALING_DEFAULTS, type PoolPlan } from './plan.js';
import { forecastPool } from './pool-forecast.js';

export interface ScalingDeps {
  store: ScalingStore;
  prometheus: (plan: PoolPlan) => PrometheusClient;
  agentPools: AgentPools;
  audit?: Pick<AuditStore, 'write'>;
  /** Global pause switch (OPS_PAUSED or POST /api/pause). */
  isPaused: () => Promise<boolean>;
  /** OPS_FORCE_DRY_RUN: never change anything. */
  forceDryRun: boolean;
}

export interface ForecastPoolInput {
  plan: PoolPlan;
  /** Orchestration time of the run (ISO): the end of the history window. */
  at: string;
}

export interface ForecastPoolOutput {
  key: string;
  ok: boolean;
  error?: string;
  originAt: string | null;
  desiredNodes: number | null;
  effectiveMode: ScalingMode;
  modeReasons: string[];
  /** The pool as ARM reports it, with our last change (null: no azure block or not readable). */
  state: PoolState | null;
  stateNote?: string;
  model: string | null;
  decisionUpper: number | null;
  allocatable: number | null;
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 500);
}

/**
 * Forecast one pool, decide its mode, read its ARM state, and store the forecast (and past
 * actuals). Never throws: a pool that cannot be forecast this round is reported (ok: false) and
 * held, so one broken pool does not stop the others.
 */
export async function forecastPoolActivity(input: ForecastPoolInput, deps: ScalingDeps): Promise<ForecastPoolOutput> {
  try {
    return await forecastPoolInner(input, deps);
  } catch (e) {
    return {
      key: input.plan.key,
      ok: false,
      error: errorText(e),
      originAt: null,
      desiredNodes: null,
      effectiveMode: 'forecast-only',
      modeReasons: ['no forecast this round'],
      state: null,
      model: null,
      decisionUpper: null,
      allocatable: null,
    };
  }
}

async function forecastPoolInner(input: ForecastPoolInput, deps: ScalingDeps): Promise<ForecastPoolOutput> {
  const { plan } = input;
  const endMs = Date.parse(input.at);
  const base: ForecastPoolOutput = {
    key: plan.key,
    ok: false,
    originAt: null,
    desiredNodes: null,
    effectiveMode: 'forecast-only',
    modeReasons: [],
    state: null,
    model: null,
    decisionUpper: null,
    allocatable: null,
  };
  let demand;
  try {
    demand = await fetchPoolDemand(deps.prometheus(plan), {
      pool: plan.pool,
      resource: plan.resource,
      startMs: endMs - plan.historyMs,
      endMs,
      stepMs: plan.stepMs,
      ...(plan.queries.requests ? { requestsQuery: plan.queries.requests } : {}),
      ...(plan.queries.allocatable ? { allocatableQuery: plan.queries.allocatable } : {}),
    });
  } catch (e) {
    return { ...base, error: `Prometheus: ${errorText(e)}`, modeReasons: ['no forecast: Prometheus could not be read'] };
  }
  const values = demand.requests.values;
  let lastObserved = -1;
  let observed = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i]!)) {
      lastObserved = i;
      observed++;
    }
  }
  if (lastObserved < 0)
    return {
      ...base,
      error: `no samples for pool ${plan.pool} in the last ${plan.historyMs / DAY_MS} days (check the requests query and kube-state-metrics' node label allow-list)`,
      modeReasons: ['no forecast: no data'],
    };
  // Forecast from the last sample (a trailing gap is not "now").
  const series = { ...demand.requests, values: values.subarray(0, lastObserved + 1) };
  const allocatable = plan.allocatablePerNode ?? demand.allocatablePerNode;
  const f = forecastPool(series, {
    horizonMs: plan.horizonMs,
    leadMs: plan.leadMs,
    decisionWindowMs: plan.policy.cooldownMs,
    coverage: plan.coverage,
    underCost: plan.underCost,
    ...(allocatable !== null ? { pool: { allocatable, headroom: plan.headroom, policy: plan.policy } } : {}),
  });
  // Forecast error (1 - accuracy): the model's WAPE over the recent history it was evaluated on.
  if (f.quality.wape !== null) observe('forecastError', f.quality.wape, { cluster: plan.cluster, pool: plan.pool, model: f.model ?? 'none' });
  const periods = [f.periodicity?.daily.detected ? 'daily' : '', f.periodicity?.weekly.detected ? 'weekly' : ''].filter(Boolean);
  const verdict = effectiveMode({
    configured: plan.mode,
    historyDays: (observed * plan.stepMs) / DAY_MS,
    periods,
    maseVsSeasonalNaive: f.quality.maseVsSeasonalNaive,
    maseVsPersistence: f.quality.maseVsPersistence,
    coverage: f.quality.coverage,
    coverageTarget: plan.coverage,
    cost: f.cost ?? { extraNodeHoursVsReactive: null, underProvisionedShare: null },
    maxExtraNodeHours: plan.maxExtraNodeHours ?? SCALING_DEFAULTS.maxExtraNodeHours,
    maxUnderProvisioned: plan.maxUnderProvisioned ?? SCALING_DEFAULTS.maxUnderProvisioned,
  });
  const reasons = [...verdict.reasons];
  if (allocatable === null)
    reasons.push('allocatable per node is unknown (set allocatablePerNode or check the allocatable query): no node count can be derived');
  const desired = allocatable !== null && f.decisionUpper !== null ? nodesNeeded(f.decisionUpper, allocatable, plan.headroom) : null;

  let state: PoolState | null = null;
  let stateNote: string | undefined;
  if (!plan.azure) stateNote = `cluster ${plan.cluster} has no azure block: the pool cannot be read or changed`;
  else {
    try {
      const pool = await deps.agentPools.get({
        subscriptionId: plan.azure.subscriptionId,
        resourceGroup: plan.azure.resourceGroup,
        clusterName: plan.azure.clusterName,
        pool: plan.pool,
      });
      const mine = await deps.store.getState(plan.cluster, plan.pool);
      state = {
        minCount: pool.minCount ?? 0,
        maxCount: pool.maxCount ?? 0,
        nodeCount: pool.count,
        enableAutoScaling: pool.enableAutoScaling,
        poolMode: pool.mode,
        lastChangeAtMs: mine.lastChangeAt ? Date.parse(mine.lastChangeAt) : null,
      };
    } catch (e) {
      stateNote = `ARM: ${errorText(e)}`;
    }
  }

  const originAt = new Date(f.originMs).toISOString();
  const H = Math.max(1, Math.round(plan.horizonMs / plan.stepMs));
  const atH = f.path.find((p) => p.k === H);
  await deps.store.writeForecast({
    cluster: plan.cluster,
    pool: plan.pool,
    at: originAt,
    targetAt: new Date(f.originMs + H * plan.stepMs).toISOString(),
    stepMs: plan.stepMs,
    demand: values[lastObserved]!,
    nodes: state?.nodeCount ?? null,
    allocatable,
    headroom: plan.headroom,
    forecast: atH && Number.isFinite(atH.forecast) ? atH.forecast : null,
    upper: atH && Number.isFinite(atH.upper) ? atH.upper : null,
    persistence: f.baselines.persistence,
    seasonalNaive: f.baselines.seasonalNaive,
    decisionUpper: f.decisionUpper,
    neededNodes: desired,
    model: f.model,
    mode: verdict.mode,
    modeReasons: reasons,
    actual: null,
  });
  // The actuals that followed earlier forecasts are in this history: store them with those forecasts.
  await deps.store.backfillActuals(plan.cluster, plan.pool, series, new Date(endMs - 2 * DAY_MS).toISOString());
  return {
    key: plan.key,
    ok: true,
    originAt,
    desiredNodes: desired,
    effectiveMode: allocatable === null ? 'forecast-only' : verdict.mode,
    modeReasons: reasons,
    state,
    ...(stateNote ? { stateNote } : {}),
    model: f.model,
    decisionUpper: f.decisionUpper === null ? null : r3(f.decisionUpper),
    allocatable,
  };
}

export interface ApplyMinCountInput {
  plan: PoolPlan;
  toMinCount: number;
  fromMinCount: number;
  /** Orchestration time of the decision (ISO): recorded as the change time (cooldown). */
  at: string;
  instanceId: string;
}

export interface ApplyMinCountOutput {
  outcome: 'applied' | 'already' | 'skipped-paused' | 'dry-run' | 'refused' | 'failed';
  detail: string;
  minCount: number | null;
}

/** Sets the pool's minCount (an ARM long-running operation) unless paused; records the change time. */
export async function applyMinCountActivity(input: ApplyMinCountInput, deps: ScalingDeps): Promise<ApplyMinCountOutput> {
  const { plan } = input;
  if (plan.protected || !plan.azure) return { outcome: 'refused', detail: plan.protected ? 'protected pool' : 'no azure block', minCount: null };
  if (await deps.isPaused()) return { outcome: 'skipped-paused', detail: 'automation is paused: decision recorded, nothing changed', minCount: null };
  if (deps.forceDryRun) return { outcome: 'dry-run', detail: 'OPS_FORCE_DRY_RUN: nothing changed', minCount: null };
  const ref = { subscriptionId: plan.azure.subscriptionId, resourceGroup: plan.azure.resourceGroup, clusterName: plan.azure.clusterName, pool: plan.pool };
  const target = `${plan.cluster}/nodepool/${plan.pool}`;
  let result: ApplyMinCountOutput;
  try {
    const r = await deps.agentPools.setMinCount(ref, input.toMinCount);
    result = r.changed
      ? { outcome: 'applied', detail: `minCount ${r.before.minCount} -> ${r.after.minCount} (pool now ${r.after.count} node(s))`, minCount: r.after.minCount }
      : { outcome: 'already', detail: `minCount already ${r.before.minCount}`, minCount: r.before.minCount };
    // Also after 'already': a re-run after a crash must still start the cooldown.
    await deps.store.setState(plan.cluster, plan.pool, { lastChangeAt: input.at, minCount: input.toMinCount });
  } catch (e) {
    result = { outcome: 'failed', detail: errorText(e), minCount: null };
  }
  const record: AuditRecord = {
    id: `scaling:${input.instanceId}:${plan.key}:apply`,
    at: input.at,
    kind: 'action',
    actor: 'orchestration',
    instanceId: input.instanceId,
    runbook: 'predictive-scaling',
    target,
    decision: `minCount ${input.fromMinCount} -> ${input.toMinCount}`,
    dryRun: false,
    result: result.outcome,
    detail: result.detail,
  };
  await deps.audit?.write([record]);
  return result;
}

/** Stores a decision (also the holds and forecast-only "would" decisions). */
export async function recordDecisionActivity(input: DecisionRecord, deps: ScalingDeps): Promise<void> {
  await deps.store.writeDecision(input);
}
