// SLO arithmetic shared by the rule generator, the error-budget evaluator and the policy:
// the multi-window multi-burn-rate table of Google's SRE workbook (chapter 5, "Alerting on
// SLOs", table 5-8: 2 % of the budget in 1 h, 5 % in 6 h page; 10 % in 1 d and 10 % in 3 d
// open a ticket), with burn-rate factors derived from the SLO's own window so a 28-day SLO
// is not alerted on with 30-day factors (the workbook's 14.4/6/3/1 are the 30-day values).
import { parseDuration } from '../domain/duration.js';
import type { SloConfig } from '../config/slo-schema.js';

export interface BurnAlertWindow {
  /** Alert severity: page (critical) or ticket (warning). */
  severity: 'critical' | 'warning';
  long: string;
  short: string;
  /** Share of the whole error budget this alert lets burn in `long` before it fires. */
  budgetShare: number;
}

export const BURN_WINDOWS: readonly BurnAlertWindow[] = [
  { severity: 'critical', long: '1h', short: '5m', budgetShare: 0.02 },
  { severity: 'critical', long: '6h', short: '30m', budgetShare: 0.05 },
  { severity: 'warning', long: '1d', short: '2h', budgetShare: 0.1 },
  { severity: 'warning', long: '3d', short: '6h', budgetShare: 0.1 },
];

/** Every range an error ratio is recorded for, shortest first. */
export const RATE_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/** The error budget as a ratio: 1 - objective, e.g. 0.005 for 99.5 %. */
export function errorBudget(slo: Pick<SloConfig, 'objective'>): number {
  return 1 - slo.objective / 100;
}

/** Burn-rate factor that spends `budgetShare` of the budget in `long`, for this SLO's window. */
export function burnFactor(sloWindow: string, w: Pick<BurnAlertWindow, 'long' | 'budgetShare'>): number {
  const period = parseDuration(sloWindow)!;
  const long = parseDuration(w.long)!;
  return Math.round(((w.budgetShare * period) / long) * 1000) / 1000;
}

/** PromQL for the error ratio over `window`: 1 - good/total, from the SLI definition. */
export function errorRatioQuery(slo: Pick<SloConfig, 'sli'>, window: string): string {
  const ev = slo.sli.events;
  if (ev) {
    const good = ev.good.replaceAll('{{window}}', window);
    const total = ev.total.replaceAll('{{window}}', window);
    return `1 - ((${good}) / (${total}))`;
  }
  const l = slo.sli.latency!;
  const sel = l.selector.trim();
  const inner = (extra: string) => `{${[sel, extra].filter(Boolean).join(',')}}`;
  const good = `sum(rate(${l.histogram}_bucket${inner(leMatcher(l.threshold))}[${window}]))`;
  const total = `sum(rate(${l.histogram}_count${inner('')}[${window}]))`;
  return `1 - (${good} / ${total})`;
}

/**
 * Matches the bucket boundary however the exporter wrote it: Go clients format 1 s as "1",
 * Python's prometheus_client (FastAPI/Django exporters) as "1.0"; 0.3 is "0.3" in both.
 */
export function leMatcher(threshold: number): string {
  const s = String(threshold);
  return Number.isInteger(threshold) ? `le=~"${s}|${s}[.]0"` : `le="${s}"`;
}

/** Recording-rule name for the error ratio over a window (Sloth/Pyrra-style naming). */
export function ratioRecord(window: string): string {
  return `slo:sli_error:ratio_rate${window}`;
}
