// cordon-node and uncordon-node through the real client-node against the strict fake API
// server (strategic merge patch of spec.unschedulable, dry-run, protected pools).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cordonNode, uncordonNode } from '../../src/runbooks/node.js';
import { seedNode } from '../fakes/kube-controllers.js';
import { planArgs, runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture({ protectedPools: ['system'] });
});
afterEach(async () => {
  await f.stop();
});

const N1 = 'aks-compute-12345678-vmss000001';
const NODE = target('Node', '', N1);

describe('cordon-node / uncordon-node', () => {
  it('cordons with a strategic merge patch once, and uncordons', async () => {
    seedNode(f.kube, N1, { pool: 'compute' });
    f.kube.clearRequests();
    expect((await cordonNode.run(f.ctx, runArgs(NODE, { node: N1 }, {}))).outcome).toBe('done');
    expect((await cordonNode.run(f.ctx, runArgs(NODE, { node: N1 }, {}))).outcome).toBe('already-done');
    expect(f.writeRequests()).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        path: `/api/v1/nodes/${N1}`,
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { unschedulable: true } },
      }),
    ]);
    expect(f.kube.get('nodes', undefined, N1)!.spec!['unschedulable']).toBe(true);
    await expect(cordonNode.health!(f.ctx, { params: {}, target: NODE, fixed: {}, instanceId: 'x' })).resolves.toMatchObject({ healthy: true });
    expect((await uncordonNode.run(f.ctx, runArgs(NODE, { node: N1 }, {}))).outcome).toBe('done');
    expect(f.kube.get('nodes', undefined, N1)!.spec!['unschedulable']).toBe(false);
  });

  it('dry-run changes nothing; protected pools are refused without a write', async () => {
    seedNode(f.kube, N1, { pool: 'compute' });
    seedNode(f.kube, 'aks-system-1234-vmss000000', { pool: 'system' });
    f.kube.clearRequests();
    const dry = await cordonNode.run(f.ctx, runArgs(NODE, {}, {}, { dryRun: true }));
    expect(dry.action).toBe(`would cordon node ${N1}`);
    expect(f.writes()).toEqual([`PATCH /api/v1/nodes/${N1}?dryRun=All&fieldManager=aksops`]);
    expect(f.kube.get('nodes', undefined, N1)!.spec!['unschedulable']).toBeUndefined();
    f.kube.clearRequests();
    const sys = target('Node', '', 'aks-system-1234-vmss000000');
    expect((await cordonNode.plan(f.ctx, planArgs(sys, {}))).refusal).toBe('node pool system is protected by config');
    expect((await cordonNode.run(f.ctx, runArgs(sys, {}, {}))).outcome).toBe('skipped');
    expect(f.writes()).toEqual([]);
  });
});
