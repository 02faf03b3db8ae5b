// An in-memory estate for the replay tests of the budget orchestration: AKS node pools and cluster
// power with the ARM rules that matter (a pool with the autoscaler on refuses a manual count change
// in the same update; system pools never go to zero and keep minCount >= 1; minCount <= maxCount; a
// stopped cluster accepts only start; pool updates and stop/start are long-running: they finish at
// the next read), and Deployments with replicas. Implements the activities' EstatePort, so the
// replay drives the real activity code (src/budget/activities.ts). The strict fake ARM server and
// the fake Kubernetes API (driven through the real SDKs) are tested in arm-*.test.ts.
import type { EstatePort, PoolChange } from '../../src/budget/activities.js';
import { BusyError } from '../../src/adapters/arm-errors.js';
import type { ClusterSnapshot, PoolSnapshot, WorkloadSnapshot } from '../../src/budget/types.js';

export interface WorldState {
  pools: PoolSnapshot[];
  clusters: ClusterSnapshot[];
  workloads: WorkloadSnapshot[];
  /** Every write that changed something, in order: "pool/ms5-dev/spot {...}". */
  writes: string[];
  /** Pending long-running operations: target -> values to apply when it finishes. */
  pending: Record<string, Record<string, unknown>>;
}

export class World implements EstatePort {
  constructor(readonly state: WorldState) {}

  static initial(): World {
    const pool = (cluster: string, name: string, p: Partial<PoolSnapshot>): PoolSnapshot => ({
      cluster,
      name,
      mode: 'User',
      enableAutoScaling: true,
      minCount: 1,
      maxCount: 10,
      count: 3,
      provisioningState: 'Succeeded',
      spot: false,
      ...p,
    });
    return new World({
      pools: [
        pool('ms5-dev', 'system', { mode: 'System', minCount: 1, maxCount: 3, count: 2 }),
        pool('ms5-dev', 'compute', { count: 4 }),
        pool('ms5-dev', 'spot', { minCount: 0, maxCount: 20, count: 6, spot: true }),
        pool('ms5-dev', 'database', { enableAutoScaling: false, minCount: null, maxCount: null, count: 2 }),
        pool('ms5-prod', 'system', { mode: 'System', minCount: 2, maxCount: 5, count: 3 }),
        pool('ms5-prod', 'spot', { count: 5, spot: true }),
        pool('ms5-prod', 'database', { enableAutoScaling: false, minCount: null, maxCount: null, count: 3 }),
      ],
      clusters: [
        { name: 'ms5-dev', power: 'Running', provisioningState: 'Succeeded' },
        { name: 'ms5-prod', power: 'Running', provisioningState: 'Succeeded' },
      ],
      workloads: [
        { cluster: 'ms5-prod', namespace: 'preview', kind: 'Deployment', name: 'web', replicas: 3 },
        { cluster: 'ms5-prod', namespace: 'preview', kind: 'Deployment', name: 'api', replicas: 2 },
        { cluster: 'ms5-prod', namespace: 'shop', kind: 'Deployment', name: 'api', replicas: 5 },
        { cluster: 'ms5-prod', namespace: 'monitoring', kind: 'Deployment', name: 'grafana', replicas: 1 },
      ],
      writes: [],
      pending: {},
    });
  }

  copy(): World {
    return new World(JSON.parse(JSON.stringify(this.state)) as WorldState);
  }

  /** The estate without bookkeeping, to compare with another world. */
  shape(): Pick<WorldState, 'pools' | 'clusters' | 'workloads'> {
    return JSON.parse(JSON.stringify({ pools: this.state.pools, clusters: this.state.clusters, workloads: this.state.workloads })) as Pick<
      WorldState,
      'pools' | 'clusters' | 'workloads'
    >;
  }

  /** Long-running operations finish when someone looks (the next GET after the PUT). */
  private settle(): void {
    for (const [target, values] of Object.entries(this.state.pending)) {
      const [kind, cluster, name] = target.split('/');
      if (kind === 'pool') Object.assign(this.pool(cluster!, name!), values, { provisioningState: 'Succeeded' });
      if (kind === 'cluster') Object.assign(this.cluster(cluster!), values, { provisioningState: 'Succeeded' });
    }
    this.state.pending = {};
  }

  private pool(cluster: string, name: string): PoolSnapshot {
    const p = this.state.pools.find((x) => x.cluster === cluster && x.name === name);
    if (!p) throw new Error(`ResourceNotFound: agent pool ${cluster}/${name}`);
    return p;
  }

  private cluster(name: string): ClusterSnapshot {
    const c = this.state.clusters.find((x) => x.name === name);
    if (!c) throw new Error(`ResourceNotFound: managed cluster ${name}`);
    return c;
  }

  async listPools(cluster: string): Promise<PoolSnapshot[]> {
    this.settle();
    this.cluster(cluster);
    return this.state.pools.filter((p) => p.cluster === cluster).map((p) => ({ ...p }));
  }

  async getPool(cluster: string, pool: string): Promise<PoolSnapshot> {
    this.settle();
    return { ...this.pool(cluster, pool) };
  }

  async updatePool(cluster: string, name: string, change: PoolChange): Promise<void> {
    this.settle();
    const c = this.cluster(cluster);
    if (c.power !== 'Running') throw new Error(`OperationNotAllowed: cluster ${cluster} is ${c.power}; only start is allowed`);
    const p = this.pool(cluster, name);
    const next = { ...p, ...change };
    if (!next.enableAutoScaling) {
      next.minCount = null;
      next.maxCount = null;
    }
    if (change.count !== undefined && change.count !== p.count && p.enableAutoScaling && next.enableAutoScaling) {
      throw new Error(`BadRequest: cannot change count of pool ${name} while its cluster autoscaler is enabled`);
    }
    if (change.enableAutoScaling === true && !p.enableAutoScaling && change.count !== undefined && change.count !== p.count) {
      throw new Error('BadRequest: cannot manually scale and enable cluster autoscaler in the same update operation');
    }
    if (next.enableAutoScaling && (next.minCount === null || next.maxCount === null || next.minCount > next.maxCount))
      throw new Error(`BadRequest: minCount must be <= maxCount (${next.minCount}, ${next.maxCount})`);
    if (p.mode === 'System' && (next.count === 0 || (next.enableAutoScaling && (next.minCount ?? 0) < 1)))
      throw new Error('BadRequest: system pools need at least one node');
    this.state.pending[`pool/${cluster}/${name}`] = {
      enableAutoScaling: next.enableAutoScaling,
      minCount: next.minCount,
      maxCount: next.maxCount,
      count: next.count,
    };
    p.provisioningState = 'Updating';
    this.state.writes.push(`pool/${cluster}/${name} ${JSON.stringify(change)}`);
  }

  async getCluster(cluster: string): Promise<ClusterSnapshot> {
    this.settle();
    return { ...this.cluster(cluster) };
  }

  async setClusterPower(cluster: string, power: 'Running' | 'Stopped'): Promise<void> {
    this.settle();
    const c = this.cluster(cluster);
    if (c.provisioningState !== 'Succeeded') throw new BusyError(`OperationNotAllowed: an operation is in progress on ${cluster}`);
    if (c.power === power) return;
    c.provisioningState = power === 'Stopped' ? 'Stopping' : 'Starting';
    this.state.pending[`cluster/${cluster}`] = { power };
    this.state.writes.push(`cluster/${cluster} ${power}`);
  }

  async listDeployments(cluster: string, namespace: string): Promise<WorkloadSnapshot[]> {
    this.settle();
    if (this.cluster(cluster).power !== 'Running') throw new Error(`cluster ${cluster} is stopped: its API server does not answer`);
    return this.state.workloads.filter((w) => w.cluster === cluster && w.namespace === namespace).map((w) => ({ ...w }));
  }

  async getDeployment(cluster: string, namespace: string, name: string): Promise<WorkloadSnapshot> {
    const w = (await this.listDeployments(cluster, namespace)).find((x) => x.name === name);
    if (!w) throw new Error(`deployments.apps "${name}" not found`);
    return w;
  }

  async scaleDeployment(cluster: string, namespace: string, name: string, replicas: number): Promise<void> {
    await this.getDeployment(cluster, namespace, name);
    const w = this.state.workloads.find((x) => x.cluster === cluster && x.namespace === namespace && x.name === name)!;
    if (w.replicas === replicas) return;
    w.replicas = replicas;
    this.state.writes.push(`deployment/${cluster}/${namespace}/${name} replicas=${replicas}`);
  }
}
