// redos.*: worst-case matching time of the matchers (issue #12 item 4). The rules' regexes run
// on RE2 (re2js); the baseline in the same run is the backtracking engine the project used
// before (V8 RegExp, same anchoring) on the same hostile values. RE2 time grows with the value's
// length (linear); backtracking time roughly doubles per character, so it is measured only up to
// 24 characters (a 30-character pod name took 10.8 s).
import { parseMatcher } from '../src/domain/matchers.js';
import { type Benchmark, type BenchResult, median, nowMs, round, withRatio } from './lib.js';

const CASES = [
  { id: 'nested', matcher: 'pod=~"([a-z]+-?)*api"', hostile: (n: number) => 'a'.repeat(n - 1) + '!' },
  { id: 'dotstar', matcher: 'pod=~"(.*-)*api"', hostile: (n: number) => '-'.repeat(n - 1) + '!' },
];
const BACKTRACK_LENGTHS = [16, 20, 24];
const RE2_LENGTHS = [24, 256, 1024, 4096];

/** Median milliseconds of one call of fn over `runs` runs (after one warm-up call). */
function time(fn: () => unknown, runs: number): number {
  fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = nowMs();
    fn();
    xs.push(nowMs() - t);
  }
  return median(xs);
}

export const redosBenchmark: Benchmark = {
  name: 'redos',
  async run(): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    for (const c of CASES) {
      const m = parseMatcher(c.matcher);
      const backtracking = new RegExp(`^(?:${m.value})$`);
      const re2 = new Map(RE2_LENGTHS.map((n) => [n, time(() => m.re!.test(c.hostile(n)), 50)]));
      const bt = new Map(BACKTRACK_LENGTHS.map((n) => [n, time(() => backtracking.test(c.hostile(n)), 3)]));
      if (m.re!.test(c.hostile(64)) || backtracking.test(c.hostile(16)))
        throw new Error(`redos benchmark: ${c.id} hostile value matched; the workload is broken`);
      for (const n of BACKTRACK_LENGTHS) {
        out.push(
          withRatio({
            name: `redos.${c.id}.re2_ms_n${n}`,
            value: round(
              time(() => m.re!.test(c.hostile(n)), 50),
              4,
            ),
            unit: 'ms',
            better: 'lower',
            baseline: round(bt.get(n)!, 4),
          }),
        );
      }
      for (const n of RE2_LENGTHS.slice(1)) out.push({ name: `redos.${c.id}.re2_ms_n${n}`, value: round(re2.get(n)!, 4), unit: 'ms', better: 'lower' });
      // Linear time: 16x the length costs about 16x the time (constant per character).
      out.push({
        name: `redos.${c.id}.re2_growth_256_to_4096`,
        value: round(re2.get(4096)! / re2.get(256)!, 2),
        unit: 'x',
        better: 'lower',
        goal: '<= 16 (linear)',
      });
      out.push({
        name: `redos.${c.id}.backtracking_growth_16_to_24`,
        value: round(bt.get(24)! / bt.get(16)!, 1),
        unit: 'x',
        better: 'lower',
        goal: 'exponential: ~2x per character',
      });
    }
    return out;
  },
};
