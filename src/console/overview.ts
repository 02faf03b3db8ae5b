// GET /api/overview: the names the console needs to ask about (from the operations config only,
// no secrets): clusters, budgets, scaling pools, secrets enrolled by config, clusters with backups.
import type { CompiledConfig } from '../config/load.js';
import { scalingPlan } from '../scaling/plan.js';

export interface Overview {
  clusters: string[];
  budgets: string[];
  scalingPools: { cluster: string; pool: string; mode: string }[];
  rotationSecrets: { name: string; strategy: string }[];
  backupClusters: string[];
  dryRunDefault: boolean;
}

export function overview(cfg: CompiledConfig): Overview {
  const s = cfg.source;
  return {
    clusters: s.clusters.map((c) => c.name),
    budgets: (s.budgets ?? []).map((b) => b.name),
    scalingPools: scalingPlan(cfg).map((p) => ({ cluster: p.cluster, pool: p.pool, mode: p.mode })),
    rotationSecrets: (s.rotation?.secrets ?? []).map((r) => ({ name: r.name, strategy: r.strategy })),
    backupClusters: (s.backups?.clusters ?? []).map((c) => c.cluster),
    dryRunDefault: s.defaults.dryRun,
  };
}
