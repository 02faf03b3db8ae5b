// The catalogue's parameter checks, the approval policy, the example config's default rules for
// the common kube-prometheus alerts, and the pure helpers (quantities, rollout status, Easy Auth
// principals, notification messages).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { decideAlerts } from '../../src/intake/decide.js';
import { RUNBOOKS, checkParams, checkSelector, effectiveParams } from '../../src/runbooks/catalogue.js';
import { approvalPolicy } from '../../src/runbooks/policy.js';
import { formatQuantity, parseQuantity } from '../../src/runbooks/quantity.js';
import { deploymentStatus, statefulSetStatus } from '../../src/runbooks/rollout-status.js';
import { approverIdentity, principalOf } from '../../src/oncall/identity.js';
import { buildMessage } from '../../src/notify/message.js';
import type { AlertmanagerWebhook } from '../../src/domain/types.js';

const example = parseConfig(readFileSync('examples/ops.yaml', 'utf8'));

describe('catalogue parameters', () => {
  it('checks integers with bounds, enums, durations, selectors and cross-parameter rules, naming the parameter', () => {
    const scale = RUNBOOKS['scale-workload']!;
    expect(checkParams(scale, { namespace: 'shop', name: 'api', replicas: '3' })).toEqual([]);
    expect(checkParams(scale, { namespace: 'shop', name: 'api', replicas: 'x' })).toEqual(['parameter "replicas" "x" is not a whole number']);
    expect(checkParams(scale, { namespace: 'shop', name: 'api', replicas: '10001' })).toEqual(['parameter "replicas" is 10001; the most accepted is 10000']);
    expect(checkParams(scale, { namespace: 'shop', name: 'api', kind: 'DaemonSet', replicas: '1' })).toEqual([
      'parameter "kind" "DaemonSet" is not one of Deployment, StatefulSet',
    ]);
    expect(checkParams(scale, { namespace: 'shop', replicas: '1' })).toEqual(['parameter "name" or "hpa" is required']);
    expect(checkParams(scale, { namespace: 'shop', name: 'a', hpa: 'b', by: '1' })).toEqual(['parameters "name" and "hpa" exclude each other: give one']);
    expect(checkParams(scale, { namespace: 'shop', name: 'a', hpa: '', by: '1' })).toEqual([]);
    const jobs = RUNBOOKS['delete-failed-jobs']!;
    expect(checkParams(jobs, { namespace: 'a', selector: 'app=x,tier in (a, b),!legacy', olderThan: '2h' })).toEqual([]);
    expect(checkParams(jobs, { namespace: 'a', selector: 'app=x', olderThan: 'soon' })).toEqual([
      'parameter "olderThan" "soon" is not a duration such as 30m, 2h, 1d',
    ]);
    expect(checkSelector('app==x')).toBeNull();
    expect(checkSelector('app=x;rm -rf')).toMatch(/invalid label value|not a label selector/);
    expect(effectiveParams(RUNBOOKS['rollout-restart']!, { namespace: 'a', name: 'b', kind: '' })).toEqual({ namespace: 'a', name: 'b', kind: 'Deployment' });
  });
});

// The example's escalation chain (paging.escalation), carried in every approval policy (docs/windows.md#escalation-chain).
const ESCALATION = [
  { afterSeconds: 600, receivers: ['pagerduty-oncall'] },
  { afterSeconds: 1200, receivers: ['opsgenie-platform'] },
];

describe('approval policy', () => {
  const target = { cluster: 'ms5-prod', namespace: 'backend', kind: 'Node' as const, name: 'n' };
  it('takes the runbook default, the rule, and the scopes config requires', () => {
    expect(approvalPolicy(example, RUNBOOKS['drain-node']!, target, undefined)).toEqual({
      required: true,
      reason: 'runbook drain-node requires approval',
      timeoutSeconds: 1800,
      escalation: ESCALATION,
    });
    expect(approvalPolicy(example, RUNBOOKS['drain-node']!, target, 'none')).toEqual({
      required: false,
      waivePlan: true,
      timeoutSeconds: 1800,
      escalation: ESCALATION,
    });
    expect(approvalPolicy(example, RUNBOOKS['rollout-restart']!, { ...target, namespace: 'minio' }, 'none')).toMatchObject({
      required: true,
      reason: 'namespace minio requires approval (approvals.requiredIn.namespaces)',
    });
    expect(approvalPolicy(example, RUNBOOKS['rollout-restart']!, target, undefined)).toEqual({ required: false, timeoutSeconds: 1800, escalation: ESCALATION });
    expect(approvalPolicy(example, RUNBOOKS['notify-only']!, target, 'required')).toBeUndefined();
  });
});

describe('example config: default rules for the common kube-prometheus alerts', () => {
  const alert = (labels: Record<string, string>, fp: string) => ({
    status: 'firing' as const,
    labels: { cluster: 'ms5-prod', severity: 'warning', job: 'kube-state-metrics', ...labels },
    annotations: {},
    startsAt: '2026-11-22T03:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: fp,
  });
  const payload: AlertmanagerWebhook = {
    version: '4',
    groupKey: 'g',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'aksops',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts: [
      alert({ alertname: 'KubePodCrashLooping', namespace: 'backend', pod: 'api-7d9f8b6c5-x2x4q', container: 'api', reason: 'CrashLoopBackOff' }, 'a1'),
      alert(
        { alertname: 'KubeContainerWaiting', namespace: 'workers', pod: 'celery-5f6d7c8b9-abcde', container: 'worker', reason: 'CreateContainerConfigError' },
        'a2',
      ),
      alert({ alertname: 'KubeDeploymentReplicasMismatch', namespace: 'backend', deployment: 'api' }, 'a3'),
      alert({ alertname: 'KubePersistentVolumeFillingUp', namespace: 'minio', persistentvolumeclaim: 'data-minio-0', severity: 'critical' }, 'a4'),
      alert({ alertname: 'KubeNodeNotReady', node: 'aks-compute-12345678-vmss000003', condition: 'Ready', status: 'true' }, 'a5'),
      alert({ alertname: 'KubeJobFailed', namespace: 'analysis', job_name: 'packamal-scan-28374650' }, 'a6'),
      alert({ alertname: 'KubeHpaMaxedOut', namespace: 'backend', horizontalpodautoscaler: 'api' }, 'a7'),
      alert({ alertname: 'KubeStatefulSetReplicasMismatch', namespace: 'workers', statefulset: 'redis' }, 'a8'),
    ],
  };
  it('maps each to a runbook or notify-only with the right target, approval and silence', () => {
    const ds = decideAlerts(payload, example);
    expect(ds.map((d) => [d.alertname, d.decision, d.runbook, d.target?.kind, d.target?.name])).toEqual([
      ['KubePodCrashLooping', 'start', 'restart-pod', 'Pod', 'api-7d9f8b6c5-x2x4q'],
      ['KubeContainerWaiting', 'start', 'restart-pod', 'Pod', 'celery-5f6d7c8b9-abcde'],
      ['KubeDeploymentReplicasMismatch', 'start', 'rollout-restart', 'Deployment', 'api'],
      ['KubePersistentVolumeFillingUp', 'start', 'expand-pvc', 'PersistentVolumeClaim', 'data-minio-0'],
      ['KubeNodeNotReady', 'start', 'drain-node', 'Node', 'aks-compute-12345678-vmss000003'],
      ['KubeJobFailed', 'start', 'delete-failed-jobs', 'Job', 'packamal-scan-28374650'],
      ['KubeHpaMaxedOut', 'start', 'scale-workload', 'HorizontalPodAutoscaler', 'api'],
      ['KubeStatefulSetReplicasMismatch', 'start', 'notify-only', 'Alert', 'redis'],
    ]);
    const byName = Object.fromEntries(ds.map((d) => [d.alertname, d.input!]));
    expect(byName['KubeNodeNotReady']!.approval).toMatchObject({ required: true });
    expect(byName['KubeJobFailed']!.approval).toMatchObject({ required: true, reason: 'the rule requires approval' });
    expect(byName['KubePersistentVolumeFillingUp']!.approval).toMatchObject({ required: true, reason: expect.stringContaining('namespace minio') });
    expect(byName['KubeDeploymentReplicasMismatch']!.silence).toEqual({ enabled: true, maxSeconds: 3600 });
    expect(byName['KubeHpaMaxedOut']!.params).toEqual({ namespace: 'backend', hpa: 'api', by: '2' });
    expect(byName['KubeNodeNotReady']!.progress).toEqual({ timeoutSeconds: 1800, intervalSeconds: 30 });
    expect(byName['KubePodCrashLooping']!.approval).toEqual({ required: false, timeoutSeconds: 1800, escalation: ESCALATION });
  });

  it('config errors name the path: unknown notification target, bad template name, unknown approval cluster', () => {
    const base = 'version: 1\nclusters: [{ name: dev, kubeContext: x }]\n';
    const problems = (text: string) => {
      try {
        parseConfig(text);
      } catch (e) {
        return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(problems(`${base}rules: [{ name: r, matchers: ['alertname="X"'], runbook: notify-only, notify: [nobody] }]\n`)).toEqual([
      expect.stringMatching(/^rules\[0\]\.notify\[0\]: "nobody" is not a notification target/),
    ]);
    expect(problems(`${base}runbooks: { run-job: { templates: { Bad_Name: { namespace: ops, image: x } } } }\n`)[0]).toMatch(
      /template name .* is not a valid Kubernetes object name/,
    );
    expect(problems(`${base}approvals: { requiredIn: { clusters: [prod] } }\n`)[0]).toMatch(
      /^approvals\.requiredIn\.clusters\[0\]: "prod" is not a configured cluster/,
    );
    expect(problems(`${base}runbooks: { expand-pvc: { step: lots } }\n`)[0]).toMatch(/is neither a percentage nor a quantity/);
    expect(problems(`${base}alertmanager: { url: not-a-url }\n`)[0]).toMatch(/is not a URL/);
  });
});

describe('helpers', () => {
  it('quantities', () => {
    expect(parseQuantity('10Gi')).toBe(10 * 2 ** 30);
    expect(parseQuantity('1.5Ti')).toBe(1.5 * 2 ** 40);
    expect(parseQuantity('500G')).toBe(500e9);
    expect(parseQuantity('10gi')).toBeNull();
    expect(formatQuantity(60 * 2 ** 30)).toBe('60Gi');
    expect(formatQuantity(2 ** 40)).toBe('1Ti');
    expect(formatQuantity(1_000_000_000)).toBe('954Mi');
  });

  it('rollout status reads status the way kubectl rollout status does', () => {
    const dep = (status: object, generation = 2) => ({ metadata: { name: 'api', generation }, spec: { replicas: 3 }, status }) as never;
    expect(deploymentStatus(dep({ observedGeneration: 1 })).message).toBe('Waiting for deployment spec update to be observed...');
    expect(deploymentStatus(dep({ observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 })).message).toMatch(
      /1 old replicas are pending termination/,
    );
    expect(deploymentStatus(dep({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 })).message).toMatch(
      /2 of 3 updated replicas are available/,
    );
    expect(deploymentStatus(dep({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 })).done).toBe(true);
    expect(
      deploymentStatus(dep({ observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] })).failed,
    ).toBe(true);
    expect(statefulSetStatus({ metadata: { generation: 1 }, spec: { replicas: 2, updateStrategy: { type: 'OnDelete' } }, status: {} } as never).failed).toBe(
      true,
    );
  });

  it('Easy Auth principals: name and app roles from x-ms-client-principal; undecodable is no principal', () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64');
    const h = (m: Record<string, string>) => ({ get: (n: string) => m[n] ?? null });
    const EA = { runbooksAuth: 'function-key' as const, behindEasyAuth: true };
    const FK = { runbooksAuth: 'function-key' as const, behindEasyAuth: false };
    const p = principalOf(
      h({
        'x-ms-client-principal': enc({
          auth_typ: 'aad',
          name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
          role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
          claims: [
            { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', val: 'alice@contoso.com' },
            { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Approver' },
            { typ: 'roles', val: 'Reader' },
          ],
        }),
      }),
      EA,
    );
    expect(p).toEqual({ name: 'alice@contoso.com', roles: ['Approver', 'Reader'], idp: undefined });
    expect(principalOf(h({ 'x-ms-client-principal': '%%%notbase64' }), EA)).toBeNull();
    expect(approverIdentity(h({}), {}, FK, 'Approver')).toMatchObject({ ok: false, status: 401, parameter: 'approver' });
    expect(approverIdentity(h({}), { approver: '<script>' }, FK, 'Approver')).toMatchObject({ ok: false, status: 401 });
  });

  it('messages redact secret-looking text and carry no link without a base URL', () => {
    const m = buildMessage(
      {
        id: 'i',
        kind: 'escalation',
        at: 'now',
        instanceId: 'rem-1',
        rule: 'r',
        runbook: 'rollout-restart',
        target: 'c/ns/Deployment/api',
        fingerprint: 'f',
        reason: 'failed',
        detail: 'HTTP 401 Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln rejected',
      },
      undefined,
    );
    expect(m.text).not.toContain('eyJhbGciOiJSUzI1NiJ9');
    expect(m.links).toEqual([]);
    expect(m.severity).toBe('critical');
  });
});
