// AKS agent pools through the official @azure/arm-containerservice client (imported lazily: it
// and @azure/identity cost cold start): read a pool's autoscaler bounds and node count, and set
// its minCount as an ARM long-running operation (PUT agentPools/{name}, polled through
// Azure-AsyncOperation until Succeeded; the SDK's createOrUpdate poller).
//
// Setting minCount is a read-modify-write of the whole pool: GET, change minCount only (count is
// sent back unchanged: AKS refuses a manual count change on an autoscaled pool), PUT with
// If-Match on the pool's eTag. If the autoscaler moved the pool in between (412, or 400 on a
// stale count) we read it again and retry, a few times. Setting the value it already has does
// nothing (idempotent: activities run at least once). Throttling (429 + Retry-After) is retried
// by the SDK's pipeline.
import type { TokenCredential } from '@azure/identity';
import type { AgentPool, ContainerServiceClient, ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';
import { appCredential } from './azure-credential.js';
import { AzureCallError } from './azure-call-error.js';
import { containerServiceClients, type ContainerServiceClients } from './arm-container-service.js';
import { missingAzurePermissionHint } from '../permissions/azure-forbidden.js';

export interface AgentPoolRef {
  subscriptionId: string;
  resourceGroup: string;
  clusterName: string;
  pool: string;
}

export interface AgentPoolState {
  name: string;
  mode: 'System' | 'User' | 'Gateway';
  count: number;
  enableAutoScaling: boolean;
  minCount: number | null;
  maxCount: number | null;
  provisioningState: string;
  eTag: string | null;
}

export class AgentPoolError extends AzureCallError {
  override name = 'AgentPoolError';
}

export interface AgentPoolsOptions {
  /** Default: ManagedIdentityCredential (managedIdentityClientId) or DefaultAzureCredential. */
  credential?: TokenCredential;
  managedIdentityClientId?: string;
  /** Tests point `endpoint` and `tlsOptions` at a fake ARM. */
  clientOptions?: ContainerServiceClientOptionalParams;
  /** LRO polling interval when ARM sends no Retry-After (default: the SDK's 2 s). */
  pollIntervalMs?: number;
  /** Read-modify-write attempts when the pool changes under us (default 3). */
  attempts?: number;
}

function stateOf(p: AgentPool): AgentPoolState {
  return {
    name: p.name ?? '',
    mode: (p.mode ?? 'User') as AgentPoolState['mode'],
    count: p.count ?? 0,
    enableAutoScaling: p.enableAutoScaling ?? false,
    minCount: p.minCount ?? null,
    maxCount: p.maxCount ?? null,
    provisioningState: p.provisioningState ?? 'Unknown',
    eTag: p.eTag ?? null,
  };
}

function describe(ref: AgentPoolRef): string {
  return `agent pool ${ref.pool} of ${ref.clusterName} (${ref.resourceGroup})`;
}

function wrap(e: unknown, ref: AgentPoolRef, what: string): AgentPoolError {
  if (e instanceof AgentPoolError) return e;
  const err = e as { statusCode?: number; code?: string; message?: string; details?: { error?: { code?: string; message?: string } } };
  const status = err.statusCode;
  const code = err.details?.error?.code ?? err.code;
  const message = err.details?.error?.message ?? err.message ?? String(e);
  const transient = status === undefined || status === 429 || status >= 500 || status === 409;
  const fix =
    status === 403
      ? ` ${missingAzurePermissionHint(message) ?? 'Fix: assign the custom role agentPoolOperator on the cluster to the function app identity (bicep/permissions.json#app-aks-node-pools).'}`
      : status === 404
        ? " Fix: check scaling.clusters[].pools[].name and the cluster's azure block in the config."
        : '';
  return new AgentPoolError(`${what} ${describe(ref)}: ARM ${status ?? 'error'}${code ? ` ${code}` : ''}: ${message}${fix}`, status, code, transient);
}

export class AgentPools {
  private clientsBySubscription?: ContainerServiceClients;

  constructor(private readonly options: AgentPoolsOptions = {}) {}

  private client(subscriptionId: string): Promise<ContainerServiceClient> {
    this.clientsBySubscription ??= containerServiceClients(() => this.credential(), this.options.clientOptions);
    return this.clientsBySubscription(subscriptionId);
  }

  private async credential(): Promise<TokenCredential> {
    if (this.options.credential) return this.options.credential;
    return appCredential(this.options.managedIdentityClientId);
  }

  async get(ref: AgentPoolRef): Promise<AgentPoolState> {
    return stateOf(await this.raw(ref));
  }

  private async raw(ref: AgentPoolRef): Promise<AgentPool> {
    try {
      return await (await this.client(ref.subscriptionId)).agentPools.get(ref.resourceGroup, ref.clusterName, ref.pool);
    } catch (e) {
      throw wrap(e, ref, 'read');
    }
  }

  /**
   * Sets the autoscaler's minCount (and nothing else) and waits for the operation to finish.
   * Refuses pools without the autoscaler and values outside [0, maxCount].
   */
  async setMinCount(ref: AgentPoolRef, minCount: number): Promise<{ before: AgentPoolState; after: AgentPoolState; changed: boolean }> {
    const attempts = this.options.attempts ?? 3;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const current = await this.raw(ref);
      const before = stateOf(current);
      if (!before.enableAutoScaling) {
        throw new AgentPoolError(
          `refusing to change ${describe(ref)}: its cluster autoscaler is off, so minCount means nothing (and we never set count by hand).`,
          undefined,
          'AutoscalerDisabled',
          false,
        );
      }
      if (before.maxCount !== null && minCount > before.maxCount) {
        throw new AgentPoolError(
          `refusing to set minCount ${minCount} on ${describe(ref)}: above its maxCount ${before.maxCount}.`,
          undefined,
          'AboveMaxCount',
          false,
        );
      }
      if (before.minCount === minCount) return { before, after: before, changed: false };
      // Send the pool back as read, with the new minCount: a PUT replaces the whole pool.
      const desired: AgentPool = { ...current, minCount };
      try {
        const client = await this.client(ref.subscriptionId);
        const result = await client.agentPools.beginCreateOrUpdateAndWait(ref.resourceGroup, ref.clusterName, ref.pool, desired, {
          ...(current.eTag ? { ifMatch: current.eTag } : {}),
          ...(this.options.pollIntervalMs !== undefined ? { updateIntervalInMs: this.options.pollIntervalMs } : {}),
        });
        return { before, after: stateOf(result), changed: true };
      } catch (e) {
        const status = (e as { statusCode?: number }).statusCode;
        const code = (e as { details?: { error?: { code?: string } }; code?: string }).details?.error?.code ?? (e as { code?: string }).code;
        // The pool moved under us (eTag, or a count the autoscaler just changed): read again.
        if (status === 412 || (status === 400 && code === 'InvalidParameter' && /count/.test(String((e as Error).message)) && i + 1 < attempts)) {
          last = e;
          continue;
        }
        throw wrap(e, ref, 'update');
      }
    }
    throw wrap(last, ref, `update (after ${attempts} attempts, the pool kept changing)`);
  }

  // ---- Added for budget enforcement (issue #6): list pools, and start an update of the
  // autoscaler settings or the count without waiting for it (the orchestration polls the
  // operation's Azure-AsyncOperation URL on durable timers; see src/adapters/arm-operations.ts).

  /** Every pool of a cluster (LIST, all pages). */
  async list(cluster: Omit<AgentPoolRef, 'pool'>): Promise<AgentPoolState[]> {
    const ref = { ...cluster, pool: '*' };
    try {
      const out: AgentPoolState[] = [];
      for await (const p of (await this.client(cluster.subscriptionId)).agentPools.list(cluster.resourceGroup, cluster.clusterName)) out.push(stateOf(p));
      return out;
    } catch (e) {
      throw wrap(e, ref, 'list');
    }
  }

  /**
   * Starts one update of a pool: the autoscaler (enableAutoScaling with minCount/maxCount, or off)
   * and/or count. Read-modify-write with If-Match like setMinCount; AKS refuses a count change on
   * a pool whose autoscaler stays on, so callers turn it off first (a separate update). Returns
   * the pool as the PUT answered (provisioningState Updating) and the operation's status URL.
   */
  async beginUpdate(ref: AgentPoolRef, change: PoolUpdate): Promise<{ state: AgentPoolState; statusUrl: string | null }> {
    const attempts = this.options.attempts ?? 3;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const current = await this.raw(ref);
      const desired: AgentPool = { ...current };
      if (change.enableAutoScaling === false) {
        desired.enableAutoScaling = false;
        delete desired.minCount;
        delete desired.maxCount;
      } else if (change.enableAutoScaling === true) {
        desired.enableAutoScaling = true;
        if (change.minCount !== undefined && change.minCount !== null) desired.minCount = change.minCount;
        if (change.maxCount !== undefined && change.maxCount !== null) desired.maxCount = change.maxCount;
      }
      if (change.count !== undefined) desired.count = change.count;
      try {
        const client = await this.client(ref.subscriptionId);
        const poller = client.agentPools.createOrUpdate(ref.resourceGroup, ref.clusterName, ref.pool, desired, current.eTag ? { ifMatch: current.eTag } : {});
        await poller.submitted();
        const serialized = JSON.parse(await poller.serialize()) as { state?: { config?: { operationLocation?: string; resourceLocation?: string } } };
        return { state: stateOf({ ...desired, provisioningState: 'Updating' }), statusUrl: serialized.state?.config?.operationLocation ?? null };
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 412 && i + 1 < attempts) {
          last = e;
          continue;
        }
        throw wrap(e, ref, 'update');
      }
    }
    throw wrap(last, ref, `update (after ${attempts} attempts, the pool kept changing)`);
  }
}

/** What beginUpdate changes (budget enforcement). */
export interface PoolUpdate {
  enableAutoScaling?: boolean;
  minCount?: number | null;
  maxCount?: number | null;
  count?: number;
}
