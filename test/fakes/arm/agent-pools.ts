// Microsoft.ContainerService managedClusters/{cluster}/agentPools for the fake ARM (server.ts):
// GET one, LIST (paged), PUT as a long-running operation (Azure-AsyncOperation), with AKS's
// validations that matter to an autoscaler-bounds controller. Shapes from azure-rest-api-specs
// (specification/containerservice/.../aks/stable/2024-09-01/examples/AgentPools_Update.json,
// AgentPoolsList.json: {id, name, type, properties: {count, enableAutoScaling, minCount, maxCount,
// mode, provisioningState, eTag, ...}}; PUT answers 200/201 with provisioningState "Updating").
//
// Validations on PUT (400 InvalidParameter unless noted), as AKS refuses them:
//  - properties.count missing ("Required parameter properties.count is missing (null).");
//  - a count different from the current one on a pool whose cluster autoscaler stays enabled
//    (manual scaling of an autoscaled pool; AKS: "Cannot manually scale ... cluster autoscaler");
//  - enableAutoScaling without minCount/maxCount, minCount > maxCount, maxCount > 1000;
//  - minCount 0 (or count 0) on a System pool (system pools need at least one node);
//  - If-Match that does not match the pool's eTag: 412 PreconditionFailed;
//  - a PUT while the previous operation still runs: 409 OperationNotAllowed.
// When the operation completes the pool is Succeeded and, like the cluster autoscaler does when
// minCount rises above the node count, count is raised to minCount.
import { randomUUID } from 'node:crypto';
import { armError, type ArmRequest, type ArmResponse, type FakeArm } from './server.js';

export interface FakeAgentPoolSeed {
  name: string;
  mode?: 'System' | 'User';
  count: number;
  enableAutoScaling?: boolean;
  minCount?: number;
  maxCount?: number;
  vmSize?: string;
}

export interface FakeClusterSeed {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location?: string;
  pools: FakeAgentPoolSeed[];
}

export interface AgentPoolResource {
  id: string;
  name: string;
  type: 'Microsoft.ContainerService/managedClusters/agentPools';
  properties: {
    count: number;
    vmSize: string;
    osType: 'Linux';
    mode: 'System' | 'User';
    enableAutoScaling: boolean;
    minCount?: number;
    maxCount?: number;
    provisioningState: 'Succeeded' | 'Updating' | 'Creating' | 'Failed';
    orchestratorVersion: string;
    eTag: string;
    [key: string]: unknown;
  };
}

interface ClusterRecord {
  id: string;
  location: string;
}

const PROVIDER = 'Microsoft.ContainerService';
const CLUSTER = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName}';

export function clusterId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/providers/${PROVIDER}/managedClusters/${name}`;
}

export interface AgentPoolsFake {
  addCluster(seed: FakeClusterSeed): void;
  /** The stored pool (the fake's truth), or undefined. */
  pool(subscriptionId: string, resourceGroup: string, cluster: string, name: string): AgentPoolResource | undefined;
  /** What the cluster autoscaler does on its own: move count (changes the eTag). */
  autoscalerSetsCount(subscriptionId: string, resourceGroup: string, cluster: string, name: string, count: number): void;
}

export function installAgentPools(arm: FakeArm, options: { pollsUntilDone?: number; pageSize?: number } = {}): AgentPoolsFake {
  const findCluster = (req: ArmRequest): ClusterRecord => {
    const p = req.params;
    const c = arm.resources.get<ClusterRecord>(clusterId(p['subscriptionId']!, p['resourceGroupName']!, p['resourceName']!));
    if (!c) {
      throw armError(
        404,
        'ResourceNotFound',
        `The Resource '${PROVIDER}/managedClusters/${p['resourceName']}' under resource group '${p['resourceGroupName']}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return c;
  };
  const poolId = (req: ArmRequest): string =>
    `${clusterId(req.params['subscriptionId']!, req.params['resourceGroupName']!, req.params['resourceName']!)}/agentPools/${req.params['agentPoolName']}`;

  arm.route('GET', `${CLUSTER}/agentPools`, (req) => {
    const c = findCluster(req);
    return arm.page(req, arm.resources.children<AgentPoolResource>(c.id, 'agentPools'), options.pageSize ?? 100);
  });

  arm.route('GET', `${CLUSTER}/agentPools/{agentPoolName}`, (req): ArmResponse => {
    findCluster(req);
    const pool = arm.resources.get<AgentPoolResource>(poolId(req));
    if (!pool) throw armError(404, 'NotFound', `Agent pool '${req.params['agentPoolName']}' was not found in managed cluster '${req.params['resourceName']}'.`);
    return { status: 200, body: pool, headers: { etag: pool.properties.eTag } };
  });

  arm.route('PUT', `${CLUSTER}/agentPools/{agentPoolName}`, (req): ArmResponse => {
    const cluster = findCluster(req);
    // A stopped cluster accepts only start or delete (managed-clusters.ts keeps the power state).
    const power = (cluster as { properties?: { powerState?: { code?: string }; provisioningState?: string } }).properties;
    if (power?.powerState?.code === 'Stopped') {
      throw armError(
        409,
        'OperationNotAllowed',
        `managed cluster is in Provisioning State(${power.provisioningState ?? 'Succeeded'}) and Power State(Stopped), updating agent pools cannot be performed; start the cluster first`,
      );
    }
    const id = poolId(req);
    const existing = arm.resources.get<AgentPoolResource>(id);
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && (!existing || ifMatch.replace(/^W\//, '').replace(/"/g, '') !== existing.properties.eTag)) {
      throw armError(
        412,
        'PreconditionFailed',
        `Operation is not allowed: the eTag '${ifMatch}' does not match agent pool '${req.params['agentPoolName']}' (its eTag is '${existing?.properties.eTag ?? 'none'}'). Get the pool again and retry.`,
      );
    }
    if (existing && existing.properties.provisioningState !== 'Succeeded') {
      throw armError(
        409,
        'OperationNotAllowed',
        `Operation is not allowed because there's an in progress update agent pool operation on '${existing.name}' (provisioningState ${existing.properties.provisioningState}). Please wait for it to finish before starting a new operation.`,
      );
    }
    const props = (req.body as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!props || typeof props !== 'object') throw armError(400, 'InvalidParameter', 'Required parameter properties is missing (null).', 'properties');
    const count = props['count'];
    if (typeof count !== 'number' || !Number.isInteger(count))
      throw armError(400, 'InvalidParameter', 'Required parameter properties.count is missing (null).', 'properties.count');
    const mode = (props['mode'] ?? existing?.properties.mode ?? 'User') as 'System' | 'User';
    const autoscale = props['enableAutoScaling'] === true;
    const minCount = props['minCount'] as number | undefined;
    const maxCount = props['maxCount'] as number | undefined;
    if (autoscale) {
      if (typeof minCount !== 'number' || typeof maxCount !== 'number') {
        throw armError(
          400,
          'InvalidParameter',
          'Both properties.minCount and properties.maxCount must be set when enableAutoScaling is true.',
          'properties.minCount',
        );
      }
      if (minCount > maxCount) {
        throw armError(
          400,
          'InvalidParameter',
          `The value of parameter agentPoolProfile.minCount (${minCount}) must be less than or equal to agentPoolProfile.maxCount (${maxCount}).`,
          'properties.minCount',
        );
      }
      if (maxCount > 1000 || minCount < 0)
        throw armError(
          400,
          'InvalidParameter',
          'The value of parameter agentPoolProfile.minCount/maxCount is invalid: the allowed range is 0 to 1000.',
          'properties.maxCount',
        );
      if (mode === 'System' && minCount < 1) {
        throw armError(
          400,
          'InvalidParameter',
          `The value of parameter agentPoolProfile.minCount is invalid: it was ${minCount}, but a system pool must keep at least 1 node. If allowedMinCount was expected to be 0 but is 1: the node pool is a system pool.`,
          'properties.minCount',
        );
      }
    }
    if (mode === 'System' && count < 1)
      throw armError(
        400,
        'InvalidParameter',
        'The value of parameter agentPoolProfile.count is invalid: a system pool must have at least 1 node.',
        'properties.count',
      );
    if (existing && existing.properties.enableAutoScaling && autoscale && count !== existing.properties.count) {
      throw armError(
        400,
        'InvalidParameter',
        `Cannot manually scale agent pool '${existing.name}' while the cluster autoscaler is enabled: properties.count ${count} differs from the current node count ${existing.properties.count}. Change minCount/maxCount instead, or send the current count.`,
        'properties.count',
      );
    }

    const eTag = randomUUID();
    const next: AgentPoolResource = {
      id,
      name: req.params['agentPoolName']!,
      type: 'Microsoft.ContainerService/managedClusters/agentPools',
      properties: {
        ...(existing?.properties ?? {}),
        ...props,
        count,
        mode,
        enableAutoScaling: autoscale,
        vmSize: (props['vmSize'] as string | undefined) ?? existing?.properties.vmSize ?? 'Standard_D4s_v5',
        osType: 'Linux',
        orchestratorVersion: existing?.properties.orchestratorVersion ?? '1.30.5',
        provisioningState: 'Updating',
        eTag,
      },
    };
    if (!autoscale) {
      delete next.properties.minCount;
      delete next.properties.maxCount;
    }
    arm.resources.put(id, next);
    return arm.acceptOperation({
      namespace: PROVIDER,
      subscriptionId: req.params['subscriptionId']!,
      location: cluster.location,
      pollsUntilDone: options.pollsUntilDone ?? 2,
      initial: { status: existing ? 200 : 201, body: next },
      complete: () => {
        const p = arm.resources.get<AgentPoolResource>(id)!;
        // The autoscaler honours a raised minCount by adding nodes up to it.
        if (p.properties.enableAutoScaling && p.properties.minCount !== undefined && p.properties.count < p.properties.minCount)
          p.properties.count = p.properties.minCount;
        p.properties.provisioningState = 'Succeeded';
        p.properties.eTag = randomUUID();
        return p;
      },
    });
  });

  const stored = (s: string, rg: string, c: string, n: string) => arm.resources.get<AgentPoolResource>(`${clusterId(s, rg, c)}/agentPools/${n}`);
  return {
    addCluster(seed) {
      const id = clusterId(seed.subscriptionId, seed.resourceGroup, seed.name);
      arm.resources.put(id, { id, location: seed.location ?? 'westeurope' } satisfies ClusterRecord);
      for (const p of seed.pools) {
        const autoscale = p.enableAutoScaling ?? false;
        arm.resources.put(`${id}/agentPools/${p.name}`, {
          id: `${id}/agentPools/${p.name}`,
          name: p.name,
          type: 'Microsoft.ContainerService/managedClusters/agentPools',
          properties: {
            count: p.count,
            vmSize: p.vmSize ?? 'Standard_D4s_v5',
            osType: 'Linux',
            mode: p.mode ?? 'User',
            enableAutoScaling: autoscale,
            ...(autoscale ? { minCount: p.minCount ?? 1, maxCount: p.maxCount ?? 10 } : {}),
            provisioningState: 'Succeeded',
            orchestratorVersion: '1.30.5',
            eTag: randomUUID(),
          },
        } satisfies AgentPoolResource);
      }
    },
    pool: stored,
    autoscalerSetsCount(s, rg, c, n, count) {
      const p = stored(s, rg, c, n);
      if (!p) throw new Error(`no pool ${n}`);
      p.properties.count = count;
      p.properties.eTag = randomUUID();
    },
  };
}
