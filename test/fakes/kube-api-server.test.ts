// The fake API server itself, driven through the real @kubernetes/client-node: if these
// behaviours drift from kube-apiserver, every test built on the fake is worthless.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiException, AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { startFakeKubeApiServer, type FakeKubeApiServer } from './kube-api-server.js';

let kube: FakeKubeApiServer;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeEach(async () => {
  // The fake's REST semantics; its authorization is tested in test/permissions/kube-authz.test.ts.
  kube = await startFakeKubeApiServer({ token: 'test-token', policy: 'allow-all' });
  const kc = kube.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});

afterEach(async () => {
  await kube.stop();
});

/** The ApiException a client call failed with (fails the test when the call succeeds). */
async function failure(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    // client-node 1.x puts the raw response text in ApiException.body.
    if (e instanceof ApiException) return { code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) : (e.body ?? {}) };
    throw e;
  }
  throw new Error('expected the request to fail, it succeeded');
}

async function raw(method: string, path: string, init: { body?: string; contentType?: string; token?: string | null } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers['Authorization'] = `Bearer ${init.token ?? 'test-token'}`;
  if (init.contentType) headers['Content-Type'] = init.contentType;
  const res = await fetch(`${kube.url}${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

const podBody = (name: string): V1Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] } });

describe('authentication', () => {
  it('answers 401 Unauthorized without a bearer token or with a wrong one', async () => {
    kube.seedPod({ namespace: 'shop', name: 'p' });
    const none = await raw('GET', '/api/v1/namespaces/shop/pods/p', { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });

    const wrong = kube.kubeConfig('not-the-token').makeApiClient(CoreV1Api);
    expect((await failure(wrong.readNamespacedPod({ namespace: 'shop', name: 'p' }))).code).toBe(401);
    expect(kube.requests.map((r) => r.status)).toEqual([401, 401]);
    expect(kube.requests.every((r) => r.user === undefined)).toBe(true);
  });

  it('records the user the token maps to', async () => {
    await core.listNamespace();
    expect(kube.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/namespaces', user: 'test-user', status: 200 });
  });
});

describe('object shapes and writes', () => {
  it('creates with system fields, answers AlreadyExists on a second create and NotFound in a missing namespace', async () => {
    kube.seed('namespaces', { metadata: { name: 'shop' } });
    const before = kube.revision;
    const created = await core.createNamespacedPod({ namespace: 'shop', body: podBody('web') });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toBe(String(before + 1));
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.status?.phase).toBe('Pending');
    expect(kube.requests.at(-1)).toMatchObject({ method: 'POST', status: 201, contentType: 'application/json' });

    const dup = await failure(core.createNamespacedPod({ namespace: 'shop', body: podBody('web') }));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'AlreadyExists',
      message: 'pods "web" already exists',
      code: 409,
      details: { name: 'web', kind: 'pods' },
    });

    const noNs = await failure(core.createNamespacedPod({ namespace: 'nowhere', body: podBody('web') }));
    expect(noNs.body).toMatchObject({ reason: 'NotFound', message: 'namespaces "nowhere" not found', code: 404 });
  });

  it('answers 409 Conflict to an update carrying a stale resourceVersion, and bumps generation only on spec change', async () => {
    const { deployment } = kube.seedDeployment({ namespace: 'shop', name: 'api' });
    const read = await apps.readNamespacedDeployment({ namespace: 'shop', name: 'api' });
    expect(read.metadata?.generation).toBe(1);

    kube.modify('deployments', 'shop', 'api', (d) => (d.metadata.labels = { ...d.metadata.labels, team: 'payments' }));
    const stale = await failure(apps.replaceNamespacedDeployment({ namespace: 'shop', name: 'api', body: { ...read, spec: { ...read.spec!, replicas: 5 } } }));
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on deployments.apps "api": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'api', group: 'apps', kind: 'deployments' },
    });

    const fresh = await apps.readNamespacedDeployment({ namespace: 'shop', name: 'api' });
    const updated = await apps.replaceNamespacedDeployment({ namespace: 'shop', name: 'api', body: { ...fresh, spec: { ...fresh.spec!, replicas: 5 } } });
    expect(updated.spec?.replicas).toBe(5);
    expect(updated.metadata?.generation).toBe(2);
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(fresh.metadata?.resourceVersion));
    expect(updated.metadata?.uid).toBe(deployment.metadata.uid);

    const relabelled = await apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'api', body: { metadata: { labels: { tier: 'backend' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(relabelled.metadata?.generation).toBe(2);
  });

  it('does not bump resourceVersion for a write that changes nothing', async () => {
    kube.seedDeployment({ namespace: 'shop', name: 'api' });
    const before = kube.get('deployments', 'shop', 'api')!.metadata.resourceVersion;
    const res = await apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'api', body: { spec: { replicas: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(res.metadata?.resourceVersion).toBe(before);
    expect(kube.get('deployments', 'shop', 'api')!.metadata.resourceVersion).toBe(before);
  });

  it('rejects a deployment whose selector does not match its template (422 Invalid)', async () => {
    kube.seedDeployment({ namespace: 'shop', name: 'api' });
    const bad = await failure(
      apps.patchNamespacedDeployment(
        { namespace: 'shop', name: 'api', body: { spec: { template: { metadata: { labels: { app: 'other' } } } } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(bad.code).toBe(422);
    expect(bad.body).toMatchObject({ reason: 'Invalid', details: { kind: 'Deployment', group: 'apps' } });
  });
});

describe('PATCH content types', () => {
  it('strategic merge merges containers by name; merge patch replaces lists and deletes with null', async () => {
    kube.seedPod({
      namespace: 'shop',
      name: 'p',
      spec: {
        containers: [
          { name: 'a', image: 'a:1' },
          { name: 'b', image: 'b:1' },
        ],
      },
    });
    const smp = await core.patchNamespacedPod(
      { namespace: 'shop', name: 'p', body: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(smp.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=a:1', 'b=b:2']);
    expect(kube.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { containers: [{ name: 'b', image: 'b:2' }] } },
    });

    kube.seedDeployment({ namespace: 'shop', name: 'api', templateAnnotations: { keep: 'x', drop: 'y' } });
    const merged = await apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'api', body: { spec: { template: { metadata: { annotations: { drop: null, added: 'z' } } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.spec?.template.metadata?.annotations).toEqual({ keep: 'x', added: 'z' });
  });

  it('applies a JSON Patch array, and answers 400 when the JSON Patch body is an object', async () => {
    kube.seedDeployment({ namespace: 'shop', name: 'api' });
    const ok = await apps.patchNamespacedDeployment({ namespace: 'shop', name: 'api', body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] });
    expect(ok.spec?.replicas).toBe(4);
    expect(kube.requests.at(-1)?.contentType).toBe('application/json-patch+json');

    // client-node 1.x defaults PATCH to JSON Patch: an object body is the classic mistake.
    const before = kube.get('deployments', 'shop', 'api');
    const wrong = await failure(apps.patchNamespacedDeployment({ namespace: 'shop', name: 'api', body: { spec: { replicas: 9 } } }));
    expect(wrong.code).toBe(400);
    expect(wrong.body).toMatchObject({ reason: 'BadRequest', message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' });
    expect(kube.get('deployments', 'shop', 'api')).toEqual(before);
  });

  it('answers 415 to a PATCH with any other content type', async () => {
    kube.seedPod({ namespace: 'shop', name: 'p' });
    const res = await raw('PATCH', '/api/v1/namespaces/shop/pods/p', { contentType: 'application/json', body: '{"metadata":{"labels":{"a":"b"}}}' });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
    expect(String(res.body['message'])).toContain('application/strategic-merge-patch+json');
  });
});

describe('dryRun=All', () => {
  it('returns the would-be object and persists nothing', async () => {
    kube.seedDeployment({ namespace: 'shop', name: 'api' });
    const before = kube.get('deployments', 'shop', 'api')!;
    const revision = kube.revision;
    const res = await apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'api', dryRun: 'All', body: { spec: { replicas: 7 } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(res.spec?.replicas).toBe(7);
    expect(res.metadata?.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(kube.get('deployments', 'shop', 'api')).toEqual(before);
    expect(kube.revision).toBe(revision);
    expect(kube.requests.at(-1)?.query).toEqual({ dryRun: 'All' });

    const pod = kube.list('pods', 'shop')[0]!;
    await core.deleteNamespacedPod({ namespace: 'shop', name: pod.metadata.name!, dryRun: 'All' });
    expect(kube.get('pods', 'shop', pod.metadata.name!)).toEqual(pod);
    expect(kube.revision).toBe(revision);
  });

  it('rejects any dryRun value but All', async () => {
    kube.seedPod({ namespace: 'shop', name: 'p' });
    const res = await failure(core.deleteNamespacedPod({ namespace: 'shop', name: 'p', dryRun: 'true' }));
    expect(res.code).toBe(400);
    expect(kube.get('pods', 'shop', 'p')).toBeDefined();
  });
});

describe('DELETE of pods', () => {
  it('deletes an unscheduled pod at once, marks a scheduled one terminating, and answers 404 for a missing one', async () => {
    kube.seed('pods', { metadata: { name: 'pending', namespace: 'shop' }, spec: { containers: [{ name: 'm', image: 'm:1' }] } });
    kube.seedPod({ namespace: 'shop', name: 'running' });

    const gone = await core.deleteNamespacedPod({ namespace: 'shop', name: 'pending' });
    expect(gone.metadata?.name).toBe('pending');
    expect(kube.get('pods', 'shop', 'pending')).toBeUndefined();

    const terminating = await core.deleteNamespacedPod({ namespace: 'shop', name: 'running' });
    expect(terminating.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(30);
    kube.finishPodTermination('shop', 'running');
    expect(kube.get('pods', 'shop', 'running')).toBeUndefined();

    const missing = await failure(core.deleteNamespacedPod({ namespace: 'shop', name: 'running' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'pods "running" not found', details: { name: 'running', kind: 'pods' } });
  });

  it('answers 409 when the uid precondition does not match', async () => {
    kube.seedPod({ namespace: 'shop', name: 'p' });
    const res = await failure(core.deleteNamespacedPod({ namespace: 'shop', name: 'p', body: { preconditions: { uid: 'not-the-uid' } } }));
    expect(res.code).toBe(409);
    expect(String(res.body['message'])).toContain('Precondition failed: UID in precondition: not-the-uid');
    expect(kube.get('pods', 'shop', 'p')).toBeDefined();
  });
});

describe('LIST', () => {
  it('pages with limit/continue over one snapshot: every object exactly once, even with writes between pages', async () => {
    for (let i = 0; i < 23; i++) kube.seedPod({ namespace: 'shop', name: `pod-${String(i).padStart(2, '0')}` });
    kube.seedPod({ namespace: 'other', name: 'elsewhere' });
    const expected = kube.list('pods', 'shop').map((p) => p.metadata.name);

    const seen: string[] = [];
    const listRvs = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedPod({ namespace: 'shop', limit: 5, ...(token ? { _continue: token } : {}) });
      pages++;
      seen.push(...page.items.map((p) => p.metadata!.name!));
      listRvs.add(page.metadata!.resourceVersion!);
      if (pages === 1) expect(page.metadata?.remainingItemCount).toBe(18);
      token = page.metadata?._continue;
      // Another client writes between pages: the list keeps showing its first snapshot.
      if (pages === 2) {
        kube.seedPod({ namespace: 'shop', name: 'pod-99-new' });
        kube.modify('pods', 'shop', 'pod-00', (p) => (p.metadata.labels = { touched: 'yes' }));
      }
    } while (token);

    expect(pages).toBe(5);
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(23);
    expect(listRvs.size).toBe(1);
    expect(kube.requests.filter((r) => r.query['continue'] !== undefined)).toHaveLength(4);
  });

  it('answers 410 Expired for a continue token older than the compaction, 400 for a garbage one', async () => {
    for (let i = 0; i < 4; i++) kube.seedPod({ namespace: 'shop', name: `p${i}` });
    const first = await core.listNamespacedPod({ namespace: 'shop', limit: 2 });
    const token = first.metadata!._continue!;
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);

    kube.seedPod({ namespace: 'shop', name: 'later' });
    kube.compact();
    const expired = await failure(core.listNamespacedPod({ namespace: 'shop', limit: 2, _continue: token }));
    expect(expired.code).toBe(410);
    expect(expired.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });

    const garbage = await failure(core.listNamespacedPod({ namespace: 'shop', limit: 2, _continue: 'not-a-token' }));
    expect(garbage.code).toBe(400);
    expect(garbage.body).toMatchObject({ reason: 'BadRequest' });
    expect(String(garbage.body['message'])).toMatch(/^invalid continue token: continue key is not valid/);
  });

  it('filters by label selector (=, !=, in) and field selector, and rejects unknown field labels', async () => {
    kube.seedDeployment({ namespace: 'shop', name: 'api', replicas: 2 });
    kube.seedDeployment({ namespace: 'shop', name: 'worker', replicas: 3 });
    kube.seedPod({ namespace: 'shop', name: 'debug', labels: { app: 'debug' }, nodeName: 'node-b' });

    const api = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=api' });
    expect(api.items.map((p) => p.metadata!.labels!['app'])).toEqual(['api', 'api']);
    expect(api.items[0]).not.toHaveProperty('kind');
    expect((await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app!=api' })).items).toHaveLength(4);
    expect((await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app in (api,debug)' })).items).toHaveLength(3);
    expect((await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-b' })).items.map((p) => p.metadata!.name)).toEqual(['debug']);

    const bad = await failure(core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'spec.bogus=x' }));
    expect(bad.code).toBe(400);
    expect(bad.body['message']).toBe('field label not supported: spec.bogus');
  });
});

describe('paths and parameters', () => {
  it('answers 404 Status for unknown paths and subresources', async () => {
    for (const path of [
      '/api/v1/namespaces/shop/widgets',
      '/apis/apps/v1/namespaces/shop/deployments/api/scale',
      '/apis/apps/v2/deployments',
      '/healthz/nope',
    ]) {
      const res = await raw('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
      expect(res.contentType).toBe('application/json');
    }
  });

  it('answers 400 for a query parameter the endpoint does not define (a misspelt dryRun must never act)', async () => {
    kube.seedPod({ namespace: 'shop', name: 'p' });
    const res = await raw('DELETE', '/api/v1/namespaces/shop/pods/p?dryrun=All');
    expect(res.status).toBe(400);
    expect(kube.get('pods', 'shop', 'p')).toBeDefined();
  });

  it('serves nodes and namespaces cluster-scoped', async () => {
    kube.seed('nodes', { metadata: { name: 'aks-system-1', labels: { 'kubernetes.azure.com/agentpool': 'system' } } });
    kube.seed('namespaces', { metadata: { name: 'shop' } });
    expect((await core.listNode()).items.map((n) => n.metadata!.name)).toEqual(['aks-system-1']);
    expect((await core.readNamespace({ name: 'shop' })).status?.phase).toBe('Active');
    expect((await raw('GET', '/api/v1/namespaces/shop/nodes/aks-system-1')).status).toBe(404);
  });
});

describe('statefulsets and daemonsets', () => {
  it('creates a StatefulSet with defaults and lists DaemonSets across namespaces', async () => {
    kube.seed('namespaces', { metadata: { name: 'data' } });
    const labels = { app: 'postgres' };
    const sts = await apps.createNamespacedStatefulSet({
      namespace: 'data',
      body: {
        metadata: { name: 'postgres' },
        spec: {
          serviceName: 'postgres',
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'pg', image: 'postgres:16' }] } },
        },
      },
    });
    expect(sts).toMatchObject({
      metadata: { generation: 1 },
      spec: { replicas: 1, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate' } },
    });
    kube.seed('daemonsets', {
      metadata: { name: 'node-exporter', namespace: 'monitoring' },
      spec: {
        selector: { matchLabels: { app: 'ne' } },
        template: { metadata: { labels: { app: 'ne' } }, spec: { containers: [{ name: 'ne', image: 'prom/node-exporter:v1.8.0' }] } },
      },
    });
    expect((await apps.listDaemonSetForAllNamespaces()).items.map((d) => `${d.metadata!.namespace}/${d.metadata!.name}`)).toEqual(['monitoring/node-exporter']);
  });
});

describe('HTTPS', () => {
  it('serves TLS that the client verifies with the kubeconfig CA data', async () => {
    const secure = await startFakeKubeApiServer({ token: 'tls-token', tls: true });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      secure.seed('namespaces', { metadata: { name: 'shop' } });
      const res = await secure.kubeConfig().makeApiClient(CoreV1Api).listNamespace();
      expect(res.items.map((n) => n.metadata!.name)).toEqual(['shop']);
    } finally {
      await secure.stop();
    }
  });
});
