// The backtest chart keeps each pixel's minimum and maximum (a one-sample dip or spike in a long
// series stays visible) and --from/--to narrow the plotted window.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineChartSvg, minMaxPerBucket } from '../../src/cli/svg-plot.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

describe('minMaxPerBucket', () => {
  it('keeps the extremes of every bucket, skipping non-finite values', () => {
    const v = [1, 9, 2, 2, NaN, NaN, -4, 3];
    const r = minMaxPerBucket(v, v.length, 4);
    expect([...r.min]).toEqual([1, 2, NaN, -4]);
    expect([...r.max]).toEqual([9, 2, NaN, 3]);
  });
});

describe('lineChartSvg', () => {
  it('draws a single-sample dip and spike of a 60,000-point series on a 1,400 px chart', () => {
    const n = 60_000;
    const values = Array.from({ length: n }, () => 50);
    values[12_345] = 0;
    values[45_678] = 100;
    const svg = lineChartSvg({ title: 't', times: Array.from({ length: n }, (_, i) => i * 300_000), lines: [{ name: 'actual', color: '#000', values }] });
    const d = /<path d="([^"]+)"/.exec(svg)![1]!;
    const ys = [...d.matchAll(/[,V](\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]));
    // y of 0 is the bottom of the plot (top 40 + height 410), y of 100 the top (40).
    expect(Math.max(...ys)).toBeCloseTo(450, 0);
    expect(Math.min(...ys)).toBeCloseTo(40, 0);
    expect(d.split(/[MLHV]/).length).toBeLessThan(2 * 1400 + 10);
  });
});

describe('aksops scaling backtest --plot --from --to', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plot-'));
  const csv = join(dir, 's.csv');
  const start = Date.parse('2024-01-01T00:00:00Z');
  writeFileSync(
    csv,
    [
      'timestamp,value',
      ...Array.from({ length: 12 * 24 * 8 }, (_, i) => `${new Date(start + i * 300_000).toISOString()},${100 + 50 * Math.sin((i / 288) * 2 * Math.PI)}`),
    ].join('\n'),
  );
  const io = (): CliIo & { errs: string[] } => {
    const errs: string[] = [];
    return { out: () => undefined, err: (l) => errs.push(l), env: {}, readStdin: () => '', cwd: dir, errs };
  };

  it('plots only the window', async () => {
    const t = io();
    expect(await main(['scaling', 'backtest', '--csv', csv, '--plot', 'w.svg', '--from', '2024-01-07T00:00:00Z', '--to', '2024-01-08T00:00:00Z'], t)).toBe(0);
    const svg = readFileSync(join(dir, 'w.svg'), 'utf8');
    const dates = [...svg.matchAll(/>(\d{4}-\d{2}-\d{2})</g)].map((m) => m[1]);
    expect(new Set(dates)).toEqual(new Set(['2024-01-07', '2024-01-08']));
  });

  it('refuses a bad or empty window', async () => {
    const a = io();
    expect(await main(['scaling', 'backtest', '--csv', csv, '--plot', 'x.svg', '--from', 'yesterday'], a)).toBe(2);
    expect(a.errs.join()).toMatch(/--from "yesterday" is not a time/);
    const b = io();
    expect(await main(['scaling', 'backtest', '--csv', csv, '--plot', 'x.svg', '--from', '2030-01-01'], b)).toBe(1);
    expect(b.errs.join()).toMatch(/no rows between --from and --to/);
  });
});
