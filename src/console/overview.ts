// GET /api/overview: the names the console needs to ask about (from the operations config only,
// no secrets): clusters, budgets, scaling pools, clusters with backups, and the secrets enrolled by
// config with their last rotation and next due date (src/rotation/schedule.ts, from the audit).
import type { CompiledConfig } from '../config/load.js';
import type { AuditRecord } from '../domain/types.js';
import { rotationPolicy } from '../rotation/model.js';
import { secretSchedule, type SecretSchedule } from '../rotation/schedule.js';
import { scalingPlan } from '../scaling/plan.js';

export interface Overview {
  clusters: string[];
  budgets: string[];
  scalingPools: { cluster: string; pool: string; mode: string }[];
  rotationSecrets: SecretSchedule[];
  backupClusters: string[];
  dryRunDefault: boolean;
  /** Set when the audit could not be read: due dates are unknown. */
  warnings?: string[];
}

/** `rotationResults`: the audit's rotation result rows (ROTATION_LOOKBACK); null when the audit could not be read. */
export function overview(cfg: CompiledConfig, rotationResults: readonly AuditRecord[] | null = [], now = new Date()): Overview {
  const s = cfg.source;
  const { windowSeconds } = rotationPolicy(s.rotation);
  return {
    clusters: s.clusters.map((c) => c.name),
    budgets: (s.budgets ?? []).map((b) => b.name),
    scalingPools: scalingPlan(cfg).map((p) => ({ cluster: p.cluster, pool: p.pool, mode: p.mode })),
    rotationSecrets: (s.rotation?.secrets ?? []).map((r) => secretSchedule(r, windowSeconds, rotationResults ?? [], now)),
    backupClusters: (s.backups?.clusters ?? []).map((c) => c.cluster),
    dryRunDefault: s.defaults.dryRun,
    ...(rotationResults === null ? { warnings: ['the audit log could not be read: rotation due dates are unknown; retry shortly'] } : {}),
  };
}
