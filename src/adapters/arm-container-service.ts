// ContainerServiceClient instances, one per subscription, built on first use (the SDK is loaded
// lazily: cold start). Shared by the agent-pool and managed-cluster adapters.
import type { TokenCredential } from '@azure/core-auth';
import { withThrottleCount } from '../telemetry/throttling.js';
import type { ContainerServiceClient, ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';

export type ContainerServiceClients = (subscriptionId: string) => Promise<ContainerServiceClient>;

export function containerServiceClients(
  credential: () => Promise<TokenCredential>,
  clientOptions: ContainerServiceClientOptionalParams = {},
): ContainerServiceClients {
  const clients = new Map<string, Promise<ContainerServiceClient>>();
  return (subscriptionId) => {
    let c = clients.get(subscriptionId);
    if (!c) {
      c = (async () => {
        const [{ ContainerServiceClient }, cred] = await Promise.all([import('@azure/arm-containerservice'), credential()]);
        return new ContainerServiceClient(cred, subscriptionId, withThrottleCount('arm', clientOptions));
      })();
      clients.set(subscriptionId, c);
      c.catch(() => clients.delete(subscriptionId));
    }
    return c;
  };
}
