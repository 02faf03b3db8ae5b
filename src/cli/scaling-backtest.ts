// `aksops scaling backtest`: replay a real series as if live and print the JSON summary
// (src/scaling/backtest.ts); optionally write the per-step rows (--out) and a chart (--plot).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseDuration } from '../domain/duration.js';
import { CsvSeriesError, parseCsvSeries } from '../forecast/csv.js';
import { runBacktest, type BacktestRow } from '../scaling/backtest.js';
import { parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';
import { lineChartSvg } from './svg-plot.js';

export const BACKTEST_FLAGS = {
  csv: { type: 'string' },
  'time-column': { type: 'string' },
  'value-column': { type: 'string' },
  step: { type: 'string' },
  horizon: { type: 'string' },
  lead: { type: 'string' },
  'node-capacity': { type: 'string' },
  coverage: { type: 'string' },
  warmup: { type: 'string' },
  out: { type: 'string' },
  plot: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;

function durationMs(flag: string, value: string | undefined, fallback: string): number {
  const s = parseDuration(value ?? fallback);
  if (s === null || s <= 0) throw new UsageError(`aksops scaling backtest: --${flag} "${value}" is not a duration. Fix: e.g. 5m, 60m, 1h, 3d`);
  return s * 1000;
}

function positive(flag: string, value: string | undefined, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || n > max) throw new UsageError(`aksops scaling backtest: --${flag} "${value}" must be a number > 0${max < Infinity ? ` and <= ${max}` : ''}`);
  return n;
}

function cell(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(10))) : '';
}

/** --from/--to of the plot as epoch ms, or the usage error. */
function plotWindow(from: string | undefined, to: string | undefined): { from: number; to: number } | string {
  const t = (flag: string, v: string | undefined, fallback: number) => (v === undefined ? fallback : Date.parse(v));
  const w = { from: t('from', from, -Infinity), to: t('to', to, Infinity) };
  if (Number.isNaN(w.from)) return `aksops scaling backtest: --from "${from}" is not a time. Fix: e.g. --from 2014-11-01T00:00:00Z`;
  if (Number.isNaN(w.to)) return `aksops scaling backtest: --to "${to}" is not a time. Fix: e.g. --to 2014-11-08`;
  if (w.from > w.to) return 'aksops scaling backtest: --from is after --to';
  return w;
}

export function rowsCsv(rows: BacktestRow[]): string {
  const lines = ['timestamp,actual,forecast,upper,nodes_predictive,nodes_reactive'];
  for (const r of rows)
    lines.push(`${new Date(r.timestamp).toISOString()},${cell(r.actual)},${cell(r.forecast)},${cell(r.upper)},${r.nodesPredictive},${r.nodesReactive}`);
  return `${lines.join('\n')}\n`;
}

export async function runScalingBacktest(args: string[], io: CliIo): Promise<number> {
  let values: Record<string, string | undefined>;
  let horizonMs: number;
  let leadMs: number;
  let stepMs: number | undefined;
  let nodeCapacity: number | undefined;
  let coverage: number | undefined;
  let warmupMs: number | undefined;
  try {
    values = parseFlags(args, BACKTEST_FLAGS, 'scaling backtest').values;
    if (!values.csv) throw new UsageError('aksops scaling backtest: --csv FILE is required (e.g. ../shared/data/traces/nab-nyc_taxi.csv)');
    stepMs = values.step !== undefined ? durationMs('step', values.step, '5m') : undefined;
    horizonMs = durationMs('horizon', values.horizon, '60m');
    leadMs = durationMs('lead', values.lead, '15m');
    nodeCapacity = positive('node-capacity', values['node-capacity']);
    coverage = positive('coverage', values.coverage, 0.999);
    warmupMs = values.warmup !== undefined ? durationMs('warmup', values.warmup, '3d') : undefined;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  const file = resolve(io.cwd, values.csv);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    io.err(`aksops scaling backtest: cannot read ${values.csv} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return 1;
  }
  let parsed;
  try {
    parsed = parseCsvSeries(text, {
      ...(values['time-column'] !== undefined ? { timeColumn: values['time-column'] } : {}),
      ...(values['value-column'] !== undefined ? { valueColumn: values['value-column'] } : {}),
      ...(stepMs !== undefined ? { stepMs } : {}),
    });
  } catch (e) {
    if (e instanceof CsvSeriesError) return (io.err(`${values.csv}: ${e.message}`), 1);
    throw e;
  }
  // Without a time column parseCsvSeries spaces rows by --step, default 5m.
  const series = parsed.series;
  if (series.values.length < 3) {
    io.err(`${values.csv}: only ${series.values.length} samples. Fix: give at least a few days of data`);
    return 1;
  }
  const result = runBacktest(series, {
    horizonMs,
    leadMs,
    ...(nodeCapacity !== undefined ? { nodeCapacity } : {}),
    ...(coverage !== undefined ? { coverage } : {}),
    ...(warmupMs !== undefined ? { warmupMs } : {}),
  });
  const summary = { file: basename(file), column: parsed.valueColumn, timeColumn: parsed.timeColumn, ...result.summary };
  if (values.out) writeFileSync(resolve(io.cwd, values.out), rowsCsv(result.rows));
  if (values.plot) {
    const cap = result.summary.settings.nodeCapacity;
    const window = plotWindow(values.from, values.to);
    if (typeof window === 'string') return (io.err(window), 2);
    const rows = result.rows.filter((r) => r.timestamp >= window.from && r.timestamp <= window.to);
    if (rows.length === 0)
      return (
        io.err(
          `aksops scaling backtest: no rows between --from and --to. Fix: the series runs ${new Date(result.rows[0]!.timestamp).toISOString()} .. ${new Date(result.rows.at(-1)!.timestamp).toISOString()}`,
        ),
        1
      );
    const svg = lineChartSvg({
      title: `${basename(file)} ${parsed.valueColumn}: ${result.summary.model.final ?? 'no model'}, horizon ${result.summary.settings.horizonMinutes} min, lead ${result.summary.settings.leadMinutes} min`,
      times: rows.map((r) => r.timestamp),
      yLabel: `demand (units; capacity = nodes x ${cap})`,
      lines: [
        { name: 'actual', color: '#222222', values: rows.map((r) => r.actual) },
        { name: 'forecast', color: '#1f77b4', values: rows.map((r) => r.forecast) },
        { name: 'upper bound', color: '#ff7f0e', values: rows.map((r) => r.upper), dash: '4 3' },
        { name: 'predictive capacity', color: '#2ca02c', values: rows.map((r) => r.nodesPredictive * cap), step: true, width: 1.6 },
        { name: 'reactive capacity', color: '#d62728', values: rows.map((r) => r.nodesReactive * cap), step: true, dash: '2 2' },
      ],
    });
    writeFileSync(resolve(io.cwd, values.plot), svg);
  }
  io.out(JSON.stringify(summary, null, 2));
  return 0;
}
