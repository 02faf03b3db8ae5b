// restart-pod through the real @kubernetes/client-node against the strict fake API server:
// the assertions are on what reached the server and on the stored objects.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { RESTARTED_AT_ANNOTATION, resolveRestartTarget, restartPod, type RestartPodApis } from '../../src/runbooks/restart-pod.js';
import type { PlanRunbookInput, Target } from '../../src/domain/types.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createKubeAccess } from '../../src/adapters/kube.js';
import { planRunbook, type RunbookEnv } from '../../src/runbooks/run.js';

const RESTARTED_AT = '2025-03-01T10:15:00Z';
let kube: FakeKubeApiServer;
let apis: RestartPodApis;

beforeEach(async () => {
  kube = await startFakeKubeApiServer({ token: 'kube-test-token' });
  const kc = kube.kubeConfig();
  apis = { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
});

afterEach(async () => {
  await kube.stop();
});

const podTarget = (namespace: string, name: string): Target => ({ cluster: 'ms5-prod', namespace, kind: 'Pod', name });

function seedApi() {
  const seeded = kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 2, crashLooping: true });
  kube.clearRequests();
  return { ...seeded, pod: podTarget('shop', seeded.pods[0]!.metadata.name!) };
}

describe('resolveRestartTarget', () => {
  it('resolves a pod owned by ReplicaSet <- Deployment to the Deployment', async () => {
    const { pod, replicaSet } = seedApi();
    expect(replicaSet.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'api', controller: true });
    await expect(resolveRestartTarget(apis, pod)).resolves.toEqual({ cluster: 'ms5-prod', namespace: 'shop', kind: 'Deployment', name: 'api' });
    expect(kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v1/namespaces/shop/pods/${pod.name}`,
      `GET /apis/apps/v1/namespaces/shop/replicasets/${replicaSet.metadata.name}`,
    ]);
  });

  it('keeps a standalone pod and a missing pod as the pod target', async () => {
    kube.seedPod({ namespace: 'shop', name: 'debug' });
    await expect(resolveRestartTarget(apis, podTarget('shop', 'debug'))).resolves.toEqual(podTarget('shop', 'debug'));
    await expect(resolveRestartTarget(apis, podTarget('shop', 'gone'))).resolves.toEqual(podTarget('shop', 'gone'));
  });
});

describe('restartPod on a Deployment-owned pod', () => {
  it('sends exactly one strategic merge PATCH of the restartedAt annotation to the Deployment', async () => {
    const { pod, deployment } = seedApi();
    const result = await restartPod(apis, { target: pod, dryRun: false, restartedAt: RESTARTED_AT });

    expect(result).toMatchObject({
      runbook: 'restart-pod',
      dryRun: false,
      outcome: 'done',
      actedOn: { cluster: 'ms5-prod', namespace: 'shop', kind: 'Deployment', name: 'api' },
    });
    expect(result.action).toContain('rollout-restarted deployment shop/api');
    const writes = kube.writes();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/shop/deployments/api',
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldManager: 'aksops' },
      body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: RESTARTED_AT } } } } },
      status: 200,
    });
    const stored = kube.get('deployments', 'shop', 'api')!;
    const template = stored.spec!['template'] as { metadata: { annotations: Record<string, string>; labels: Record<string, string> } };
    expect(template.metadata.annotations[RESTARTED_AT_ANNOTATION]).toBe(RESTARTED_AT);
    expect(template.metadata.labels).toEqual({ app: 'api' });
    expect(stored.metadata.generation).toBe(2);
    expect(stored.metadata.uid).toBe(deployment.metadata.uid);
    expect(kube.list('pods', 'shop')).toHaveLength(2);
  });

  it('does not patch again when retried with the same restartedAt', async () => {
    const { pod } = seedApi();
    await restartPod(apis, { target: pod, dryRun: false, restartedAt: RESTARTED_AT });
    const revision = kube.revision;
    const retry = await restartPod(apis, { target: pod, dryRun: false, restartedAt: RESTARTED_AT });
    expect(retry.outcome).toBe('already-done');
    expect(retry.actedOn.kind).toBe('Deployment');
    expect(kube.writes()).toHaveLength(1);
    expect(kube.revision).toBe(revision);

    const later = await restartPod(apis, { target: pod, dryRun: false, restartedAt: '2025-03-01T11:00:00Z' });
    expect(later.outcome).toBe('done');
    expect(kube.writes()).toHaveLength(2);
  });

  it('accepts the Deployment target resolveRestartTarget returned', async () => {
    const { pod } = seedApi();
    const target = await resolveRestartTarget(apis, pod);
    const result = await restartPod(apis, { target, dryRun: false, restartedAt: RESTARTED_AT });
    expect(result.outcome).toBe('done');
    expect(kube.writes().map((w) => `${w.method} ${w.path}`)).toEqual(['PATCH /apis/apps/v1/namespaces/shop/deployments/api']);
  });

  it('dry-run sends dryRun=All and leaves every stored object unchanged', async () => {
    const { pod } = seedApi();
    const before = { deployments: kube.list('deployments'), replicasets: kube.list('replicasets'), pods: kube.list('pods') };
    const revision = kube.revision;

    const result = await restartPod(apis, { target: pod, dryRun: true, restartedAt: RESTARTED_AT });

    expect(result).toMatchObject({ dryRun: true, outcome: 'done', actedOn: { kind: 'Deployment', name: 'api' } });
    expect(result.action).toMatch(/^would rollout-restart deployment shop\/api/);
    const writes = kube.writes();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ method: 'PATCH', query: { dryRun: 'All', fieldManager: 'aksops' }, status: 200 });
    expect({ deployments: kube.list('deployments'), replicasets: kube.list('replicasets'), pods: kube.list('pods') }).toEqual(before);
    expect(kube.revision).toBe(revision);
  });

  it('refuses a paused Deployment with outcome skipped and sends no write', async () => {
    const seeded = kube.seedDeployment({ namespace: 'shop', name: 'api', paused: true });
    kube.clearRequests();
    const result = await restartPod(apis, { target: podTarget('shop', seeded.pods[0]!.metadata.name!), dryRun: false, restartedAt: RESTARTED_AT });
    expect(result.outcome).toBe('skipped');
    expect(result.actedOn).toMatchObject({ kind: 'Deployment', name: 'api' });
    expect(result.detail).toContain('paused');
    expect(result.detail).toContain('kubectl rollout resume deployment/api -n shop');
    expect(kube.writes()).toHaveLength(0);
  });

  it('deletes the pod when its ReplicaSet points at a Deployment that was re-created since', async () => {
    const { pod } = seedApi();
    kube.modify('deployments', 'shop', 'api', (d) => (d.metadata.uid = '00000000-0000-0000-0000-00000000beef'));
    const result = await restartPod(apis, { target: pod, dryRun: false, restartedAt: RESTARTED_AT });
    expect(result.actedOn.kind).toBe('Pod');
    expect(kube.writes().map((w) => w.method)).toEqual(['DELETE']);
  });
});

describe('restartPod on other pods', () => {
  it('deletes a standalone pod with a uid precondition, and a retry finds it already terminating', async () => {
    const pod = kube.seedPod({ namespace: 'shop', name: 'debug' });
    kube.clearRequests();
    const result = await restartPod(apis, { target: podTarget('shop', 'debug'), dryRun: false, restartedAt: RESTARTED_AT });

    expect(result).toMatchObject({ outcome: 'done', action: 'deleted pod shop/debug', actedOn: podTarget('shop', 'debug') });
    expect(result.detail).toContain('nothing will recreate it');
    expect(kube.writes()).toEqual([
      expect.objectContaining({
        method: 'DELETE',
        path: '/api/v1/namespaces/shop/pods/debug',
        query: {},
        body: { preconditions: { uid: pod.metadata.uid } },
        status: 200,
      }),
    ]);
    expect(kube.get('pods', 'shop', 'debug')?.metadata.deletionTimestamp).toBeDefined();

    const retry = await restartPod(apis, { target: podTarget('shop', 'debug'), dryRun: false, restartedAt: RESTARTED_AT });
    expect(retry.outcome).toBe('already-done');
    expect(kube.writes()).toHaveLength(1);
  });

  it('deletes a StatefulSet pod and says the controller recreates it', async () => {
    kube.seedPod({
      namespace: 'data',
      name: 'postgres-0',
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          name: 'postgres',
          uid: '5f1c6c9e-0000-4000-8000-000000000001',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    const result = await restartPod(apis, { target: podTarget('data', 'postgres-0'), dryRun: false, restartedAt: RESTARTED_AT });
    expect(result).toMatchObject({ outcome: 'done', actedOn: { kind: 'Pod', name: 'postgres-0' } });
    expect(result.detail).toContain('StatefulSet postgres creates a replacement');
  });

  it('dry-run deletes with dryRun=All and the pod stays', async () => {
    const pod = kube.seedPod({ namespace: 'shop', name: 'debug' });
    kube.clearRequests();
    const result = await restartPod(apis, { target: podTarget('shop', 'debug'), dryRun: true, restartedAt: RESTARTED_AT });
    expect(result).toMatchObject({ dryRun: true, outcome: 'done', action: 'would delete pod shop/debug' });
    expect(kube.writes()).toEqual([expect.objectContaining({ method: 'DELETE', query: { dryRun: 'All' }, status: 200 })]);
    expect(kube.get('pods', 'shop', 'debug')).toEqual(pod);
  });

  it('reports already-done for a pod that no longer exists, without writing', async () => {
    kube.seed('namespaces', { metadata: { name: 'shop' } });
    const result = await restartPod(apis, { target: podTarget('shop', 'api-7d9c6b5f8-xk2p9'), dryRun: false, restartedAt: RESTARTED_AT });
    expect(result).toMatchObject({ outcome: 'already-done', actedOn: podTarget('shop', 'api-7d9c6b5f8-xk2p9') });
    expect(kube.writes()).toHaveLength(0);
  });
});

describe('restartPod safety and failures', () => {
  it('never acts on kube-system: no request reaches the API server', async () => {
    kube.seedDeployment({ namespace: 'kube-system', name: 'coredns' });
    kube.clearRequests();
    const pod = kube.list('pods', 'kube-system')[0]!;
    const result = await restartPod(apis, { target: podTarget('kube-system', pod.metadata.name!), dryRun: false, restartedAt: RESTARTED_AT });
    expect(result.outcome).toBe('skipped');
    expect(result.detail).toContain('protected');
    expect(kube.requests).toHaveLength(0);
  });

  it('turns a definitive API refusal into outcome failed naming the cluster, without the token', async () => {
    kube.seedPod({ namespace: 'shop', name: 'debug' });
    kube.revokeToken('kube-test-token');
    const result = await restartPod(apis, { target: podTarget('shop', 'debug'), dryRun: false, restartedAt: RESTARTED_AT });
    expect(result.outcome).toBe('failed');
    expect(result.detail).toMatch(/^cluster ms5-prod: get pod shop\/debug failed: HTTP 401/);
    expect(result.detail).toContain('Fix:');
    expect(JSON.stringify(result)).not.toContain('kube-test-token');
  });

  it('throws on transport errors so the activity can be retried', async () => {
    kube.seedPod({ namespace: 'shop', name: 'debug' });
    await kube.stop();
    await expect(restartPod(apis, { target: podTarget('shop', 'debug'), dryRun: false, restartedAt: RESTARTED_AT })).rejects.toThrow(
      /cluster ms5-prod: get pod shop\/debug failed/,
    );
  });

  it('refuses a restartedAt that is not an RFC 3339 time', async () => {
    const { pod } = seedApi();
    const result = await restartPod(apis, { target: pod, dryRun: false, restartedAt: 'now' });
    expect(result.outcome).toBe('failed');
    expect(kube.requests).toHaveLength(0);
  });
});

describe('restart-pod through the activities (src/runbooks/run.ts)', () => {
  // The activity's env over the real adapter and a kubeconfig file pointing at the fake.
  function env(): RunbookEnv {
    const dir = mkdtempSync(join(tmpdir(), 'restart-pod-'));
    const kc = kube.kubeConfig();
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kc.exportConfig());
    const config = parseConfig(`
version: 1
clusters: [{ name: ms5-prod, kubeContext: ${kc.getCurrentContext()} }]
`);
    return { config, kube: createKubeAccess({ kubeconfigPath }), isPaused: async () => ({ paused: false, reason: null }) };
  }
  const planInput = (target: Target): PlanRunbookInput => ({ runbook: 'restart-pod', params: {}, target, instanceId: 'rem-test-0001', at: RESTARTED_AT });

  it('a 403 while planning is a "cannot plan" refusal naming the missing grant, not a thrown failure', async () => {
    const { pod } = seedApi();
    kube.forbid('get', 'pods');
    const plan = await planRunbook(env(), planInput(pod));
    expect(plan.refusal).toMatch(
      new RegExp(
        `^cannot plan: cluster ms5-prod: get pod shop/${pod.name} failed: .*forbidden.*missing Kubernetes permission: get pods in namespace shop .*Fix: grant the app's identity`,
      ),
    );
    expect(kube.writes()).toEqual([]);
  });

  it('a 403 on the Deployment while planning is a refusal too', async () => {
    const { pod } = seedApi();
    kube.forbid('get', 'deployments');
    const plan = await planRunbook(env(), planInput(pod));
    expect(plan.refusal).toMatch(/^cannot plan: cluster ms5-prod: get deployment shop\/api failed: .*forbidden/);
  });

  it('a paused Deployment is refused at planning with the same words as at run time', async () => {
    const { pod } = seedApi();
    kube.modify('deployments', 'shop', 'api', (d) => ((d.spec ??= {})['paused'] = true));
    const plan = await planRunbook(env(), planInput(pod));
    const ran = await restartPod(apis, { target: pod, dryRun: false, restartedAt: RESTARTED_AT });
    expect(plan.refusal).toMatch(/^the deployment is paused \(spec\.paused=true\)/);
    expect(ran).toMatchObject({ outcome: 'skipped', detail: plan.refusal });
  });
});
