// The generated SLO rules, checked by the real promtool (Debian `prometheus`): `promtool check
// rules` accepts them, and `promtool test rules` shows the burn-rate alerts fire for a fast and a
// slow burn, stay quiet for a healthy service, and that the latency SLI reads histogram buckets
// written by Python clients ("1.0") and Go clients ("1") alike.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { sloSchema, type SloConfig } from '../../src/config/slo-schema.js';
import { ALERT_NAMES, prometheusRuleFile, prometheusRuleResource, sloRuleGroups } from '../../src/slo/rules.js';
import { burnFactor } from '../../src/slo/spec.js';
import { prometheusInstalled } from '../support/prometheus.js';

const run = promisify(execFile);

const availability: SloConfig = sloSchema.parse({
  name: 'api-availability',
  service: 'fastapi-backend',
  objective: 99.5,
  window: '28d',
  sli: {
    events: { good: 'sum(rate(http_requests_total{job="api",code!~"5.."}[{{window}}]))', total: 'sum(rate(http_requests_total{job="api"}[{{window}}]))' },
  },
  labels: { team: 'payments' },
});

const latency: SloConfig = sloSchema.parse({
  name: 'api-latency',
  service: 'fastapi-backend',
  objective: 99,
  window: '28d',
  sli: { latency: { histogram: 'http_request_duration_seconds', selector: 'job="api"', threshold: 1 } },
});

describe('burn-rate factors', () => {
  it('are the SRE workbook values for a 30-day window and scale with the window', () => {
    expect(
      [0, 1, 2, 3].map((i) =>
        burnFactor(
          '30d',
          [
            { long: '1h', budgetShare: 0.02 },
            { long: '6h', budgetShare: 0.05 },
            { long: '1d', budgetShare: 0.1 },
            { long: '3d', budgetShare: 0.1 },
          ][i]!,
        ),
      ),
    ).toEqual([14.4, 6, 3, 1]);
    expect(burnFactor('28d', { long: '1h', budgetShare: 0.02 })).toBe(13.44);
  });

  it('put the fast-burn threshold at factor x budget in the alert expression', () => {
    const alerts = sloRuleGroups(availability)[1]!.rules as { alert: string; expr: string }[];
    const fast = alerts.find((a) => a.alert === ALERT_NAMES.critical)!;
    expect(fast.expr).toContain('slo:sli_error:ratio_rate1h{slo="api-availability"} > 0.0672');
    expect(fast.expr).toContain('slo:sli_error:ratio_rate5m{slo="api-availability"} > 0.0672');
  });
});

const ok = prometheusInstalled();

describe.skipIf(!ok)('promtool on the generated rules', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slo-rules-'));
    await writeFile(join(dir, 'rules.yml'), prometheusRuleFile([availability, latency]));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', join(dir, 'rules.yml')]);
    expect(stdout).toMatch(/SUCCESS: 22 rules found/);
  });

  it('the PrometheusRule spec holds the same groups', () => {
    const res = parse(prometheusRuleResource([availability], { name: 'slos', namespace: 'monitoring' })) as { kind: string; spec: { groups: unknown[] } };
    expect(res.kind).toBe('PrometheusRule');
    expect(res.spec.groups).toEqual(parse(prometheusRuleFile([availability])).groups);
  });

  const labels = (slo: SloConfig, severity: string) => ({ ...slo.labels, slo: slo.name, service: slo.service, severity });
  const annotations = (slo: SloConfig, severity: 'critical' | 'warning') => {
    const a = (sloRuleGroups(slo)[1]!.rules as { alert: string; annotations: Record<string, string> }[]).find((r) => r.alert === ALERT_NAMES[severity])!;
    return a.annotations;
  };

  async function promtoolTest(tests: unknown[]): Promise<{ code: number; out: string }> {
    const file = join(dir, `test-${Math.random().toString(36).slice(2)}.yml`);
    await writeFile(file, stringify({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests }));
    try {
      const { stdout, stderr } = await run('promtool', ['test', 'rules', file], { cwd: dir });
      return { code: 0, out: stdout + stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, out: err.stdout + err.stderr };
    }
  }

  it('pages on a fast burn (1 request in 6 fails), which also meets the ticket condition, and is quiet when healthy', async () => {
    const r = await promtoolTest([
      {
        interval: '1m',
        input_series: [
          { series: 'http_requests_total{job="api",code="200"}', values: '0+100x90' },
          { series: 'http_requests_total{job="api",code="500"}', values: '0+20x90' },
        ],
        alert_rule_test: [
          {
            eval_time: '70m',
            alertname: ALERT_NAMES.critical,
            exp_alerts: [{ exp_labels: labels(availability, 'critical'), exp_annotations: annotations(availability, 'critical') }],
          },
          // Both conditions hold (rate() over 1d reads the 70 minutes there are); Alertmanager
          // inhibition (docs/slo.md) keeps the ticket quiet while the page fires.
          {
            eval_time: '70m',
            alertname: ALERT_NAMES.warning,
            exp_alerts: [{ exp_labels: labels(availability, 'warning'), exp_annotations: annotations(availability, 'warning') }],
          },
        ],
      },
      {
        interval: '1m',
        input_series: [
          { series: 'http_requests_total{job="api",code="200"}', values: '0+1000x90' },
          { series: 'http_requests_total{job="api",code="500"}', values: '0+1x90' },
        ],
        alert_rule_test: [
          { eval_time: '70m', alertname: ALERT_NAMES.critical, exp_alerts: [] },
          { eval_time: '70m', alertname: ALERT_NAMES.warning, exp_alerts: [] },
        ],
      },
    ]);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
  });

  it('opens a ticket on a slow burn (2 % errors: 4x) after a day, without paging', async () => {
    const r = await promtoolTest([
      {
        interval: '5m',
        input_series: [
          { series: 'http_requests_total{job="api",code="200"}', values: '0+490x400' },
          { series: 'http_requests_total{job="api",code="500"}', values: '0+10x400' },
        ],
        alert_rule_test: [
          {
            eval_time: '25h',
            alertname: ALERT_NAMES.warning,
            exp_alerts: [{ exp_labels: labels(availability, 'warning'), exp_annotations: annotations(availability, 'warning') }],
          },
          { eval_time: '25h', alertname: ALERT_NAMES.critical, exp_alerts: [] },
        ],
      },
    ]);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
  });

  it('reads latency from histogram buckets written as "1.0" (Python client) or "1" (Go client)', async () => {
    for (const le of ['1.0', '1']) {
      const r = await promtoolTest([
        {
          interval: '1m',
          input_series: [
            // 100 requests a minute, 80 of them under 1 s: 20 % slow against a 1 % budget.
            { series: `http_request_duration_seconds_bucket{job="api",le="${le}"}`, values: '0+80x90' },
            { series: 'http_request_duration_seconds_bucket{job="api",le="+Inf"}', values: '0+100x90' },
            { series: 'http_request_duration_seconds_count{job="api"}', values: '0+100x90' },
          ],
          alert_rule_test: [
            {
              eval_time: '70m',
              alertname: ALERT_NAMES.critical,
              exp_alerts: [{ exp_labels: labels(latency, 'critical'), exp_annotations: annotations(latency, 'critical') }],
            },
          ],
          promql_expr_test: [
            {
              expr: 'round(slo:sli_error:ratio_rate1h{slo="api-latency"}, 0.0001)',
              eval_time: '70m',
              exp_samples: [{ labels: '{slo="api-latency",service="fastapi-backend"}', value: 0.2 }],
            },
          ],
        },
      ]);
      expect(r.out, `le="${le}"`).toMatch(/SUCCESS/);
    }
  });

  it('fails promtool test rules when the expectation is wrong (the check can fail)', async () => {
    const r = await promtoolTest([
      {
        interval: '1m',
        input_series: [
          { series: 'http_requests_total{job="api",code="200"}', values: '0+1000x90' },
          { series: 'http_requests_total{job="api",code="500"}', values: '0+1x90' },
        ],
        alert_rule_test: [{ eval_time: '70m', alertname: ALERT_NAMES.critical, exp_alerts: [{ exp_labels: labels(availability, 'critical') }] }],
      },
    ]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAILED/);
  });
});

describe.skipIf(!prometheusInstalled())('aksops slo rules on the example config', () => {
  it('writes a rule file promtool accepts, and a PrometheusRule; --help answers', async () => {
    const { main } = await import('../../src/cli/main.js');
    const dir = await mkdtemp(join(tmpdir(), 'slo-cli-'));
    try {
      const lines: string[] = [];
      const errs: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: (l: string) => errs.push(l), env: {}, readStdin: () => '', cwd: process.cwd() };
      expect(await main(['slo', 'rules', '--config', 'examples/ops.yaml', '--out', join(dir, 'slo.yml')], io)).toBe(0);
      const { stdout } = await run('promtool', ['check', 'rules', join(dir, 'slo.yml')]);
      expect(stdout).toMatch(/SUCCESS: 22 rules found/);
      expect(await main(['slo', 'rules', '--config', 'examples/ops.yaml', '--format', 'prometheusrule', '--namespace', 'monitoring'], io)).toBe(0);
      expect(parse(lines.join('\n'))).toMatchObject({ kind: 'PrometheusRule', metadata: { namespace: 'monitoring' } });
      expect(await main(['slo', 'rules', '--format', 'nope', '--config', 'examples/ops.yaml'], io)).toBe(2);
      expect(errs.at(-1)).toMatch(/--format "nope" is not a format. Fix: use prometheus or prometheusrule/);
      lines.length = 0;
      expect(await main(['slo', 'status', '--help'], io)).toBe(0);
      expect(lines[0]).toMatch(/^Usage: aksops slo status/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
