// Putting raw samples on a grid: alignment, gaps, duplicates, counter resets, CSV shapes.
import { describe, expect, it } from 'vitest';
import { CsvSeriesError, parseCsvSeries, parseTimestamp } from '../../src/forecast/csv.js';
import { alignToGrid, counterIncreases, fillGapsCausal, inferStepMs } from '../../src/forecast/series.js';

describe('alignToGrid', () => {
  it('snaps jittered samples to the nearest step, averages duplicates and marks gaps NaN', () => {
    const { series, report } = alignToGrid(
      [
        { t: 0, v: 1 },
        { t: 61_000, v: 2 },
        { t: 59_000, v: 4 }, // same slot as 61 s: averaged
        { t: 240_000, v: 5 }, // 120 s and 180 s missing
        { t: 300_000, v: NaN },
      ],
      60_000,
    );
    expect(Array.from(series.values)).toEqual([1, 3, NaN, NaN, 5]);
    expect(report).toEqual({ missing: 2, merged: 1, dropped: 1 });
  });

  it('infers the step as the most common spacing, robust to gaps', () => {
    expect(inferStepMs([0, 300, 600, 1200, 1500, 1800])).toBe(300);
  });
});

describe('fillGapsCausal', () => {
  it('carries short gaps forward and copies the previous season for long ones, never using later values', () => {
    const v = Float64Array.from([1, 2, 3, 4, NaN, 6, 7, 8, NaN, NaN, NaN, 12]);
    const short = fillGapsCausal(v, { maxCarrySteps: 6 });
    expect(Array.from(short.values)).toEqual([1, 2, 3, 4, 4, 6, 7, 8, 8, 8, 8, 12]);
    expect(short.filled).toBe(4);
    const seasonal = fillGapsCausal(v, { maxCarrySteps: 1, seasonSteps: 4 });
    expect(Array.from(seasonal.values)).toEqual([1, 2, 3, 4, 4, 6, 7, 8, 8, 6, 7, 12]);
  });

  it('starts a series that begins with a gap at its first observation', () => {
    expect(Array.from(fillGapsCausal(Float64Array.from([NaN, NaN, 5, 6])).values)).toEqual([5, 5, 5, 6]);
  });
});

describe('counterIncreases', () => {
  it('treats a drop as a counter reset', () => {
    expect(Array.from(counterIncreases(Float64Array.from([10, 15, 15, 3, 7, NaN, 9])))).toEqual([NaN, 5, 0, 3, 4, NaN, 2]);
  });
});

describe('parseCsvSeries', () => {
  it('reads ISO-like timestamps as UTC and infers the step', () => {
    const s = parseCsvSeries('timestamp,value\n2014-07-01 00:00:00,10\n2014-07-01 00:30:00,11\n2014-07-01 01:30:00,13\n');
    expect(s.series.startMs).toBe(Date.UTC(2014, 6, 1));
    expect(s.series.stepMs).toBe(1_800_000);
    expect(Array.from(s.series.values)).toEqual([10, 11, NaN, 13]);
    expect(s).toMatchObject({ timeColumn: 'timestamp', valueColumn: 'value', rows: 3 });
  });

  it('reads unix seconds (crane) and picks a named value column', () => {
    const s = parseCsvSeries('ts,a,b\n1628640000,1,2\n1628640060,3,4', { valueColumn: 'b' });
    expect(s.series.startMs).toBe(1_628_640_000_000);
    expect(Array.from(s.series.values)).toEqual([2, 4]);
  });

  it('spaces rows by --step when there is no time column (alibaba)', () => {
    const s = parseCsvSeries('cpu,mem\n1,2\n3,4\n5,6', { stepMs: 300_000 });
    expect(s.timeColumn).toBeNull();
    expect(s.series.stepMs).toBe(300_000);
    expect(Array.from(s.series.values)).toEqual([1, 3, 5]);
  });

  it('names a wrong column and the fix', () => {
    expect(() => parseCsvSeries('ts,value\n1,2\n2,3', { valueColumn: 'cpu' })).toThrow(CsvSeriesError);
    expect(() => parseCsvSeries('ts,value\n1,2\n2,3', { valueColumn: 'cpu' })).toThrow(/--value-column "cpu" is not a column \(columns: ts, value\)/);
    expect(() => parseCsvSeries('ts,value\nyesterday,2\n2,3')).toThrow(/line 2: "yesterday" is not a timestamp/);
  });

  it('tells seconds from milliseconds', () => {
    expect(parseTimestamp('1628640000')).toBe(1_628_640_000_000);
    expect(parseTimestamp('1628640000000')).toBe(1_628_640_000_000);
  });
});
