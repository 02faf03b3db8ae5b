// Runbook rollback-deployment: what `kubectl rollout undo deployment/X` does
// (kubectl/pkg/polymorphichelpers/rollback.go, DeploymentRollbacker):
// - refuse a paused Deployment ("you cannot rollback a paused deployment; resume it first");
// - among the ReplicaSets the Deployment controls, take the one with the highest revision below
//   the current one (deployment.kubernetes.io/revision): the previous revision; none -> refuse
//   ("no rollout history found");
// - if its pod template already equals the Deployment's (ignoring pod-template-hash), skip;
// - otherwise a JSON patch replacing /spec/template with that template (pod-template-hash label
//   removed) and /metadata/annotations with the Deployment's annotations plus the ReplicaSet's
//   (without the deployment.kubernetes.io/* bookkeeping ones), as kubectl builds it.
// Only when the current revision started rolling out within runbooks.rollback-deployment.window
// (the current ReplicaSet's creationTimestamp against the orchestration time): an old revision
// is not "the bad deploy" any more, and rolling it back is a human's call.
// The previous ReplicaSet is fixed at plan time (name, uid, revision): a retry applies the same
// template and finds it already applied. Then the rollout is followed like rollout-restart.
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import type { RunbookResult, Target } from '../domain/types.js';
import {
  FIELD_MANAGER,
  controllerOf,
  dryRunQuery,
  jsonPatch,
  kube,
  label,
  planFor,
  readOrMissing,
  resultFor,
  type Health,
  type RunbookContext,
  type RunbookModule,
} from './module.js';
import { rolloutResult, workloadHealth } from './rollout-restart.js';

const RUNBOOK = 'rollback-deployment';
const REVISION = 'deployment.kubernetes.io/revision';
/** Annotations kubectl never copies from a ReplicaSet back to the Deployment (rollback.go annotationsToSkip). */
const SKIP_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

const revisionOf = (rs: V1ReplicaSet): number => Number(rs.metadata?.annotations?.[REVISION] ?? 0) || 0;

function withoutHash(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const c = structuredClone<V1PodTemplateSpec>(t ?? {});
  if (c.metadata?.labels) {
    delete c.metadata.labels['pod-template-hash'];
  }
  return c;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** EqualIgnoreHash: the templates agree once pod-template-hash is dropped. */
export function sameTemplate(a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined): boolean {
  return canonical(toJson(withoutHash(a))) === canonical(toJson(withoutHash(b)));
}

/** client-node objects carry Date instances and undefined fields; compare their JSON. */
function toJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null));
}

async function history(ctx: RunbookContext, target: Target, dep: V1Deployment): Promise<V1ReplicaSet[]> {
  const list = await kube(target, `list replicasets in ${target.namespace}`, () => ctx.apis.apps.listNamespacedReplicaSet({ namespace: target.namespace }));
  return list.items.filter((rs) => controllerOf(rs.metadata)?.uid === dep.metadata?.uid);
}

/** kubectl's own refusal ("you cannot rollback a paused deployment; resume it first"), with the command. */
const pausedRefusal = (target: Target): string =>
  `you cannot roll back a paused deployment; resume it first (kubectl rollout resume deployment/${target.name} -n ${target.namespace})`;

export const rollbackDeployment: RunbookModule = {
  async plan(ctx, { target, at }) {
    const summary = `roll back ${label(target)}`;
    const dep = await readOrMissing(target, `get ${label(target)}`, () =>
      ctx.apis.apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace }),
    );
    if (!dep) return planFor(RUNBOOK, target, summary, [], { refusal: `${label(target)} does not exist` });
    if (dep.spec?.paused) return planFor(RUNBOOK, target, summary, [], { refusal: pausedRefusal(target) });
    const rss = await history(ctx, target, dep);
    const currentRevision = Number(dep.metadata?.annotations?.[REVISION] ?? 0) || Math.max(0, ...rss.map(revisionOf));
    const current = rss.find((rs) => revisionOf(rs) === currentRevision);
    const previous = rss.filter((rs) => revisionOf(rs) < currentRevision).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
    if (!previous)
      return planFor(RUNBOOK, target, summary, [], {
        refusal: `no rollout history found for ${label(target)}: no ReplicaSet with a revision before ${currentRevision}`,
      });
    const started = current?.metadata?.creationTimestamp ? new Date(current.metadata.creationTimestamp).getTime() : NaN;
    const windowS = ctx.settings.rollbackWindowSeconds;
    const age = (Date.parse(at) - started) / 1000;
    if (!Number.isFinite(age))
      return planFor(RUNBOOK, target, summary, [], { refusal: `cannot tell when revision ${currentRevision} rolled out (no ReplicaSet for it)` });
    if (age > windowS) {
      return planFor(RUNBOOK, target, summary, [], {
        refusal: `revision ${currentRevision} started rolling out ${Math.round(age / 60)} minutes ago, outside the ${Math.round(windowS / 60)}-minute window (runbooks.rollback-deployment.window): a human decides on older rollouts`,
      });
    }
    if (sameTemplate(previous.spec?.template, dep.spec?.template)) {
      return planFor(RUNBOOK, target, `${summary}: skipped (current template already matches revision ${revisionOf(previous)})`, ['nothing to change'], {
        fixed: { replicaSet: previous.metadata!.name!, uid: previous.metadata!.uid!, revision: revisionOf(previous) },
      });
    }
    const images = (t: V1PodTemplateSpec | undefined) => (t?.spec?.containers ?? []).map((c) => c.image).join(', ');
    return planFor(
      RUNBOOK,
      target,
      `${summary} from revision ${currentRevision} (${images(dep.spec?.template)}) to revision ${revisionOf(previous)} (${images(previous.spec?.template)})`,
      [
        `revision ${currentRevision} (replicaset ${current?.metadata?.name}) started ${Math.round(age / 60)} minutes ago, inside the ${Math.round(windowS / 60)}-minute window`,
        `json-patch ${label(target)}: replace /spec/template with the template of replicaset ${previous.metadata?.name} (revision ${revisionOf(previous)}), as kubectl rollout undo`,
        'wait until the rollout finishes (observedGeneration, updated and available replicas)',
      ],
      { fixed: { replicaSet: previous.metadata!.name!, uid: previous.metadata!.uid!, revision: revisionOf(previous) } },
    );
  },

  async run(ctx, args): Promise<RunbookResult> {
    const { target, dryRun, fixed } = args;
    const result = resultFor(RUNBOOK, dryRun, target);
    const rsName = String(fixed['replicaSet'] ?? '');
    const action = `roll back ${label(target)} to revision ${fixed['revision']} (replicaset ${rsName})`;
    if (!rsName)
      return result({ action: `roll back ${label(target)}`, outcome: 'failed', detail: 'the plan fixed no previous ReplicaSet (planRunbook must run first)' });
    const dep = await readOrMissing(target, `get ${label(target)}`, () =>
      ctx.apis.apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace }),
    );
    if (!dep) return result({ action, outcome: 'skipped', detail: `${label(target)} no longer exists` });
    const retry = ctx.settings.progressIntervalSeconds;
    if (args.iteration > 0) return rolloutResult('Deployment', dep, { runbook: RUNBOOK, dryRun, actedOn: target, action, outcome: 'done' }, retry);
    if (dep.spec?.paused) return result({ action, outcome: 'skipped', detail: pausedRefusal(target) });
    const rs = await readOrMissing(target, `get replicaset ${target.namespace}/${rsName}`, () =>
      ctx.apis.apps.readNamespacedReplicaSet({ name: rsName, namespace: target.namespace }),
    );
    if (!rs || rs.metadata?.uid !== fixed['uid'])
      return result({ action, outcome: 'skipped', detail: `replicaset ${rsName} of the planned revision no longer exists` });
    if (sameTemplate(rs.spec?.template, dep.spec?.template)) {
      const base = {
        runbook: RUNBOOK,
        dryRun,
        actedOn: target,
        action,
        outcome: 'already-done' as const,
        detail: `the deployment already runs the template of revision ${fixed['revision']}`,
      };
      return dryRun ? base : rolloutResult('Deployment', dep, base, retry);
    }
    const annotations: Record<string, string> = {};
    for (const k of SKIP_ANNOTATIONS) {
      const v = dep.metadata?.annotations?.[k];
      if (v !== undefined) annotations[k] = v;
    }
    for (const [k, v] of Object.entries(rs.metadata?.annotations ?? {})) if (!SKIP_ANNOTATIONS.has(k)) annotations[k] = v;
    const template = toJson(withoutHash(rs.spec?.template)) as object;
    const body = [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ];
    const opts = await jsonPatch();
    await kube(target, `patch ${label(target)}`, () =>
      ctx.apis.apps.patchNamespacedDeployment(
        { name: target.name, namespace: target.namespace, body, fieldManager: FIELD_MANAGER, ...dryRunQuery(dryRun) },
        opts,
      ),
    );
    if (dryRun) return result({ action: `would ${action}`, outcome: 'done' });
    return result({
      action: action.replace('roll back', 'rolled back'),
      outcome: 'done',
      pending: { reason: 'Waiting for deployment spec update to be observed...', retryAfterSeconds: retry },
    });
  },

  async health(ctx, { target }): Promise<Health> {
    return workloadHealth(ctx.apis, target);
  },
};
