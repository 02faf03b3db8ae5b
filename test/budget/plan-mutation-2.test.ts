// Budget plan survivors of the second mutation run (issue #19): the `after` values restore reads
// back, clusters already stopped before the stage, the production pattern's anchors, and the exact
// descriptions and reasons the notification and the audit show.
import { describe, expect, it } from 'vitest';
import { planStage, poolValues } from '../../src/budget/plan.js';
import type { EstateSnapshot, PoolSnapshot } from '../../src/budget/types.js';
import { loadFixture } from './fixtures.js';

const { budgets, protection } = loadFixture();
const spec = budgets[0]!;
const pool = (name: string, p: Partial<PoolSnapshot> = {}): PoolSnapshot => ({
  cluster: 'ms5-dev',
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
  pools: [pool('compute')],
  clusters: [
    { name: 'ms5-dev', power: 'Running', provisioningState: 'Succeeded' },
    { name: 'ms5-prod', power: 'Running', provisioningState: 'Succeeded' },
  ],
  workloads: [
    { cluster: 'ms5-dev', namespace: 'preview', kind: 'Deployment', name: 'web', replicas: 2 },
    { cluster: 'ms5-dev', namespace: 'preview', kind: 'Deployment', name: 'api', replicas: 0 },
  ],
  errors: [],
  ...over,
});
const stage = (actions: unknown[]) => ({ stages: [{ ...spec.stages[2]!, actions }] }) as typeof spec;
const plan = (actions: unknown[], over: Partial<EstateSnapshot> = {}, prot = protection, stoppedClusters: string[] = []) =>
  planStage({ spec: stage(actions), stage: 0, snapshot: snapshot(over), protection: prot, existing: [], stoppedClusters });

describe('budget plan: what restore reads back', () => {
  it('a workload step records replicas 0 as its after value and describes the change; a workload already at 0 is skipped', () => {
    const p = plan([{ type: 'scaleNamespacesToZero', cluster: 'ms5-dev', namespaces: ['preview'] }]);
    expect(p.steps).toEqual([
      {
        id: '0:deployment/ms5-dev/preview/web/replicas',
        stage: 0,
        target: 'deployment/ms5-dev/preview/web/replicas',
        kind: 'workload-replicas',
        cluster: 'ms5-dev',
        namespace: 'preview',
        name: 'web',
        after: { replicas: 0 },
        description: 'ms5-dev deployment preview/web: replicas 2 -> 0',
      },
    ]);
    expect(p.skipped).toEqual([{ target: 'deployment/ms5-dev/preview/api/replicas', reason: 'already at 0 replicas' }]);
  });

  it('scalePoolsToZero on an autoscaled pool: autoscaler off, then count 0, each with its after value', () => {
    const p = plan([{ type: 'scalePoolsToZero', cluster: 'ms5-dev', pools: ['compute'] }]);
    expect(p.steps.map((s) => ({ id: s.id, kind: s.kind, after: s.after, description: s.description }))).toEqual([
      {
        id: '0:pool/ms5-dev/compute/autoscaler',
        kind: 'pool-autoscaler',
        after: { enableAutoScaling: false, minCount: null, maxCount: null },
        description: 'ms5-dev pool compute: autoscaler enableAutoScaling=true minCount=1 maxCount=10 -> off (before scaling to 0)',
      },
      { id: '0:pool/ms5-dev/compute/count', kind: 'pool-count', after: { count: 0 }, description: 'ms5-dev pool compute: count -> 0' },
    ]);
  });

  it('scalePoolsToZero on a manual pool: count 0 only; a manual pool already empty is skipped', () => {
    const manual = plan([{ type: 'scalePoolsToZero', cluster: 'ms5-dev', pools: ['compute'] }], {
      pools: [pool('compute', { enableAutoScaling: false, minCount: null, maxCount: null, count: 3 })],
    });
    expect(manual.steps.map((s) => [s.id, s.after])).toEqual([['0:pool/ms5-dev/compute/count', { count: 0 }]]);
    const empty = plan([{ type: 'scalePoolsToZero', cluster: 'ms5-dev', pools: ['compute'] }], {
      pools: [pool('compute', { enableAutoScaling: false, minCount: null, maxCount: null, count: 0 })],
    });
    expect(empty.steps).toEqual([]);
    expect(empty.skipped).toEqual([{ target: 'pool/ms5-dev/compute', reason: 'already at 0 nodes' }]);
  });

  it('a scale-down step describes the autoscaler before and after', () => {
    const p = plan([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 3 }]);
    expect(p.steps.map((s) => s.description)).toEqual([
      'ms5-dev pool compute: autoscaler enableAutoScaling=true minCount=1 maxCount=10 -> enableAutoScaling=true minCount=1 maxCount=3',
    ]);
    const manual = plan([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 }], {
      pools: [pool('compute', { enableAutoScaling: false, count: 5 })],
    });
    expect(manual.steps.map((s) => s.description)).toEqual(['ms5-dev pool compute: count 5 -> 2']);
  });

  it('an autoscaled scale-down to below 1 node is refused, pointing at scalePoolsToZero', () => {
    const p = plan([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'] }], { pools: [pool('compute', { minCount: 0, maxCount: 5 })] });
    expect(p.skipped).toEqual([
      { target: 'pool/ms5-dev/compute', reason: "the autoscaler's maxCount cannot go below 1 (minCount is 0); use scalePoolsToZero to empty the pool" },
    ]);
    const toMin = plan([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'] }], { pools: [pool('compute', { minCount: 1, maxCount: 5 })] });
    expect(toMin.steps.map((s) => s.after)).toEqual([{ enableAutoScaling: true, minCount: 1, maxCount: 1 }]);
  });
});

describe('budget plan: stopped clusters', () => {
  it('a cluster already stopped (power Stopped in the snapshot) is left alone by every action, and said so', () => {
    const stopped = { clusters: [{ name: 'ms5-dev', power: 'Stopped' as const, provisioningState: 'Succeeded' }] };
    const p = plan(
      [
        { type: 'scaleNamespacesToZero', cluster: 'ms5-dev', namespaces: ['preview'] },
        { type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 },
      ],
      stopped,
    );
    expect(p.steps).toEqual([]);
    expect(p.skipped).toEqual([
      { target: 'namespace/ms5-dev/preview', reason: 'cluster ms5-dev is stopped' },
      { target: 'pool/ms5-dev/compute', reason: 'cluster ms5-dev is stopped' },
    ]);
  });

  it('a cluster an earlier stage of this period stopped is left alone too', () => {
    const p = plan([{ type: 'scaleNamespacesToZero', cluster: 'ms5-dev', namespaces: ['preview'] }], {}, protection, ['ms5-dev']);
    expect(p.skipped).toEqual([{ target: 'namespace/ms5-dev/preview', reason: 'cluster ms5-dev is stopped' }]);
  });

  it('a pool of a cluster without that pool, and a System pool, are skipped with the reason', () => {
    const p = plan([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['gpu', 'system'], maxCount: 1 }], { pools: [pool('system', { mode: 'System' })] });
    expect(p.skipped).toEqual([
      { target: 'pool/ms5-dev/gpu', reason: 'cluster ms5-dev has no node pool gpu' },
      { target: 'pool/ms5-dev/system', reason: 'system pools are protected (and cannot go to zero)' },
    ]);
  });
});

describe('budget plan: the production pattern is anchored at both ends', () => {
  const envs = (env: string) => ({ ...protection, environments: { ...protection.environments, 'ms5-dev': env } });
  it('stops clusters whose environment only starts or ends like prod (products, prod-like, nonprod)', () => {
    for (const env of ['products', 'prod-like', 'productions', 'nonprod']) {
      expect(plan([{ type: 'stopClusters', clusters: ['ms5-dev'] }], {}, envs(env)).steps.map((s) => [s.id, s.after, s.description])).toEqual([
        ['0:cluster/ms5-dev/power', { power: 'Stopped' }, 'ms5-dev: stop the cluster (power Running -> Stopped)'],
      ]);
    }
  });
});

describe('budget plan: refusals by name', () => {
  it('a stage the budget does not have is a RangeError naming it', () => {
    const e: unknown = (() => {
      try {
        return planStage({ spec: stage([]), stage: 5, snapshot: snapshot(), protection, existing: [], stoppedClusters: [] });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toBe('no stage 5');
  });

  it('a protected node pool is skipped with its reason', () => {
    const prot = { ...protection, nodePools: { ...protection.nodePools, 'ms5-dev': ['compute'] } };
    expect(plan([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 }], {}, prot).skipped).toEqual([
      { target: 'pool/ms5-dev/compute', reason: 'node pool compute is protected' },
    ]);
  });

  it('the already-stopped check reads the named cluster, not the first one listed', () => {
    const clusters = [
      { name: 'ms5-prod', power: 'Running' as const, provisioningState: 'Succeeded' },
      { name: 'ms5-dev', power: 'Stopped' as const, provisioningState: 'Succeeded' },
    ];
    const p = plan([{ type: 'stopClusters', clusters: ['ms5-dev'] }], { clusters });
    expect(p.steps).toEqual([]);
    expect(p.skipped).toEqual([{ target: 'cluster/ms5-dev/power', reason: 'already stopped' }]);
  });

  it('poolValues reads what a step kind changes: the autoscaler bounds, or the count', () => {
    const p = pool('compute', { minCount: 2, maxCount: 7, count: 5 });
    expect(poolValues('pool-autoscaler', p)).toEqual({ enableAutoScaling: true, minCount: 2, maxCount: 7 });
    expect(poolValues('pool-count', p)).toEqual({ count: 5 });
  });
});
