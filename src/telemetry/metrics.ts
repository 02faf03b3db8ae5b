// The app's own metrics through the OpenTelemetry API (no-ops until an SDK is registered; then
// exported to Application Insights and/or OTLP, see setup.ts). Names follow OpenTelemetry's
// conventions (dot-separated, unit in `unit`); attribute values are bounded enumerations and
// names (rule, runbook, cluster), never payload text or secret values.
import { metrics, type Attributes } from '@opentelemetry/api';

const meter = () => metrics.getMeter('aks-estate-ops');

/** Instrument names, one place: dashboards (docs/telemetry/) and tests read these. */
export const METRIC = {
  alertsReceived: 'aksops.alerts.received',
  alertsDecided: 'aksops.alerts.decided',
  actions: 'aksops.actions',
  sloBudgetRemaining: 'aksops.slo.budget_remaining',
} as const;

let cache: ReturnType<typeof build> | undefined;
function build() {
  const m = meter();
  return {
    alertsReceived: m.createCounter(METRIC.alertsReceived, { description: 'Alerts received from Alertmanager (per alert, not per delivery)' }),
    alertsDecided: m.createCounter(METRIC.alertsDecided, { description: 'Alert decisions by outcome (start, duplicate, protected, no-match, ...)' }),
    actions: m.createCounter(METRIC.actions, { description: 'Runbook actions by runbook and result' }),
    sloBudgetRemaining: m.createHistogram(METRIC.sloBudgetRemaining, { description: 'Error budget left per SLO at each evaluation (1 = untouched)' }),
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

type Counters = 'alertsReceived' | 'alertsDecided' | 'actions';
type Histograms = Exclude<keyof ReturnType<typeof build>, Counters>;

export function count(name: Counters, attrs: Attributes = {}, n = 1): void {
  instruments()[name].add(n, attrs);
}

export function observe(name: Histograms, value: number, attrs: Attributes = {}): void {
  if (Number.isFinite(value)) instruments()[name].record(value, attrs);
}
