// Budget plan behaviours that mutation testing found unguarded (issue #19).
import { describe, expect, it } from 'vitest';
import { planStage } from '../../src/budget/plan.js';
import type { EstateSnapshot, PoolSnapshot } from '../../src/budget/types.js';
import { loadFixture } from './fixtures.js';

const { budgets, protection } = loadFixture();
const spec = budgets[0]!;
const pool = (cluster: string, name: string, p: Partial<PoolSnapshot> = {}): PoolSnapshot => ({
  cluster, name, mode: 'User', enableAutoScaling: true, minCount: 1, maxCount: 10, count: 4, provisioningState: 'Succeeded', spot: false, ...p,
});
const snapshot = (over: Partial<EstateSnapshot> = {}): EstateSnapshot => ({
  pools: [pool('ms5-prod', 'compute'), pool('ms5-dev', 'compute')],
  clusters: [{ name: 'ms5-dev', power: 'Running', provisioningState: 'Succeeded' }, { name: 'ms5-prod', power: 'Running', provisioningState: 'Succeeded' }],
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
    const gone = plan([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 }, { type: 'stopClusters', clusters: ['ms5-dev'] }], {
      clusters: [{ name: 'ms5-prod', power: 'Running', provisioningState: 'Succeeded' }],
    });
    expect(gone.steps.map((s) => s.id)).toEqual(['0:pool/ms5-dev/compute/autoscaler']);
    expect(gone.skipped).toEqual([{ target: 'cluster/ms5-dev/power', reason: 'cluster ms5-dev was not found' }]);
    const unread = plan([{ type: 'scaleDownPools', cluster: 'ms5-dev', pools: ['compute'], maxCount: 2 }, { type: 'stopClusters', clusters: ['ms5-dev'] }], {
      errors: [{ target: 'cluster/ms5-dev/power', error: 'HTTP 429' }],
    });
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
