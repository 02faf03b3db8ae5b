// The `scaling` section of ops.yaml: errors name the path and the fix; the plan resolves defaults.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { scalingPlan } from '../../src/scaling/plan.js';

const BASE = `version: 1
protected:
  nodePools: [system]
clusters:
  - name: ms5-prod
    alertLabels: { cluster: ms5-prod }
    azure: { subscriptionId: 6f8b3a2e-1c4d-4e5f-9a7b-2c3d4e5f6a7b, resourceGroup: rg-ms5, clusterName: aks-ms5-prod }
  - name: lab
    kubeContext: kind-lab
    alertLabels: { cluster: lab }
`;

function withScaling(scaling: string): string {
  return `${BASE}scaling:\n${scaling}`;
}

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
}

const GOOD = `  defaults:
    mode: forecast-only
    provisioningLead: 4m
  clusters:
    - cluster: ms5-prod
      prometheus: { url: 'https://amw-ms5.westeurope.prometheus.monitor.azure.com', auth: managed-identity }
      pools:
        - { name: compute, mode: enforce, minCount: 2, maxCount: 20, headroom: 0.15, cooldown: 15m }
        - { name: system, minCount: 1, maxCount: 3 }
`;

describe('scaling config', () => {
  it('accepts a complete section and resolves every pool with its defaults', () => {
    expect(problems(withScaling(GOOD))).toEqual([]);
    const plans = scalingPlan(parseConfig(withScaling(GOOD)));
    expect(plans).toHaveLength(2);
    expect(plans[0]).toMatchObject({
      key: 'ms5-prod/compute',
      mode: 'enforce',
      protected: false,
      headroom: 0.15,
      azure: { clusterName: 'aks-ms5-prod' },
      prometheus: { auth: 'managed-identity' },
      policy: { minCount: 2, maxCount: 20, maxStepUp: 5, maxStepDown: 10, cooldownMs: 900_000, lowerAfterMs: 600_000 },
      leadMs: (4 + 3) * 60_000,
      horizonMs: 3_600_000,
      stepMs: 300_000,
      historyMs: 14 * 86_400_000,
    });
    expect(plans[1]).toMatchObject({ key: 'ms5-prod/system', mode: 'forecast-only', protected: true });
  });

  it("a queue signal becomes the pool's requests query (workers the queue needs); the cost gate limits resolve", () => {
    const yaml = withScaling(
      GOOD.replace(
        'headroom: 0.15, cooldown: 15m',
        'queue: { query: \'celery_queue_length{queue_name="analysis"}\', tasksPerWorker: 4, workerRequests: 0.5 }, maxExtraNodeHours: 0.25',
      ),
    );
    expect(problems(yaml)).toEqual([]);
    const [compute] = scalingPlan(parseConfig(yaml));
    expect(compute!.queries.requests).toBe('ceil(sum(celery_queue_length{queue_name="analysis"}) / 4) * 0.5');
    expect(compute).toMatchObject({ maxExtraNodeHours: 0.25, maxUnderProvisioned: 0.05 });
  });

  it('is optional', () => {
    expect(scalingPlan(parseConfig(BASE))).toEqual([]);
  });

  it.each([
    ['cooldown: 5m', /scaling.clusters\[0\].pools\[0\].cooldown: is 5m, below the 10 minutes .* Fix: set at least 10m/],
    ['minCount: 9, maxCount: 4', /scaling.clusters\[0\].pools\[0\].minCount: 9 is above maxCount 4; AKS refuses minCount > maxCount. Fix:/],
    ['step: 7m', /scaling.clusters\[0\].pools\[0\].step: 7m does not divide a day .* Fix: use 1m, 5m/],
    ['history: 12h', /history: is 12h; forecasting needs days of history .* Fix: set 14d/],
    ['cooldown: soon', /cooldown: is not a duration. Fix:/],
    ['headroom: 2', /headroom: .*Fix|headroom: Too big/],
    [
      "queue: { query: 'q', tasksPerWorker: 4, workerRequests: 0.5 }, queries: { requests: 'r' }",
      /pools\[0\]\.queue: and queries.requests both define the pool's demand. Fix: keep one/,
    ],
    ['maxExtraNodeHours: -1', /maxExtraNodeHours: /],
  ])('names the path and the fix: %s', (fragment, message) => {
    const yaml = withScaling(
      GOOD.replace('minCount: 2, maxCount: 20, headroom: 0.15, cooldown: 15m', `minCount: 2, maxCount: 20, ${fragment}`).replace(
        'minCount: 2, maxCount: 20, minCount: 9, maxCount: 4',
        'minCount: 9, maxCount: 4',
      ),
    );
    expect(problems(yaml).join('\n')).toMatch(message);
  });

  it('refuses enforce on a protected pool, and on a cluster ARM cannot reach', () => {
    const protectedEnforce = withScaling(
      GOOD.replace('{ name: system, minCount: 1, maxCount: 3 }', '{ name: system, mode: enforce, minCount: 1, maxCount: 3 }'),
    );
    expect(problems(protectedEnforce).join('\n')).toMatch(
      /scaling.clusters\[0\].pools\[1\].mode: is enforce, but pool "system" is protected and is never changed. Fix: set mode: forecast-only/,
    );
    const lab = withScaling(`  clusters:
    - cluster: lab
      prometheus: { url: 'http://localhost:9090' }
      pools: [{ name: compute, mode: enforce, minCount: 0, maxCount: 5 }]
`);
    expect(problems(lab).join('\n')).toMatch(/is enforce, but cluster "lab" has no azure block/);
  });

  it('refuses unknown clusters, unknown keys and bad pool names', () => {
    const bad = withScaling(`  clusters:
    - cluster: ms5-staging
      prometheus: { url: 'http://prometheus:9090' }
      pools: [{ name: Compute_Pool, minCount: 0, maxCount: 5, minNodes: 1 }]
`);
    const text = problems(bad).join('\n');
    expect(text).toMatch(/scaling.clusters\[0\].cluster: "ms5-staging" is not a configured cluster. Fix: use one of ms5-prod, lab/);
    expect(text).toMatch(/scaling.clusters\[0\].pools\[0\].name: is not an AKS node pool name/);
    expect(text).toMatch(/unknown key "minNodes"/);
  });
});
