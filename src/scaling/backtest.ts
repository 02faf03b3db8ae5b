// The backtest: replay a real series as if live through the forecasting engine and two simulated
// pools (reactive autoscaler alone, and with the predictive minCount controller), and summarise
// forecast quality and the decision outcome against the goals of issue #7. Used by
// `aksops scaling backtest` and the scaling benchmarks.
import { baselineForecasts, CANDIDATES, runEngine, type CandidateKind, type EngineOptions, type EngineResult } from '../forecast/engine.js';
import { evaluateForecast, r3 } from '../forecast/metrics.js';
import type { PeriodCheck } from '../forecast/periodicity.js';
import { DAY_MS, periodSteps, prepareSeries, stepsIn, type RegularSeries } from '../forecast/series.js';
import type { DecisionPolicy } from './decide.js';
import { effectiveMode, type ModeVerdict } from './mode.js';
import { SCALING_DEFAULTS } from './plan.js';
import { boundCost } from './cost.js';
import type { PoolOutcome, PoolTrace } from './simulate.js';

export interface BacktestOptions {
  horizonMs: number;
  /** Provisioning lead: node ready this long after it is ordered. */
  leadMs: number;
  /** Units per node; default: the 99th percentile of demand / 10 (a pool of about ten nodes). */
  nodeCapacity?: number;
  coverage?: number;
  underCost?: number;
  /** Forecasts and the controller are scored from this much history on (default 3 days). */
  warmupMs?: number;
  headroom?: number;
  maxStepUp?: number;
  maxStepDown?: number;
  cooldownMs?: number;
  lowerAfterMs?: number;
  /** Reactive autoscaler minimum (default 1). */
  minNodes?: number;
  /** Cost gate limits (defaults 0.15 and 0.05, as in the live config). */
  maxExtraNodeHours?: number;
  maxUnderProvisioned?: number;
  /** Upper-bound method and conditioning (defaults: adaptive, time of day + volatility). */
  bound?: EngineOptions['bound'];
  boundConditioning?: EngineOptions['boundConditioning'];
}

export interface BacktestRow {
  timestamp: number;
  actual: number;
  forecast: number;
  upper: number;
  nodesPredictive: number;
  nodesReactive: number;
}

export interface GoalCheck {
  value: number | null;
  goal: string;
  met: boolean | null;
}

export interface BacktestSummary {
  series: { points: number; stepMinutes: number; days: number; start: string; end: string; gapsFilled: number };
  settings: {
    horizonMinutes: number;
    leadMinutes: number;
    nodeCapacity: number;
    coverageTarget: number;
    underCost: number;
    warmupDays: number;
    headroom: number;
    policy: DecisionPolicy;
  };
  periodicity: { daily: PeriodSummary; weekly: PeriodSummary };
  model: { final: string | null; shareOfOrigins: Record<string, number> };
  forecast: {
    evaluatedFrom: string;
    targets: number;
    maseVsPersistence: number | null;
    maseVsSeasonalNaive: number | null;
    /** Against the 7-day seasonal naive, over the targets where it exists (null under 7 days + warmup). */
    maseVsSeasonalNaive7d: number | null;
    wape: number | null;
    /** 1 - WAPE: the monitoring plan's "accuracy"; reported, never a gate (docs/scaling.md). */
    accuracy: number | null;
    bias: number | null;
    coverage: number | null;
  };
  pool: {
    predictive: PoolSummary;
    reactive: PoolSummary;
    /** predictive node-hours / reactive node-hours - 1: what the bound costs. */
    extraNodeHoursVsReactive: number | null;
    /** Reactive minus predictive waiting demand-minutes: what it buys. */
    waitingDemandMinutesAvoided: number | null;
  };
  goals: Record<'maseVsPersistence' | 'maseVsSeasonalNaive' | 'underProvisioned' | 'extraNodeHours' | 'waitingDemandMinutes', GoalCheck>;
  goalsMet: boolean;
  /** What the live mode logic would do with this series configured as enforce. */
  recommendedMode: ModeVerdict;
}

interface PeriodSummary {
  detected: boolean;
  acf: number | null;
  spectralShare: number | null;
  reason: string;
}

interface PoolSummary {
  underProvisionedShare: number | null;
  nodeHours: number | null;
  waitingDemandMinutes: number | null;
  actions?: number;
}

export interface BacktestResult {
  summary: BacktestSummary;
  rows: BacktestRow[];
  engine: EngineResult;
}

function defaultCapacity(values: Float64Array): number {
  const sorted = Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 1;
  const raw = p99 / 10;
  if (!(raw > 0)) return 1;
  // A round number: 1, 2 or 5 times a power of ten.
  const mag = 10 ** Math.floor(Math.log10(raw));
  const m = raw / mag;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * mag;
}

function periodSummary(p: PeriodCheck | undefined): PeriodSummary {
  return p
    ? { detected: p.detected, acf: p.acf, spectralShare: p.spectralShare, reason: p.reason }
    : { detected: false, acf: null, spectralShare: null, reason: 'not computed' };
}

function poolSummary(o: PoolOutcome, actions?: number): PoolSummary {
  return {
    underProvisionedShare: r3(o.underProvisionedShare),
    nodeHours: r3(o.nodeHours),
    waitingDemandMinutes: r3(o.waitingDemandMinutes),
    ...(actions !== undefined ? { actions } : {}),
  };
}

function goal(value: number | null, goalText: string, ok: (v: number) => boolean): GoalCheck {
  return { value, goal: goalText, met: value === null ? null : ok(value) };
}

export function runBacktest(input: RegularSeries, options: BacktestOptions): BacktestResult {
  const { stepMs, startMs } = input;
  const { n, day, observed, gapsFilled, y, H, L } = prepareSeries(input, options.horizonMs, options.leadMs);
  const policy: DecisionPolicy = {
    minCount: options.minNodes ?? 1,
    maxCount: 1000,
    maxStepUp: options.maxStepUp ?? 5,
    maxStepDown: options.maxStepDown ?? SCALING_DEFAULTS.maxStepDown,
    cooldownMs: options.cooldownMs ?? 10 * 60_000,
    lowerAfterMs: options.lowerAfterMs ?? 10 * 60_000,
  };
  // The decision must hold until the next change can land: cooldown (at least one step).
  const W = Math.max(0, Math.ceil(policy.cooldownMs / stepMs) - 1);
  const coverage = options.coverage ?? 0.95;
  const underCost = options.underCost ?? 2;
  const bound = { ...(options.bound ? { bound: options.bound } : {}), ...(options.boundConditioning ? { boundConditioning: options.boundConditioning } : {}) };
  const engine = runEngine(y, { stepMs, horizonSteps: H, leadSteps: L, decisionWindowSteps: W, coverage, underCost, observed, ...bound });

  const warmup = Math.min(n, Math.max(H, stepsIn(options.warmupMs ?? 3 * DAY_MS, stepMs)));
  const actual = new Float64Array(input.values);
  const persistence = baselineForecasts(y, H, null);
  const seasonal = day ? baselineForecasts(y, H, day) : null;
  const week = periodSteps(7 * DAY_MS, stepMs);
  const seasonal7 = week ? baselineForecasts(y, H, week) : null;
  const evalInput = { actual, forecast: engine.forecast, upper: engine.upper, persistence, from: warmup, to: n };
  const ev = evaluateForecast({ ...evalInput, ...(seasonal ? { seasonalNaive: seasonal } : {}) });
  const ev7 = seasonal7 ? evaluateForecast({ ...evalInput, seasonalNaive: seasonal7 }) : null;

  const capacity = options.nodeCapacity ?? defaultCapacity(input.values);
  const cost = boundCost({
    demand: actual,
    decisionUpper: engine.decisionUpper,
    stepMs,
    nodeCapacity: capacity,
    provisioningSteps: L,
    policy,
    headroom: options.headroom ?? 0,
    from: warmup,
    to: n,
  });
  const { predictive: outP, reactive: outR, extraNodeHoursVsReactive: extra } = cost;
  const { predictive, reactive } = cost.traces;

  const share: Record<string, number> = {};
  let counted = 0;
  for (let t = warmup; t < n; t++) {
    const c = engine.chosen[t]!;
    if (c < 0) continue;
    const name = engine.names[CANDIDATES[c] as CandidateKind];
    share[name] = (share[name] ?? 0) + 1;
    counted++;
  }
  for (const k of Object.keys(share)) share[k] = r3(share[k]! / Math.max(1, counted))!;

  const maseP = r3(ev.maseVsPersistence);
  const maseS = r3(ev.maseVsSeasonalNaive);
  const goals: BacktestSummary['goals'] = {
    maseVsPersistence: goal(maseP, '< 1', (v) => v < 1),
    maseVsSeasonalNaive: goal(maseS, '< 1', (v) => v < 1),
    underProvisioned: goal(r3(outP.underProvisionedShare), '<= 0.05', (v) => v <= 0.05),
    extraNodeHours: goal(r3(extra), '<= 0.15 above reactive', (v) => v <= 0.15),
    waitingDemandMinutes: goal(
      r3(outP.waitingDemandMinutes),
      `< reactive (${r3(outR.waitingDemandMinutes)})`,
      (v) => v < outR.waitingDemandMinutes || (v === 0 && outR.waitingDemandMinutes === 0),
    ),
  };
  const p = engine.periodicity;
  const recommendedMode = effectiveMode({
    configured: 'enforce',
    historyDays: (n * stepMs) / DAY_MS,
    periods: [p?.daily.detected ? 'daily' : '', p?.weekly.detected ? 'weekly' : ''].filter(Boolean),
    maseVsSeasonalNaive: ev.maseVsSeasonalNaive,
    maseVsPersistence: ev.maseVsPersistence,
    coverage: ev.coverage,
    coverageTarget: coverage,
    cost: { extraNodeHoursVsReactive: extra, underProvisionedShare: outP.underProvisionedShare },
    maxExtraNodeHours: options.maxExtraNodeHours ?? SCALING_DEFAULTS.maxExtraNodeHours,
    maxUnderProvisioned: options.maxUnderProvisioned ?? SCALING_DEFAULTS.maxUnderProvisioned,
  });

  const rows: BacktestRow[] = [];
  for (let t = 0; t < n; t++) {
    rows.push({
      timestamp: startMs + t * stepMs,
      actual: actual[t]!,
      forecast: engine.forecast[t]!,
      upper: engine.upper[t]!,
      nodesPredictive: predictive.ready[t]!,
      nodesReactive: reactive.ready[t]!,
    });
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const summary: BacktestSummary = {
    series: {
      points: n,
      stepMinutes: stepMs / 60_000,
      days: r3((n * stepMs) / DAY_MS)!,
      start: iso(startMs),
      end: iso(startMs + (n - 1) * stepMs),
      gapsFilled,
    },
    settings: {
      horizonMinutes: (H * stepMs) / 60_000,
      leadMinutes: (L * stepMs) / 60_000,
      nodeCapacity: capacity,
      coverageTarget: coverage,
      underCost,
      warmupDays: r3((warmup * stepMs) / DAY_MS)!,
      headroom: options.headroom ?? 0,
      policy,
    },
    periodicity: { daily: periodSummary(p?.daily), weekly: periodSummary(p?.weekly) },
    model: { final: engine.final.model ? engine.names[engine.final.model] : null, shareOfOrigins: share },
    forecast: {
      evaluatedFrom: iso(startMs + warmup * stepMs),
      targets: ev.n,
      maseVsPersistence: maseP,
      maseVsSeasonalNaive: maseS,
      maseVsSeasonalNaive7d: ev7 && ev7.n > 0 ? r3(ev7.maseVsSeasonalNaive) : null,
      wape: r3(ev.wape),
      accuracy: r3(ev.accuracy),
      bias: r3(ev.bias),
      coverage: r3(ev.coverage),
    },
    pool: {
      predictive: poolSummary(outP, predictive.actions),
      reactive: poolSummary(outR),
      extraNodeHoursVsReactive: r3(extra),
      waitingDemandMinutesAvoided: r3(cost.waitingDemandMinutesAvoided),
    },
    goals,
    goalsMet: Object.values(goals).every((g) => g.met === true),
    recommendedMode,
  };
  return { summary, rows, engine };
}

export type { PoolTrace };
