// Which mode a pool actually runs in. `enforce` is earned, not configured: a pool configured for
// enforce falls back to forecast-only (and says why) when its history is too short, its series
// has no daily or weekly cycle, the forecast is not better than seasonal naive, the upper
// bound has been missing its coverage target recently, or (issue #17) pre-warming with that bound
// costs more node-hours against the reactive autoscaler than the configured limit, or still
// leaves too many intervals short. Accuracy (1 - WAPE) is reported but never gates: persistence
// scores over 85 % on any smooth series (docs/scaling.md).
import type { ScalingMode } from './decide.js';

export interface ModeEvidence {
  configured: ScalingMode;
  historyDays: number;
  /** Days needed before acting (default 7). */
  minHistoryDays?: number;
  /** Periods detected, e.g. ['daily']. */
  periods: string[];
  /** Recent MASE of the chosen forecast against seasonal naive (null: not computable). */
  maseVsSeasonalNaive: number | null;
  maseVsPersistence: number | null;
  /** Recent share of actuals at or below the upper bound, and its target. */
  coverage: number | null;
  coverageTarget: number;
  /** Allowed shortfall below the coverage target before falling back (default 0.03). */
  coverageSlack?: number;
  /** What the bound cost recently, replayed against the reactive autoscaler (cost.ts); absent: not assessed. */
  cost?: { extraNodeHoursVsReactive: number | null; underProvisionedShare: number | null };
  /** Limits for the cost gate (defaults 0.15 = +15 % node-hours, 0.05 = 5 % of intervals short). */
  maxExtraNodeHours?: number;
  maxUnderProvisioned?: number;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export interface ModeVerdict {
  mode: ScalingMode;
  reasons: string[];
}

export function effectiveMode(e: ModeEvidence): ModeVerdict {
  const reasons: string[] = [];
  const minDays = e.minHistoryDays ?? 7;
  if (e.historyDays < minDays) reasons.push(`only ${e.historyDays.toFixed(1)} days of history; acting needs ${minDays}`);
  if (e.periods.length === 0) reasons.push('no daily or weekly period detected: the series is not predictable enough to act on');
  if (e.maseVsSeasonalNaive === null) reasons.push('forecast quality against seasonal naive is unknown');
  else if (e.maseVsSeasonalNaive >= 1) reasons.push(`recent forecast is not better than seasonal naive (MASE ${e.maseVsSeasonalNaive.toFixed(3)} >= 1)`);
  if (e.maseVsPersistence !== null && e.maseVsPersistence >= 1)
    reasons.push(`recent forecast is not better than persistence (MASE ${e.maseVsPersistence.toFixed(3)} >= 1)`);
  const slack = e.coverageSlack ?? 0.03;
  if (e.coverage === null) reasons.push('upper-bound coverage is unknown');
  else if (e.coverage < e.coverageTarget - slack)
    reasons.push(`upper bound covered ${(e.coverage * 100).toFixed(1)} % of intervals (target ${(e.coverageTarget * 100).toFixed(0)} %)`);
  if (e.cost) {
    const maxExtra = e.maxExtraNodeHours ?? 0.15;
    const maxUnder = e.maxUnderProvisioned ?? 0.05;
    const { extraNodeHoursVsReactive: extra, underProvisionedShare: under } = e.cost;
    if (extra === null) reasons.push('the cost of the bound against the reactive autoscaler is unknown (no allocatable per node or no recent decisions)');
    else if (extra > maxExtra)
      reasons.push(`pre-warming with this bound costs +${pct(extra)} node-hours against the reactive autoscaler (limit +${pct(maxExtra)}, maxExtraNodeHours)`);
    if (under !== null && under > maxUnder)
      reasons.push(`even with the bound, demand exceeded capacity in ${pct(under)} of intervals (limit ${pct(maxUnder)}, maxUnderProvisioned)`);
  }
  if (e.configured === 'forecast-only') return { mode: 'forecast-only', reasons: ['configured forecast-only', ...reasons] };
  if (reasons.length > 0) return { mode: 'forecast-only', reasons: ['configured enforce, falling back to forecast-only', ...reasons] };
  return { mode: 'enforce', reasons: [`configured enforce; history, periodicity, forecast quality, coverage${e.cost ? ' and cost' : ''} all qualify`] };
}
