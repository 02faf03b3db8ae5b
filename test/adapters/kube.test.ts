// The Kubernetes adapter end to end: a kubeconfig context locally; in Azure a managed
// identity token for the AKS server app plus the endpoint and CA read from ARM through the
// real ContainerServiceClient (against a fake ARM endpoint), then the real client-node
// against the fake API server over TLS that only the ARM-provided CA verifies.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { rootCertificates } from 'node:tls';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { AKS_AAD_SERVER_SCOPE, createKubeAccess, kubeAccessOptionsFromSettings, type KubeAccessOptions } from '../../src/adapters/kube.js';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { startFakeAksArm, type FakeAksArm } from '../fakes/kube-aks-arm.js';

const SUBSCRIPTION = '3f2c1b9a-6d0e-4c7b-9a51-2e8f4d6c1a70';
const HOUR = 60 * 60_000;

/** A TokenCredential that counts requests per scope; AKS tokens expire on the test clock. */
class CountingCredential implements TokenCredential {
  readonly scopes: string[] = [];
  failAks: Error | undefined;
  private aksIssued = 0;
  constructor(private readonly clock: () => number) {}

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
    const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
    this.scopes.push(scope);
    if (scope === AKS_AAD_SERVER_SCOPE) {
      if (this.failAks) throw this.failAks;
      this.aksIssued += 1;
      return { token: `aks-token-${this.aksIssued}`, expiresOnTimestamp: this.clock() + HOUR, tokenType: 'Bearer' };
    }
    // The ARM client's own token cache runs on the real clock.
    return { token: 'arm-token', expiresOnTimestamp: Date.now() + HOUR, tokenType: 'Bearer' };
  }

  count(scope: string): number {
    return this.scopes.filter((s) => s === scope).length;
  }
}

describe('local kubeconfig', () => {
  let kube: FakeKubeApiServer;
  let dir: string;

  beforeEach(async () => {
    kube = await startFakeKubeApiServer({ token: { 'dev-token': 'alice@contoso.com' } });
    kube.seed('namespaces', { metadata: { name: 'shop' } });
    dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  });

  afterEach(async () => {
    await kube.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function writeKubeconfig(file: string, context: string): string {
    const path = join(dir, file);
    writeFileSync(path, kube.kubeconfigFile(context, 'dev-token'));
    return path;
  }

  it('uses the named context of the KUBECONFIG file and caches the clients per cluster', async () => {
    const path = writeKubeconfig('config', 'ms5-dev');
    const access = createKubeAccess(kubeAccessOptionsFromSettings({ kubeconfig: path, managedIdentityClientId: undefined }));
    const apis = await access.forCluster({ name: 'ms5-dev', kubeContext: 'ms5-dev' });
    expect(apis).toMatchObject({ cluster: 'ms5-dev', via: 'kubeconfig' });
    const ns = await apis.core.listNamespace();
    expect(ns.items.map((n) => n.metadata?.name)).toEqual(['shop']);
    expect(kube.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces', user: 'alice@contoso.com', status: 200 });
    await expect(access.forCluster({ name: 'ms5-dev', kubeContext: 'ms5-dev' })).resolves.toBe(apis);
  });

  it('reads several files joined like KUBECONFIG and prefers kubeContext over azure when KUBECONFIG is set', async () => {
    const first = join(dir, 'empty');
    writeFileSync(first, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] }));
    const second = writeKubeconfig('second', 'ms5-prod-admin');
    const credential = new CountingCredential(Date.now);
    const access = createKubeAccess({ kubeconfigPath: `${first}${delimiter}${second}`, credential });
    const apis = await access.forCluster({
      name: 'ms5-prod',
      kubeContext: 'ms5-prod-admin',
      azure: { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-ms5', clusterName: 'aks-ms5-prod' },
    });
    expect(apis.via).toBe('kubeconfig');
    await apis.apps.listNamespacedDeployment({ namespace: 'shop' });
    expect(credential.scopes).toEqual([]);
  });

  it('names the cluster, the context, the file and the fix when the context is missing, without leaking the token', async () => {
    const path = writeKubeconfig('config', 'ms5-dev');
    const access = createKubeAccess({ kubeconfigPath: path });
    const err = await access.forCluster({ name: 'ms5-prod', kubeContext: 'ms5-prod' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBe(
      `cluster ms5-prod: kube context 'ms5-prod' not found in ${path} (it has: ms5-dev). Fix: set kubeContext of cluster ms5-prod to one of those, or add the context (az aks get-credentials ... --context ms5-prod)`,
    );
    expect(err?.message).not.toContain('dev-token');
  });

  it('names the missing kubeconfig file and how to create it', async () => {
    const access = createKubeAccess({ kubeconfigPath: join(dir, 'nope') });
    await expect(access.forCluster({ name: 'ms5-dev', kubeContext: 'ms5-dev' })).rejects.toThrow(
      new RegExp(`^cluster ms5-dev: kubeconfig file ${join(dir, 'nope')} not found\\. Fix: set KUBECONFIG`),
    );
  });
});

describe('Azure: managed identity token + endpoint and CA from ARM', () => {
  let kube: FakeKubeApiServer;
  let arm: FakeAksArm;
  let now: number;
  let credential: CountingCredential;
  const cluster = { name: 'ms5-prod', azure: { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-ms5', clusterName: 'aks-ms5-prod' } };

  beforeAll(async () => {
    // The API server accepts only AKS tokens, ARM only the ARM token: each scope must go to its audience.
    kube = await startFakeKubeApiServer({
      tls: true,
      token: { 'aks-token-1': 'mi-first-token', 'aks-token-2': 'mi-second-token', 'aks-token-3': 'mi-third-token' },
    });
    kube.seed('namespaces', { metadata: { name: 'shop' } });
    arm = await startFakeAksArm((t) => t === 'arm-token');
    arm.addCluster({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-ms5', name: 'aks-ms5-prod', server: kube.url, caData: kube.caData! });
  });

  afterAll(async () => {
    await kube.stop();
    await arm.stop();
  });

  beforeEach(() => {
    now = Date.parse('2025-03-01T10:00:00Z');
    credential = new CountingCredential(() => now);
    kube.clearRequests();
    arm.requests.length = 0;
  });

  const options = (): KubeAccessOptions => ({ credential, now: () => now, armClientOptions: { endpoint: arm.url, tlsOptions: { ca: arm.caPem } } });

  it('gets the endpoint and CA from ARM and authenticates with the AKS token', async () => {
    const access = createKubeAccess(options());
    const apis = await access.forCluster(cluster);
    expect(apis).toMatchObject({ cluster: 'ms5-prod', via: 'azure' });
    expect(apis.kubeConfig.getCurrentCluster()).toMatchObject({ server: kube.url, caData: kube.caData, skipTLSVerify: false });

    const ns = await apis.core.listNamespace();
    expect(ns.items.map((n) => n.metadata?.name)).toEqual(['shop']);
    expect(kube.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces', user: 'mi-first-token', status: 200 });

    expect(arm.requests).toEqual([
      {
        method: 'POST',
        path: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-ms5/providers/Microsoft.ContainerService/managedClusters/aks-ms5-prod/listClusterUserCredential`,
        query: { 'api-version': expect.stringMatching(/^\d{4}-\d{2}-\d{2}/) },
        authorized: true,
        status: 200,
      },
    ]);
    expect(credential.count(AKS_AAD_SERVER_SCOPE)).toBe(1);
    expect(credential.count('https://management.azure.com/.default')).toBe(1);
  });

  it('caches the token and the clients, and rebuilds them only when the token is refreshed 5 minutes before expiry', async () => {
    const access = createKubeAccess(options());
    const first = await access.forCluster(cluster);

    now += HOUR - 6 * 60_000; // 6 minutes left: still fresh
    const again = await access.forCluster(cluster);
    expect(again).toBe(first);
    expect(credential.count(AKS_AAD_SERVER_SCOPE)).toBe(1);

    now += 2 * 60_000; // 4 minutes left: refresh
    const refreshed = await access.forCluster(cluster);
    expect(refreshed).not.toBe(first);
    expect(credential.count(AKS_AAD_SERVER_SCOPE)).toBe(2);
    await refreshed.core.listNamespace();
    expect(kube.requests.at(-1)?.user).toBe('mi-second-token');

    expect(await access.forCluster(cluster)).toBe(refreshed);
    expect(credential.count(AKS_AAD_SERVER_SCOPE)).toBe(2);
    // The endpoint and CA do not change with the token: ARM was asked once.
    expect(arm.requests).toHaveLength(1);
  });

  it('asks for one token and one ARM lookup when callers race', async () => {
    const access = createKubeAccess(options());
    const [a, b, c] = await Promise.all([access.forCluster(cluster), access.forCluster(cluster), access.forCluster(cluster)]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(credential.count(AKS_AAD_SERVER_SCOPE)).toBe(1);
    expect(arm.requests).toHaveLength(1);
  });

  it('forget(cluster) drops the cached endpoint and CA: the next call reads them from ARM again', async () => {
    const access = createKubeAccess(options());
    const first = await access.forCluster(cluster);
    access.forget('ms5-prod');
    const second = await access.forCluster(cluster);
    expect(second).not.toBe(first);
    expect(arm.requests).toHaveLength(2);
    expect(credential.count(AKS_AAD_SERVER_SCOPE)).toBe(1);
  });

  it('keeps using a still-valid token when a refresh fails, and fails with the fix once it expired', async () => {
    const access = createKubeAccess(options());
    const first = await access.forCluster(cluster);
    credential.failAks = new Error('ManagedIdentityCredential: IMDS endpoint unreachable');

    now += HOUR - 2 * 60_000;
    await expect(access.forCluster(cluster)).resolves.toBe(first);

    now += 3 * 60_000;
    const err = await access.forCluster(cluster).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^cluster ms5-prod: could not get a Microsoft Entra token for the AKS API \(scope 6dae42f8-4368-4678-94ff-3960e28e3630\/\.default\)/,
    );
    expect(err?.message).toContain('IMDS endpoint unreachable');
    expect(err?.message).toContain('Fix:');
    expect(err?.message).not.toContain('aks-token-1');
  });

  it('turns ARM 403 and 404 into errors naming the cluster and the fix, without any token', async () => {
    const access = createKubeAccess(options());
    arm.failNext(
      403,
      'AuthorizationFailed',
      "The client 'c0ffee00-0000-0000-0000-000000000000' with object id 'c0ffee00-0000-0000-0000-000000000000' does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'",
    );
    const denied = await access.forCluster(cluster).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(denied?.message).toMatch(
      /^cluster ms5-prod: not allowed to read the user credentials of \/subscriptions\/.+\/managedClusters\/aks-ms5-prod \(ARM 403 AuthorizationFailed: /,
    );
    expect(denied?.message).toContain('Fix: assign the role "Azure Kubernetes Service Cluster User Role"');

    const missing = await access.forCluster({ ...cluster, azure: { ...cluster.azure, clusterName: 'aks-typo' } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(missing?.message).toMatch(/^cluster ms5-prod: AKS cluster .+\/managedClusters\/aks-typo not found \(ARM 404 ResourceNotFound: /);
    expect(missing?.message).toContain('Fix: check azure.subscriptionId, azure.resourceGroup and azure.clusterName');
    for (const m of [denied?.message, missing?.message]) {
      expect(m).not.toMatch(/aks-token|arm-token/);
    }

    // A failed lookup is not cached: once fixed, the next call succeeds.
    const ok = await access.forCluster(cluster);
    await expect(ok.core.listNamespace()).resolves.toBeDefined();
  });

  it('reaches the API server only through the CA from ARM (another CA fails TLS)', async () => {
    const someOtherCa = Buffer.from(rootCertificates[0]!).toString('base64');
    arm.addCluster({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-ms5', name: 'aks-other-ca', server: kube.url, caData: someOtherCa });
    const access = createKubeAccess(options());
    const apis = await access.forCluster({ name: 'ms5-other', azure: { ...cluster.azure, clusterName: 'aks-other-ca' } });
    await expect(apis.core.listNamespace()).rejects.toThrow(/certificate/i);
    expect(kube.requests).toHaveLength(0);
  });
});
