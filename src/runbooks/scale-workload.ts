// Runbook scale-workload: set a Deployment's or StatefulSet's replicas to a bounded value.
// - `replicas` sets the count, `by` adds to the current one; the result is clamped to
//   runbooks.scale-workload.maxReplicas and never 0 unless allowZero (a refusal, not a clamp,
//   when the request itself asks for 0).
// - When a HorizontalPodAutoscaler (autoscaling/v2) targets the workload, setting replicas would
//   be undone by the HPA at its next sync; the runbook raises the HPA's bounds instead
//   (minReplicas to the new count, maxReplicas at least that) and says so. Lowering an HPA's
//   bounds is refused: scale-downs under an HPA are for humans.
// - A scale-down (fewer replicas than now) needs approval (plan.requiresApproval).
// The new count is fixed at plan time, so every retry patches the same value (merge patch of
// spec.replicas, or of the HPA's spec.minReplicas/maxReplicas): idempotent.
import type { V1Deployment, V1StatefulSet, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { RunbookPlan, RunbookResult, Target } from '../domain/types.js';
import {
  FIELD_MANAGER,
  dryRunQuery,
  kube,
  label,
  mergePatch,
  planFor,
  readOrMissing,
  resultFor,
  type Health,
  type PlanArgs,
  type RunArgs,
  type RunbookApis,
  type RunbookContext,
  type RunbookModule,
} from './module.js';
import { rolloutResult, workloadHealth } from './rollout-restart.js';

const RUNBOOK = 'scale-workload';

interface Resolved {
  workload: Target;
  object: V1Deployment | V1StatefulSet;
  hpa: V2HorizontalPodAutoscaler | undefined;
}

async function findHpa(apis: RunbookApis, workload: Target): Promise<V2HorizontalPodAutoscaler | undefined> {
  const list = await kube(workload, `list horizontalpodautoscalers in ${workload.namespace}`, () =>
    apis.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: workload.namespace }),
  );
  return list.items.find((h) => h.spec?.scaleTargetRef?.kind === workload.kind && h.spec.scaleTargetRef.name === workload.name);
}

async function resolve(apis: RunbookApis, target: Target, params: Record<string, string>): Promise<Resolved | string> {
  let hpa: V2HorizontalPodAutoscaler | undefined;
  let workload: Target;
  if (target.kind === 'HorizontalPodAutoscaler') {
    hpa = await readOrMissing(target, `get ${label(target)}`, () =>
      apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: target.name, namespace: target.namespace }),
    );
    if (!hpa) return `${label(target)} does not exist`;
    const ref = hpa.spec?.scaleTargetRef;
    if (!ref || (ref.kind !== 'Deployment' && ref.kind !== 'StatefulSet'))
      return `${label(target)} targets a ${ref?.kind ?? 'nothing'}; scale-workload scales Deployments and StatefulSets`;
    workload = { ...target, kind: ref.kind, name: ref.name };
  } else {
    workload = { ...target, kind: (params['kind'] ?? target.kind) as Target['kind'] };
  }
  const q = { name: workload.name, namespace: workload.namespace };
  const object =
    workload.kind === 'StatefulSet'
      ? await readOrMissing(workload, `get ${label(workload)}`, () => apis.apps.readNamespacedStatefulSet(q))
      : await readOrMissing(workload, `get ${label(workload)}`, () => apis.apps.readNamespacedDeployment(q));
  if (!object) return `${label(workload)} does not exist`;
  hpa ??= await findHpa(apis, workload);
  return { workload, object, hpa };
}

export const scaleWorkload: RunbookModule = {
  async plan(ctx: RunbookContext, args: PlanArgs): Promise<RunbookPlan> {
    const { params, target } = args;
    const limits = ctx.settings.scale;
    const r = await resolve(ctx.apis, target, params);
    if (typeof r === 'string') return planFor(RUNBOOK, target, `scale ${label(target)}`, [], { refusal: r });
    const current = r.object.spec?.replicas ?? 1;
    const asked = params['replicas'] !== undefined ? Number(params['replicas']) : current + Number(params['by'] ?? 0);
    const summaryOf = (n: number) => `scale ${label(r.workload)} from ${current} to ${n} replicas`;
    if (asked <= 0 && !limits.allowZero) {
      return planFor(RUNBOOK, r.workload, summaryOf(Math.max(0, asked)), [], {
        refusal: `scaling ${label(r.workload)} to zero is not allowed (runbooks.scale-workload.allowZero is false)`,
      });
    }
    const wanted = Math.max(limits.allowZero ? 0 : 1, Math.min(asked, limits.maxReplicas));
    const clamped = wanted !== asked ? ` (asked for ${asked}; bounded by maxReplicas ${limits.maxReplicas}${limits.allowZero ? '' : ' and at least 1'})` : '';
    const down = wanted < current;
    if (r.hpa) {
      const hpaTarget: Target = { ...target, kind: 'HorizontalPodAutoscaler', name: r.hpa.metadata?.name ?? '' };
      const min = r.hpa.spec?.minReplicas ?? 1;
      const max = r.hpa.spec?.maxReplicas ?? 1;
      if (down || wanted < min) {
        return planFor(RUNBOOK, hpaTarget, `scale ${label(r.workload)} to ${wanted} replicas`, [], {
          refusal: `${label(hpaTarget)} owns the replica count of ${label(r.workload)} (min ${min}, max ${max}); scale-workload only raises an HPA's bounds. Fix: lower the HPA's minReplicas/maxReplicas by hand`,
        });
      }
      // An absolute count raises the floor (minReplicas) so that many run now; a relative step
      // (KubeHpaMaxedOut: by: 2) raises only the ceiling and leaves the HPA to scale into it.
      const absolute = params['replicas'] !== undefined;
      const newMax = Math.max(max, wanted);
      const newMin = absolute ? Math.max(min, wanted) : min;
      if (newMin === min && newMax === max) {
        return planFor(RUNBOOK, hpaTarget, `${label(hpaTarget)} already allows ${wanted} replicas (min ${min}, max ${max})`, ['nothing to change'], {
          fixed: { hpaMin: min, hpaMax: max, replicas: wanted, viaHpa: true },
        });
      }
      return planFor(
        RUNBOOK,
        hpaTarget,
        `raise ${label(hpaTarget)} bounds to min ${newMin}, max ${newMax} (it owns ${label(r.workload)}, currently ${current} replicas)${clamped}`,
        [
          `an HPA targets ${label(r.workload)}: setting its replicas directly would be undone, so its bounds are raised instead`,
          `merge-patch ${label(hpaTarget)}: spec.minReplicas ${min} -> ${newMin}, spec.maxReplicas ${max} -> ${newMax}`,
          `wait for ${label(r.workload)} to have ${newMin} available replicas`,
        ],
        { fixed: { hpaMin: newMin, hpaMax: newMax, replicas: newMin, viaHpa: true, workloadKind: r.workload.kind, workloadName: r.workload.name } },
      );
    }
    if (wanted === current) {
      return planFor(RUNBOOK, r.workload, `${label(r.workload)} already has ${current} replicas${clamped}`, ['nothing to change'], {
        fixed: { replicas: wanted },
      });
    }
    return planFor(
      RUNBOOK,
      r.workload,
      `${summaryOf(wanted)}${clamped}`,
      [`merge-patch ${label(r.workload)}: spec.replicas ${current} -> ${wanted}`, `wait for ${label(r.workload)} to have ${wanted} available replicas`],
      { fixed: { replicas: wanted }, requiresApproval: down ? `scaling ${label(r.workload)} down from ${current} to ${wanted} replicas` : undefined },
    );
  },

  async run(ctx: RunbookContext, args: RunArgs): Promise<RunbookResult> {
    const { target, dryRun, fixed } = args;
    const result = resultFor(RUNBOOK, dryRun, target);
    const replicas = Number(fixed['replicas']);
    if (!Number.isInteger(replicas))
      return result({ action: `scale ${label(target)}`, outcome: 'failed', detail: 'the plan fixed no replica count (planRunbook must run first)' });
    const retry = ctx.settings.progressIntervalSeconds;
    const opts = await mergePatch();
    if (fixed['viaHpa'] === true) {
      const min = Number(fixed['hpaMin']);
      const max = Number(fixed['hpaMax']);
      const action = `set ${label(target)} minReplicas=${min} maxReplicas=${max}`;
      const hpa = await readOrMissing(target, `get ${label(target)}`, () =>
        ctx.apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: target.name, namespace: target.namespace }),
      );
      if (!hpa) return result({ action, outcome: 'skipped', detail: `${label(target)} no longer exists` });
      const workload: Target = {
        ...target,
        kind: (fixed['workloadKind'] ?? hpa.spec?.scaleTargetRef.kind) as Target['kind'],
        name: String(fixed['workloadName'] ?? hpa.spec?.scaleTargetRef.name),
      };
      const already = hpa.spec?.minReplicas === min && hpa.spec?.maxReplicas === max;
      if (!already && args.iteration === 0) {
        await kube(target, `patch ${label(target)}`, () =>
          ctx.apis.autoscaling.patchNamespacedHorizontalPodAutoscaler(
            {
              name: target.name,
              namespace: target.namespace,
              body: { spec: { minReplicas: min, maxReplicas: max } },
              fieldManager: FIELD_MANAGER,
              ...dryRunQuery(dryRun),
            },
            opts,
          ),
        );
      }
      if (dryRun) return result({ action: `would ${action}`, outcome: 'done' });
      return waitForReplicas(
        ctx,
        workload,
        replicas,
        { runbook: RUNBOOK, dryRun, actedOn: target, action, outcome: already && args.iteration === 0 ? 'already-done' : 'done' },
        retry,
      );
    }
    const action = `scale ${label(target)} to ${replicas} replicas`;
    const q = { name: target.name, namespace: target.namespace };
    const obj =
      target.kind === 'StatefulSet'
        ? await readOrMissing(target, `get ${label(target)}`, () => ctx.apis.apps.readNamespacedStatefulSet(q))
        : await readOrMissing(target, `get ${label(target)}`, () => ctx.apis.apps.readNamespacedDeployment(q));
    if (!obj) return result({ action, outcome: 'skipped', detail: `${label(target)} no longer exists` });
    const already = obj.spec?.replicas === replicas;
    if (!already && args.iteration === 0) {
      const body = { spec: { replicas } };
      const p = { ...q, body, fieldManager: FIELD_MANAGER, ...dryRunQuery(dryRun) };
      if (target.kind === 'StatefulSet') await kube(target, `patch ${label(target)}`, () => ctx.apis.apps.patchNamespacedStatefulSet(p, opts));
      else await kube(target, `patch ${label(target)}`, () => ctx.apis.apps.patchNamespacedDeployment(p, opts));
    }
    if (dryRun) return result({ action: `would ${action}`, outcome: 'done' });
    return waitForReplicas(
      ctx,
      target,
      replicas,
      { runbook: RUNBOOK, dryRun, actedOn: target, action, outcome: already && args.iteration === 0 ? 'already-done' : 'done' },
      retry,
    );
  },

  async health(ctx, args): Promise<Health> {
    const replicas = Number(args.fixed['replicas']);
    const workload: Target =
      args.fixed['viaHpa'] === true
        ? { ...args.target, kind: String(args.fixed['workloadKind'] ?? 'Deployment') as Target['kind'], name: String(args.fixed['workloadName'] ?? '') }
        : args.target;
    const h = await workloadHealth(ctx.apis, workload);
    const obj =
      workload.kind === 'StatefulSet'
        ? await readOrMissing(workload, `get ${label(workload)}`, () =>
            ctx.apis.apps.readNamespacedStatefulSet({ name: workload.name, namespace: workload.namespace }),
          )
        : await readOrMissing(workload, `get ${label(workload)}`, () =>
            ctx.apis.apps.readNamespacedDeployment({ name: workload.name, namespace: workload.namespace }),
          );
    const available = obj?.status?.availableReplicas ?? 0;
    const enough = available >= replicas;
    return { healthy: h.healthy && enough, detail: `${h.detail}; ${available} of ${replicas} replicas available` };
  },
};

/** Pending until the workload's rollout is complete with at least `replicas` available. */
async function waitForReplicas(
  ctx: RunbookContext,
  workload: Target,
  replicas: number,
  base: Omit<RunbookResult, 'pending' | 'progress'>,
  retry: number,
): Promise<RunbookResult> {
  const q = { name: workload.name, namespace: workload.namespace };
  const obj =
    workload.kind === 'StatefulSet'
      ? await readOrMissing(workload, `get ${label(workload)}`, () => ctx.apis.apps.readNamespacedStatefulSet(q))
      : await readOrMissing(workload, `get ${label(workload)}`, () => ctx.apis.apps.readNamespacedDeployment(q));
  if (!obj) return { ...base, outcome: 'failed', detail: `${label(workload)} disappeared while scaling` };
  const r = rolloutResult(workload.kind as 'Deployment' | 'StatefulSet', obj, base, retry);
  if (r.pending || r.outcome === 'failed') return r;
  const available = obj.status?.availableReplicas ?? 0;
  if (available < replicas)
    return {
      ...base,
      pending: { reason: `${available} of ${replicas} replicas available`, retryAfterSeconds: retry },
      progress: { done: available, total: replicas },
    };
  return { ...base, detail: `${available} replicas available`, progress: { done: available, total: replicas } };
}
