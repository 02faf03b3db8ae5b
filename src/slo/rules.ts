// Prometheus rules for the configured SLOs (`aksops slo rules`): per SLO, recording rules for
// the error ratio over every alerting window, and multi-window multi-burn-rate alerts (a long
// window to be sure, a short one so the alert stops soon after the burn does), as a plain
// Prometheus rule file or a prometheus-operator PrometheusRule. Checked with promtool in tests.
import { stringify } from 'yaml';
import type { SloConfig } from '../config/slo-schema.js';
import { BURN_WINDOWS, RATE_WINDOWS, burnFactor, errorBudget, errorRatioQuery, ratioRecord } from './spec.js';

interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: (RecordingRule | AlertingRule)[];
}

export const ALERT_NAMES = { critical: 'SLOErrorBudgetBurnFast', warning: 'SLOErrorBudgetBurnSlow' } as const;

/** PromQL label value: backslashes and quotes escaped. */
function q(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** The rule groups for one SLO: recordings first, then alerts reading them. */
export function sloRuleGroups(slo: SloConfig): RuleGroup[] {
  const ident = { slo: slo.name, service: slo.service };
  const sel = `{slo="${q(slo.name)}"}`;
  const budget = errorBudget(slo);
  const recordings: RecordingRule[] = RATE_WINDOWS.map((w) => ({ record: ratioRecord(w), expr: errorRatioQuery(slo, w), labels: ident }));
  recordings.push({ record: 'slo:objective:ratio', expr: `vector(${slo.objective / 100})`, labels: ident });
  recordings.push({
    record: 'slo:error_budget_remaining:ratio',
    // Average of the 5-minute ratios over the window, as Sloth does: cheap to evaluate every interval.
    expr: `1 - (avg_over_time(${ratioRecord('5m')}${sel}[${slo.window}]) / ${budget})`,
    labels: ident,
  });
  const alerts: AlertingRule[] = (['critical', 'warning'] as const).map((severity) => {
    const windows = BURN_WINDOWS.filter((w) => w.severity === severity);
    const expr = windows
      .map((w) => {
        const t = +(burnFactor(slo.window, w) * budget).toPrecision(6);
        return `(${ratioRecord(w.long)}${sel} > ${t} and ${ratioRecord(w.short)}${sel} > ${t})`;
      })
      .join('\nor\n');
    const factors = windows.map((w) => `${burnFactor(slo.window, w)}x over ${w.long}/${w.short}`).join(', ');
    return {
      alert: ALERT_NAMES[severity],
      expr,
      labels: { ...slo.labels, ...ident, severity },
      annotations: {
        summary: `${slo.service}: SLO ${slo.name} is burning its error budget ${severity === 'critical' ? 'fast' : 'steadily'}`,
        description: `The error rate is above ${factors} the rate that would spend exactly the ${slo.window} error budget of SLO ${slo.objective}%. See slo:error_budget_remaining:ratio{slo="${q(slo.name)}"}.`,
      },
    };
  });
  return [
    { name: `slo-${slo.name}-recordings`, interval: '30s', rules: recordings },
    { name: `slo-${slo.name}-alerts`, rules: alerts },
  ];
}

/** A Prometheus rule file (rule_files:) for all SLOs. */
export function prometheusRuleFile(slos: SloConfig[]): string {
  return stringify({ groups: slos.flatMap(sloRuleGroups) }, { lineWidth: 0 });
}

/** A prometheus-operator PrometheusRule (monitoring.coreos.com/v1) for all SLOs. */
export function prometheusRuleResource(slos: SloConfig[], meta: { name: string; namespace: string; labels?: Record<string, string> }): string {
  return stringify(
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels ?? { role: 'alert-rules' } },
      spec: { groups: slos.flatMap(sloRuleGroups) },
    },
    { lineWidth: 0 },
  );
}
