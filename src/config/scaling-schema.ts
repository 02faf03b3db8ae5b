// The `scaling` section of ops.yaml (predictive node-pool scaling, docs/scaling.md): its shape and
// the checks across it and the clusters. Errors name the path and the fix, like the rest of the
// config. The resolved per-pool plan (defaults applied, durations in ms) is src/scaling/plan.ts.
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { text } from '../domain/text.js';

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, {
  message: 'is not a duration. Fix: write it like 30s, 5m, 1h, 14d',
});

const queriesSchema = z.strictObject({
  /** PromQL for the pool's summed requests; {{pool}} and {{resource}} are substituted. */
  requests: z.string().min(1).optional(),
  /** PromQL for allocatable per node of the pool. */
  allocatable: z.string().min(1).optional(),
});

/** Settings a pool inherits from scaling.defaults. */
const tunables = {
  mode: z.enum(['forecast-only', 'enforce']).optional(),
  resource: z.enum(['cpu', 'memory']).optional(),
  /** Share of each node's allocatable kept free when sizing (packing headroom), 0..0.9. */
  headroom: z.number().min(0).max(0.9).optional(),
  maxStepUp: z.number().int().min(1).max(100).optional(),
  maxStepDown: z.number().int().min(1).max(100).optional(),
  cooldown: duration.optional(),
  lowerAfter: duration.optional(),
  /** Node provisioning time (P95), about 3-5 minutes on AKS. */
  provisioningLead: duration.optional(),
  /** How long an agent-pool update takes to be accepted and applied. */
  updateLead: duration.optional(),
  horizon: duration.optional(),
  step: duration.optional(),
  history: duration.optional(),
  coverage: z.number().min(0.5).max(0.999).optional(),
  underCost: z.number().min(1).max(20).optional(),
  /** Enforce only while pre-warming costs at most this share of extra node-hours against reactive. */
  maxExtraNodeHours: z.number().min(0).max(10).optional(),
  /** ... and leaves at most this share of intervals under-provisioned. */
  maxUnderProvisioned: z.number().min(0).max(1).optional(),
};

/** Queue-driven demand (src/scaling/queue.ts): the workers the queue needs, forecast instead of pod requests. */
const queueSchema = z.strictObject({
  /** PromQL of the tasks waiting, e.g. sum(celery_queue_length{queue_name="analysis"}). */
  query: z.string().min(1),
  tasksPerWorker: z.number().int().min(1).max(10_000),
  /** Requests of one worker pod or Job, in the pool's resource unit. */
  workerRequests: z.number().positive(),
  /** PromQL that is 1 while the source is up (e.g. up{job="redis-exporter"}): an absent queue then reads as empty, not as a gap. */
  up: z.string().min(1).optional(),
});

const poolSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, {
    message:
      'is not an AKS node pool name (lower-case letters and digits, at most 12, starting with a letter). Fix: use the name shown by az aks nodepool list',
  }),
  /** Bounds for the minCount we set (within the pool's own maxCount). */
  minCount: z.number().int().min(0).max(1000),
  maxCount: z.number().int().min(1).max(1000),
  /** Units (cores or bytes) allocatable per node; default: read from Prometheus. */
  allocatablePerNode: z.number().positive().optional(),
  queries: queriesSchema.optional(),
  queue: queueSchema.optional(),
  ...tunables,
});

/** Where to read metrics: an in-cluster Prometheus or Azure Monitor managed Prometheus (also used by slo). */
export const prometheusSourceSchema = z.strictObject({
  url: z.url({ message: 'is not a URL. Fix: e.g. http://prometheus.monitoring:9090 or https://<workspace>.<region>.prometheus.monitor.azure.com' }),
  /** managed-identity for Azure Monitor managed Prometheus (scope https://prometheus.monitor.azure.com/.default). */
  auth: z.enum(['none', 'managed-identity']).default('none'),
});

export const scalingSchema = z.strictObject({
  defaults: z.strictObject(tunables).default({}),
  clusters: z
    .array(
      z.strictObject({
        /** A cluster of clusters[] (by name). */
        cluster: z.string().min(1),
        prometheus: prometheusSourceSchema,
        pools: z.array(poolSchema).min(1, { message: 'is empty. Fix: list the node pools to forecast' }),
      }),
    )
    .default([]),
});

export type ScalingConfig = z.output<typeof scalingSchema>;

interface Ctx {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}

interface ClusterLike {
  name: string;
  azure?: unknown;
  protectedNodePools: string[];
}

const ms = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d)! * 1000);

/** Checks across scaling and clusters (called from the ops config's superRefine). */
export function checkScaling(scaling: ScalingConfig | undefined, clusters: ClusterLike[], globalProtected: string[], ctx: Ctx): void {
  if (!scaling) return;
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const checkTunables = (t: Partial<Record<keyof typeof tunables, unknown>>, path: (string | number)[]) => {
    const cooldown = ms(t.cooldown as string | undefined);
    if (cooldown !== undefined && cooldown < 600_000)
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'cooldown'],
        message: `is ${text(t.cooldown)}, below the 10 minutes the autoscaler needs to act on a change. Fix: set at least 10m`,
      });
    const step = ms(t.step as string | undefined);
    if (step !== undefined && (86_400_000 % step !== 0 || step % 1000 !== 0))
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'step'],
        message: `${text(t.step)} does not divide a day into whole seconds, so daily cycles cannot be found. Fix: use 1m, 5m, 10m, 15m, 30m or 1h`,
      });
    const history = ms(t.history as string | undefined);
    if (history !== undefined && history < 86_400_000)
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'history'],
        message: `is ${text(t.history)}; forecasting needs days of history (14d preferred, 7d to act). Fix: set 14d`,
      });
  };
  checkTunables(scaling.defaults, ['scaling', 'defaults']);
  const seen = new Set<string>();
  scaling.clusters.forEach((sc, i) => {
    const cluster = byName.get(sc.cluster);
    if (!cluster) {
      ctx.addIssue({
        code: 'custom',
        path: ['scaling', 'clusters', i, 'cluster'],
        message: `"${sc.cluster}" is not a configured cluster. Fix: use one of ${[...byName.keys()].join(', ')}`,
      });
      return;
    }
    if (seen.has(sc.cluster))
      ctx.addIssue({
        code: 'custom',
        path: ['scaling', 'clusters', i, 'cluster'],
        message: `"${sc.cluster}" is listed twice. Fix: list each cluster's pools once`,
      });
    seen.add(sc.cluster);
    const protectedPools = new Set([...globalProtected, ...cluster.protectedNodePools]);
    const poolNames = new Set<string>();
    sc.pools.forEach((p, j) => {
      const path = ['scaling', 'clusters', i, 'pools', j];
      if (poolNames.has(p.name)) ctx.addIssue({ code: 'custom', path: [...path, 'name'], message: `"${p.name}" is listed twice. Fix: one entry per pool` });
      poolNames.add(p.name);
      if (p.queue && p.queries?.requests)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'queue'],
          message:
            "and queries.requests both define the pool's demand. Fix: keep one (queue forecasts the workers the queue needs; queries.requests the pods' requests)",
        });
      if (p.minCount > p.maxCount)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'minCount'],
          message: `${p.minCount} is above maxCount ${p.maxCount}; AKS refuses minCount > maxCount. Fix: lower minCount or raise maxCount`,
        });
      const mode = p.mode ?? scaling.defaults.mode ?? 'forecast-only';
      if (mode === 'enforce' && protectedPools.has(p.name))
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'mode'],
          message: `is enforce, but pool "${p.name}" is protected and is never changed. Fix: set mode: forecast-only, or remove it from the protected node pools`,
        });
      if (mode === 'enforce' && !cluster.azure)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'mode'],
          message: `is enforce, but cluster "${sc.cluster}" has no azure block, so its agent pools cannot be changed. Fix: add azure {subscriptionId, resourceGroup, clusterName} to the cluster, or set mode: forecast-only`,
        });
      checkTunables(p, path);
    });
  });
}
