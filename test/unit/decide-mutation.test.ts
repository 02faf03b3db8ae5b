// Intake decisions that mutation testing found unguarded (issue #19): node-pool protection,
// cluster selection by every alertLabel, rule scoping by cluster, anchored regexes.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { clusterFor, decideAlerts, matchingRules, protectedReason } from '../../src/intake/decide.js';
import type { AlertmanagerWebhook } from '../../src/domain/types.js';

const cfg = parseConfig(`
version: 1
protected:
  nodePools: [system]
clusters:
  - name: prod
    kubeContext: prod
    alertLabels: { cluster: ms5, region: westeurope }
    protectedNodePools: [database]
  - name: dev
    kubeContext: dev
    alertLabels: { cluster: ms5, region: northeurope }
rules:
  - name: node-drain
    matchers: ['alertname="KubeNodeNotReady"']
    runbook: drain-node
    params: { node: '{{ $labels.node }}' }
  - name: dev-only
    matchers: ['alertname="KubePodCrashLooping"', 'namespace=~"shop"']
    clusters: [dev]
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: 'api-{{ $labels.pod }}' }
`);

const alert = (labels: Record<string, string>, fingerprint = 'a1') => ({
  status: 'firing' as const, labels, annotations: {}, startsAt: '2026-11-22T02:58:31.201Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint,
});
const payload = (alerts: ReturnType<typeof alert>[]): AlertmanagerWebhook =>
  ({ version: '4', groupKey: 'g', truncatedAlerts: 0, status: 'firing', receiver: 'r', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts }) as AlertmanagerWebhook;

describe('intake protection of nodes in protected pools', () => {
  it('refuses a node of a globally or per-cluster protected pool, and allows other pools', () => {
    expect(protectedReason(cfg, { cluster: 'prod', kind: 'Node', namespace: '', name: 'aks-system-12345678-vmss000000' })).toBe('node pool system is protected by config');
    expect(protectedReason(cfg, { cluster: 'prod', kind: 'Node', namespace: '', name: 'aks-database-12345678-vmss000001' })).toBe('node pool database is protected by config');
    expect(protectedReason(cfg, { cluster: 'dev', kind: 'Node', namespace: '', name: 'aks-database-12345678-vmss000001' })).toBeNull();
    expect(protectedReason(cfg, { cluster: 'prod', kind: 'Node', namespace: '', name: 'aks-compute-12345678-vmss000002' })).toBeNull();
  });

  it('decides protected for a NotReady node of a protected pool', () => {
    const [d] = decideAlerts(payload([alert({ alertname: 'KubeNodeNotReady', cluster: 'ms5', region: 'westeurope', node: 'aks-system-12345678-vmss000000' })]), cfg);
    expect(d).toMatchObject({ decision: 'protected', reason: 'node pool system is protected by config', rule: 'node-drain' });
  });
});

describe('intake cluster and rule selection', () => {
  it('takes a cluster only when every one of its alertLabels matches', () => {
    expect(clusterFor(cfg, { cluster: 'ms5', region: 'westeurope' })?.name).toBe('prod');
    expect(clusterFor(cfg, { cluster: 'ms5', region: 'northeurope' })?.name).toBe('dev');
    expect(clusterFor(cfg, { cluster: 'ms5', region: 'eastus' })).toBeNull();
    expect(clusterFor(cfg, { cluster: 'other', region: 'westeurope' })).toBeNull();
  });

  it('applies a rule scoped to clusters only to alerts of those clusters', () => {
    const labels = { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'x' };
    expect(matchingRules(cfg, labels, 'dev').map((r) => r.name)).toEqual(['dev-only']);
    expect(matchingRules(cfg, labels, 'prod')).toEqual([]);
  });

  it('anchors rule regexes: namespace=~"shop" does not match shop-2 or myshop', () => {
    for (const namespace of ['shop-2', 'myshop']) expect(matchingRules(cfg, { alertname: 'KubePodCrashLooping', namespace, pod: 'x' }, 'dev')).toEqual([]);
  });

  it('renders the target from the labels, and calls a missing label invalid without a target', () => {
    const [ok] = decideAlerts(payload([alert({ alertname: 'KubePodCrashLooping', cluster: 'ms5', region: 'northeurope', namespace: 'shop', pod: '7d9f' })]), cfg);
    expect(ok).toMatchObject({ decision: 'start', target: { cluster: 'dev', namespace: 'shop', name: 'api-7d9f' } });
    const [bad] = decideAlerts(payload([alert({ alertname: 'KubePodCrashLooping', cluster: 'ms5', region: 'northeurope', namespace: 'shop' })]), cfg);
    expect(bad).toMatchObject({ decision: 'invalid', target: null, reason: 'parameter "pod" needs label pod, which the alert does not carry' });
  });
});
