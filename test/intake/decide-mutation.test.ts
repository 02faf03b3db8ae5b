// Intake decisions that mutation testing found unguarded (issue #19): node-pool protection,
// cluster selection by every alertLabel, rule scoping by cluster, anchored regexes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { clusterFor, decideAlerts, matchingRules, remediationInstanceId } from '../../src/intake/decide.js';
import { nodePoolOf, protectedReason } from '../../src/domain/protection.js';
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
  status: 'firing' as const,
  labels,
  annotations: {},
  startsAt: '2026-11-22T02:58:31.201Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: '',
  fingerprint,
});
const payload = (alerts: ReturnType<typeof alert>[]): AlertmanagerWebhook => ({
  version: '4',
  groupKey: 'g',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'r',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://am',
  alerts,
});

describe('intake protection of nodes in protected pools', () => {
  it('refuses a node of a globally or per-cluster protected pool, and allows other pools', () => {
    expect(protectedReason(cfg, { cluster: 'prod', kind: 'Node', namespace: '', name: 'aks-system-12345678-vmss000000' })).toBe(
      'node pool system is protected by config',
    );
    expect(protectedReason(cfg, { cluster: 'prod', kind: 'Node', namespace: '', name: 'aks-database-12345678-vmss000001' })).toBe(
      'node pool database is protected by config',
    );
    expect(protectedReason(cfg, { cluster: 'dev', kind: 'Node', namespace: '', name: 'aks-database-12345678-vmss000001' })).toBeNull();
    expect(protectedReason(cfg, { cluster: 'prod', kind: 'Node', namespace: '', name: 'aks-compute-12345678-vmss000002' })).toBeNull();
  });

  it('decides protected for a NotReady node of a protected pool', () => {
    const [d] = decideAlerts(
      payload([alert({ alertname: 'KubeNodeNotReady', cluster: 'ms5', region: 'westeurope', node: 'aks-system-12345678-vmss000000' })]),
      cfg,
    );
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
    const [ok] = decideAlerts(
      payload([alert({ alertname: 'KubePodCrashLooping', cluster: 'ms5', region: 'northeurope', namespace: 'shop', pod: '7d9f' })]),
      cfg,
    );
    expect(ok).toMatchObject({ decision: 'start', target: { cluster: 'dev', namespace: 'shop', name: 'api-7d9f' } });
    const [bad] = decideAlerts(payload([alert({ alertname: 'KubePodCrashLooping', cluster: 'ms5', region: 'northeurope', namespace: 'shop' })]), cfg);
    expect(bad).toMatchObject({ decision: 'invalid', target: null, reason: 'parameter "pod" needs label pod, which the alert does not carry' });
  });
});

describe('intake details mutation testing found unguarded', () => {
  const silenced = parseConfig(`
version: 1
clusters:
  - name: dev
    kubeContext: dev
notifications:
  - { name: ops, type: teams, urlSetting: TEAMS_URL }
rules:
  - name: crash
    matchers: ['alertname="KubePodCrashLooping"']
    runbook: restart-pod
    silence: true
    notify: [ops]
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}-{{ $labels.container }}' }
`);

  it('reads node pools only from whole AKS node names', () => {
    expect(nodePoolOf('aks-system-12345678-vmss000000')).toBe('system');
    expect(nodePoolOf('xaks-system-12345678-vmss000000')).toBeNull();
    expect(nodePoolOf('aks-system-12345678-vmss000000.internal')).toBeNull();
  });

  it('protects pools only for Node targets, and answers for a cluster with no protection list', () => {
    expect(protectedReason(cfg, { cluster: 'prod', kind: 'Pod', namespace: 'shop', name: 'aks-system-12345678-vmss000000' })).toBeNull();
    expect(protectedReason(cfg, { cluster: 'ghost', kind: 'Node', namespace: '', name: 'aks-system-12345678-vmss000000' })).toBeNull();
    expect(protectedReason(cfg, { cluster: 'ghost', kind: 'Pod', namespace: 'shop', name: 'x' })).toBeNull();
  });

  it('derives the instance ID from the fingerprint in any case', () => {
    expect(remediationInstanceId('ABCDEF01', '2026-11-22T02:58:31Z', 'r')).toBe(remediationInstanceId('abcdef01', '2026-11-22T02:58:31.000Z', 'r'));
    expect(remediationInstanceId('abcdef01', '2026-11-22T02:58:31Z', 'r')).not.toBe(remediationInstanceId('abcdef02', '2026-11-22T02:58:31Z', 'r'));
  });

  it('reports an alert without alertname as no-match with an empty alertname and the reason', () => {
    const [d] = decideAlerts(payload([alert({ namespace: 'shop' })]), silenced);
    expect(d).toMatchObject({
      alertname: '',
      decision: 'no-match',
      reason: 'no rule matches',
      fingerprint: 'a1',
      status: 'firing',
      endsAt: '0001-01-01T00:00:00Z',
    });
  });

  it('names every missing label of a parameter', () => {
    const [d] = decideAlerts(payload([alert({ alertname: 'KubePodCrashLooping' })]), silenced);
    expect(d).toMatchObject({
      decision: 'invalid',
      reason:
        'parameter "namespace" needs label namespace, which the alert does not carry; parameter "pod" needs labels pod, container, which the alert does not carry',
    });
  });

  it('carries the silence and notify settings of the rule into the run', () => {
    const [d] = decideAlerts(payload([alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api', container: 'c' })]), silenced);
    expect(d!.input!.silence).toEqual({ enabled: true, maxSeconds: silenced.alertmanager.silenceSeconds });
    expect(d!.input!.notify).toEqual(['ops']);
  });

  it('says why a start is a duplicate', () => {
    const a = alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api', container: 'c' });
    const [first, second] = decideAlerts(payload([a, a]), silenced);
    expect(first!.decision).toBe('start');
    expect(second).toMatchObject({ decision: 'duplicate', reason: 'the same alert occurrence appears twice in this payload' });
    const [again] = decideAlerts(payload([a]), silenced, { existing: () => true });
    expect(again).toMatchObject({ decision: 'duplicate', reason: 'a remediation for this alert occurrence already exists' });
  });
});

describe('intake run input', () => {
  it('hashes the lower-case fingerprint, startsAt in epoch ms and the rule into the instance ID', () => {
    const ms = Date.parse('2026-11-22T02:58:31Z');
    const want = `rem-${createHash('sha256').update(`abcdef01|${ms}|r`).digest('hex').slice(0, 32)}`;
    expect(remediationInstanceId('ABCDEF01', '2026-11-22T02:58:31Z', 'r')).toBe(want);
  });

  it('names the alert it could not match', () => {
    const [d] = decideAlerts(payload([alert({ alertname: 'Unrouted', cluster: 'ms5', region: 'westeurope' })]), cfg);
    expect(d).toMatchObject({ alertname: 'Unrouted', decision: 'no-match' });
  });

  it('gives the run the alert it came from, its source and the approval policy', () => {
    const labels = { alertname: 'KubeNodeNotReady', cluster: 'ms5', region: 'westeurope', node: 'aks-compute-12345678-vmss000002' };
    const [d] = decideAlerts(payload([alert(labels)]), cfg);
    expect(d!.decision).toBe('start');
    expect(d!.input!.alert).toEqual({ fingerprint: 'a1', startsAt: '2026-11-22T02:58:31.201Z', labels, externalURL: 'http://am' });
    expect(d!.input!.source).toBe('alert');
    expect(d!.input!.approval).toMatchObject({ required: true, reason: 'runbook drain-node requires approval' });
  });
});
