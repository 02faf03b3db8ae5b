// Budgets from the checked operations config to plain BudgetSpec values (defaults applied,
// durations in seconds), and what the config protects, per cluster. Pure.
import { parseDuration } from '../domain/duration.js';
import type { BudgetConfig } from '../config/budget-schema.js';
import type { OpsConfig } from '../config/schema.js';
import { ALWAYS_PROTECTED_NAMESPACES, compileProtectedScopes } from '../domain/protection.js';
import type { BudgetSpec, Protection, StageSpec } from './types.js';

function clustersOf(b: BudgetConfig): string[] {
  const out = new Set<string>();
  for (const s of b.stages) for (const a of s.actions) if ('cluster' in a) out.add(a.cluster);
  return [...out];
}

export function compileBudget(b: BudgetConfig): BudgetSpec {
  const stages: StageSpec[] = b.stages.map((s, index) => ({
    index,
    name: s.name,
    threshold: s.threshold,
    basis: s.basis,
    hysteresis: s.hysteresis ?? b.hysteresis,
    // A forecast stage's own actions lower the forecast: restoring it within the period would undo
    // the scale-down as soon as it works (decision 0009), so by default only actual stages do.
    restoreWithinPeriod: s.restoreWithinPeriod ?? s.basis === 'actual',
    approvalTimeoutSeconds: s.approval ? parseDuration(s.approval.timeout)! : null,
    actions: s.actions,
  }));
  const scope: BudgetSpec['scope'] = { subscriptionId: b.scope.subscriptionId.toLowerCase() };
  if (b.scope.resourceGroup !== undefined) scope.resourceGroup = b.scope.resourceGroup;
  if (b.scope.tags !== undefined) scope.tags = Object.fromEntries(Object.entries(b.scope.tags).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
  return {
    name: b.name,
    scope,
    amount: b.amount,
    currency: b.currency,
    period: { type: b.period.type, startDay: b.period.type === 'calendar-month' ? 1 : b.period.startDay },
    mode: b.mode,
    costType: b.costType,
    refreshIntervalSeconds: parseDuration(b.refreshInterval)!,
    topDrivers: { groupBy: b.topDrivers.groupBy, count: b.topDrivers.count },
    allocationClusters: b.allocationClusters ?? clustersOf(b),
    notify: b.notify ?? null,
    stages,
  };
}

export function compileBudgets(cfg: Pick<OpsConfig, 'budgets'>): BudgetSpec[] {
  return (cfg.budgets ?? []).map(compileBudget);
}

/** What the config protects, per cluster: always-protected + global + the cluster's own. */
export function protectionOf(cfg: Pick<OpsConfig, 'clusters' | 'protected'>): Protection {
  const p: Protection = { namespaces: {}, nodePools: {}, environments: {} };
  const scopes = compileProtectedScopes(cfg);
  for (const c of cfg.clusters) {
    p.namespaces[c.name] = [...new Set([...ALWAYS_PROTECTED_NAMESPACES, ...(scopes.protectedNamespaces.get(c.name) ?? [])])];
    // System pools are protected for budgets even when the config does not list them (AKS needs them to run).
    p.nodePools[c.name] = [
      ...new Set([...(scopes.protectedNodePools.get(c.name) ?? []), ...(c.nodePools ?? []).filter((x) => x.mode === 'System').map((x) => x.name)]),
    ];
    p.environments[c.name] = c.environment;
  }
  return p;
}
