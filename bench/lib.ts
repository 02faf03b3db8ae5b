// Benchmark plumbing shared by every bench/*.bench.ts: the result shape `npm run bench -- --json`
// prints, and small timing helpers. Each benchmark measures its baseline in the same run.
import { readFileSync } from 'node:fs';

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

/** CPU time (ms) of a process and of its children it has reaped (utime+stime+cutime+cstime, Linux /proc). */
export function processCpuMs(pid: number): number {
  try {
    // Fields after the command name (which may contain spaces): state is field 3, utime 14 ... cstime 17.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Busy CPU time (ms) of the whole machine, all cores (/proc/stat: everything but idle and iowait). */
export function machineBusyMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return ((total - f[3]! - f[4]!) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
/** USER_HZ: 100 on every Linux the kernel ABI has shipped with for x86 and arm64. */
const CLOCK_TICKS = 100;
