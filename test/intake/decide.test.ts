import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { decideAlerts, remediationInstanceId } from '../../src/intake/decide.js';
import { parseWebhookJson } from '../../src/intake/payload.js';
import type { AlertmanagerAlert, AlertmanagerWebhook } from '../../src/domain/types.js';

const cfg = parseConfig(readFileSync('examples/ops.yaml', 'utf8'));

function alert(labels: Record<string, string>, extra: Partial<AlertmanagerAlert> = {}): AlertmanagerAlert {
  return {
    status: 'firing',
    labels: { alertname: 'KubePodCrashLooping', cluster: 'ms5-prod', namespace: 'backend', pod: 'api-1', ...labels },
    annotations: {},
    startsAt: '2026-11-22T03:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: 'aaaa000011112222',
    ...extra,
  };
}

function payload(alerts: AlertmanagerAlert[], status: 'firing' | 'resolved' = 'firing'): AlertmanagerWebhook {
  return {
    version: '4',
    groupKey: 'k',
    truncatedAlerts: 0,
    status,
    receiver: 'aksops',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts,
  };
}

describe('decideAlerts', () => {
  it('starts a remediation for a firing crash-loop with the templated target', () => {
    const [d] = decideAlerts(payload([alert({})]), cfg);
    expect(d).toMatchObject({
      decision: 'start',
      rule: 'crashloop-restart',
      runbook: 'restart-pod',
      target: { cluster: 'ms5-prod', namespace: 'backend', kind: 'Pod', name: 'api-1' },
    });
    expect(d!.input).toMatchObject({ params: { namespace: 'backend', pod: 'api-1' }, dryRun: true, verifyAfterSeconds: 900, guard: { cooldownSeconds: 1800 } });
    expect(d!.instanceId).toBe(remediationInstanceId('aaaa000011112222', '2026-11-22T03:00:00Z', 'crashloop-restart'));
  });

  it('derives one ID per occurrence: same for resends, different for a new startsAt or rule', () => {
    const a = remediationInstanceId('ab', '2026-11-22T03:00:00Z', 'r');
    expect(remediationInstanceId('ab', '2026-11-22T03:00:00.000Z', 'r')).toBe(a);
    expect(remediationInstanceId('AB', '2026-11-22T03:00:00Z', 'r')).toBe(a);
    expect(remediationInstanceId('ab', '2026-11-22T03:05:00Z', 'r')).not.toBe(a);
    expect(remediationInstanceId('ab', '2026-11-22T03:00:00Z', 'r2')).not.toBe(a);
    expect(a).toMatch(/^rem-[0-9a-f]{32}$/);
  });

  it('acts per alert, not on the group status: a resolved alert in a firing group resolves', () => {
    const ds = decideAlerts(
      payload([alert({}), alert({ pod: 'api-2' }, { status: 'resolved', fingerprint: 'bbbb', endsAt: '2026-11-22T03:10:00Z' })], 'firing'),
      cfg,
    );
    expect(ds.map((d) => d.decision)).toEqual(['start', 'resolve']);
    expect(ds[1]!.instanceId).toBe(remediationInstanceId('bbbb', '2026-11-22T03:00:00Z', 'crashloop-restart'));
    expect(ds[1]!.input).toBeUndefined();
  });

  it('marks existing instances and repeats within a payload as duplicates', () => {
    const first = decideAlerts(payload([alert({})]), cfg)[0]!;
    expect(decideAlerts(payload([alert({})]), cfg, { existing: (id) => id === first.instanceId })[0]!.decision).toBe('duplicate');
    expect(decideAlerts(payload([alert({}), alert({})]), cfg).map((d) => d.decision)).toEqual(['start', 'duplicate']);
  });

  it('refuses protected namespaces, including kube-system whatever the config says', () => {
    expect(decideAlerts(payload([alert({ namespace: 'timescaledb' })]), cfg)[0]).toMatchObject({
      decision: 'protected',
      reason: expect.stringMatching(/protected by config/),
    });
    const open = parseConfig(`version: 1
clusters: [{name: dev, kubeContext: x}]
rules:
  - name: all
    matchers: ['alertname="KubePodCrashLooping"']
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
`);
    expect(decideAlerts(payload([alert({ namespace: 'kube-system' })]), open)[0]).toMatchObject({
      decision: 'protected',
      reason: 'namespace kube-system is always protected',
    });
  });

  it('refuses, one by one, alerts whose labels cannot name an object, and lets the others through', () => {
    const ds = decideAlerts(
      payload([
        alert({ pod: '../../../api/v1/nodes' }, { fingerprint: '01' }),
        alert({ namespace: 'Backend' }, { fingerprint: '02' }),
        alert({}, { fingerprint: '03' }),
        alert({ pod: '' }, { fingerprint: '04' }),
        alert({ pod: 'a%2Fb' }, { fingerprint: '05' }),
      ]),
      cfg,
    );
    expect(ds.map((d) => d.decision)).toEqual(['invalid', 'invalid', 'start', 'invalid', 'invalid']);
    expect(ds[0]!.reason).toMatch(/parameter "pod"/);
    expect(ds[3]!.reason).toMatch(/needs label pod/);
    expect(ds.filter((d) => d.input).length).toBe(1);
  });

  it('ignores alerts that match no rule or no cluster', () => {
    expect(decideAlerts(payload([alert({ alertname: 'Watchdog' })]), cfg)[0]!.decision).toBe('no-match');
    expect(decideAlerts(payload([alert({ cluster: 'elsewhere' })]), cfg)[0]).toMatchObject({
      decision: 'no-match',
      reason: expect.stringMatching(/no configured cluster/),
    });
    expect(decideAlerts(payload([alert({ namespace: 'kube-flannel' })]), cfg)[0]!.decision).toBe('no-match');
  });

  it('first match wins unless continue; forceDryRun overrides rules', () => {
    const c = parseConfig(`version: 1
clusters: [{name: dev, kubeContext: x}]
rules:
  - name: a
    matchers: ['severity="warning"']
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
    dryRun: false
    continue: true
  - name: b
    matchers: ['alertname="KubePodCrashLooping"']
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
  - name: c
    matchers: ['alertname=~"Kube.*"']
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
`);
    const ds = decideAlerts(payload([alert({ severity: 'warning' })]), c);
    expect(ds.map((d) => d.rule)).toEqual(['a', 'b']);
    expect(ds[0]!.input!.dryRun).toBe(false);
    expect(decideAlerts(payload([alert({ severity: 'warning' })]), c, { forceDryRun: true })[0]!.input!.dryRun).toBe(true);
    expect(decideAlerts(payload([alert({ alertname: 'KubeX' })]), c).map((d) => d.rule)).toEqual(['c']);
  });

  it('decides the saved real-shaped payload as the CLI documents', () => {
    const p = parseWebhookJson(readFileSync('test/fixtures/alertmanager/crashloop-group.json', 'utf8'));
    expect(decideAlerts(p, cfg).map((d) => d.decision)).toEqual(['start', 'resolve', 'no-match', 'protected', 'invalid', 'no-match']);
  });
});
