// coldstart: time to import the function app's entry point (package.json "main") in a fresh
// node process, against `node -e 0` measured alternately in the same run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Benchmark, type BenchResult, median, nowMs, round, withRatio } from './lib.js';

const RUNS = 15;

function timeNode(args: string[]): number {
  const t0 = nowMs();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  const ms = nowMs() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return ms;
}

export const coldstartBenchmark: Benchmark = {
  name: 'coldstart',
  async run(): Promise<BenchResult[]> {
    const main = (JSON.parse(readFileSync('package.json', 'utf8')) as { main: string }).main;
    const entry = pathToFileURL(resolve(main)).href;
    const app: number[] = [];
    const base: number[] = [];
    timeNode(['-e', '0']);
    timeNode(['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`]);
    for (let i = 0; i < RUNS; i++) {
      base.push(timeNode(['-e', '0']));
      app.push(timeNode(['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`]));
    }
    const a = median(app);
    const b = median(base);
    return [
      withRatio({ name: 'coldstart.import_ms', value: round(a, 1), unit: 'ms', better: 'lower', baseline: round(b, 1) }),
      { name: 'coldstart.extra_ms', value: round(a - b, 1), unit: 'ms', better: 'lower', goal: '< 300 ms over node -e 0' },
    ];
  },
};
