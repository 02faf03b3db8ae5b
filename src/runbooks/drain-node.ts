// Runbook drain-node: what `kubectl drain --ignore-daemonsets` does (kubectl/pkg/drain:
// cordon.go, filters.go, drain.go), one pass per call:
// - cordon the node (spec.unschedulable=true);
// - list its pods (fieldSelector spec.nodeName=<node>, all namespaces) and sort them:
//   DaemonSet pods and mirror pods (annotation kubernetes.io/config.mirror) are skipped, as
//   kubectl skips them; pods with emptyDir volumes and pods no controller recreates are left
//   unless runbooks.drain-node.deleteEmptyDirData / force say otherwise (kubectl refuses them
//   without --delete-emptydir-data / --force); pods in protected namespaces are left for humans;
// - evict every other pod through the Eviction API (POST pods/{name}/eviction, policy/v1) with a
//   uid precondition. A 429 means a PodDisruptionBudget does not allow it now: the pod is
//   retried on the next pass, never deleted by force. Evicted pods terminate gracefully; the
//   drain is done when none of the evictable pods is left on the node.
// Between passes the orchestration waits on a durable timer; at its progress timeout it
// reports what is left (result.pending.reason).
//
// Pool budget: never more nodes of a pool unavailable (unschedulable or NotReady) at once than
// runbooks.drain-node.pools.<pool>.maxUnavailable (default defaultMaxUnavailable), nor fewer
// Ready schedulable nodes than minHealthy. Checked in the plan and again right after cordoning
// (two drains racing for the same pool both see the other's cordon and back off: the node this
// run cordoned is uncordoned again, and the run reports the budget).
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { RunbookResult, Target } from '../domain/types.js';
import { isKubeStatus, kubeFailureOf } from '../adapters/kube-errors.js';
import {
  KubeCallError,
  controllerOf,
  dryRunQuery,
  kube,
  label,
  planFor,
  resultFor,
  type Health,
  type RunArgs,
  type RunbookApis,
  type RunbookContext,
  type RunbookModule,
} from './module.js';
import { AGENTPOOL_LABELS } from '../domain/protection.js';
import { isReady, poolOf, protectedPoolReason, readNode, setUnschedulable } from './node.js';

const RUNBOOK = 'drain-node';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

type PodClass = 'evict' | 'daemonset' | 'mirror' | 'emptydir' | 'unreplicated' | 'protected' | 'finished';

function classify(ctx: RunbookContext, pod: V1Pod): PodClass {
  const ns = pod.metadata?.namespace ?? '';
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return 'mirror';
  const owner = controllerOf(pod.metadata);
  if (owner?.kind === 'DaemonSet') return 'daemonset';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'finished';
  if (ctx.isProtectedNamespace?.(ns)) return 'protected';
  const s = ctx.settings.drain;
  if (!owner && !s.force) return 'unreplicated';
  if ((pod.spec?.volumes ?? []).some((v) => v.emptyDir !== undefined) && !s.deleteEmptyDirData) return 'emptydir';
  return 'evict';
}

const podName = (p: V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;

async function podsOn(apis: RunbookApis, target: Target): Promise<V1Pod[]> {
  const pods: V1Pod[] = [];
  let cont: string | undefined;
  do {
    const page = await kube(target, `list pods on ${label(target)}`, () =>
      apis.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${target.name}`, limit: 500, ...(cont ? { _continue: cont } : {}) }),
    );
    pods.push(...page.items);
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return pods;
}

interface Budget {
  ok: boolean;
  detail: string;
}

/** The pool budget with this node counted as unavailable. */
async function poolBudget(ctx: RunbookContext, target: Target, node: V1Node): Promise<Budget> {
  const pool = poolOf(node);
  if (!pool) return { ok: true, detail: 'the node belongs to no known pool: no pool budget applies' };
  const configured = ctx.settings.drain.pools[pool];
  const maxUnavailable = configured?.maxUnavailable ?? (configured?.minHealthy === undefined ? ctx.settings.drain.defaultMaxUnavailable : undefined);
  const minHealthy = configured?.minHealthy;
  const labelKey = node.metadata?.labels?.[AGENTPOOL_LABELS[0]]
    ? AGENTPOOL_LABELS[0]
    : node.metadata?.labels?.[AGENTPOOL_LABELS[1]]
      ? AGENTPOOL_LABELS[1]
      : undefined;
  const nodes = labelKey
    ? (await kube(target, `list nodes of pool ${pool}`, () => ctx.apis.core.listNode({ labelSelector: `${labelKey}=${pool}` }))).items
    : [node];
  const others = nodes.filter((n) => n.metadata?.name !== target.name);
  const unavailableOthers = others.filter((n) => n.spec?.unschedulable === true || !isReady(n));
  const unavailable = unavailableOthers.length + 1;
  const healthyLeft = others.length - unavailableOthers.length;
  const problems: string[] = [];
  if (maxUnavailable !== undefined && unavailable > maxUnavailable) {
    problems.push(
      `pool ${pool} would have ${unavailable} nodes unavailable (budget maxUnavailable ${maxUnavailable}; already unavailable: ${unavailableOthers.map((n) => n.metadata?.name).join(', ')})`,
    );
  }
  if (minHealthy !== undefined && healthyLeft < minHealthy)
    problems.push(`pool ${pool} would keep ${healthyLeft} Ready schedulable nodes (budget minHealthy ${minHealthy})`);
  return problems.length > 0
    ? { ok: false, detail: `${problems.join('; ')}. Fix: wait for the other drains to finish, or raise runbooks.drain-node.pools.${pool}` }
    : {
        ok: true,
        detail: `pool ${pool}: ${unavailable} of ${nodes.length} nodes unavailable during the drain${maxUnavailable !== undefined ? ` (budget ${maxUnavailable})` : ''}${minHealthy !== undefined ? `, ${healthyLeft} healthy left (minHealthy ${minHealthy})` : ''}`,
      };
}

function summarise(groups: Record<PodClass, V1Pod[]>): string[] {
  const out: string[] = [];
  const list = (ps: V1Pod[]) => ps.slice(0, 20).map(podName).join(', ') + (ps.length > 20 ? `, +${ps.length - 20} more` : '');
  if (groups.evict.length) out.push(`evict ${groups.evict.length} pods through the Eviction API (PodDisruptionBudgets respected): ${list(groups.evict)}`);
  if (groups.finished.length) out.push(`remove ${groups.finished.length} finished pods: ${list(groups.finished)}`);
  if (groups.daemonset.length) out.push(`skip ${groups.daemonset.length} DaemonSet pods: ${list(groups.daemonset)}`);
  if (groups.mirror.length) out.push(`skip ${groups.mirror.length} mirror (static) pods: ${list(groups.mirror)}`);
  if (groups.protected.length) out.push(`leave ${groups.protected.length} pods of protected namespaces for a human: ${list(groups.protected)}`);
  if (groups.emptydir.length)
    out.push(`leave ${groups.emptydir.length} pods with emptyDir data (runbooks.drain-node.deleteEmptyDirData is false): ${list(groups.emptydir)}`);
  if (groups.unreplicated.length)
    out.push(`leave ${groups.unreplicated.length} pods no controller would recreate (runbooks.drain-node.force is false): ${list(groups.unreplicated)}`);
  return out;
}

function group(ctx: RunbookContext, pods: V1Pod[]): Record<PodClass, V1Pod[]> {
  const g: Record<PodClass, V1Pod[]> = { evict: [], daemonset: [], mirror: [], emptydir: [], unreplicated: [], protected: [], finished: [] };
  for (const p of pods) g[classify(ctx, p)].push(p);
  return g;
}

/** One eviction: 'evicted', 'gone', 'blocked' (429, with the server's reason) or 'failed'. */
async function evict(
  apis: RunbookApis,
  target: Target,
  pod: V1Pod,
  dryRun: boolean,
): Promise<{ status: 'evicted' | 'gone' | 'blocked' | 'failed'; detail?: string }> {
  const name = pod.metadata!.name!;
  const namespace = pod.metadata!.namespace!;
  try {
    await apis.core.createNamespacedPodEviction({
      name,
      namespace,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, deleteOptions: { preconditions: { uid: pod.metadata?.uid } } },
      ...dryRunQuery(dryRun),
    });
    return { status: 'evicted' };
  } catch (e) {
    if (isKubeStatus(e, 404)) return { status: 'gone' };
    if (isKubeStatus(e, 409)) return { status: 'gone', detail: 'replaced since it was listed' };
    const f = kubeFailureOf(e);
    if (f?.code === 429) {
      // The cause names the budget: "The disruption budget X needs N healthy pods and has M currently".
      const body = (e as { body?: unknown }).body;
      let cause: string | undefined;
      try {
        const parsed = typeof body === 'string' ? (JSON.parse(body) as { details?: { causes?: Array<{ message?: string }> } }) : undefined;
        cause = parsed?.details?.causes?.[0]?.message;
      } catch {
        cause = undefined;
      }
      return { status: 'blocked', detail: cause ?? f.message ?? 'TooManyRequests' };
    }
    if (f?.code === 500 && /more than one PodDisruptionBudget/.test(f.message ?? '')) return { status: 'failed', detail: f.message };
    throw new KubeCallError(target, `evict pod ${namespace}/${name}`, e);
  }
}

export const drainNode: RunbookModule = {
  async plan(ctx, { target }) {
    const node = await readNode(ctx.apis, target);
    const summary = `drain ${label(target)}`;
    if (!node) return planFor(RUNBOOK, target, summary, [], { refusal: `${label(target)} does not exist` });
    const prot = protectedPoolReason(ctx, node);
    if (prot) return planFor(RUNBOOK, target, summary, [], { refusal: prot });
    const budget = await poolBudget(ctx, target, node);
    const g = group(ctx, await podsOn(ctx.apis, target));
    const steps = [
      node.spec?.unschedulable ? 'the node is already cordoned' : `cordon ${label(target)} (spec.unschedulable=true)`,
      budget.detail,
      ...summarise(g),
      'wait until the evicted pods have terminated; retry evictions a PodDisruptionBudget refused (429), never force them',
    ];
    return planFor(
      RUNBOOK,
      target,
      `${summary}: evict ${g.evict.length + g.finished.length} pods (pool ${poolOf(node) ?? 'unknown'}, ${isReady(node) ? 'Ready' : 'NotReady'})`,
      steps,
      {
        refusal: budget.ok ? undefined : budget.detail,
        fixed: { total: g.evict.length + g.finished.length },
      },
    );
  },

  async run(ctx, args: RunArgs): Promise<RunbookResult> {
    const { target, dryRun } = args;
    const result = resultFor(RUNBOOK, dryRun, target);
    const node = await readNode(ctx.apis, target);
    if (!node) return result({ action: `drain ${label(target)}`, outcome: 'skipped', detail: `${label(target)} does not exist` });
    const prot = protectedPoolReason(ctx, node);
    if (prot) return result({ action: `drain ${label(target)}`, outcome: 'skipped', detail: `protected: ${prot}` });
    const notes: string[] = [];
    if (args.iteration === 0 && node.spec?.unschedulable !== true) {
      const budget = await poolBudget(ctx, target, node);
      if (!budget.ok) return result({ action: `drain ${label(target)}`, outcome: 'skipped', detail: budget.detail });
      await setUnschedulable(ctx.apis, target, true, dryRun);
      notes.push(dryRun ? 'would cordon the node' : 'cordoned the node');
      if (!dryRun) {
        // Another drain of the same pool may have cordoned its node at the same moment.
        const after = await poolBudget(ctx, target, { ...node, spec: { ...node.spec, unschedulable: true } });
        if (!after.ok) {
          await setUnschedulable(ctx.apis, target, false, false);
          return result({
            action: `drain ${label(target)}`,
            outcome: 'skipped',
            detail: `${after.detail} (cordoned and uncordoned again: another node of the pool became unavailable meanwhile)`,
          });
        }
      }
    }
    const g = group(ctx, await podsOn(ctx.apis, target));
    const toEvict = [...g.finished, ...g.evict];
    const terminating: string[] = [];
    const blocked: string[] = [];
    const failed: string[] = [];
    let evicted = 0;
    for (const pod of toEvict) {
      if (pod.metadata?.deletionTimestamp) {
        terminating.push(podName(pod));
        continue;
      }
      const r = await evict(ctx.apis, target, pod, dryRun);
      if (r.status === 'evicted') {
        evicted++;
        if (!dryRun) terminating.push(podName(pod));
      } else if (r.status === 'blocked') blocked.push(`${podName(pod)} (${r.detail})`);
      else if (r.status === 'failed') failed.push(`${podName(pod)} (${r.detail})`);
    }
    const total = Math.max(Number(args.fixed['total'] ?? 0), toEvict.length);
    const left = terminating.length + blocked.length + failed.length;
    const skipped = [
      g.daemonset.length && `${g.daemonset.length} DaemonSet pods skipped`,
      g.mirror.length && `${g.mirror.length} mirror pods skipped`,
      g.protected.length && `${g.protected.length} pods of protected namespaces left: ${g.protected.map(podName).join(', ')}`,
      g.emptydir.length && `${g.emptydir.length} pods with emptyDir left: ${g.emptydir.map(podName).join(', ')}`,
      g.unreplicated.length && `${g.unreplicated.length} unreplicated pods left: ${g.unreplicated.map(podName).join(', ')}`,
    ].filter(Boolean) as string[];
    const action = dryRun ? `would drain ${label(target)} (evict ${toEvict.length} pods)` : `drain ${label(target)}`;
    const detail = [...notes, evicted ? `${dryRun ? 'would evict' : 'evicted'} ${evicted} pods this pass` : '', ...skipped].filter(Boolean).join('; ');
    const progress = { done: Math.max(0, total - left), total };
    if (dryRun)
      return result({
        action,
        outcome: blocked.length || failed.length ? 'done' : 'done',
        detail: [detail, blocked.length ? `a PodDisruptionBudget would refuse: ${blocked.join('; ')}` : ''].filter(Boolean).join('; '),
        progress,
      });
    if (failed.length > 0 && blocked.length === 0 && terminating.length === 0) {
      return result({ action, outcome: 'failed', detail: `cannot evict: ${failed.join('; ')}${detail ? `; ${detail}` : ''}`, progress });
    }
    if (left > 0) {
      const reason = [
        blocked.length ? `${blocked.length} pods blocked by a PodDisruptionBudget (429, retried): ${blocked.join('; ')}` : '',
        terminating.length ? `${terminating.length} pods terminating: ${terminating.slice(0, 20).join(', ')}` : '',
        failed.length ? `${failed.length} pods cannot be evicted: ${failed.join('; ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return result({ action, outcome: 'done', detail, pending: { reason, retryAfterSeconds: ctx.settings.progressIntervalSeconds }, progress });
    }
    return result({
      action: `drained ${label(target)}`,
      outcome: args.iteration === 0 && evicted === 0 && notes.length === 0 ? 'already-done' : 'done',
      detail: detail || 'no pods to evict',
      progress,
    });
  },

  async health(ctx, { target }): Promise<Health> {
    const node = await readNode(ctx.apis, target);
    if (!node) return { healthy: false, detail: `${label(target)} does not exist` };
    const g = group(ctx, await podsOn(ctx.apis, target));
    const left = g.evict.length + g.finished.length;
    return {
      healthy: node.spec?.unschedulable === true && left === 0,
      detail: `${node.spec?.unschedulable ? 'cordoned' : 'not cordoned'}; ${left} evictable pods left on the node`,
    };
  },
};
