// coldstart: time to import the function app's entry point (package.json "main") in a fresh
// node process, against `node -e 0` measured alternately in the same run; and with telemetry on
// (Application Insights or OTLP) against off: the import, and the import plus telemetry ready.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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

/** Milliseconds to import the entry point, measured inside the process (telemetry keeps it alive after). */
function importMs(entry: string, env: Record<string, string>): number {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const t = performance.now(); await import(${JSON.stringify(entry)}); process.stdout.write(String(performance.now() - t)); process.exit(0)`,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true', ...env },
    },
  );
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr.toString()}`);
  return Number(r.stdout.toString());
}

/**
 * Milliseconds until the app is imported AND its telemetry is up (the entry point starts it in the
 * background, so the import alone does not show what telemetry costs before the first span is
 * exported): import the entry point without the setting, then await startTelemetry with it.
 */
function readyMs(entry: string, setup: string, env: Record<string, string>): number {
  const code = `const t = performance.now(); await import(${JSON.stringify(entry)}); const s = await import(${JSON.stringify(setup)}); await s.startTelemetry(${JSON.stringify(env)}); process.stdout.write(String(performance.now() - t)); process.exit(0)`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true' },
  });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr.toString()}`);
  return Number(r.stdout.toString());
}

/** An Application Insights connection string for a closed port: the distro loads, nothing is sent. */
const TELEMETRY_ENV = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/',
};

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
    const plain: number[] = [];
    const telemetry: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      plain.push(importMs(entry, {}));
      telemetry.push(importMs(entry, TELEMETRY_ENV));
    }
    const setup = pathToFileURL(resolve(dirname(main), '../src/telemetry/setup.js')).href;
    const ready: number[] = [];
    const readyOtlp: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ready.push(readyMs(entry, setup, TELEMETRY_ENV));
      readyOtlp.push(readyMs(entry, setup, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }));
    }
    const a = median(app);
    const b = median(base);
    return [
      withRatio({
        name: 'coldstart.import_with_telemetry_ms',
        value: round(median(telemetry), 1),
        unit: 'ms',
        better: 'lower',
        baseline: round(median(plain), 1),
      }),
      withRatio({
        name: 'coldstart.telemetry_ready_azure_monitor_ms',
        value: round(median(ready), 1),
        unit: 'ms',
        better: 'lower',
        baseline: round(median(plain), 1),
      }),
      withRatio({
        name: 'coldstart.telemetry_ready_otlp_ms',
        value: round(median(readyOtlp), 1),
        unit: 'ms',
        better: 'lower',
        baseline: round(median(plain), 1),
      }),
      withRatio({ name: 'coldstart.import_ms', value: round(a, 1), unit: 'ms', better: 'lower', baseline: round(b, 1) }),
      { name: 'coldstart.extra_ms', value: round(a - b, 1), unit: 'ms', better: 'lower', goal: '< 300 ms over node -e 0' },
    ];
  },
};
