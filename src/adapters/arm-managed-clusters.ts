// AKS managed clusters through the official @azure/arm-containerservice client (imported lazily):
// read the power state, and start managedClusters/stop or /start (long-running operations:
// POST answers 202 with Azure-AsyncOperation/Location; we return the status URL and the caller
// polls it, see arm-operations.ts).
//
// What a stop does (Microsoft Learn, "Stop and start an AKS cluster"): the control plane and the
// nodes are deallocated and nothing is billed for them; the cluster's state is kept for up to 12
// months; only start or delete are accepted while it is stopped; every node is drained, so
// standalone pods (not owned by a Deployment, StatefulSet, DaemonSet or Job) are deleted; on start
// the API server's IP address may change and the autoscaler starts from what the workloads need.
import type { TokenCredential } from '@azure/core-auth';
import type { ContainerServiceClient, ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';
import { appCredential } from './azure-credential.js';
import { containerServiceClients, type ContainerServiceClients } from './arm-container-service.js';
import { missingAzurePermissionHint } from '../permissions/azure-forbidden.js';

export interface ClusterRef {
  subscriptionId: string;
  resourceGroup: string;
  clusterName: string;
}

export interface ClusterPower {
  power: 'Running' | 'Stopped' | 'Unknown';
  provisioningState: string;
  fqdn: string | null;
  /** The MC_ resource group holding the nodes' scale sets, disks and load balancer. */
  nodeResourceGroup: string | null;
}

export class ManagedClusterError extends Error {
  override name = 'ManagedClusterError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface ManagedClustersOptions {
  credential?: TokenCredential;
  managedIdentityClientId?: string;
  clientOptions?: ContainerServiceClientOptionalParams;
}

function wrap(e: unknown, ref: ClusterRef, what: string): ManagedClusterError {
  const err = e as { statusCode?: number; code?: string; message?: string; details?: { error?: { code?: string; message?: string } } };
  const status = err.statusCode;
  const code = err.details?.error?.code ?? err.code;
  const fix =
    status === 403
      ? ` ${missingAzurePermissionHint(err.details?.error?.message ?? err.message) ?? 'Fix: the function app identity needs Microsoft.ContainerService/managedClusters/stop/action and start/action on the cluster (bicep/permissions.json app-aks-node-pools)'}`
      : status === 404
        ? ' Fix: check clusters[].azure (subscriptionId, resourceGroup, clusterName) in the config'
        : '';
  return new ManagedClusterError(
    `${what} AKS cluster ${ref.clusterName} (${ref.resourceGroup}): ARM ${status ?? 'error'}${code ? ` ${code}` : ''}: ${err.details?.error?.message ?? err.message ?? String(e)}.${fix}`,
    status,
    code,
  );
}

export class ManagedClusters {
  private clientsBySubscription?: ContainerServiceClients;

  constructor(private readonly options: ManagedClustersOptions = {}) {}

  async credential(): Promise<TokenCredential> {
    if (this.options.credential) return this.options.credential;
    return appCredential(this.options.managedIdentityClientId);
  }

  private client(subscriptionId: string): Promise<ContainerServiceClient> {
    this.clientsBySubscription ??= containerServiceClients(() => this.credential(), this.options.clientOptions);
    return this.clientsBySubscription(subscriptionId);
  }

  async get(ref: ClusterRef): Promise<ClusterPower> {
    try {
      const mc = await (await this.client(ref.subscriptionId)).managedClusters.get(ref.resourceGroup, ref.clusterName);
      const code = mc.powerState?.code;
      return {
        power: code === 'Running' || code === 'Stopped' ? code : 'Unknown',
        provisioningState: mc.provisioningState ?? 'Unknown',
        fqdn: mc.fqdn ?? null,
        nodeResourceGroup: mc.nodeResourceGroup ?? null,
      };
    } catch (e) {
      throw wrap(e, ref, 'read');
    }
  }

  /** Starts managedClusters/stop or /start; returns the operation's status URL without waiting. */
  async beginPower(ref: ClusterRef, power: 'Running' | 'Stopped'): Promise<{ statusUrl: string | null }> {
    try {
      const client = await this.client(ref.subscriptionId);
      const poller =
        power === 'Stopped'
          ? client.managedClusters.stop(ref.resourceGroup, ref.clusterName)
          : client.managedClusters.start(ref.resourceGroup, ref.clusterName);
      await poller.submitted();
      const serialized = JSON.parse(await poller.serialize()) as { state?: { config?: { operationLocation?: string } } };
      return { statusUrl: serialized.state?.config?.operationLocation ?? null };
    } catch (e) {
      throw wrap(e, ref, power === 'Stopped' ? 'stop' : 'start');
    }
  }
}
