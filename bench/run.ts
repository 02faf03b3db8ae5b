// `npm run bench [-- --json] [FILTER]`: runs every benchmark whose result names contain FILTER.
// Human-readable table by default; --json prints only a JSON array of BenchResult.
import type { Benchmark, BenchResult } from './lib.js';
import { intakeBenchmark } from './intake.bench.js';
import { coldstartBenchmark } from './coldstart.bench.js';
import { backupBenchmark } from './backup.bench.js';
import { scalingBenchmark } from './scaling.bench.js';
import { consoleBenchmark } from './console.bench.js';
import { redosBenchmark } from './redos.bench.js';
import { secondaryCopyBenchmark } from './secondary-copy.bench.js';
import { backupStreamsBenchmark } from './backup-streams.bench.js';

const BENCHMARKS: Benchmark[] = [
  intakeBenchmark,
  redosBenchmark,
  coldstartBenchmark,
  scalingBenchmark,
  backupBenchmark,
  secondaryCopyBenchmark,
  backupStreamsBenchmark,
  consoleBenchmark,
];

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const filter = argv.find((a) => !a.startsWith('--')) ?? '';
  const selected = BENCHMARKS.filter((b) => b.name.includes(filter) || filter.startsWith(b.name) || filter === '');
  if (selected.length === 0) {
    process.stderr.write(`bench: no benchmark matches "${filter}". Benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const results: BenchResult[] = [];
  for (const b of selected) {
    if (!json) process.stderr.write(`running ${b.name}...\n`);
    for (const r of await b.run()) if (r.name.includes(filter)) results.push(r);
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  for (const r of results) {
    const base = r.baseline !== undefined ? `  baseline ${r.baseline} ${r.unit}  ratio ${r.ratio}` : '';
    process.stdout.write(
      `${r.name.padEnd(36)} ${String(r.value).padStart(12)} ${r.unit.padEnd(10)} (${r.better} is better)${base}${r.goal ? `  goal: ${r.goal}` : ''}\n`,
    );
  }
}

await main(process.argv.slice(2));
