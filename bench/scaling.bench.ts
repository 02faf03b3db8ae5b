// scaling.*: (1) the live forecast for one pool (periodicity, Holt-Winters fit, candidate
// selection, error-quantile bounds, forecast path) on two weeks of 5-minute data, against the same
// pipeline without Holt-Winters (naive candidates only) in the same run; goal < 20 ms per series.
// (2) the backtest figures of `aksops scaling backtest` for every shared trace (defaults:
// horizon 60m, lead 15m), with the reactive autoscaler simulation as each figure's baseline.
// Traces are read from ../shared/data/traces (relative to the repo root), never copied.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsvSeries, type CsvSeriesOptions } from '../src/forecast/csv.js';
import { alignToGrid, type RegularSeries } from '../src/forecast/series.js';
import { runBacktest } from '../src/scaling/backtest.js';
import { forecastPool, type PoolForecastOptions } from '../src/scaling/pool-forecast.js';
import { findTracesDir } from '../test/support/traces.js';
import { type Benchmark, type BenchResult, median, nowMs, round, withRatio } from './lib.js';

const TWO_WEEKS_5M = 14 * 288;
const ROUNDS = 30;

export const SCALING_TRACES: { slug: string; file: string; options?: CsvSeriesOptions }[] = [
  { slug: 'nyc_taxi', file: 'nab-nyc_taxi.csv' },
  { slug: 'ec2_5f5533', file: 'nab-ec2_cpu_utilization_5f5533.csv' },
  { slug: 'ec2_24ae8d', file: 'nab-ec2_cpu_utilization_24ae8d.csv' },
  { slug: 'rds_cc0c53', file: 'nab-rds_cpu_utilization_cc0c53.csv' },
  { slug: 'crane_input0', file: 'crane-input0.csv' },
  { slug: 'crane_input9', file: 'crane-input9.csv' },
  { slug: 'alibaba_cpu', file: 'alibaba2018-machine_usage_300s.csv', options: { stepMs: 300_000 } },
  { slug: 'pedestrians_4', file: 'prophet-pedestrians_hourly.csv', options: { valueColumn: 'location_4' } },
  { slug: 'pedestrians_41', file: 'prophet-pedestrians_hourly.csv', options: { valueColumn: 'location_41' } },
];

/** ../shared/data/traces next to the repo root or a parent (found from this file, compiled or not). */
export function tracesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return findTracesDir(dir);
}

function load(file: string, options: CsvSeriesOptions = {}): RegularSeries {
  return parseCsvSeries(readFileSync(join(tracesDir(), file), 'utf8'), options).series;
}

/** The last two weeks of a trace at a 5-minute step (1-minute traces are averaged to 5 minutes). */
function twoWeeks5m(file: string): RegularSeries | null {
  let s = load(file);
  if (s.stepMs < 300_000) {
    const points = Array.from(s.values, (v, i) => ({ t: s.startMs + Math.floor((i * s.stepMs) / 300_000) * 300_000, v }));
    s = alignToGrid(points, 300_000).series;
  }
  if (s.stepMs !== 300_000 || s.values.length < TWO_WEEKS_5M) return null;
  return { ...s, values: s.values.slice(-TWO_WEEKS_5M), startMs: s.startMs + (s.values.length - TWO_WEEKS_5M) * s.stepMs };
}

/** Wall time of each round, and the process' CPU time (user + system) of each round. On a shared
 * machine the wall time includes waiting for a core; CPU time is what the work itself costs. */
function timeMs(fn: () => unknown): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const c0 = process.cpuUsage();
    const t0 = nowMs();
    fn();
    wall.push(nowMs() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

async function fitForecast(): Promise<BenchResult[]> {
  const series = ['nab-ec2_cpu_utilization_5f5533.csv', 'nab-ec2_cpu_utilization_24ae8d.csv', 'nab-rds_cpu_utilization_cc0c53.csv', 'crane-input9.csv']
    .map(twoWeeks5m)
    .filter((s): s is RegularSeries => s !== null);
  const options: PoolForecastOptions = { horizonMs: 3_600_000, leadMs: 900_000, decisionWindowMs: 600_000, coverage: 0.95, underCost: 2 };
  const naive: PoolForecastOptions = { ...options, exclude: ['holt-winters'] };
  for (const s of series) {
    forecastPool(s, options); // warm up the JIT on both paths
    forecastPool(s, naive);
  }
  const full: number[] = [];
  const base: number[] = [];
  const fullCpu: number[] = [];
  const baseCpu: number[] = [];
  for (const s of series) {
    const b = timeMs(() => forecastPool(s, naive));
    const f = timeMs(() => forecastPool(s, options));
    base.push(median(b.wall));
    full.push(median(f.wall));
    baseCpu.push(median(b.cpu));
    fullCpu.push(median(f.cpu));
  }
  return [
    withRatio({
      name: 'scaling.fit_forecast_cpu_ms',
      value: round(median(fullCpu), 2),
      unit: 'ms',
      better: 'lower',
      baseline: round(median(baseCpu), 2),
      goal: '< 20 ms per series (CPU time: not inflated by other jobs on the machine)',
    }),
    withRatio({
      name: 'scaling.fit_forecast_cpu_max_ms',
      value: round(Math.max(...fullCpu), 2),
      unit: 'ms',
      better: 'lower',
      baseline: round(Math.max(...baseCpu), 2),
      goal: '< 20 ms',
    }),
    withRatio({
      name: 'scaling.fit_forecast_ms',
      value: round(median(full), 2),
      unit: 'ms',
      better: 'lower',
      baseline: round(median(base), 2),
      goal: '< 20 ms per series (2 weeks of 5-min data)',
    }),
    withRatio({
      name: 'scaling.fit_forecast_max_ms',
      value: round(Math.max(...full), 2),
      unit: 'ms',
      better: 'lower',
      baseline: round(Math.max(...base), 2),
      goal: '< 20 ms',
    }),
  ];
}

function backtestFigures(): BenchResult[] {
  const out: BenchResult[] = [];
  for (const t of SCALING_TRACES) {
    const { summary: s } = runBacktest(load(t.file, t.options), { horizonMs: 3_600_000, leadMs: 900_000 });
    const p = `scaling.backtest.${t.slug}`;
    const f = s.forecast;
    const pred = s.pool.predictive;
    const react = s.pool.reactive;
    out.push(
      { name: `${p}.mase_vs_persistence`, value: f.maseVsPersistence ?? NaN, unit: 'ratio', better: 'lower', goal: '< 1' },
      { name: `${p}.mase_vs_seasonal_naive`, value: f.maseVsSeasonalNaive ?? NaN, unit: 'ratio', better: 'lower', goal: '< 1' },
      { name: `${p}.wape`, value: f.wape ?? NaN, unit: 'ratio', better: 'lower' },
      { name: `${p}.accuracy`, value: f.accuracy ?? NaN, unit: 'ratio', better: 'higher', goal: 'reported, not a gate' },
      { name: `${p}.coverage`, value: f.coverage ?? NaN, unit: 'share', better: 'higher', goal: '~0.95' },
      withRatio({
        name: `${p}.under_provisioned`,
        value: pred.underProvisionedShare ?? NaN,
        unit: 'share',
        better: 'lower',
        baseline: react.underProvisionedShare ?? NaN,
        goal: '<= 0.05',
      }),
      withRatio({
        name: `${p}.node_hours`,
        value: pred.nodeHours ?? NaN,
        unit: 'node-h',
        better: 'lower',
        baseline: react.nodeHours ?? NaN,
        goal: 'ratio <= 1.15',
      }),
      withRatio({
        name: `${p}.waiting_demand_minutes`,
        value: pred.waitingDemandMinutes ?? NaN,
        unit: 'unit-min',
        better: 'lower',
        baseline: react.waitingDemandMinutes ?? NaN,
        goal: 'ratio < 1',
      }),
    );
  }
  return out;
}

export const scalingBenchmark: Benchmark = {
  name: 'scaling',
  async run(): Promise<BenchResult[]> {
    if (!existsSync(tracesDir()))
      throw new Error(`scaling benchmark: ${tracesDir()} is missing (the shared traces). Fix: run from the repo next to ../shared/data/traces`);
    return [...(await fitForecast()), ...backtestFigures()];
  },
};
