// What a stage changes, planned from what the estate looks like now. Pure.
//
// Per action type:
//  - scaleDownPools: autoscaled pools get maxCount lowered to the configured maxCount, else to the
//    pool's minCount (minCount follows when it is higher); pools without the autoscaler get count
//    lowered to the configured maxCount (none configured: left alone, and said so).
//  - scalePoolsToZero: user pools only. AKS refuses a manual count change on a pool whose
//    autoscaler is on, so an autoscaled pool takes two updates: autoscaler off (count stays), then
//    count 0. Restore runs them backwards: count back, then the autoscaler with its old bounds.
//  - stopClusters: managedClusters/stop of non-production clusters.
//  - scaleNamespacesToZero: every Deployment of the namespace with replicas > 0 goes to 0.
// Within a stage: workloads first, then pools, then cluster stops (a stopped cluster accepts no
// other change, and its workloads and pools are left as they are). Protected scopes are skipped
// whatever the config says: System pools, protected pools and namespaces, production clusters.
import {
  targetKeyOf,
  showValues,
  type BudgetSpec,
  type EstateSnapshot,
  type PoolSnapshot,
  type Protection,
  type SkippedTarget,
  type StagePlan,
  type Step,
  type Values,
} from './types.js';

function step(stage: number, s: Omit<Step, 'id' | 'stage' | 'target'>): Step {
  const target = targetKeyOf(s);
  return { ...s, id: `${stage}:${target}`, stage, target };
}

function autoscalerValues(p: Pick<PoolSnapshot, 'enableAutoScaling' | 'minCount' | 'maxCount'>): Values {
  return { enableAutoScaling: p.enableAutoScaling, minCount: p.enableAutoScaling ? p.minCount : null, maxCount: p.enableAutoScaling ? p.maxCount : null };
}

export interface PlanInput {
  spec: Pick<BudgetSpec, 'stages'>;
  stage: number;
  snapshot: EstateSnapshot;
  protection: Protection;
  /** Action ids this period already has. */
  existing: string[];
  /** Clusters stopped by this period's earlier stages. */
  stoppedClusters: string[];
}

export function planStage(input: PlanInput): StagePlan {
  const stage = input.spec.stages[input.stage];
  if (!stage) throw new RangeError(`no stage ${input.stage}`);
  const { snapshot, protection } = input;
  const existing = new Set(input.existing);
  const skipped: SkippedTarget[] = [];
  const skip = (target: string, reason: string) => skipped.push({ target, reason });
  const stopped = new Set(input.stoppedClusters);
  for (const c of snapshot.clusters) if (c.power === 'Stopped') stopped.add(c.name);
  const unreadable = new Map(snapshot.errors.map((e) => [e.target, e.error]));
  // Why this stage may not stop a cluster; null when it may.
  const stopRefusal = (name: string): string | null => {
    const env = protection.environments[name];
    if (env === undefined) return `cluster ${name} has no environment; only non-production clusters are stopped`;
    if (/^prod(uction)?$/i.test(env)) return `cluster ${name} is production`;
    const target = `cluster/${name}/power`;
    if (unreadable.has(target)) return `could not be read: ${unreadable.get(target)}`;
    if (!snapshot.clusters.some((x) => x.name === name)) return `cluster ${name} was not found`;
    return null;
  };
  // Clusters this stage really stops: nothing else in them is changed. A refused stop (e.g. a
  // production cluster) leaves the stage's other actions on that cluster to run.
  const stopping = new Set<string>();
  for (const a of stage.actions) if (a.type === 'stopClusters') for (const c of a.clusters) if (stopRefusal(c) === null) stopping.add(c);
  const clusterBlocked = (cluster: string, target: string): boolean => {
    if (stopped.has(cluster)) return (skip(target, `cluster ${cluster} is stopped`), true);
    if (stopping.has(cluster)) return (skip(target, `cluster ${cluster} is stopped by this stage`), true);
    return false;
  };

  const workloads: Step[] = [];
  const pools: Step[] = [];
  const clusters: Step[] = [];
  const into = (list: Step[]) => (s: Step) => {
    if (existing.has(s.id)) return skip(s.target, 'already changed by this stage in this period');
    list.push(s);
  };

  for (const a of stage.actions) {
    switch (a.type) {
      case 'notify':
        break;
      case 'scaleNamespacesToZero': {
        for (const ns of a.namespaces) {
          const target = `namespace/${a.cluster}/${ns}`;
          if ((protection.namespaces[a.cluster] ?? []).includes(ns)) {
            skip(target, `namespace ${ns} is protected`);
            continue;
          }
          if (clusterBlocked(a.cluster, target)) continue;
          if (unreadable.has(target)) {
            skip(target, `could not list its Deployments: ${unreadable.get(target)}`);
            continue;
          }
          const ds = snapshot.workloads.filter((w) => w.cluster === a.cluster && w.namespace === ns).sort((x, y) => x.name.localeCompare(y.name));
          for (const d of ds) {
            if (d.replicas === 0) {
              skip(`deployment/${a.cluster}/${ns}/${d.name}/replicas`, 'already at 0 replicas');
              continue;
            }
            into(workloads)(
              step(input.stage, {
                kind: 'workload-replicas',
                cluster: a.cluster,
                namespace: ns,
                name: d.name,
                after: { replicas: 0 },
                description: `${a.cluster} deployment ${ns}/${d.name}: replicas ${d.replicas} -> 0`,
              }),
            );
          }
        }
        break;
      }
      case 'scaleDownPools':
      case 'scalePoolsToZero': {
        for (const name of a.pools) {
          const target = `pool/${a.cluster}/${name}`;
          if (clusterBlocked(a.cluster, target)) continue;
          if (unreadable.has(target)) {
            skip(target, `could not be read: ${unreadable.get(target)}`);
            continue;
          }
          const p = snapshot.pools.find((x) => x.cluster === a.cluster && x.name === name);
          if (!p) {
            skip(target, `cluster ${a.cluster} has no node pool ${name}`);
            continue;
          }
          if (p.mode === 'System') {
            skip(target, 'system pools are protected (and cannot go to zero)');
            continue;
          }
          if ((protection.nodePools[a.cluster] ?? []).includes(name)) {
            skip(target, `node pool ${name} is protected`);
            continue;
          }
          const plan = a.type === 'scaleDownPools' ? scaleDown(input.stage, p, a.maxCount) : toZero(input.stage, p);
          if ('reason' in plan) skip(target, plan.reason);
          else plan.forEach(into(pools));
        }
        break;
      }
      case 'stopClusters': {
        for (const name of a.clusters) {
          const target = `cluster/${name}/power`;
          const refused = stopRefusal(name);
          if (refused !== null) {
            skip(target, refused);
            continue;
          }
          const c = snapshot.clusters.find((x) => x.name === name)!;
          if (c.power === 'Stopped') {
            skip(target, 'already stopped');
            continue;
          }
          into(clusters)(
            step(input.stage, {
              kind: 'cluster-power',
              cluster: name,
              after: { power: 'Stopped' },
              description: `${name}: stop the cluster (power Running -> Stopped)`,
            }),
          );
        }
        break;
      }
    }
  }
  return { stage: input.stage, steps: [...workloads, ...pools, ...clusters], skipped };
}

function scaleDown(stage: number, p: PoolSnapshot, maxCount: number | undefined): Step[] | { reason: string } {
  if (p.enableAutoScaling) {
    const min = p.minCount ?? 0;
    const max = p.maxCount ?? 0;
    const target = maxCount ?? min;
    if (target < 1) return { reason: `the autoscaler's maxCount cannot go below 1 (minCount is ${min}); use scalePoolsToZero to empty the pool` };
    if (max <= target) return { reason: `autoscaler maxCount is already ${max} (target ${target})` };
    const after: Values = { enableAutoScaling: true, minCount: Math.min(min, target), maxCount: target };
    return [
      step(stage, {
        kind: 'pool-autoscaler',
        cluster: p.cluster,
        pool: p.name,
        after,
        description: `${p.cluster} pool ${p.name}: autoscaler ${showValues(autoscalerValues(p))} -> ${showValues(after)}`,
      }),
    ];
  }
  if (maxCount === undefined) return { reason: 'the pool has no autoscaler and the action gives no maxCount to scale it down to' };
  if (p.count <= maxCount) return { reason: `count is already ${p.count} (target ${maxCount})` };
  return [
    step(stage, {
      kind: 'pool-count',
      cluster: p.cluster,
      pool: p.name,
      after: { count: maxCount },
      description: `${p.cluster} pool ${p.name}: count ${p.count} -> ${maxCount}`,
    }),
  ];
}

function toZero(stage: number, p: PoolSnapshot): Step[] | { reason: string } {
  const out: Step[] = [];
  if (p.enableAutoScaling) {
    const after: Values = { enableAutoScaling: false, minCount: null, maxCount: null };
    out.push(
      step(stage, {
        kind: 'pool-autoscaler',
        cluster: p.cluster,
        pool: p.name,
        after,
        description: `${p.cluster} pool ${p.name}: autoscaler ${showValues(autoscalerValues(p))} -> off (before scaling to 0)`,
      }),
    );
  } else if (p.count === 0) {
    return { reason: 'already at 0 nodes' };
  }
  out.push(step(stage, { kind: 'pool-count', cluster: p.cluster, pool: p.name, after: { count: 0 }, description: `${p.cluster} pool ${p.name}: count -> 0` }));
  return out;
}

/** The values of a pool for a step kind (what budgetReadStep reads, what apply compares). */
export function poolValues(kind: 'pool-autoscaler' | 'pool-count', p: Pick<PoolSnapshot, 'enableAutoScaling' | 'minCount' | 'maxCount' | 'count'>): Values {
  return kind === 'pool-autoscaler' ? autoscalerValues(p) : { count: p.count };
}
