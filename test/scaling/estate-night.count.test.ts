// Counting, not timing (docs/scaling-out.md): how many Durable history events and episodes one
// predictive-scaling run writes per pool, through durable-functions' own executor (the replay
// harness). The per-pool cost must be constant (linear in pools): the estate-night arithmetic in
// docs/scaling-out.md multiplies it out. Prints the figures; fails if the growth is not linear.
import { windowGateActivity } from '../support/window-gate.js';
import { describe, expect, it } from 'vitest';
import type { PoolPlan } from '../../src/scaling/plan.js';
import { predictiveScalingOrchestrator, SCALING_ACTIVITY } from '../../orchestrations/predictive-scaling.js';
import { createReplayHarness } from '../support/replay-harness.js';

const MIN = 60_000;
const plan = (i: number): PoolPlan => ({
  key: `c/p${i}`,
  cluster: 'c',
  pool: `p${i}`,
  azure: { subscriptionId: '00000000-0000-0000-0000-0000000000aa', resourceGroup: 'rg', clusterName: 'aks' },
  prometheus: { url: 'http://prometheus:9090', auth: 'none' },
  mode: 'enforce',
  protected: false,
  resource: 'cpu',
  allocatablePerNode: 4,
  headroom: 0.1,
  policy: { minCount: 1, maxCount: 20, maxStepUp: 5, maxStepDown: 2, cooldownMs: 10 * MIN, lowerAfterMs: 30 * MIN },
  leadMs: 8 * MIN,
  horizonMs: 60 * MIN,
  stepMs: 5 * MIN,
  historyMs: 14 * 86_400_000,
  coverage: 0.95,
  underCost: 2,
  queries: {},
});

async function count(pools: number) {
  const state = { minCount: 2, maxCount: 30, nodeCount: 3, enableAutoScaling: true, poolMode: 'User', lastChangeAtMs: null };
  const h = createReplayHarness({
    orchestrator: predictiveScalingOrchestrator,
    name: 'predictiveScaling',
    instanceId: 's',
    input: { pools: Array.from({ length: pools }, (_, i) => plan(i)) },
    activities: {
      ...windowGateActivity(),
      [SCALING_ACTIVITY.forecast]: ({ plan: p }: { plan: PoolPlan }) => ({
        key: p.key,
        ok: true,
        originAt: '2025-01-01T00:00:00.000Z',
        desiredNodes: 8,
        effectiveMode: 'enforce',
        modeReasons: [],
        state,
        model: 'm',
        decisionUpper: 9,
        allocatable: 4,
      }),
      [SCALING_ACTIVITY.apply]: (i: { toMinCount: number }) => ({ outcome: 'applied', detail: 'x', minCount: i.toMinCount }),
      [SCALING_ACTIVITY.record]: () => null,
    },
  });
  const r = await h.run();
  expect(r.status).toBe('completed');
  return { history: h.store.history.length, steps: r.steps };
}

describe('estate-night counting', () => {
  it('a predictive-scaling run grows linearly in pools (history events and episodes)', async () => {
    const [one, two, four] = [await count(1), await count(2), await count(4)];
    const perPool = two.history - one.history;
    expect(four.history - two.history).toBe(2 * perPool);
    console.log(
      JSON.stringify({
        historyEvents: { pools1: one.history, pools2: two.history, pools4: four.history, perPool, fixed: one.history - perPool },
        steps: { pools1: one.steps, pools4: four.steps },
      }),
    );
  });
});
