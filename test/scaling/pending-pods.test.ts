// Issue #17: the default requests query counts Pending pods that no node has accepted yet when
// their nodeSelector names the pool (kube-state-metrics: no `node` label on the requests series,
// kube_pod_nodeselectors with nodeselector_<key>), once, and keeps a scrape gap a gap. Against a
// real Prometheus whose TSDB promtool built from kube-state-metrics-shaped series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPoolDemand, PrometheusClient } from '../../src/adapters/prometheus.js';
import { line, startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';

const STEP = 60;
const N = 240; // 4 hours at 1 minute
const END = Math.floor(Date.now() / 60_000) * 60 - 3600;
const START = END - (N - 1) * STEP;
const HALF = N / 2; // the batch pod arrives, Pending with no node
const BOUND = (3 * N) / 4; // the autoscaler's new node accepts it: bound, Running
const GAP = [200, 215]; // kube-state-metrics down for 15 minutes

interface Sample {
  labels: Record<string, string>;
  from: number;
  to: number;
  value: number;
}

function openMetrics(): string {
  const at = (i: number) => START + i * STEP;
  const live = (i: number) => i < GAP[0]! || i >= GAP[1]!;
  const requests: Sample[] = [
    { labels: { namespace: 'shop', pod: 'api-1', container: 'api', node: 'aks-compute-0', resource: 'cpu', unit: 'core' }, from: 0, to: N, value: 2 },
    // Two containers, 1 + 0.5 cores; Pending without a node, then bound to the new node.
    { labels: { namespace: 'jobs', pod: 'scan-1', container: 'scan', resource: 'cpu', unit: 'core' }, from: HALF, to: BOUND, value: 1 },
    { labels: { namespace: 'jobs', pod: 'scan-1', container: 'sidecar', resource: 'cpu', unit: 'core' }, from: HALF, to: BOUND, value: 0.5 },
    { labels: { namespace: 'jobs', pod: 'scan-1', container: 'scan', node: 'aks-compute-1', resource: 'cpu', unit: 'core' }, from: BOUND, to: N, value: 1 },
    {
      labels: { namespace: 'jobs', pod: 'scan-1', container: 'sidecar', node: 'aks-compute-1', resource: 'cpu', unit: 'core' },
      from: BOUND,
      to: N,
      value: 0.5,
    },
    // Pending for the spot pool (AKS' own selector key): not compute's demand.
    { labels: { namespace: 'jobs', pod: 'scan-spot', container: 'scan', resource: 'cpu', unit: 'core' }, from: 0, to: N, value: 4 },
    // Pending with no pool in its selector: cannot be attributed.
    { labels: { namespace: 'jobs', pod: 'loose', container: 'x', resource: 'cpu', unit: 'core' }, from: 0, to: N, value: 7 },
    // Failed and never scheduled: not demand.
    { labels: { namespace: 'jobs', pod: 'dead', container: 'x', resource: 'cpu', unit: 'core' }, from: 0, to: N, value: 9 },
  ];
  const phases: Sample[] = [
    { labels: { namespace: 'shop', pod: 'api-1', phase: 'Running' }, from: 0, to: N, value: 1 },
    { labels: { namespace: 'jobs', pod: 'scan-1', phase: 'Pending' }, from: HALF, to: BOUND, value: 1 },
    { labels: { namespace: 'jobs', pod: 'scan-1', phase: 'Pending' }, from: BOUND, to: N, value: 0 },
    { labels: { namespace: 'jobs', pod: 'scan-1', phase: 'Running' }, from: BOUND, to: N, value: 1 },
    { labels: { namespace: 'jobs', pod: 'scan-spot', phase: 'Pending' }, from: 0, to: N, value: 1 },
    { labels: { namespace: 'jobs', pod: 'loose', phase: 'Pending' }, from: 0, to: N, value: 1 },
    { labels: { namespace: 'jobs', pod: 'dead', phase: 'Failed' }, from: 0, to: N, value: 1 },
  ];
  const selectors: Sample[] = [
    { labels: { namespace: 'jobs', pod: 'scan-1', nodeselector_agentpool: 'compute' }, from: HALF, to: N, value: 1 },
    { labels: { namespace: 'jobs', pod: 'scan-spot', nodeselector_kubernetes_azure_com_agentpool: 'spot' }, from: 0, to: N, value: 1 },
    { labels: { namespace: 'jobs', pod: 'dead', nodeselector_agentpool: 'compute' }, from: 0, to: N, value: 1 },
  ];
  const nodes: Sample[] = [
    { labels: { node: 'aks-compute-0', label_agentpool: 'compute' }, from: 0, to: N, value: 1 },
    { labels: { node: 'aks-compute-1', label_agentpool: 'compute' }, from: BOUND - 2, to: N, value: 1 },
    { labels: { node: 'aks-spot-0', label_agentpool: 'spot' }, from: 0, to: N, value: 1 },
  ];
  const out: string[] = [];
  const family = (name: string, samples: Sample[]) => {
    out.push(`# TYPE ${name} gauge`);
    for (const s of samples) for (let i = s.from; i < s.to; i++) if (live(i)) out.push(line(name, s.labels, s.value, at(i)));
  };
  family('kube_pod_container_resource_requests', requests);
  family('kube_pod_status_phase', phases);
  family('kube_pod_nodeselectors', selectors);
  family('kube_node_labels', nodes);
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

let prom: PrometheusInstance;
beforeAll(async () => {
  prom = await startPrometheusWith(openMetrics());
}, 180_000);
afterAll(async () => prom?.stop());

const demand = (pool: string) =>
  fetchPoolDemand(new PrometheusClient({ baseUrl: prom.url, retries: 0 }), { pool, resource: 'cpu', startMs: START * 1000, endMs: END * 1000, stepMs: 60_000 });

describe('default requests query: pending pods without a node', () => {
  it('counts a Pending pod for the pool its nodeSelector names, before and after it is bound, once', async () => {
    const d = await demand('compute');
    const v = Array.from(d.requests.values);
    expect(v.slice(0, HALF)).toEqual(Array(HALF).fill(2));
    // Pending with no node: 2 + 1.5 (the loose, failed and spot pods never count for compute).
    expect(v.slice(HALF, GAP[0])).toEqual(Array(GAP[0]! - HALF).fill(3.5));
    expect(v[GAP[0]! - 1]).toBe(3.5);
    // Bound and Running after BOUND (=180 < GAP): still 3.5, not 5.
    expect(v[BOUND]).toBe(3.5);
    expect(v[BOUND - 1]).toBe(3.5);
  });

  it('keeps a scrape gap a gap (NaN once the 5-minute lookback runs out), not zero', async () => {
    const v = Array.from((await demand('compute')).requests.values);
    expect(v.slice(GAP[0]! + 5, GAP[1])).toEqual(Array(GAP[1]! - GAP[0]! - 5).fill(NaN));
    expect(v.at(-1)).toBe(3.5);
  });

  it("a pool whose demand is only pending pods (AKS' kubernetes.azure.com/agentpool selector) has demand", async () => {
    const v = Array.from((await demand('spot')).requests.values);
    expect(v.slice(0, GAP[0])).toEqual(Array(GAP[0]).fill(4));
  });
});
