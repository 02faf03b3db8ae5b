// Microsoft.ContainerService managedClusters for the fake ARM (server.ts): GET, and stop/start as
// long-running operations, sharing the cluster record with agent-pools.ts (installAgentPools must
// be installed first; this module fills in the cluster's properties).
//
//   GET  .../managedClusters/{name}          {id, name, location, type, properties: {provisioningState,
//                                            powerState: {code: Running|Stopped}, fqdn, kubernetesVersion,
//                                            nodeResourceGroup, agentPoolProfiles}}
//   POST .../managedClusters/{name}/stop     202 + Azure-AsyncOperation/Location (provisioningState Stopping)
//   POST .../managedClusters/{name}/start    202 + ... (provisioningState Starting)
//
// AKS rules kept (Microsoft Learn "Stop and start an AKS cluster"; error texts as AKS answers them,
// e.g. "managed cluster is in Provisioning State(Succeeded) and Power State(Stopped), stopping cannot
// be performed"; "Another operation (Stopping) is in progress ... https://aka.ms/aks-pending-operation"):
//  - stop needs a Running cluster with no operation in progress, start a Stopped one (409 otherwise);
//  - while stopped only start (or delete) is accepted: agent pool updates answer 409 (agent-pools.ts);
//  - stopping drains every node: the onStop hook lets a test delete standalone pods from a fake
//    Kubernetes API; on start the API server address may change: fqdn gets a new value and onStart runs.
import { armError, type ArmRequest, type ArmResponse, type FakeArm } from './server.js';
import { clusterId, type AgentPoolResource, type AgentPoolsFake, type FakeClusterSeed } from './agent-pools.js';

export interface ManagedClusterResource {
  id: string;
  name: string;
  location: string;
  type: 'Microsoft.ContainerService/ManagedClusters';
  properties: {
    provisioningState: 'Succeeded' | 'Stopping' | 'Starting' | 'Updating' | 'Failed';
    powerState: { code: 'Running' | 'Stopped' };
    kubernetesVersion: string;
    dnsPrefix: string;
    fqdn: string;
    nodeResourceGroup: string;
    agentPoolProfiles?: unknown[];
  };
}

export interface ManagedClustersFake {
  addCluster(seed: FakeClusterSeed & { power?: 'Running' | 'Stopped' }): void;
  cluster(subscriptionId: string, resourceGroup: string, name: string): ManagedClusterResource | undefined;
  /** Runs when a stop finishes (e.g. delete standalone pods from a fake Kubernetes API). */
  onStop?: (name: string) => void;
  /** Runs when a start finishes, with the new API server FQDN. */
  onStart?: (name: string, fqdn: string) => void;
}

const PROVIDER = 'Microsoft.ContainerService';
const CLUSTER = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName}';

export function installManagedClusters(arm: FakeArm, pools: AgentPoolsFake, options: { pollsUntilDone?: number } = {}): ManagedClustersFake {
  let starts = 0;
  const find = (req: ArmRequest): ManagedClusterResource => {
    const p = req.params;
    const c = arm.resources.get<ManagedClusterResource>(clusterId(p['subscriptionId']!, p['resourceGroupName']!, p['resourceName']!));
    if (!c?.properties) {
      throw armError(
        404,
        'ResourceNotFound',
        `The Resource '${PROVIDER}/managedClusters/${p['resourceName']}' under resource group '${p['resourceGroupName']}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return c;
  };
  const withPools = (c: ManagedClusterResource): ManagedClusterResource => ({
    ...c,
    properties: {
      ...c.properties,
      agentPoolProfiles: arm.resources
        .children<AgentPoolResource>(c.id, 'agentPools')
        .map((p) => ({ name: p.name, ...p.properties, powerState: c.properties.powerState })),
    },
  });
  const pending = (c: ManagedClusterResource) => {
    if (c.properties.provisioningState !== 'Succeeded') {
      throw armError(
        409,
        'OperationNotAllowed',
        `Operation is not allowed: Another operation (${c.properties.provisioningState}) is in progress, please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details`,
      );
    }
  };

  arm.route('GET', CLUSTER, (req): ArmResponse => ({ status: 200, body: withPools(find(req)) }));

  // stop and start: refused when already in the target power state, else a long-running operation.
  const powerRoute = (
    verb: 'stop' | 'start',
    target: 'Stopped' | 'Running',
    transitional: 'Stopping' | 'Starting',
    doing: string,
    after: (c: ManagedClusterResource) => void,
  ) =>
    arm.route('POST', `${CLUSTER}/${verb}`, (req): ArmResponse => {
      const c = find(req);
      pending(c);
      if (c.properties.powerState.code === target) {
        throw armError(
          409,
          'OperationNotAllowed',
          `managed cluster is in Provisioning State(${c.properties.provisioningState}) and Power State(${target}), ${doing} cannot be performed`,
        );
      }
      c.properties.provisioningState = transitional;
      return arm.acceptOperation({
        namespace: PROVIDER,
        subscriptionId: req.params['subscriptionId']!,
        location: c.location,
        pollsUntilDone: options.pollsUntilDone ?? 2,
        initial: { status: 202 },
        complete: () => {
          c.properties.powerState = { code: target };
          c.properties.provisioningState = 'Succeeded';
          after(c);
          return undefined;
        },
      });
    });

  powerRoute('stop', 'Stopped', 'Stopping', 'stopping', (c) => fake.onStop?.(c.name));
  powerRoute('start', 'Running', 'Starting', 'starting', (c) => {
    // The API server's address may change on start.
    c.properties.fqdn = `${c.properties.dnsPrefix}-${(++starts).toString(16).padStart(8, '0')}.hcp.${c.location}.azmk8s.io`;
    fake.onStart?.(c.name, c.properties.fqdn);
  });

  const fake: ManagedClustersFake = {
    addCluster(seed) {
      pools.addCluster(seed);
      const id = clusterId(seed.subscriptionId, seed.resourceGroup, seed.name);
      const location = seed.location ?? 'westeurope';
      const resource: ManagedClusterResource = {
        id,
        name: seed.name,
        location,
        type: 'Microsoft.ContainerService/ManagedClusters',
        properties: {
          provisioningState: 'Succeeded',
          powerState: { code: seed.power ?? 'Running' },
          kubernetesVersion: '1.30.5',
          dnsPrefix: seed.name,
          fqdn: `${seed.name}-00000000.hcp.${location}.azmk8s.io`,
          nodeResourceGroup: `MC_${seed.resourceGroup}_${seed.name}_${location}`,
        },
      };
      arm.resources.put(id, resource);
    },
    cluster: (s, rg, name) => arm.resources.get<ManagedClusterResource>(clusterId(s, rg, name)),
  };
  return fake;
}
