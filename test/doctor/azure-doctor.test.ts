// `aksops doctor`'s Azure checks against the fakes: ARM permissions through the authorization API
// (the real @azure/arm-authorization client against the fake ARM), a Key Vault read (real
// SecretClient against the fake vault), a real Prometheus' /-/ready, an unreachable endpoint, and
// a removed permission that fails its row with the fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/cli/doctor.js';
import { runAzureChecks } from '../../src/doctor/azure-checks.js';
import { azureDoctorDeps } from '../../src/doctor/azure-deps.js';
import { readSettings } from '../../src/config/settings.js';
import { allowedBy, isDataAction } from '../../src/permissions/azure.js';
import { installPermissions } from '../fakes/arm/authorization.js';
import { ARM_SCOPE, FakeArm, fakeArmCredential } from '../fakes/arm/server.js';
import { appAzurePolicy, azurePolicyWithout } from '../fakes/azure-authz.js';
import { startFakeKeyVault, type FakeKeyVault } from '../fakes/keyvault-server.js';
import { freePort } from '../support/net.js';
import { prometheusInstalled, startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
let arm: FakeArm;
let kv: FakeKeyVault;
let prom: PrometheusInstance | undefined;

beforeAll(async () => {
  arm = await FakeArm.start();
  installPermissions(arm);
  kv = await startFakeKeyVault({ vaultName: 'kv-doctor' });
  kv.seed('db-password', 'do-not-print-me');
  if (prometheusInstalled()) prom = await startPrometheusWith('# EOF\n');
}, 60_000);
afterAll(async () => {
  await arm.stop();
  await kv.stop();
  await prom?.stop();
});

const cfg = (promUrl: string) => ({
  clusters: [{ name: 'prod', azure: { subscriptionId: SUB, resourceGroup: 'rg-prod', clusterName: 'aks-prod' } }],
  budgets: [{ name: 'estate', scope: { subscriptionId: SUB, resourceGroup: 'rg-prod' } }],
  slo: { prometheus: { url: promUrl, auth: 'none' as const } },
  scaling: undefined,
  backups: undefined,
});

function deps(promUrl: string) {
  const settings = readSettings({ KEY_VAULT_URI: kv.vaultUrl });
  return azureDoctorDeps(cfg(promUrl) as never, settings, {
    credential: fakeArmCredential(),
    armClientOptions: { endpoint: arm.url, credentialScopes: [ARM_SCOPE], tlsOptions: { ca: arm.caPem } },
    keyVaultCredential: kv.credential(),
    keyVaultClientOptions: kv.clientOptions(),
  });
}

describe('doctor: Azure', () => {
  it('splits actions from data actions as the role definitions do', () => {
    expect(isDataAction('Microsoft.ContainerService/managedClusters/pods/read')).toBe(true);
    expect(isDataAction('Microsoft.ContainerService/managedClusters/agentPools/write')).toBe(false);
    expect(isDataAction('Microsoft.KeyVault/vaults/secrets/getSecret/action')).toBe(true);
    expect(isDataAction('Microsoft.CostManagement/query/read')).toBe(false);
    expect(
      allowedBy(
        [{ actions: ['Microsoft.CostManagement/*/read'], notActions: ['Microsoft.CostManagement/forecast/read'] }],
        'Microsoft.CostManagement/query/read',
      ),
    ).toBe(true);
    expect(
      allowedBy(
        [{ actions: ['Microsoft.CostManagement/*/read'], notActions: ['Microsoft.CostManagement/forecast/read'] }],
        'Microsoft.CostManagement/forecast/read',
      ),
    ).toBe(false);
    expect(allowedBy([{ actions: ['*'] }], 'Microsoft.KeyVault/vaults/secrets/getSecret/action')).toBe(false);
  });

  it.skipIf(!prometheusInstalled())('passes every check with the declared grants, a readable vault and a ready Prometheus', async () => {
    arm.policy = appAzurePolicy();
    const rows = await runAzureChecks(deps(prom!.url));
    expect(rows.map((r) => `${r.check} ${r.status}`)).toEqual([
      'azure prod (cluster): app-aks-credentials ok',
      'azure prod (cluster): app-aks-data-plane ok',
      'azure prod (cluster): app-aks-node-pools ok',
      'azure rg-prod (budget estate): app-cost-read ok',
      'key vault ok',
      'prometheus slo ok',
    ]);
    expect(
      arm.requests.some((r) => r.path.endsWith('/providers/Microsoft.Authorization/permissions') && r.apiVersion === '2022-04-01' && r.status === 200),
    ).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('do-not-print-me');
  });

  it('fails the row of a missing permission with the role and scope to fix, and an unreachable Prometheus', async () => {
    arm.policy = azurePolicyWithout('Microsoft.ContainerService/managedClusters/stop/action');
    kv.policy = azurePolicyWithout('Microsoft.KeyVault/vaults/secrets/readMetadata/action');
    const closed = `http://127.0.0.1:${await freePort()}`;
    try {
      const rows = await runAzureChecks(deps(closed));
      const byCheck = Object.fromEntries(rows.map((r) => [r.check, r]));
      expect(byCheck['azure prod (cluster): app-aks-node-pools']).toEqual({
        check: 'azure prod (cluster): app-aks-node-pools',
        status: 'fail',
        detail: 'missing Microsoft.ContainerService/managedClusters/stop/action',
        fix: `assign "custom role agentPoolOperator (bicep/modules/role-definitions.bicep)" to the app's identity on /subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod (bicep/permissions.json#app-aks-node-pools; azd provision does)`,
      });
      expect(byCheck['azure prod (cluster): app-aks-data-plane']?.status).toBe('ok');
      expect(byCheck['key vault']).toMatchObject({ status: 'fail' });
      // A paged list loses the service's message in the SDK ("Pagination failed with unexpected statusCode 403"): the adapter's fallback names the role.
      expect(byCheck['key vault']?.detail).toContain('403 Forbidden');
      expect(byCheck['key vault']?.detail).toContain('Key Vault Secrets Officer');
      expect(byCheck['prometheus slo']).toMatchObject({ status: 'fail', fix: expect.stringContaining('Prometheus url in ops.yaml') as unknown });
      expect(byCheck['prometheus slo']?.detail).toContain(closed);
    } finally {
      arm.policy = appAzurePolicy();
      kv.policy = appAzurePolicy();
    }
  });

  it('aksops doctor --json prints the Azure rows and exits 1 when one fails', async () => {
    arm.policy = azurePolicyWithout('Microsoft.CostManagement/forecast/read');
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s), env: {}, cwd: process.cwd() } as never;
    try {
      const code = await runDoctor(['--json'], io, {
        clusters: [],
        kubeConfigFor: () => Promise.reject(new Error('unused')),
        azure: { scopes: deps('http://127.0.0.1:9').scopes ?? [] },
      });
      expect(code).toBe(1);
      const body = JSON.parse(out.join('\n')) as { ok: boolean; failed: number; rows: Array<{ check: string; status: string; detail: string }> };
      expect(body.ok).toBe(false);
      expect(body.rows.find((r) => r.check === 'azure rg-prod (budget estate): app-cost-read')).toMatchObject({
        status: 'fail',
        detail: 'missing Microsoft.CostManagement/forecast/read',
      });
    } finally {
      arm.policy = appAzurePolicy();
    }
  });
});
