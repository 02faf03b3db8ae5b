// The app's own metrics through the OpenTelemetry API (no-ops until an SDK is registered; then
// exported to Application Insights and/or OTLP, see setup.ts). Names follow OpenTelemetry's
// conventions (dot-separated, unit in `unit`); attribute values are bounded enumerations and
// names (rule, runbook, cluster), never payload text or secret values.
import { metrics, type Attributes } from '@opentelemetry/api';
import type { AuditRecord } from '../domain/types.js';

const meter = () => metrics.getMeter('aks-estate-ops');

/** Instrument names, one place: dashboards (docs/telemetry/) and tests read these. */
export const METRIC = {
  alertsReceived: 'aksops.alerts.received',
  alertsDecided: 'aksops.alerts.decided',
  actions: 'aksops.actions',
  sloBudgetRemaining: 'aksops.slo.budget_remaining',
  approvalWait: 'aksops.approval.wait',
  backupDuration: 'aksops.backup.duration',
  backupSize: 'aksops.backup.size',
  backupVerify: 'aksops.backup.verify',
  rotationResults: 'aksops.rotation.results',
  budgetStages: 'aksops.budget.stages',
  forecastError: 'aksops.scaling.forecast_error',
  azureThrottled: 'aksops.azure.throttled',
} as const;

let cache: ReturnType<typeof build> | undefined;
function build() {
  const m = meter();
  return {
    alertsReceived: m.createCounter(METRIC.alertsReceived, { description: 'Alerts received from Alertmanager (per alert, not per delivery)' }),
    alertsDecided: m.createCounter(METRIC.alertsDecided, { description: 'Alert decisions by outcome (start, duplicate, protected, no-match, ...)' }),
    actions: m.createCounter(METRIC.actions, { description: 'Runbook actions by runbook and result' }),
    sloBudgetRemaining: m.createHistogram(METRIC.sloBudgetRemaining, { description: 'Error budget left per SLO at each evaluation (1 = untouched)' }),
    approvalWait: m.createHistogram(METRIC.approvalWait, {
      unit: 's',
      description: 'Time from an approval request to its decision (approved, rejected, timeout) by job',
    }),
    backupDuration: m.createHistogram(METRIC.backupDuration, { unit: 's', description: 'Backup run time, start to manifest, by cluster and status' }),
    backupSize: m.createHistogram(METRIC.backupSize, { unit: 'By', description: 'Bytes stored by one backup, by cluster and status' }),
    backupVerify: m.createCounter(METRIC.backupVerify, { description: 'Backup verifications by cluster and result (ok, failed)' }),
    rotationResults: m.createCounter(METRIC.rotationResults, {
      description: 'Secret rotations by outcome (rotated, rolled-back, failed, skipped, ...) and strategy',
    }),
    budgetStages: m.createCounter(METRIC.budgetStages, { description: 'Cost-budget stages fired, by budget, stage and mode (enforce, dry-run)' }),
    forecastError: m.createHistogram(METRIC.forecastError, {
      description: 'Scaling forecast error per pool: 1 - accuracy (WAPE) of the model on recent history',
    }),
    azureThrottled: m.createCounter(METRIC.azureThrottled, {
      description: 'Azure answers 429 (throttled), by service (arm, keyvault, storage, cost-management), every attempt',
    }),
  };
}

/** The instruments; built on first use, after setup has registered the SDK's meter provider. */
export function instruments(): ReturnType<typeof build> {
  cache ??= build();
  return cache;
}

/** For tests that register a new meter provider. */
export function resetInstruments(): void {
  cache = undefined;
}

type Counters = 'alertsReceived' | 'alertsDecided' | 'actions' | 'backupVerify' | 'rotationResults' | 'budgetStages' | 'azureThrottled';
type Histograms = Exclude<keyof ReturnType<typeof build>, Counters>;

export function count(name: Counters, attrs: Attributes = {}, n = 1): void {
  instruments()[name].add(n, attrs);
}

export function observe(name: Histograms, value: number, attrs: Attributes = {}): void {
  if (Number.isFinite(value)) instruments()[name].record(value, attrs);
}

/**
 * The metrics audit rows carry, recorded by the audit activities (never by orchestrator code,
 * which replays): approval waits (rows with waitedSeconds) and each rotation's final result. An
 * activity re-run after a crash can count a row twice (Durable runs activities at least once).
 */
export function recordAuditMetrics(records: AuditRecord[]): void {
  for (const r of records) {
    if (r.waitedSeconds !== undefined)
      observe('approvalWait', r.waitedSeconds, { runbook: r.runbook ?? 'unknown', decision: String(r.result ?? r.decision ?? 'unknown') });
    if (r.runbook === 'secret-rotation' && r.kind === 'result' && r.id.endsWith(':result'))
      count('rotationResults', { outcome: r.result ?? 'unknown', strategy: r.rule ?? 'unknown' });
  }
}
