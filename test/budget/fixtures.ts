// A budget config shared by the budget tests: a dev estate over one subscription's node resource
// group, with the three stages of issue #6 (80 % actual notify, 100 % forecast scale-down, 100 %
// actual stop), against a config with a production and a dev cluster.
import { parseConfig } from '../../src/config/load.js';
import { compileBudgets, protectionOf } from '../../src/budget/compile.js';
import type { BudgetSpec } from '../../src/budget/types.js';

export const SUB = '11111111-2222-4333-8444-555555555555';

export const BASE_YAML = `
version: 1
protected:
  namespaces: [monitoring]
  nodePools: [database]
clusters:
  - name: ms5-prod
    environment: production
    azure: { subscriptionId: ${SUB}, resourceGroup: rg-ms5-prod, clusterName: aks-ms5-prod }
    alertLabels: { cluster: ms5-prod }
    nodePools: [{ name: system, mode: System }, { name: spot, mode: User }, { name: database, mode: User }]
  - name: ms5-dev
    environment: dev
    azure: { subscriptionId: ${SUB}, resourceGroup: rg-ms5-dev, clusterName: aks-ms5-dev }
    alertLabels: { cluster: ms5-dev }
    protectedNamespaces: [timescaledb]
    nodePools: [{ name: system, mode: System }, { name: compute, mode: User }, { name: spot, mode: User }, { name: database, mode: User }]
notifications:
  - { name: oncall, type: teams, urlSetting: TEAMS_WEBHOOK_URL }
`;

export const BUDGET_YAML = `
budgets:
  - name: dev-estate
    scope: { subscriptionId: ${SUB}, resourceGroup: MC_rg-ms5-dev_aks-ms5-dev_westeurope }
    amount: 3000
    currency: EUR
    mode: enforce
    stages:
      - name: warn
        threshold: 80
        basis: actual
        actions: [{ type: notify }]
      - name: slow-down
        threshold: 100
        basis: forecast
        actions:
          - { type: scaleDownPools, cluster: ms5-dev, pools: [spot, compute] }
          - { type: scaleDownPools, cluster: ms5-prod, pools: [spot], maxCount: 2 }
      - name: stop
        threshold: 100
        basis: actual
        actions:
          - { type: scaleNamespacesToZero, cluster: ms5-prod, namespaces: [preview] }
          - { type: scalePoolsToZero, cluster: ms5-prod, pools: [spot] }
          - { type: stopClusters, clusters: [ms5-dev] }
`;

export function loadFixture(budgetYaml = BUDGET_YAML) {
  const cfg = parseConfig(BASE_YAML + budgetYaml, 'ops.yaml');
  return { cfg, budgets: compileBudgets(cfg.source), protection: protectionOf(cfg.source) };
}

export function fixtureBudget(budgetYaml = BUDGET_YAML): BudgetSpec {
  return loadFixture(budgetYaml).budgets[0]!;
}
