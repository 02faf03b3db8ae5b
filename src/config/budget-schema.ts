// The `budgets` section of the operations config: cost budgets with staged, reversible actions.
// Used by schema.ts; compiled into plain BudgetSpec values by src/budget/compile.ts. Errors name
// the path and the fix, like the rest of the config. See docs/budgets.md.
//
// What is refused here, before anything runs (issue #6): stage thresholds out of order, actions
// on pools the cluster does not list (unknown pool), and actions on protected scopes (system pools,
// protected pools and namespaces, production clusters for stopClusters).
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { checkName } from '../domain/k8s-names.js';
import { isAlwaysProtectedNamespace } from '../domain/protection.js';

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, {
  message: 'is not a duration. Fix: write it like 30m, 4h, 1d',
});

const slug = (example: string) =>
  z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: `must be lower-case letters, digits and "-" (at most 63). Fix: e.g. ${example}` });

const percent = z.number({ message: 'must be a percentage of the amount. Fix: e.g. 80 for 80 %' }).gt(0).max(1000);

const poolList = z.array(z.string().min(1)).min(1, { message: 'is empty. Fix: name at least one node pool' });

export const BUDGET_ACTION_TYPES = ['notify', 'scaleDownPools', 'scalePoolsToZero', 'stopClusters', 'scaleNamespacesToZero'] as const;

const actionSchema = z.discriminatedUnion(
  'type',
  [
    /** Notify with the top cost drivers and the namespaces that drive the spend (every stage notifies anyway). */
    z.strictObject({ type: z.literal('notify') }),
    /** Lower the autoscaler maxCount to the pool's minCount (or to maxCount); manual pools: count to maxCount (or minCount). */
    z.strictObject({ type: z.literal('scaleDownPools'), cluster: z.string().min(1), pools: poolList, maxCount: z.number().int().min(0).max(1000).optional() }),
    /** User pools to zero nodes: disable the autoscaler (one update), then count 0 (a second one). */
    z.strictObject({ type: z.literal('scalePoolsToZero'), cluster: z.string().min(1), pools: poolList }),
    /** Stop whole non-production clusters (managedClusters/stop). */
    z.strictObject({ type: z.literal('stopClusters'), clusters: z.array(z.string().min(1)).min(1, { message: 'is empty. Fix: name at least one cluster' }) }),
    /** Scale every Deployment of these namespaces to 0 replicas (previous replicas are recorded). */
    z.strictObject({
      type: z.literal('scaleNamespacesToZero'),
      cluster: z.string().min(1),
      namespaces: z.array(z.string().min(1)).min(1, { message: 'is empty. Fix: name at least one namespace' }),
    }),
  ],
  { message: `is not a budget action. Fix: type is one of ${BUDGET_ACTION_TYPES.join(', ')}` },
);

const stageSchema = z.strictObject({
  name: slug('scale-down'),
  /** Percentage of the budget amount. */
  threshold: percent,
  /** What is compared with the threshold: cost to date, or the forecast for the whole period. */
  basis: z.enum(['actual', 'forecast']),
  /** Percentage points below the threshold at which this stage is restored within the period (default: the budget's). */
  hysteresis: z.number().min(0).max(100).optional(),
  /** Restore within the period when the basis falls below threshold - hysteresis. Default: true for actual, false for forecast. */
  restoreWithinPeriod: z.boolean().optional(),
  /** A human approves before this stage acts (POST /api/budgets/{name}/approval); without a decision it does not act. */
  approval: z.strictObject({ timeout: duration.default('4h') }).optional(),
  actions: z.array(actionSchema).min(1, { message: 'is empty. Fix: give the stage at least one action, e.g. {type: notify}' }),
});

const scopeSchema = z.strictObject({
  subscriptionId: z.uuid({ message: 'is not a subscription ID (a GUID). Fix: copy it from `az account show --query id`' }),
  /** The budget covers this resource group only, e.g. the cluster's node resource group (MC_...). */
  resourceGroup: z.string().min(1).max(90).optional(),
  /** Only costs of resources with these tags (value or any of a list of values). */
  tags: z.record(z.string().min(1), z.union([z.string(), z.array(z.string()).min(1)])).optional(),
});

export const budgetSchema = z.strictObject({
  name: slug('dev-estate'),
  description: z.string().optional(),
  scope: scopeSchema,
  amount: z.number().positive({ message: 'must be more than 0. Fix: the budget amount in the billing currency' }),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'is not an ISO 4217 currency code. Fix: e.g. EUR or USD (the billing currency)' }),
  period: z
    .strictObject({
      type: z.enum(['calendar-month', 'billing-month']).default('calendar-month'),
      /** First day of a billing month (1-31; later than the month's last day means its last day). */
      startDay: z.number().int().min(1).max(31).default(1),
    })
    .default({ type: 'calendar-month', startDay: 1 }),
  /** New budgets only report what they would do until switched to enforce. */
  mode: z.enum(['dry-run', 'enforce']).default('dry-run'),
  /** Percentage points below a threshold at which a stage is restored within the period. */
  hysteresis: z.number().min(0).max(100).default(5),
  /** Cost data refreshes about every 4 hours: do not query Cost Management more often than this. */
  refreshInterval: duration.default('4h'),
  costType: z.enum(['ActualCost', 'AmortizedCost']).default('ActualCost'),
  topDrivers: z
    .strictObject({
      /** ServiceName, ResourceGroupName, ResourceId, MeterCategory, or tag:<key>. */
      groupBy: z
        .string()
        .regex(/^(ServiceName|ResourceGroupName|ResourceId|MeterCategory|ResourceType|tag:[^\s]+)$/, {
          message: 'is not a grouping. Fix: ServiceName, ResourceGroupName, ResourceId, MeterCategory, ResourceType or tag:<key>',
        })
        .default('ServiceName'),
      count: z.number().int().min(1).max(20).default(5),
    })
    .default({ groupBy: 'ServiceName', count: 5 }),
  /** Clusters whose namespaces the notifications break the spend down by (default: the clusters the actions name). */
  allocationClusters: z.array(z.string().min(1)).optional(),
  /** Notification targets (notifications[].name); default: all. */
  notify: z.array(z.string().min(1)).optional(),
  stages: z
    .array(stageSchema)
    .min(1, { message: 'is empty. Fix: add at least one stage, e.g. {name: warn, threshold: 80, basis: actual, actions: [{type: notify}]}' })
    .max(10),
});

export const budgetsSchema = z.array(budgetSchema);

export type BudgetConfig = z.output<typeof budgetSchema>;
export type BudgetStageConfig = BudgetConfig['stages'][number];
export type BudgetActionConfig = BudgetStageConfig['actions'][number];

/** What checkBudgets needs to know about a configured cluster. */
export interface BudgetClusterInfo {
  name: string;
  azure?: unknown;
  environment?: string | undefined;
  nodePools?: Array<{ name: string; mode: 'System' | 'User' }> | undefined;
  protectedNamespaces: string[];
  protectedNodePools: string[];
}

export interface BudgetCheckContext {
  clusters: BudgetClusterInfo[];
  protectedNamespaces: string[];
  protectedNodePools: string[];
  notifications: string[];
}

type Issue = { path: (string | number)[]; message: string };

/** Orders stages: by threshold, and at an equal threshold forecast before actual (a forecast reaches it first). */
export function stageRank(s: { threshold: number; basis: 'actual' | 'forecast' }): [number, number] {
  return [s.threshold, s.basis === 'forecast' ? 0 : 1];
}

function describeStage(s: { threshold: number; basis: string }): string {
  return `${s.threshold} % of ${s.basis}`;
}

/** Cross-reference checks of the budgets section; every issue names the path and the fix. */
export function checkBudgets(budgets: BudgetConfig[], ctx: BudgetCheckContext): Issue[] {
  const issues: Issue[] = [];
  const clusters = new Map(ctx.clusters.map((c) => [c.name, c]));
  const known = [...clusters.keys()].join(', ');
  const names = new Set<string>();
  budgets.forEach((b, i) => {
    const at = (...p: (string | number)[]) => ['budgets', i, ...p];
    if (names.has(b.name))
      issues.push({ path: at('name'), message: `"${b.name}" is used by two budgets. Fix: give each budget its own name (it keys the enforcement state)` });
    names.add(b.name);
    if (b.period.type === 'calendar-month' && b.period.startDay !== 1) {
      issues.push({ path: at('period', 'startDay'), message: 'applies to billing months only. Fix: remove it, or set period.type: billing-month' });
    }
    if ((parseDuration(b.refreshInterval) ?? 0) < 3600) {
      issues.push({
        path: at('refreshInterval'),
        message: 'is shorter than 1h; Cost Management data refreshes about every 4 hours and queries are throttled per tenant. Fix: 4h (at least 1h)',
      });
    }
    (b.notify ?? []).forEach((n, j) => {
      if (!ctx.notifications.includes(n))
        issues.push({
          path: at('notify', j),
          message: `"${n}" is not a notification target. Fix: use one of ${ctx.notifications.join(', ') || '(none configured: add notifications[])'}`,
        });
    });
    (b.allocationClusters ?? []).forEach((c, j) => {
      if (!clusters.has(c)) issues.push({ path: at('allocationClusters', j), message: `"${c}" is not a configured cluster. Fix: use one of ${known}` });
    });
    const stageNames = new Set<string>();
    b.stages.forEach((s, k) => {
      if (stageNames.has(s.name))
        issues.push({ path: at('stages', k, 'name'), message: `"${s.name}" is used by two stages. Fix: give each stage its own name` });
      stageNames.add(s.name);
      if (k > 0) {
        const prev = b.stages[k - 1]!;
        const [t0, r0] = stageRank(prev);
        const [t1, r1] = stageRank(s);
        if (t1 < t0 || (t1 === t0 && r1 <= r0)) {
          issues.push({
            path: at('stages', k, 'threshold'),
            message: `${describeStage(s)} comes after ${describeStage(prev)} (stages[${k - 1}]) but is reached no later, so the stages are out of order. Fix: order stages by threshold, lowest first (at an equal threshold, forecast before actual)`,
          });
        }
      }
      const targets = new Set<string>();
      const once = (key: string, path: (string | number)[], what: string) => {
        if (targets.has(key)) issues.push({ path, message: `${what} appears twice in this stage. Fix: name each target once per stage` });
        targets.add(key);
      };
      s.actions.forEach((a, m) => {
        const ap = (...p: (string | number)[]) => at('stages', k, 'actions', m, ...p);
        if (a.type === 'notify') return;
        if (a.type === 'stopClusters') {
          a.clusters.forEach((name, n) => {
            const c = clusters.get(name);
            if (!c) return void issues.push({ path: ap('clusters', n), message: `"${name}" is not a configured cluster. Fix: use one of ${known}` });
            once(`cluster:${name}`, ap('clusters', n), `cluster ${name}`);
            if (c.azure === undefined)
              issues.push({
                path: ap('clusters', n),
                message: `cluster ${name} has no azure block, so it cannot be stopped through ARM. Fix: give clusters[].azure, or remove it from stopClusters`,
              });
            if (c.environment === undefined) {
              issues.push({
                path: ap('clusters', n),
                message: `cluster ${name} does not say which environment it is, and only non-production clusters may be stopped. Fix: set environment on cluster ${name} (e.g. dev or staging)`,
              });
            } else if (/^prod(uction)?$/i.test(c.environment)) {
              issues.push({
                path: ap('clusters', n),
                message: `cluster ${name} is production (environment: ${c.environment}) and production is never stopped. Fix: remove it from stopClusters`,
              });
            }
          });
          return;
        }
        const c = clusters.get(a.cluster);
        if (!c) return void issues.push({ path: ap('cluster'), message: `"${a.cluster}" is not a configured cluster. Fix: use one of ${known}` });
        if (a.type === 'scaleNamespacesToZero') {
          a.namespaces.forEach((ns, n) => {
            const bad = checkName('namespace', ns);
            if (bad) return void issues.push({ path: ap('namespaces', n), message: `${bad}. Fix: list namespace names` });
            once(`ns:${a.cluster}/${ns}`, ap('namespaces', n), `namespace ${ns}`);
            if (isAlwaysProtectedNamespace(ns)) issues.push({ path: ap('namespaces', n), message: `namespace ${ns} is always protected. Fix: remove it` });
            else if (ctx.protectedNamespaces.includes(ns) || c.protectedNamespaces.includes(ns)) {
              issues.push({
                path: ap('namespaces', n),
                message: `namespace ${ns} is protected (protected.namespaces or clusters[].protectedNamespaces) and is never touched. Fix: remove it from the action, or stop protecting it`,
              });
            }
          });
          return;
        }
        // scaleDownPools / scalePoolsToZero
        if (c.azure === undefined)
          issues.push({
            path: ap('cluster'),
            message: `cluster ${a.cluster} has no azure block, so its node pools cannot be changed through ARM. Fix: give clusters[].azure`,
          });
        const inventory = c.nodePools;
        a.pools.forEach((p, n) => {
          once(`pool:${a.cluster}/${p}`, ap('pools', n), `pool ${p}`);
          const pool = inventory?.find((x) => x.name === p);
          if (!inventory || inventory.length === 0) {
            issues.push({
              path: ap('pools', n),
              message: `cluster ${a.cluster} lists no nodePools, so pool "${p}" cannot be checked. Fix: list the cluster's pools in clusters[].nodePools ({name, mode: System|User})`,
            });
          } else if (!pool) {
            issues.push({
              path: ap('pools', n),
              message: `"${p}" is not a node pool of cluster ${a.cluster}. Fix: use one of ${inventory.map((x) => x.name).join(', ')}`,
            });
          }
          if (pool?.mode === 'System') {
            issues.push({
              path: ap('pools', n),
              message: `pool ${p} is a System pool: system pools are protected (and can never go to zero). Fix: remove it; only user pools can be scaled down`,
            });
          } else if (ctx.protectedNodePools.includes(p) || c.protectedNodePools.includes(p)) {
            issues.push({
              path: ap('pools', n),
              message: `pool ${p} is protected (protected.nodePools or clusters[].protectedNodePools) and is never touched. Fix: remove it from the action, or stop protecting it`,
            });
          }
        });
      });
    });
  });
  return issues;
}
