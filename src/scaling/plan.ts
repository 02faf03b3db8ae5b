// The scaling section of the config resolved per pool: defaults applied, durations in ms,
// protection and the cluster's Azure identity attached. Plain JSON, so it can be an
// orchestration input (the orchestration itself never reads config).
import type { CompiledConfig } from '../config/load.js';
import { parseDuration } from '../domain/duration.js';
import type { DecisionPolicy, ScalingMode } from './decide.js';
import { queueRequestsQuery } from './queue.js';

export interface PoolPlan {
  /** cluster/pool */
  key: string;
  cluster: string;
  pool: string;
  azure: { subscriptionId: string; resourceGroup: string; clusterName: string } | null;
  prometheus: { url: string; auth: 'none' | 'managed-identity' };
  mode: ScalingMode;
  protected: boolean;
  resource: 'cpu' | 'memory';
  allocatablePerNode: number | null;
  headroom: number;
  policy: DecisionPolicy;
  /** Node provisioning + agent-pool update: how far ahead capacity must be ordered. */
  leadMs: number;
  horizonMs: number;
  stepMs: number;
  historyMs: number;
  coverage: number;
  underCost: number;
  /** Cost gate limits (absent in plans made before issue #17: the defaults apply). */
  maxExtraNodeHours?: number;
  maxUnderProvisioned?: number;
  queries: { requests?: string; allocatable?: string };
}

export const SCALING_DEFAULTS = {
  mode: 'forecast-only' as ScalingMode,
  resource: 'cpu' as const,
  headroom: 0.1,
  maxStepUp: 5,
  maxStepDown: 10,
  cooldown: '10m',
  // Capacity goes back as soon as the bound allows: the decision bound already covers the cooldown,
  // and the autoscaler itself waits 10 min before removing an unneeded node.
  lowerAfter: '10m',
  provisioningLead: '5m',
  updateLead: '3m',
  horizon: '60m',
  step: '5m',
  history: '14d',
  coverage: 0.95,
  underCost: 2,
  /** Cost gate: enforce only while pre-warming costs at most +15 % node-hours against reactive ... */
  maxExtraNodeHours: 0.15,
  /** ... and leaves at most 5 % of intervals short. */
  maxUnderProvisioned: 0.05,
};

const ms = (d: string): number => parseDuration(d)! * 1000;

export function scalingPlan(cfg: CompiledConfig): PoolPlan[] {
  const scaling = cfg.source.scaling;
  if (!scaling) return [];
  const d = { ...SCALING_DEFAULTS, ...Object.fromEntries(Object.entries(scaling.defaults).filter(([, v]) => v !== undefined)) } as typeof SCALING_DEFAULTS;
  const plans: PoolPlan[] = [];
  for (const sc of scaling.clusters) {
    const cluster = cfg.clusters.find((c) => c.name === sc.cluster);
    if (!cluster) continue; // the schema reports it
    const protectedPools = cfg.protectedNodePools.get(cluster.name) ?? new Set<string>();
    for (const p of sc.pools) {
      const pick = <K extends keyof typeof SCALING_DEFAULTS>(k: K): (typeof SCALING_DEFAULTS)[K] =>
        ((p as Record<string, unknown>)[k] ?? d[k]) as (typeof SCALING_DEFAULTS)[K];
      plans.push({
        key: `${cluster.name}/${p.name}`,
        cluster: cluster.name,
        pool: p.name,
        azure: cluster.azure ? { ...cluster.azure } : null,
        prometheus: { url: sc.prometheus.url, auth: sc.prometheus.auth },
        mode: pick('mode'),
        protected: protectedPools.has(p.name),
        resource: pick('resource'),
        allocatablePerNode: p.allocatablePerNode ?? null,
        headroom: pick('headroom'),
        policy: {
          minCount: p.minCount,
          maxCount: p.maxCount,
          maxStepUp: pick('maxStepUp'),
          maxStepDown: pick('maxStepDown'),
          cooldownMs: ms(pick('cooldown')),
          lowerAfterMs: ms(pick('lowerAfter')),
        },
        leadMs: ms(pick('provisioningLead')) + ms(pick('updateLead')),
        horizonMs: ms(pick('horizon')),
        stepMs: ms(pick('step')),
        historyMs: ms(pick('history')),
        coverage: pick('coverage'),
        underCost: pick('underCost'),
        maxExtraNodeHours: pick('maxExtraNodeHours'),
        maxUnderProvisioned: pick('maxUnderProvisioned'),
        queries: {
          ...(p.queries?.requests ? { requests: p.queries.requests } : {}),
          // A queue signal stands for the requests query (the schema refuses both).
          ...(p.queue ? { requests: queueRequestsQuery(p.queue) } : {}),
          ...(p.queries?.allocatable ? { allocatable: p.queries.allocatable } : {}),
        },
      });
    }
  }
  return plans;
}
