// The strict Azure fakes authorize every request against what src/permissions/azure.ts declares
// for the app's identity and answer Azure's real 403 bodies; removing one permission fails the
// feature that needs it with a message that names the missing permission and the fix.
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { AgentPoolError, AgentPools } from '../../src/adapters/arm-agent-pools.js';
import { keyVaultKeyWrapper } from '../../src/adapters/key-wrap.js';
import { createVaultSecrets, VaultError } from '../../src/adapters/keyvault.js';
import { missingAzurePermissionHint } from '../../src/permissions/azure-forbidden.js';
import { installAgentPools } from '../fakes/arm/agent-pools.js';
import { FakeArm, fakeArmCredential } from '../fakes/arm/server.js';
import { appAzurePolicy, armOperation, azurePolicyWithout, keyVaultOperation } from '../fakes/azure-authz.js';
import { startFakeKeyVaultKeys } from '../fakes/keyvault-keys.js';
import { startFakeKeyVault } from '../fakes/keyvault-server.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const RG = 'rg-ms5-prod';
const CLUSTER = 'aks-ms5-prod';
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function armWithPools(): Promise<{ arm: FakeArm; pools: AgentPools }> {
  const arm = await FakeArm.start();
  stops.push(() => arm.stop());
  installAgentPools(arm).addCluster({
    subscriptionId: SUB,
    resourceGroup: RG,
    name: CLUSTER,
    pools: [{ name: 'compute', count: 3, enableAutoScaling: true, minCount: 2, maxCount: 20 }],
  });
  const pools = new AgentPools({ credential: fakeArmCredential(), clientOptions: { endpoint: arm.url, tlsOptions: { ca: arm.caPem } }, pollIntervalMs: 5 });
  return { arm, pools };
}

describe('the action of a request, as Azure RBAC derives it', () => {
  it.each([
    [
      'GET',
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}/agentPools`,
      'Microsoft.ContainerService/managedClusters/agentPools/read',
    ],
    [
      'PUT',
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}/agentPools/compute`,
      'Microsoft.ContainerService/managedClusters/agentPools/write',
    ],
    [
      'DELETE',
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}/agentPools/compute`,
      'Microsoft.ContainerService/managedClusters/agentPools/delete',
    ],
    [
      'POST',
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}/stop`,
      'Microsoft.ContainerService/managedClusters/stop/action',
    ],
    [
      'POST',
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}/listClusterUserCredential`,
      'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
    ],
    [
      'POST',
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/st1/listKeys`,
      'Microsoft.Storage/storageAccounts/listKeys/action',
    ],
    ['POST', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.CostManagement/query`, 'Microsoft.CostManagement/query/read'],
    ['GET', `/subscriptions/${SUB}/providers/Microsoft.ContainerService/locations/westeurope/operations/abc`, undefined],
  ])('%s %s -> %s', (method, path, action) => {
    expect(armOperation(method, path)).toBe(action);
  });

  it.each([
    ['GET', ['secrets', 'db', ''], 'Microsoft.KeyVault/vaults/secrets/getSecret/action'],
    ['GET', ['secrets', 'db', 'versions'], 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
    ['GET', ['secrets'], 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
    ['PUT', ['secrets', 'db'], 'Microsoft.KeyVault/vaults/secrets/setSecret/action'],
    ['PATCH', ['secrets', 'db', 'v1'], 'Microsoft.KeyVault/vaults/secrets/update/action'],
    ['POST', ['secrets', 'db', 'backup'], 'Microsoft.KeyVault/vaults/secrets/backup/action'],
    ['POST', ['secrets', 'restore'], 'Microsoft.KeyVault/vaults/secrets/restore/action'],
    ['DELETE', ['secrets', 'db'], 'Microsoft.KeyVault/vaults/secrets/delete'],
    ['GET', ['keys', 'kek', 'v1'], 'Microsoft.KeyVault/vaults/keys/read'],
    ['POST', ['keys', 'kek', 'v1', 'unwrapkey'], 'Microsoft.KeyVault/vaults/keys/unwrap/action'],
  ])('Key Vault %s %j -> %s', (method, parts, action) => {
    expect(keyVaultOperation(method, parts)).toBe(action);
  });

  it('holds what the declaration grants the app and nothing it does not', () => {
    const policy = appAzurePolicy();
    expect(policy).toContain('Microsoft.ContainerService/managedClusters/agentPools/write');
    expect(policy).toContain('Microsoft.KeyVault/vaults/keys/unwrap/action');
    expect(policy).not.toContain('Microsoft.ContainerService/managedClusters/agentPools/delete');
    expect(policy).not.toContain('Microsoft.KeyVault/vaults/secrets/delete');
  });
});

describe('ARM authorization', () => {
  it('answers the real 403 AuthorizationFailed body for an operation the app does not hold', async () => {
    const { arm } = await armWithPools();
    const client = new ContainerServiceClient(fakeArmCredential(), SUB, { endpoint: arm.url, tlsOptions: { ca: arm.caPem }, retryOptions: { maxRetries: 0 } });
    const err = (await client.agentPools.beginDelete(RG, CLUSTER, 'compute').catch((e: unknown) => e)) as { statusCode: number; code: string; message: string };
    expect(err.statusCode).toBe(403);
    expect(err.code).toBe('AuthorizationFailed');
    const scope = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}/agentPools/compute`;
    expect(err.message).toBe(
      `The client '3f2b9c1e-6d4a-4b8e-9a71-0c5d2e8f4a10' with object id '3f2b9c1e-6d4a-4b8e-9a71-0c5d2e8f4a10' does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/agentPools/delete' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
    expect(arm.requests.at(-1)).toMatchObject({ method: 'DELETE', status: 403, authorized: true });
  });

  it('predictive scaling fails without agentPools/write, naming the permission, the grant and the fix', async () => {
    const { arm, pools } = await armWithPools();
    const ref = { subscriptionId: SUB, resourceGroup: RG, clusterName: CLUSTER, pool: 'compute' };
    arm.policy = azurePolicyWithout('Microsoft.ContainerService/managedClusters/agentPools/write');
    const err = (await pools.setMinCount(ref, 6).catch((e: unknown) => e)) as AgentPoolError;
    expect(err).toBeInstanceOf(AgentPoolError);
    expect(err).toMatchObject({ status: 403, code: 'AuthorizationFailed', transient: false });
    expect(err.message).toContain('missing Azure permission: Microsoft.ContainerService/managedClusters/agentPools/write on /subscriptions/');
    expect(err.message).toContain('(needed by app-aks-node-pools). Fix: assign "custom role agentPoolOperator (bicep/modules/role-definitions.bicep)"');
    expect(err.message).toContain('bicep/permissions.json#app-aks-node-pools');
    // The read before the write was allowed; with the shipped declaration the same call succeeds.
    arm.policy = appAzurePolicy();
    expect((await pools.setMinCount(ref, 6)).after.minCount).toBe(6);
  });
});

describe('Key Vault authorization (RBAC permission model)', () => {
  it('rotation cannot store a new version without setSecret: the real ForbiddenByRbac body, and a hint naming the role', async () => {
    const kv = await startFakeKeyVault({ vaultName: 'kv-authz' });
    stops.push(() => kv.stop());
    const vault = createVaultSecrets({ vaultUrl: kv.vaultUrl, credential: kv.credential(), clientOptions: kv.clientOptions() });
    kv.policy = azurePolicyWithout('Microsoft.KeyVault/vaults/secrets/setSecret/action');
    const err = (await vault.setVersion('jwt-key', 'value-a', { tags: {} }).catch((e: unknown) => e)) as VaultError;
    expect(err).toBeInstanceOf(VaultError);
    expect(err.message).toContain('403 Forbidden');
    expect(err.message).toContain('missing Azure permission: Microsoft.KeyVault/vaults/secrets/setSecret/action on /subscriptions/');
    expect(err.message).toContain('(needed by app-keyvault-secrets). Fix: assign "Key Vault Secrets Officer"');
    expect(err.message).not.toContain('value-a');
    expect(kv.versions('jwt-key')).toEqual([]);
    const res = kv.requests.at(-1)!;
    expect(res).toMatchObject({ method: 'PUT', status: 403, authorized: true });
    // With the declared grant it works.
    kv.policy = appAzurePolicy();
    expect((await vault.setVersion('jwt-key', 'value-a', { tags: {} })).version).toMatch(/^\w+$/);
  });

  it('restore cannot unwrap the backup key without keys/unwrap: the hint names the operator-assigned role and its doc', async () => {
    const kv = await startFakeKeyVaultKeys({ vaultName: 'kv-authz-keys' });
    stops.push(() => kv.stop());
    const keyId = kv.createKey('backup-kek');
    const wrapper = keyVaultKeyWrapper(keyId, kv.credential(), kv.clientOptions());
    const { wrapped, keyId: versioned } = await wrapper.wrap(Buffer.alloc(32, 7));
    kv.policy = azurePolicyWithout('Microsoft.KeyVault/vaults/keys/unwrap/action');
    const text = String(await wrapper.unwrap(wrapped, versioned).catch((e: unknown) => (e as Error).message));
    expect(text).toContain('unwrapKey with');
    expect(text).toContain('missing Azure permission: Microsoft.KeyVault/vaults/keys/unwrap/action');
    expect(text).toContain('(needed by app-backup-key). Fix: assign "Key Vault Crypto User"');
    expect(text).toContain('docs/backups.md');
    kv.policy = appAzurePolicy();
    expect(await wrapper.unwrap(wrapped, versioned)).toEqual(Buffer.alloc(32, 7));
  });

  it('says when Azure refuses an operation nobody declared', () => {
    const msg =
      "The client 'x' with object id 'x' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/write' over scope '/subscriptions/s/resourceGroups/rg' or the scope is invalid.";
    expect(missingAzurePermissionHint(msg)).toBe(
      'missing Azure permission: Microsoft.Compute/virtualMachines/write on /subscriptions/s/resourceGroups/rg, which src/permissions/azure.ts does not declare. Fix: declare it for the code path that makes this call, run npm run permissions and grant it',
    );
    expect(missingAzurePermissionHint('something else')).toBeUndefined();
  });
});
