// The strict fake ARM (test/fakes/arm) and the agent-pool adapter driven through the real
// @azure/arm-containerservice client.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentPoolError, AgentPools, type AgentPoolRef } from '../../src/adapters/arm-agent-pools.js';
import { installAgentPools, type AgentPoolsFake } from '../fakes/arm/agent-pools.js';
import { ARM_SCOPE, FakeArm, fakeArmCredential } from '../fakes/arm/server.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const RG = 'rg-ms5-prod';
const CLUSTER = 'aks-ms5-prod';
const POOLS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}/agentPools`;
const TOKEN = `fake-arm:${ARM_SCOPE}`;

function seed(fake: AgentPoolsFake): void {
  fake.addCluster({
    subscriptionId: SUB,
    resourceGroup: RG,
    name: CLUSTER,
    pools: [
      { name: 'system', mode: 'System', count: 2, enableAutoScaling: true, minCount: 1, maxCount: 3 },
      { name: 'compute', count: 3, enableAutoScaling: true, minCount: 2, maxCount: 20 },
      { name: 'database', count: 3, enableAutoScaling: false },
    ],
  });
}

describe('fake ARM core over plain HTTP (what any client sees)', () => {
  let arm: FakeArm;
  let fake: AgentPoolsFake;
  beforeAll(async () => {
    arm = await FakeArm.start({ http: true });
    fake = installAgentPools(arm, { pageSize: 2 });
    seed(fake);
  });
  afterAll(() => arm.stop());

  const call = (path: string, init: RequestInit & { token?: string | null } = {}) =>
    fetch(`${arm.url}${path}`, {
      ...init,
      headers: {
        ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? TOKEN}` }),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string>),
      },
    });

  it('requires a bearer token it accepts', async () => {
    let res = await call(`${POOLS}?api-version=2024-09-01`, { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri=/);
    expect(await res.json()).toMatchObject({ error: { code: 'AuthenticationFailed' } });
    res = await call(`${POOLS}?api-version=2024-09-01`, { token: 'fake-arm:https://vault.azure.net/.default' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });

  it('requires api-version, like ARM', async () => {
    const res = await call(POOLS);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' },
    });
    expect((await call(`${POOLS}?api-version=latest`)).status).toBe(400);
  });

  it('answers unknown resource types with 404 InvalidResourceType and carries the rate-limit headers', async () => {
    const res = await call(`/subscriptions/${SUB}/providers/Microsoft.Nope/things?api-version=2024-09-01`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'InvalidResourceType' } });
    expect(res.headers.get('x-ms-ratelimit-remaining-subscription-reads')).toMatch(/^\d+$/);
    expect(res.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('pages lists with nextLink', async () => {
    const first = (await (await call(`${POOLS}?api-version=2024-09-01`)).json()) as { value: { name: string }[]; nextLink?: string };
    expect(first.value.map((p) => p.name)).toHaveLength(2);
    expect(first.nextLink).toMatch(/\$skiptoken=2/);
    const next = new URL(first.nextLink!);
    const second = (await (await call(`${next.pathname}${next.search}`)).json()) as { value: { name: string }[]; nextLink?: string };
    expect(second.value).toHaveLength(1);
    expect(second.nextLink).toBeUndefined();
    expect([...first.value, ...second.value].map((p) => p.name).sort()).toEqual(['compute', 'database', 'system']);
  });

  it('throttles with 429, Retry-After and a zero remaining budget when told to', async () => {
    arm.throttleNext(1, 7);
    const res = await call(`${POOLS}/compute?api-version=2024-09-01`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('x-ms-ratelimit-remaining-subscription-reads')).toBe('0');
    expect((await call(`${POOLS}/compute?api-version=2024-09-01`)).status).toBe(200);
  });

  const put = (pool: string, properties: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(`${POOLS}/${pool}?api-version=2024-09-01`, { method: 'PUT', body: JSON.stringify({ properties }), headers });

  it('PUT is a long-running operation: Updating, then Succeeded after polling Azure-AsyncOperation', async () => {
    const res = await put('compute', { count: 3, enableAutoScaling: true, minCount: 5, maxCount: 20, mode: 'User' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { properties: { provisioningState: string } }).properties.provisioningState).toBe('Updating');
    const status = new URL(res.headers.get('azure-asyncoperation')!);
    expect(res.headers.get('location')).toMatch(/\/operationresults\//);
    // A second update while the first runs is refused.
    expect((await put('compute', { count: 3, enableAutoScaling: true, minCount: 6, maxCount: 20 })).status).toBe(409);
    const poll = async () => ((await (await call(`${status.pathname}${status.search}`)).json()) as { status: string }).status;
    expect(await poll()).toBe('InProgress');
    expect(await poll()).toBe('Succeeded');
    const pool = fake.pool(SUB, RG, CLUSTER, 'compute')!;
    expect(pool.properties).toMatchObject({ provisioningState: 'Succeeded', minCount: 5, count: 5 });
    expect(arm.operationsInProgress).toBe(0);
  });

  it('refuses what AKS refuses', async () => {
    const cases: [string, Record<string, unknown>, number, RegExp][] = [
      [
        'compute',
        { count: 9, enableAutoScaling: true, minCount: 2, maxCount: 20 },
        400,
        /Cannot manually scale agent pool 'compute' while the cluster autoscaler is enabled/,
      ],
      [
        'compute',
        { count: 5, enableAutoScaling: true, minCount: 8, maxCount: 4 },
        400,
        /minCount \(8\) must be less than or equal to agentPoolProfile.maxCount \(4\)/,
      ],
      ['system', { count: 2, enableAutoScaling: true, minCount: 0, maxCount: 3, mode: 'System' }, 400, /system pool must keep at least 1 node/],
      ['compute', { enableAutoScaling: true, minCount: 2, maxCount: 20 }, 400, /Required parameter properties.count is missing/],
    ];
    for (const [pool, props, status, message] of cases) {
      const res = await put(pool, props);
      expect(res.status, JSON.stringify(props)).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('InvalidParameter');
      expect(body.error.message).toMatch(message);
    }
    const stale = await put('compute', { count: 5, enableAutoScaling: true, minCount: 2, maxCount: 20 }, { 'if-match': '"not-the-etag"' });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ error: { code: 'PreconditionFailed' } });
  });

  it('logs every request with its outcome and never the token', () => {
    expect(arm.requests.length).toBeGreaterThan(10);
    expect(arm.requests.some((r) => r.status === 401 && !r.authorized)).toBe(true);
    expect(JSON.stringify(arm.requests)).not.toContain(TOKEN);
  });
});

describe('AgentPools adapter through @azure/arm-containerservice (HTTPS)', () => {
  let arm: FakeArm;
  let fake: AgentPoolsFake;
  let pools: AgentPools;
  const credential = fakeArmCredential();
  const ref = (pool: string): AgentPoolRef => ({ subscriptionId: SUB, resourceGroup: RG, clusterName: CLUSTER, pool });

  beforeEach(async () => {
    arm = await FakeArm.start();
    fake = installAgentPools(arm);
    seed(fake);
    pools = new AgentPools({ credential, clientOptions: { endpoint: arm.url, tlsOptions: { ca: arm.caPem } }, pollIntervalMs: 5 });
  });
  afterEach(() => arm.stop());

  it('reads a pool', async () => {
    expect(await pools.get(ref('compute'))).toMatchObject({
      name: 'compute',
      mode: 'User',
      count: 3,
      enableAutoScaling: true,
      minCount: 2,
      maxCount: 20,
      provisioningState: 'Succeeded',
    });
    expect(credential.scopes).toContain(ARM_SCOPE);
    expect(arm.requests.at(-1)).toMatchObject({ method: 'GET', apiVersion: expect.stringMatching(/^\d{4}-\d{2}-\d{2}/), authorized: true });
  });

  it('raises minCount as a long-running operation; the autoscaler then holds that many nodes', async () => {
    const r = await pools.setMinCount(ref('compute'), 6);
    expect(r.changed).toBe(true);
    expect(r.before).toMatchObject({ minCount: 2, count: 3 });
    expect(r.after).toMatchObject({ minCount: 6, count: 6, provisioningState: 'Succeeded' });
    const put = arm.requests.find((q) => q.method === 'PUT')!;
    // Only minCount changed; count went back as it was (AKS refuses manual scaling otherwise).
    expect(put.body).toMatchObject({ properties: { count: 3, minCount: 6, maxCount: 20, enableAutoScaling: true } });
    expect(arm.requests.filter((q) => q.path.includes('/operations/')).map((q) => q.status)).toEqual([200, 200]);
    expect(arm.operationsInProgress).toBe(0);
  });

  it('is idempotent: setting the value the pool already has sends no PUT', async () => {
    await pools.setMinCount(ref('compute'), 4);
    const puts = () => arm.requests.filter((q) => q.method === 'PUT').length;
    expect(puts()).toBe(1);
    expect((await pools.setMinCount(ref('compute'), 4)).changed).toBe(false);
    expect(puts()).toBe(1);
  });

  it('reads again and retries when the pool changed under it (412 on If-Match)', async () => {
    arm.failNext({ method: 'PUT', status: 412, code: 'PreconditionFailed', message: 'eTag mismatch' });
    const r = await pools.setMinCount(ref('compute'), 5);
    expect(r.after.minCount).toBe(5);
    expect(arm.requests.filter((q) => q.method === 'PUT').map((q) => q.status)).toEqual([412, 200]);
  });

  it('rides out ARM throttling: 429 + Retry-After is retried by the SDK pipeline', async () => {
    arm.throttleNext(1, 1);
    await pools.setMinCount(ref('compute'), 3);
    expect(arm.requests[0]!.status).toBe(429);
    expect(fake.pool(SUB, RG, CLUSTER, 'compute')!.properties.minCount).toBe(3);
  });

  it('surfaces AKS refusals as non-transient errors naming the pool', async () => {
    const err = (await pools.setMinCount(ref('system'), 0).catch((e: unknown) => e)) as AgentPoolError;
    expect(err).toBeInstanceOf(AgentPoolError);
    expect(err).toMatchObject({ status: 400, code: 'InvalidParameter', transient: false });
    expect(err.message).toMatch(/^update agent pool system of aks-ms5-prod \(rg-ms5-prod\): ARM 400 InvalidParameter: .*system pool must keep at least 1 node/);
    await expect(pools.setMinCount(ref('database'), 2)).rejects.toThrow(/its cluster autoscaler is off/);
    await expect(pools.setMinCount(ref('compute'), 21)).rejects.toThrow(/above its maxCount 20/);
  });

  it('maps 403 to the role the identity needs', async () => {
    arm.failNext({
      method: 'GET',
      status: 403,
      code: 'AuthorizationFailed',
      message: "The client does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/agentPools/read'.",
    });
    const err = (await pools.get(ref('compute')).catch((e: unknown) => e)) as AgentPoolError;
    expect(err).toMatchObject({ status: 403, code: 'AuthorizationFailed', transient: false });
    expect(err.message).toMatch(/Fix: assign the custom role agentPoolOperator on the cluster/);
  });
});
