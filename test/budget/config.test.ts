// The budgets section of ops.yaml: bad configs are refused at validation with the path and the fix.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { BASE_YAML, BUDGET_YAML, loadFixture, SUB } from './fixtures.js';

function problems(budgetYaml: string): Array<{ path: string; message: string }> {
  try {
    parseConfig(BASE_YAML + budgetYaml, 'ops.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => ({ path: p.path, message: p.message }));
    throw e;
  }
  return [];
}

const budget = (stages: string, extra = '') => `
budgets:
  - name: dev-estate
    scope: { subscriptionId: ${SUB} }
    amount: 1000
    currency: EUR${extra}
    stages:
${stages}`;

describe('budgets config', () => {
  it('accepts the issue #6 example and compiles it with safe defaults', () => {
    const { budgets } = loadFixture(BUDGET_YAML.replace('    mode: enforce\n', ''));
    const b = budgets[0]!;
    expect(b.mode).toBe('dry-run'); // new budgets start in dry-run
    expect(b).toMatchObject({
      refreshIntervalSeconds: 4 * 3600,
      costType: 'ActualCost',
      period: { type: 'calendar-month', startDay: 1 },
      allocationClusters: ['ms5-dev', 'ms5-prod'],
    });
    expect(b.stages.map((s) => [s.name, s.hysteresis, s.restoreWithinPeriod, s.approvalTimeoutSeconds])).toEqual([
      ['warn', 5, true, null],
      ['slow-down', 5, false, null],
      ['stop', 5, true, null],
    ]);
  });

  it('refuses stage thresholds out of order, naming the stage', () => {
    const p = problems(
      budget(`      - { name: a, threshold: 100, basis: forecast, actions: [{ type: notify }] }
      - { name: b, threshold: 90, basis: actual, actions: [{ type: notify }] }
      - { name: c, threshold: 100, basis: forecast, actions: [{ type: notify }] }`),
    );
    expect(p).toEqual([
      {
        path: 'budgets[0].stages[1].threshold',
        message: expect.stringMatching(/90 % of actual comes after 100 % of forecast \(stages\[0\]\).*out of order\. Fix: order stages by threshold/),
      },
    ]);
    // Each stage is compared with the one before it: c (100 % forecast) after b (90 % actual) is in order.
    // forecast then actual at the same threshold is in order (a forecast reaches it first); the reverse is not.
    expect(
      problems(
        budget(`      - { name: a, threshold: 100, basis: forecast, actions: [{ type: notify }] }
      - { name: b, threshold: 100, basis: actual, actions: [{ type: notify }] }`),
      ),
    ).toEqual([]);
    expect(
      problems(
        budget(`      - { name: a, threshold: 100, basis: actual, actions: [{ type: notify }] }
      - { name: b, threshold: 100, basis: forecast, actions: [{ type: notify }] }`),
      )[0]?.path,
    ).toBe('budgets[0].stages[1].threshold');
  });

  it('refuses an unknown pool, naming it and the pools the cluster has', () => {
    const p = problems(budget(`      - { name: a, threshold: 100, basis: actual, actions: [{ type: scaleDownPools, cluster: ms5-dev, pools: [spot, gpu] }] }`));
    expect(p).toEqual([
      {
        path: 'budgets[0].stages[0].actions[0].pools[1]',
        message: '"gpu" is not a node pool of cluster ms5-dev. Fix: use one of system, compute, spot, database',
      },
    ]);
  });

  it('refuses protected pools and system pools in an action', () => {
    const p = problems(
      budget(`      - { name: a, threshold: 100, basis: actual, actions: [{ type: scalePoolsToZero, cluster: ms5-dev, pools: [system, database] }] }`),
    );
    expect(p).toEqual([
      { path: 'budgets[0].stages[0].actions[0].pools[0]', message: expect.stringContaining('pool system is a System pool: system pools are protected') },
      { path: 'budgets[0].stages[0].actions[0].pools[1]', message: expect.stringMatching(/^pool database is protected .*Fix: remove it from the action/) },
    ]);
  });

  it('refuses protected namespaces, production clusters and clusters without an environment', () => {
    const p = problems(
      budget(`      - name: a
        threshold: 100
        basis: actual
        actions:
          - { type: scaleNamespacesToZero, cluster: ms5-dev, namespaces: [kube-system, monitoring, timescaledb, backend] }
          - { type: stopClusters, clusters: [ms5-prod, nope] }`),
    );
    expect(p.map((x) => x.path)).toEqual([
      'budgets[0].stages[0].actions[0].namespaces[0]',
      'budgets[0].stages[0].actions[0].namespaces[1]',
      'budgets[0].stages[0].actions[0].namespaces[2]',
      'budgets[0].stages[0].actions[1].clusters[0]',
      'budgets[0].stages[0].actions[1].clusters[1]',
    ]);
    expect(p[3]!.message).toContain('production is never stopped');
    expect(p[4]!.message).toMatch(/"nope" is not a configured cluster\. Fix: use one of ms5-prod, ms5-dev/);
  });

  it('refuses other mistakes with a fix: unknown action, duplicate names, bad currency, short refresh, pools without inventory', () => {
    const p = problems(
      budget(
        `      - { name: a, threshold: 80, basis: actual, actions: [{ type: deleteEverything }] }
      - { name: a, threshold: 90, basis: actual, actions: [{ type: notify }] }`,
        '\n    refreshInterval: 10m\n    period: { type: calendar-month, startDay: 15 }',
      ).replace('currency: EUR', 'currency: euro'),
    );
    const byPath = Object.fromEntries(p.map((x) => [x.path, x.message]));
    expect(byPath['budgets[0].currency']).toContain('ISO 4217');
    expect(byPath['budgets[0].stages[0].actions[0].type'] ?? byPath['budgets[0].stages[0].actions[0]']).toContain('Fix: type is one of notify, scaleDownPools');
    const q = problems(
      budget(
        `      - { name: a, threshold: 80, basis: actual, actions: [{ type: notify }] }
      - { name: a, threshold: 90, basis: actual, actions: [{ type: notify }] }`,
        '\n    refreshInterval: 10m\n    period: { type: calendar-month, startDay: 15 }',
      ),
    );
    expect(q.map((x) => x.path).sort()).toEqual(['budgets[0].period.startDay', 'budgets[0].refreshInterval', 'budgets[0].stages[1].name']);
    const noInventory = parseConfigProblems(`
version: 1
clusters:
  - { name: dev, environment: dev, azure: { subscriptionId: ${SUB}, resourceGroup: rg, clusterName: aks } }
budgets:
  - name: b
    scope: { subscriptionId: ${SUB} }
    amount: 10
    currency: EUR
    stages: [{ name: a, threshold: 100, basis: actual, actions: [{ type: scaleDownPools, cluster: dev, pools: [spot] }] }]
`);
    expect(noInventory).toEqual([{ path: 'budgets[0].stages[0].actions[0].pools[0]', message: expect.stringContaining('lists no nodePools') }]);
  });
});

function parseConfigProblems(yaml: string): Array<{ path: string; message: string }> {
  try {
    parseConfig(yaml, 'ops.yaml');
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => ({ path: p.path, message: p.message }));
    throw e;
  }
}

describe('docs/budgets.md', () => {
  it('its configuration example is valid', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync('docs/budgets.md', 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const cfg = parseConfig(`version: 1\n${yaml}`, 'docs/budgets.md');
    expect(cfg.source.budgets?.[0]).toMatchObject({ name: 'dev-estate', mode: 'dry-run' });
  });
});
