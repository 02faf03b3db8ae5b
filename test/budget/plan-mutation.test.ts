// Budget plan behaviours that mutation testing found unguarded (issue #19).
import { describe, expect, it } from 'vitest';
import { planStage } from '../../src/budget/plan.js';
import type { EstateSnapshot, PoolSnapshot } from '../../src/budget/types.js';
import { loadFixture } from './fixtures.js';

const { budgets, protection } = loadFixture();
const spec = budgets[0]!;
const pool = (cluster: string, name: string, p: Partial<PoolSnapshot> = {}): PoolSnapshot => ({
  cluster,
  name,
  mode: 'User',
  enableAutoScaling: true,
  minCount: 1,
  maxCount: 10,
  count: 4,
  provisioningState: 'Succeeded',
  spot: false,
  ...p,
});
const snapshot = (over: Partial<EstateSnapshot> = {}): EstateSnapshot => ({
  pools: [pool('ms5-prod', 'compute'), pool('ms5-dev', 'compute')],
  clusters: [
    { name: 'ms5-dev', power: 'Running', provisioningState: 'Succeeded' },
    { name: 'ms5-prod', power: 'Running', provisioningState: 'Succeeded' },
  ],
  workloads: [
    { cluster: 'ms5-prod', namespace: 'preview', kind: 'Deployment', name: 'web', replicas: 3 },
    { cluster: 'ms5-dev', namespace: 'preview', kind: 'Deployment', name: 'web', replicas: 2 },
  ],
  errors: [],
  ...over,
});
const stage = (actions: unknown[]) => ({ stages: [{ ...spec.stages[2]!, actions }] }) as typeof spec;
const plan = (actions: unknown[], over: Partial<EstateSnapshot> = {}) =>
  planStage({ spec: stage(actions), stage: 0, snapshot: snapshot(over), protection, existing: [], stoppedClusters: [] });

describe('a stage that also names a cluster it may not stop', () => {
  it('still scales the namespace of a production cluster whose stop is refused (stopClusters ordering bug)', () => {
    expect(protection.environments['ms5-prod']).toBe('production');
    const p = plan([
      { type: 'scaleNamespacesToZero', cluster: 'ms5-prod', namespaces: ['preview'] },
      { type: 'stopClusters', clusters: ['ms5-prod'] },
    ]);
    expect(p.steps.map((s) => [s.id, s.after])).toEqual([['0:deployment/ms5-prod/preview/web/replicas', { replicas: 0 }]]);
    expect(p.skipped).toEqual([{ target: 'cluster/ms5-prod/power', reason: 'cluster ms5-prod is production' }]);
  });

  it('still scales pools of a cluster whose stop is refused because it was not found or could not be read', () => {
    const gone = plan(
      [
        { type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 },
        { type: 'stopClusters', clusters: ['ms5-dev'] },
      ],
      {
        clusters: [{ name: 'ms5-prod', power: 'Running', provisioningState: 'Succeeded' }],
      },
    );
    expect(gone.steps.map((s) => s.id)).toEqual(['0:pool/ms5-dev/compute/autoscaler']);
    expect(gone.skipped).toEqual([{ target: 'cluster/ms5-dev/power', reason: 'cluster ms5-dev was not found' }]);
    const unread = plan(
      [
        { type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 },
        { type: 'stopClusters', clusters: ['ms5-dev'] },
      ],
      {
        errors: [{ target: 'cluster/ms5-dev/power', error: 'HTTP 429' }],
      },
    );
    expect(unread.steps.map((s) => s.id)).toEqual(['0:pool/ms5-dev/compute/autoscaler']);
    expect(unread.skipped).toEqual([{ target: 'cluster/ms5-dev/power', reason: 'could not be read: HTTP 429' }]);
  });

  it('leaves the rest of a cluster it does stop alone, and says why', () => {
    const p = plan([
      { type: 'scaleNamespacesToZero', cluster: 'ms5-dev', namespaces: ['preview'] },
      { type: 'stopClusters', clusters: ['ms5-dev'] },
    ]);
    expect(p.steps.map((s) => s.id)).toEqual(['0:cluster/ms5-dev/power']);
    expect(p.skipped).toEqual([{ target: 'namespace/ms5-dev/preview', reason: 'cluster ms5-dev is stopped by this stage' }]);
  });
});

describe('budget plan protections and bounds', () => {
  const envs = (environments: Record<string, string | undefined>) => ({ ...protection, environments });
  const planWith = (actions: unknown[], prot: typeof protection, over: Partial<EstateSnapshot> = {}) =>
    planStage({ spec: stage(actions), stage: 0, snapshot: snapshot(over), protection: prot, existing: [], stoppedClusters: [] });

  it('never stops a cluster whose environment is prod, PROD, production or unset; stops staging', () => {
    for (const env of ['prod', 'PROD', 'production', 'Production']) {
      expect(planWith([{ type: 'stopClusters', clusters: ['ms5-dev'] }], envs({ 'ms5-dev': env })).skipped).toEqual([
        { target: 'cluster/ms5-dev/power', reason: 'cluster ms5-dev is production' },
      ]);
    }
    expect(planWith([{ type: 'stopClusters', clusters: ['ms5-dev'] }], envs({})).skipped).toEqual([
      { target: 'cluster/ms5-dev/power', reason: 'cluster ms5-dev has no environment; only non-production clusters are stopped' },
    ]);
    expect(planWith([{ type: 'stopClusters', clusters: ['ms5-dev'] }], envs({ 'ms5-dev': 'preprod' })).steps.map((s) => [s.id, s.after])).toEqual([
      ['0:cluster/ms5-dev/power', { power: 'Stopped' }],
    ]);
    expect(
      planWith([{ type: 'stopClusters', clusters: ['ms5-dev'] }], envs({ 'ms5-dev': 'staging' }), {
        clusters: [{ name: 'ms5-dev', power: 'Stopped', provisioningState: 'Succeeded' }],
      }).skipped,
    ).toEqual([{ target: 'cluster/ms5-dev/power', reason: 'already stopped' }]);
  });

  it('skips a protected namespace in a cluster the stage does not stop, and scales the same name in another cluster', () => {
    const prot = { ...protection, namespaces: { ...protection.namespaces, 'ms5-prod': ['preview'] } };
    const p = planWith(
      [
        { type: 'scaleNamespacesToZero', cluster: 'ms5-prod', namespaces: ['preview'] },
        { type: 'scaleNamespacesToZero', cluster: 'ms5-dev', namespaces: ['preview'] },
      ],
      prot,
    );
    expect(p.skipped).toEqual([{ target: 'namespace/ms5-prod/preview', reason: 'namespace preview is protected' }]);
    expect(p.steps.map((s) => [s.id, s.after])).toEqual([['0:deployment/ms5-dev/preview/web/replicas', { replicas: 0 }]]);
  });

  it('never raises a pool maxCount or count during a budget cut', () => {
    const p = planWith([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 12 }], protection);
    expect(p.steps).toEqual([]);
    expect(p.skipped).toEqual([{ target: 'pool/ms5-dev/compute', reason: 'autoscaler maxCount is already 10 (target 12)' }]);
    const equal = planWith([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 10 }], protection);
    expect(equal.steps).toEqual([]);
    const manual = planWith([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 4 }], protection, {
      pools: [pool('ms5-dev', 'compute', { enableAutoScaling: false, count: 4 })],
    });
    expect(manual.skipped).toEqual([{ target: 'pool/ms5-dev/compute', reason: 'count is already 4 (target 4)' }]);
  });

  it('records the after values of a scale-down: maxCount to the target, minCount lowered to it when above', () => {
    const p = planWith([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 }], protection, {
      pools: [pool('ms5-dev', 'compute', { minCount: 3, maxCount: 10 })],
    });
    expect(p.steps.map((s) => [s.id, s.after])).toEqual([['0:pool/ms5-dev/compute/autoscaler', { enableAutoScaling: true, minCount: 2, maxCount: 2 }]]);
    const manual = planWith([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 1 }], protection, {
      pools: [pool('ms5-dev', 'compute', { enableAutoScaling: false, count: 4 })],
    });
    expect(manual.steps.map((s) => [s.id, s.after])).toEqual([['0:pool/ms5-dev/compute/count', { count: 1 }]]);
    const noTarget = planWith([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'] }], protection, {
      pools: [pool('ms5-dev', 'compute', { enableAutoScaling: false, count: 4 })],
    });
    expect(noTarget.skipped).toEqual([
      { target: 'pool/ms5-dev/compute', reason: 'the pool has no autoscaler and the action gives no maxCount to scale it down to' },
    ]);
  });

  it('skips pools and namespaces it could not read, naming the error', () => {
    const p = planWith(
      [
        { type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 },
        { type: 'scaleNamespacesToZero', cluster: 'ms5-dev', namespaces: ['preview'] },
      ],
      protection,
      {
        errors: [
          { target: 'pool/ms5-dev/compute', error: 'HTTP 403' },
          { target: 'namespace/ms5-dev/preview', error: 'HTTP 500' },
        ],
      },
    );
    expect(p.steps).toEqual([]);
    expect(p.skipped).toEqual([
      { target: 'pool/ms5-dev/compute', reason: 'could not be read: HTTP 403' },
      { target: 'namespace/ms5-dev/preview', reason: 'could not list its Deployments: HTTP 500' },
    ]);
  });
});
