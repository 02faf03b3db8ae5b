// The remediation activities' logic, free of the Functions framework: resolve the object a
// runbook acts on, plan the action, run it once (or one more step of it), and check the
// target's health afterwards. The pause switch and protected namespaces are checked again
// here, at the moment of acting (the intake checked them when the alert came in, which may
// have been minutes ago).
import { count } from '../telemetry/metrics.js';
import { withSpan } from '../telemetry/trace.js';
import type { KubeAccess, KubeApis, KubeClusterRef } from '../adapters/kube.js';
import type { CompiledConfig } from '../config/load.js';
import { namespaceProtection, poolProtection } from '../domain/protection.js';
import type { PlanRunbookInput, ResolveTargetInput, RunRunbookInput, RunbookPlan, RunbookResult, Target, VerifyInput } from '../domain/types.js';
import { targetKey } from '../domain/types.js';
import { RUNBOOKS, effectiveParams, type RunbookDefinition, type RunbookName } from './catalogue.js';
import { KubeCallError, label, planFor, type Health, type RunbookContext, type RunbookModule } from './module.js';
import { resolveRestartTarget, restartPodModule } from './restart-pod.js';
import { rolloutRestart } from './rollout-restart.js';
import { notifyOnly } from './notify-only.js';
import { scaleWorkload } from './scale-workload.js';
import { cordonNode, uncordonNode } from './node.js';
import { drainNode } from './drain-node.js';
import { expandPvc } from './expand-pvc.js';
import { rollbackDeployment } from './rollback-deployment.js';
import { deleteFailedJobs, runJob } from './jobs.js';

export interface RunbookEnv {
  config: CompiledConfig;
  kube: KubeAccess;
  /** Fails closed: throws when the switch cannot be read, so nothing acts. */
  isPaused: () => Promise<{ paused: boolean; reason: string | null }>;
}

/** Each catalogue runbook's implementation, one file each; the compiler checks the names against RUNBOOKS. */
export const MODULES: Record<RunbookName, RunbookModule> = {
  'restart-pod': restartPodModule,
  'rollout-restart': rolloutRestart,
  'scale-workload': scaleWorkload,
  'cordon-node': cordonNode,
  'uncordon-node': uncordonNode,
  'drain-node': drainNode,
  'expand-pvc': expandPvc,
  'rollback-deployment': rollbackDeployment,
  'delete-failed-jobs': deleteFailedJobs,
  'run-job': runJob,
  'notify-only': notifyOnly,
};

/** The catalogue entry and the implementation of a runbook name (both undefined for an unknown name). */
function runbookOf(name: string): { def: RunbookDefinition | undefined; mod: RunbookModule | undefined } {
  return Object.hasOwn(MODULES, name) ? { def: RUNBOOKS[name], mod: MODULES[name as RunbookName] } : { def: undefined, mod: undefined };
}

export function clusterRef(config: CompiledConfig, name: string): KubeClusterRef {
  const c = config.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`cluster "${name}" is not in the operations config (clusters[].name). Fix: add it, or check alertLabels`);
  return c;
}

function protectedNamespace(config: CompiledConfig, cluster: string, namespace: string): string | null {
  return namespaceProtection(namespace, config.protectedNamespaces.get(cluster));
}

function contextFor(env: RunbookEnv, cluster: string, apis: KubeApis): RunbookContext {
  const { core, apps, batch, policy, autoscaling, storage } = apis;
  if (!batch || !policy || !autoscaling || !storage)
    throw new Error(`cluster ${cluster}: the Kubernetes client lacks the batch, policy, autoscaling or storage API (build it with src/adapters/kube.ts)`);
  return {
    apis: { core, apps, batch, policy, autoscaling, storage },
    settings: env.config.runbooks,
    isProtectedNamespace: (ns) => protectedNamespace(env.config, cluster, ns) !== null,
    isProtectedPool: (pool) => poolProtection(pool, env.config.protectedNodePools.get(cluster)) !== null,
  };
}

async function withCluster<T>(env: RunbookEnv, target: Target, fn: (ctx: RunbookContext) => Promise<T>): Promise<T> {
  const apis = await env.kube.forCluster(clusterRef(env.config, target.cluster));
  return fn(contextFor(env, target.cluster, apis));
}

/** The object actually acted on: a pod's owning Deployment, or the alert's target itself. */
export async function resolveTarget(env: RunbookEnv, input: ResolveTargetInput): Promise<Target> {
  if (input.target.kind !== 'Pod') return input.target;
  const apis = await env.kube.forCluster(clusterRef(env.config, input.target.cluster));
  return resolveRestartTarget(apis, input.target);
}

/** What the runbook will do, read from the cluster (no writes). Refusals are part of the plan, not errors. */
export async function planRunbook(env: RunbookEnv, input: PlanRunbookInput): Promise<RunbookPlan> {
  const { def, mod } = runbookOf(input.runbook);
  if (!def || !mod)
    return planFor(input.runbook, input.target, `${input.runbook} on ${targetKey(input.target)}`, [], {
      refusal: `runbook ${input.runbook} has no implementation in this version`,
    });
  const params = effectiveParams(def, input.params);
  const prot = protectedNamespace(env.config, input.target.cluster, input.target.namespace);
  if (prot) return planFor(input.runbook, input.target, def.describe(params), [], { refusal: `protected: ${prot}` });
  if (!def.acts)
    return mod.plan(
      { apis: undefined as never, settings: env.config.runbooks },
      { params, target: input.target, at: input.at, instanceId: input.instanceId, ...(input.labels ? { labels: input.labels } : {}) },
    );
  try {
    const plan = await withCluster(env, input.target, (ctx) =>
      mod.plan(ctx, { params, target: input.target, at: input.at, instanceId: input.instanceId, ...(input.labels ? { labels: input.labels } : {}) }),
    );
    const planProt = protectedNamespace(env.config, plan.target.cluster, plan.target.namespace);
    if (planProt && !plan.refusal) plan.refusal = `protected: ${planProt}`;
    return plan;
  } catch (e) {
    if (e instanceof KubeCallError && !e.retryable)
      return planFor(input.runbook, input.target, def.describe(params), [], { refusal: `cannot plan: ${e.message}` });
    throw e;
  }
}

export async function runRunbook(env: RunbookEnv, input: RunRunbookInput): Promise<RunbookResult> {
  const skipped = (detail: string): RunbookResult => ({
    runbook: input.runbook,
    dryRun: input.dryRun,
    action: 'nothing',
    actedOn: input.target,
    outcome: 'skipped',
    detail,
  });
  const { def, mod } = runbookOf(input.runbook);
  if (!def || !mod) return skipped(`runbook ${input.runbook} has no implementation in this version`);
  if (input.source !== 'manual') {
    const pause = await env.isPaused();
    if (pause.paused) return skipped(`paused: ${pause.reason ?? 'automation is paused'}`);
  }
  const prot = protectedNamespace(env.config, input.target.cluster, input.target.namespace);
  if (prot) return skipped(`protected: ${prot}`);
  const params = effectiveParams(def, input.params);
  const result = await withSpan(
    `kubernetes ${input.runbook}`,
    {
      'k8s.cluster.name': input.target.cluster,
      'k8s.namespace.name': input.target.namespace,
      'aksops.target.kind': input.target.kind,
      'aksops.runbook': input.runbook,
      'aksops.dry_run': input.dryRun,
    },
    async (span) => {
      const r = await actOnCluster(env, input, mod, params);
      span.setAttribute('aksops.outcome', r.outcome);
      return r;
    },
  );
  if ((input.iteration ?? 0) === 0) count('actions', { runbook: input.runbook, outcome: result.outcome, dry_run: input.dryRun });
  return result;
}

async function actOnCluster(env: RunbookEnv, input: RunRunbookInput, mod: RunbookModule, params: Record<string, string>): Promise<RunbookResult> {
  try {
    return await withCluster(env, input.target, (ctx) =>
      mod.run(ctx, {
        params,
        target: input.target,
        at: input.restartedAt,
        instanceId: input.instanceId,
        dryRun: input.dryRun,
        fixed: input.fixed ?? {},
        iteration: input.iteration ?? 0,
        ...(input.labels ? { labels: input.labels } : {}),
      }),
    );
  } catch (e) {
    if (e instanceof KubeCallError && !e.retryable) {
      return {
        runbook: input.runbook,
        dryRun: input.dryRun,
        action: `${input.runbook} on ${label(input.target)}`,
        actedOn: input.target,
        outcome: 'failed',
        detail: e.message,
      };
    }
    throw e;
  }
}

/** The target's health after the action (null: the runbook has no health check). Never throws for API refusals. */
export async function checkHealth(env: RunbookEnv, input: Pick<VerifyInput, 'runbook' | 'params' | 'target' | 'fixed' | 'instanceId'>): Promise<Health | null> {
  const { def, mod } = runbookOf(input.runbook);
  if (!def || !mod?.health || !def.acts) return null;
  const params = effectiveParams(def, input.params);
  try {
    return await withCluster(env, input.target, (ctx) =>
      mod.health!(ctx, { params, target: input.target, fixed: input.fixed ?? {}, instanceId: input.instanceId }),
    );
  } catch (e) {
    if (e instanceof KubeCallError && !e.retryable) return { healthy: false, detail: `cannot read the target: ${e.message}` };
    throw e;
  }
}
