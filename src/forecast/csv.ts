// Reading a utilisation series from CSV: a header row, then one row per sample, with or without a
// time column. Timestamps may be unix seconds, unix milliseconds, or ISO-like dates
// ("2014-07-01 00:00:00" is read as UTC). Without a time column the rows are `stepMs` apart.
import { alignToGrid, inferStepMs, type AlignReport, type Point, type RegularSeries } from './series.js';

export class CsvSeriesError extends Error {
  override name = 'CsvSeriesError';
}

/** Header names taken as the time column when none is named. */
const TIME_NAMES = ['timestamp', 'ts', 'time', 'ds', 'date', 'datetime'];

export interface CsvSeriesOptions {
  timeColumn?: string;
  valueColumn?: string;
  /** Spacing of rows without a time column; with one, resample to this step. */
  stepMs?: number;
  /** Start time when there is no time column (default 0, i.e. 1970-01-01). */
  startMs?: number;
}

export interface CsvSeries {
  series: RegularSeries;
  timeColumn: string | null;
  valueColumn: string;
  rows: number;
  align: AlignReport;
}

function splitLine(line: string): string[] {
  // The traces are plain numeric CSV; quotes are only stripped, not parsed for embedded commas.
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

/** Epoch ms of a timestamp cell, or NaN. */
export function parseTimestamp(cell: string): number {
  if (/^-?\d+(\.\d+)?$/.test(cell)) {
    const n = Number(cell);
    return Math.abs(n) < 1e11 ? n * 1000 : n; // seconds until the year 5138, else milliseconds
  }
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(cell)
    ? `${cell.replace(' ', 'T')}Z`
    : /^\d{4}-\d{2}-\d{2}$/.test(cell)
      ? `${cell}T00:00:00Z`
      : cell;
  return Date.parse(iso);
}

export function parseCsvSeries(text: string, options: CsvSeriesOptions = {}): CsvSeries {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined) throw new CsvSeriesError('the file is empty. Fix: give a CSV with a header row and one row per sample');
  const cols = splitLine(header);
  const find = (name: string, flag: string): number => {
    const i = cols.indexOf(name);
    if (i < 0) throw new CsvSeriesError(`${flag} "${name}" is not a column (columns: ${cols.join(', ')}). Fix: use one of those`);
    return i;
  };
  const timeIdx = options.timeColumn !== undefined ? find(options.timeColumn, '--time-column') : cols.findIndex((c) => TIME_NAMES.includes(c.toLowerCase()));
  let valueIdx: number;
  if (options.valueColumn !== undefined) valueIdx = find(options.valueColumn, '--value-column');
  else {
    valueIdx = cols.findIndex((_, i) => i !== timeIdx);
    if (valueIdx < 0) throw new CsvSeriesError('the file has no value column. Fix: add one, or name it with --value-column');
  }
  if (valueIdx === timeIdx) throw new CsvSeriesError('the time and value columns are the same. Fix: name different columns');
  const rows = lines.length - 1;
  const points: Point[] = [];
  const step = options.stepMs;
  for (let r = 1; r < lines.length; r++) {
    const cells = splitLine(lines[r]!);
    const v = cells[valueIdx] === undefined || cells[valueIdx] === '' ? NaN : Number(cells[valueIdx]);
    let t: number;
    if (timeIdx >= 0) {
      t = parseTimestamp(cells[timeIdx] ?? '');
      if (Number.isNaN(t))
        throw new CsvSeriesError(`line ${r + 1}: "${cells[timeIdx] ?? ''}" is not a timestamp. Fix: use unix seconds or YYYY-MM-DD HH:MM:SS (UTC)`);
    } else {
      t = (options.startMs ?? 0) + (r - 1) * (step ?? 300_000);
    }
    points.push({ t, v });
  }
  if (points.length < 2) throw new CsvSeriesError('the file has fewer than 2 samples. Fix: give a longer series');
  const stepMs = step ?? inferStepMs(points.map((p) => p.t).sort((a, b) => a - b));
  if (stepMs === null) throw new CsvSeriesError('all timestamps are equal. Fix: check the time column');
  const { series, report } = alignToGrid(points, stepMs);
  return { series, timeColumn: timeIdx >= 0 ? cols[timeIdx]! : null, valueColumn: cols[valueIdx]!, rows, align: report };
}
