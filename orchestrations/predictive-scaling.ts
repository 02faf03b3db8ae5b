// The predictive-scaling run (every 5 minutes, one instance per time slot): forecast every
// configured pool in parallel, decide each pool's autoscaler minCount here (a pure function of
// the activity results and orchestration time), apply the enforce-mode changes one pool at a
// time as ARM long-running operations, and record every decision, applied or not.
// Deterministic: time from context.df.currentUtcDateTime, everything else from activities.
// Registered as `predictiveScaling` in functions/scaling.ts.
import { actionGates } from './action-gates.js';
import type { OrchestrationContext } from 'durable-functions';
import type { Gen } from './lib.js';
import type { DecisionRecord } from '../src/adapters/scaling-store.js';
import type { ApplyMinCountInput, ApplyMinCountOutput, ForecastPoolInput, ForecastPoolOutput } from '../src/scaling/activities.js';
import { decideMinCount, type Decision } from '../src/scaling/decide.js';
import type { PoolPlan } from '../src/scaling/plan.js';

import { SCALING_ACTIVITY, SCALING_ORCHESTRATION } from '../src/scaling/activity-names.js';
export { SCALING_ACTIVITY, SCALING_ORCHESTRATION };

export interface PredictiveScalingInput {
  pools: PoolPlan[];
}

export interface PoolRunResult {
  key: string;
  action: Decision['action'];
  fromMinCount: number | null;
  toMinCount: number | null;
  mode: string;
  /** applied | already | skipped-paused | dry-run | refused | failed | not-applied */
  outcome: string;
  reasons: string[];
}

export interface PredictiveScalingOutput {
  at: string;
  pools: PoolRunResult[];
}

export interface ScalingStatus {
  phase: 'forecasting' | 'deciding' | 'applying' | 'done';
  done: number;
  total: number;
}

/** The decision for one pool from its forecast outcome (pure; exported for tests). */
export function decideForPool(plan: PoolPlan, out: ForecastPoolOutput, nowMs: number): Decision {
  if (!out.ok)
    return {
      action: 'hold',
      fromMinCount: out.state?.minCount ?? 0,
      toMinCount: out.state?.minCount ?? 0,
      target: null,
      apply: false,
      reasons: [`no forecast: ${out.error ?? 'unknown error'}`],
    };
  if (!out.state) return { action: 'hold', fromMinCount: 0, toMinCount: 0, target: null, apply: false, reasons: [out.stateNote ?? 'pool state unknown'] };
  return decideMinCount({
    nowMs,
    desiredNodes: out.desiredNodes,
    state: out.state,
    policy: plan.policy,
    mode: out.effectiveMode,
    protectedPool: plan.protected,
  });
}

export function* predictiveScalingOrchestrator(context: OrchestrationContext): Gen<PredictiveScalingOutput> {
  const input = context.df.getInput<PredictiveScalingInput>();
  const pools = input.pools;
  const at = context.df.currentUtcDateTime.toISOString();
  const status = (phase: ScalingStatus['phase'], done: number) => context.df.setCustomStatus({ phase, done, total: pools.length } satisfies ScalingStatus);

  status('forecasting', 0);
  const forecasts = pools.map((plan) => context.df.callActivity(SCALING_ACTIVITY.forecast, { plan, at } satisfies ForecastPoolInput));
  // The forecast activity never throws (a failing pool reports ok: false), so all() completes.
  const outputs = (yield context.df.Task.all(forecasts)) as ForecastPoolOutput[];

  const results: PoolRunResult[] = [];
  for (let i = 0; i < pools.length; i++) {
    const plan = pools[i]!;
    const out = outputs[i]!;
    status('deciding', i);
    const decision = decideForPool(plan, out, context.df.currentUtcDateTime.getTime());
    let outcome = 'not-applied';
    const reasons = [...decision.reasons, ...out.modeReasons.filter((r) => !decision.reasons.includes(r))];
    // Windows, then the error-budget policy for a scale-down (a scale-up restores headroom and
    // never asks it); a held scale-down is not applied and the next run (5 minutes) asks again.
    const scaleDown = decision.toMinCount < decision.fromMinCount;
    const gate = decision.apply
      ? yield* actionGates(
          context,
          `minCount ${decision.fromMinCount} -> ${decision.toMinCount}`,
          { cluster: plan.cluster, nodePool: plan.pool, job: 'scaling' },
          { scaleDown, impact: scaleDown ? 'disruptive' : 'restorative', noWait: true, target: plan.key },
        )
      : null;
    if (gate && gate.decision !== 'proceed') reasons.push(gate.reason);
    if (decision.apply && gate?.decision === 'proceed') {
      status('applying', i);
      const applied = (yield context.df.callActivity(SCALING_ACTIVITY.apply, {
        plan,
        toMinCount: decision.toMinCount,
        fromMinCount: decision.fromMinCount,
        at,
        instanceId: context.df.instanceId,
      } satisfies ApplyMinCountInput)) as ApplyMinCountOutput;
      outcome = applied.outcome;
      reasons.push(applied.detail);
    }
    const record: DecisionRecord = {
      cluster: plan.cluster,
      pool: plan.pool,
      at,
      instanceId: context.df.instanceId,
      action: decision.action,
      fromMinCount: out.state ? decision.fromMinCount : null,
      toMinCount: out.state ? decision.toMinCount : null,
      target: decision.target,
      mode: out.effectiveMode,
      apply: decision.apply,
      outcome,
      reasons,
    };
    yield context.df.callActivity(SCALING_ACTIVITY.record, record);
    results.push({
      key: plan.key,
      action: decision.action,
      fromMinCount: record.fromMinCount,
      toMinCount: record.toMinCount,
      mode: out.effectiveMode,
      outcome,
      reasons,
    });
  }
  status('done', pools.length);
  return { at, pools: results };
}
