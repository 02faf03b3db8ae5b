// Benchmark plumbing shared by every bench/*.bench.ts: the result shape `npm run bench -- --json`
// prints, and small timing helpers. Each benchmark measures its baseline in the same run.

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  better: 'higher' | 'lower';
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
  /** A goal from the issue, printed next to the figure (not enforced: benchmarks never fail the build). */
  goal?: string;
}

export interface Benchmark {
  /** Prefix of the result names, e.g. "intake". FILTER matches result names. */
  name: string;
  run(): Promise<BenchResult[]>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(xs: number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function withRatio(r: Omit<BenchResult, 'ratio'>): BenchResult {
  return r.baseline !== undefined && r.baseline !== 0 ? { ...r, ratio: round(r.value / r.baseline, 4) } : r;
}
