// Error-budget state of one SLO from its error ratios (pure): how much of the window's budget is
// left, how fast each window burns it, and whether the page (fast) or ticket (slow) condition of
// the multi-window multi-burn-rate alerts holds right now. Also which notification thresholds
// (50 %, 25 %, 0 % left) a change of state crossed, so each is announced once per descent.
import type { SloConfig } from '../config/slo-schema.js';
import { BURN_WINDOWS, RATE_WINDOWS, burnFactor, errorBudget } from './spec.js';

export type SloStatus = 'healthy' | 'burning' | 'burning-fast' | 'exhausted' | 'no-data';

export interface SloState {
  slo: string;
  service: string;
  /** When it was computed (ISO). */
  at: string;
  objective: number;
  window: string;
  /** Error ratio over the whole window; null when the SLI had no events. */
  errorRatio: number | null;
  /** Share of the window's error budget left: 1 untouched, 0 spent, negative overspent; null without data. */
  budgetRemaining: number | null;
  /** Burn rate per window (error ratio / budget): 1 spends the budget exactly over the SLO window. */
  burnRates: Record<string, number | null>;
  fastBurn: boolean;
  slowBurn: boolean;
  status: SloStatus;
}

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** `ratios` maps a window ('5m' ... '3d', and the SLO window) to its error ratio (NaN: no events). */
export function sloState(slo: SloConfig, ratios: Record<string, number>, at: string): SloState {
  const budget = errorBudget(slo);
  const errorRatio = finite(ratios[slo.window]);
  const burnRates: Record<string, number | null> = {};
  for (const w of RATE_WINDOWS) {
    const r = finite(ratios[w]);
    burnRates[w] = r === null ? null : r / budget;
  }
  const holds = (severity: 'critical' | 'warning') =>
    BURN_WINDOWS.filter((w) => w.severity === severity).some((w) => {
      const f = burnFactor(slo.window, w);
      const long = burnRates[w.long];
      const short = burnRates[w.short];
      return long !== null && long !== undefined && short !== null && short !== undefined && long > f && short > f;
    });
  const fastBurn = holds('critical');
  const slowBurn = holds('warning');
  const budgetRemaining = errorRatio === null ? null : 1 - errorRatio / budget;
  const status: SloStatus =
    budgetRemaining === null ? 'no-data' : budgetRemaining <= 0 ? 'exhausted' : fastBurn ? 'burning-fast' : slowBurn ? 'burning' : 'healthy';
  return {
    slo: slo.name,
    service: slo.service,
    at,
    objective: slo.objective,
    window: slo.window,
    errorRatio,
    budgetRemaining,
    burnRates,
    fastBurn,
    slowBurn,
    status,
  };
}

/** Budget-left levels that are announced when crossed on the way down. */
export const BUDGET_THRESHOLDS = [0.5, 0.25, 0] as const;

/**
 * The thresholds crossed since the last announcement: `lastNotified` is the lowest level already
 * announced (null: none). A recovery above a level re-arms it, so a second descent is announced.
 * Returns the new lowest announced level and the levels to announce now (highest first).
 */
export function thresholdCrossings(lastNotified: number | null, remaining: number | null): { announce: number[]; lastNotified: number | null } {
  if (remaining === null) return { announce: [], lastNotified };
  const below = BUDGET_THRESHOLDS.filter((t) => remaining <= t);
  const announce = below.filter((t) => lastNotified === null || t < lastNotified);
  const lowest = below.length > 0 ? below[below.length - 1]! : null;
  return { announce, lastNotified: lowest };
}
