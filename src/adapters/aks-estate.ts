// The estate budget enforcement acts on (the activities' EstatePort): AKS node pools and cluster
// power through ARM (arm-agent-pools.ts, arm-managed-clusters.ts, status URLs polled with
// arm-operations.ts), and Deployments through the Kubernetes API (kube.ts).
//
//  - Deployments are scaled with a JSON merge patch of spec.replicas (the field `kubectl scale`
//    changes; the scale subresource sets the same field). A Deployment an HPA manages stays at 0:
//    the HPA does not scale a target whose replicas are 0, and resumes when restore sets them back.
//  - After a cluster's power changes its API server address may change: the cached endpoint and
//    clients of that cluster are dropped, so the next call asks ARM for the new one.
//  - ARM errors: 429 becomes ThrottledError (retried on a durable timer), 409 (another operation
//    in progress) BusyError; anything else is passed on.
import type { CompiledConfig } from '../config/load.js';
import type { EstatePort, PoolChange, StartedOperation } from '../budget/activities.js';
import { BusyError, ThrottledError } from './arm-errors.js';
import type { ClusterSnapshot, PoolSnapshot, WorkloadSnapshot } from '../budget/types.js';
import type { AgentPools, AgentPoolState } from './arm-agent-pools.js';
import type { ManagedClusters } from './arm-managed-clusters.js';
import type { ArmOperations } from './arm-operations.js';
import type { KubeAccess } from './kube.js';

export interface AksEstateOptions {
  config: () => CompiledConfig;
  kube: KubeAccess;
  pools: AgentPools;
  clusters: ManagedClusters;
  operations: ArmOperations;
}

const FIELD_MANAGER = 'aksops-budgets';

function armFailure(e: unknown): never {
  const status = (e as { status?: number; statusCode?: number }).status ?? (e as { statusCode?: number }).statusCode;
  const message = e instanceof Error ? e.message : String(e);
  if (status === 429) throw new ThrottledError(message, 60);
  if (status === 409) throw new BusyError(message);
  throw e;
}

export class AksEstate implements EstatePort {
  private readonly lastPower = new Map<string, string>();

  constructor(private readonly o: AksEstateOptions) {}

  private ref(cluster: string) {
    const c = this.o.config().clusters.find((x) => x.name === cluster);
    if (!c) throw new Error(`cluster "${cluster}" is not in the operations config. Fix: add it to clusters[]`);
    if (!c.azure)
      throw new Error(`cluster ${cluster} has no azure block, so ARM cannot reach it. Fix: give clusters[].azure {subscriptionId, resourceGroup, clusterName}`);
    return { subscriptionId: c.azure.subscriptionId, resourceGroup: c.azure.resourceGroup, clusterName: c.azure.clusterName };
  }

  private kubeRef(cluster: string) {
    const c = this.o.config().clusters.find((x) => x.name === cluster);
    if (!c) throw new Error(`cluster "${cluster}" is not in the operations config. Fix: add it to clusters[]`);
    return c;
  }

  private pool(cluster: string, p: AgentPoolState): PoolSnapshot {
    return {
      cluster,
      name: p.name,
      mode: p.mode === 'System' ? 'System' : 'User',
      enableAutoScaling: p.enableAutoScaling,
      minCount: p.minCount,
      maxCount: p.maxCount,
      count: p.count,
      provisioningState: p.provisioningState,
    };
  }

  async listPools(cluster: string): Promise<PoolSnapshot[]> {
    try {
      return (await this.o.pools.list(this.ref(cluster))).map((p) => this.pool(cluster, p));
    } catch (e) {
      armFailure(e);
    }
  }

  async getPool(cluster: string, pool: string): Promise<PoolSnapshot> {
    try {
      return this.pool(cluster, await this.o.pools.get({ ...this.ref(cluster), pool }));
    } catch (e) {
      armFailure(e);
    }
  }

  async updatePool(cluster: string, pool: string, change: PoolChange): Promise<StartedOperation> {
    try {
      const r = await this.o.pools.beginUpdate({ ...this.ref(cluster), pool }, change);
      return { statusUrl: r.statusUrl };
    } catch (e) {
      armFailure(e);
    }
  }

  async getCluster(cluster: string): Promise<ClusterSnapshot> {
    let c;
    try {
      c = await this.o.clusters.get(this.ref(cluster));
    } catch (e) {
      armFailure(e);
    }
    const before = this.lastPower.get(cluster);
    if (before !== undefined && before !== c.power) this.o.kube.forget(cluster);
    this.lastPower.set(cluster, c.power);
    return { name: cluster, power: c.power, provisioningState: c.provisioningState };
  }

  async setClusterPower(cluster: string, power: 'Running' | 'Stopped'): Promise<StartedOperation> {
    this.o.kube.forget(cluster);
    try {
      return await this.o.clusters.beginPower(this.ref(cluster), power);
    } catch (e) {
      armFailure(e);
    }
  }

  async pollOperation(statusUrl: string): Promise<{ status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled'; error?: string }> {
    return this.o.operations.poll(statusUrl);
  }

  async listDeployments(cluster: string, namespace: string): Promise<WorkloadSnapshot[]> {
    const apis = await this.o.kube.forCluster(this.kubeRef(cluster));
    const out: WorkloadSnapshot[] = [];
    let token: string | undefined;
    do {
      const list = await apis.apps.listNamespacedDeployment({ namespace, limit: 500, ...(token ? { _continue: token } : {}) });
      for (const d of list.items) out.push({ cluster, namespace, kind: 'Deployment', name: d.metadata?.name ?? '', replicas: d.spec?.replicas ?? 1 });
      token = list.metadata?._continue || undefined;
    } while (token);
    return out;
  }

  async getDeployment(cluster: string, namespace: string, name: string): Promise<WorkloadSnapshot> {
    const apis = await this.o.kube.forCluster(this.kubeRef(cluster));
    const d = await apis.apps.readNamespacedDeployment({ name, namespace });
    return { cluster, namespace, kind: 'Deployment', name, replicas: d.spec?.replicas ?? 1 };
  }

  async scaleDeployment(cluster: string, namespace: string, name: string, replicas: number): Promise<void> {
    const apis = await this.o.kube.forCluster(this.kubeRef(cluster));
    const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
    await apis.apps.patchNamespacedDeployment(
      { name, namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}
