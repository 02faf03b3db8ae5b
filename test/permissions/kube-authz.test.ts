// The fake API server authorizes every request against the app's declared role (default
// policy) and answers kube-apiserver's 403 Status; removing one permission fails the feature
// that needs it with a message that names the permission and the fix.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { appPolicy } from '../../src/permissions/kubernetes.js';
import { cordonNode } from '../../src/runbooks/node.js';
import { restartPod } from '../../src/runbooks/restart-pod.js';
import { seedNode } from '../fakes/kube-controllers.js';
import { runArgs, runbookFixture, target, type RunbookFixture } from '../support/runbook-fixture.js';

let f: RunbookFixture;
beforeEach(async () => {
  f = await runbookFixture();
});
afterEach(async () => {
  await f.stop();
});

const without = (group: string, resource: string, verb: string) =>
  appPolicy().map((r) => (r.group === group && r.resource === resource ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r));

async function failureText(p: Promise<{ outcome: string; detail?: string }>): Promise<string> {
  try {
    const r = await p;
    expect(r.outcome).toBe('failed');
    return r.detail ?? '';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('authorization in the fake API server', () => {
  it('answers the real 403 Status for a request the role does not allow', async () => {
    const core = f.kube.kubeConfig().makeApiClient(CoreV1Api);
    const err = (await core.deleteNamespacedService({ namespace: 'shop', name: 'web' }).catch((e: unknown) => e)) as { code: number; body: string };
    expect(err.code).toBe(403);
    expect(JSON.parse(err.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
      message: 'services "web" is forbidden: User "test-user" cannot delete resource "services" in API group "" in the namespace "shop"',
      details: { name: 'web', kind: 'services' },
    });
    const secrets = (await core.listPersistentVolume().catch((e: unknown) => e)) as { code: number; body: string };
    expect(secrets.code).toBe(403);
    expect(JSON.parse(secrets.body).message).toBe(
      'persistentvolumes is forbidden: User "test-user" cannot list resource "persistentvolumes" in API group "" at the cluster scope',
    );
  });

  it('cordon-node fails without patch on nodes, naming the permission, the feature and the fix', async () => {
    seedNode(f.kube, 'aks-compute-1-vmss000001', { pool: 'compute' });
    const NODE = target('Node', '', 'aks-compute-1-vmss000001');
    f.kube.rules = without('', 'nodes', 'patch');
    const text = await failureText(cordonNode.run(f.ctx, runArgs(NODE, { node: NODE.name }, {})));
    expect(text).toContain('HTTP 403 Forbidden');
    expect(text).toContain('missing Kubernetes permission: patch nodes (cluster scope) (needed by runbook-cordon-drain)');
    expect(text).toContain('Microsoft.ContainerService/managedClusters/nodes/write');
    expect(text).toContain('deploy/kubernetes/clusterrole.yaml');
    expect(f.kube.get('nodes', undefined, NODE.name)!.spec!['unschedulable']).toBeUndefined();
    // With the shipped role the same call succeeds.
    f.kube.rules = appPolicy();
    expect((await cordonNode.run(f.ctx, runArgs(NODE, { node: NODE.name }, {}))).outcome).toBe('done');
  });

  it("restart-pod fails without get on replicasets in the pod's namespace", async () => {
    const { pods } = f.kube.seedDeployment({ namespace: 'backend', name: 'api', replicas: 1, crashLooping: true });
    f.kube.rules = without('apps', 'replicasets', 'get');
    const pod = target('Pod', 'backend', pods[0]!.metadata.name!);
    const kc = f.kube.kubeConfig();
    const apis = { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
    const text = await failureText(restartPod(apis, { target: pod, dryRun: false, restartedAt: '2025-03-01T10:15:00Z' }));
    expect(text).toContain('missing Kubernetes permission: get apps/replicasets in namespace backend');
    expect(text).toContain('Microsoft.ContainerService/managedClusters/apps/replicasets/read');
  });
});
