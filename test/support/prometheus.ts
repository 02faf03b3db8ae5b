// A real Prometheus (Debian package `prometheus`) for tests, with history backfilled from a
// demand trace:
//
//   const om = clusterOpenMetrics({ values, startSec, stepSec });   // kube-state-metrics-shaped series
//   const prom = await startPrometheusWith(om);                     // promtool blocks + prometheus on a free port
//   ... new PrometheusClient({ baseUrl: prom.url }) ...
//   await prom.stop();                                              // SIGTERM, then delete the TSDB
//
// The TSDB is built with `promtool tsdb create-blocks-from openmetrics FILE DIR` (Prometheus'
// backfilling, cmd/promtool/backfill.go): OpenMetrics text, one metric family at a time, samples
// with timestamps in seconds, ending in "# EOF". Prometheus then serves those blocks read-only;
// no scraping happens (the config has no scrape jobs).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PrometheusInstance {
  url: string;
  dataDir: string;
  /** Stops Prometheus and deletes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

export function prometheusInstalled(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface ClusterMetricsOptions {
  /** Total CPU requests of pool `compute` at each step (cores); NaN = no sample (a gap). */
  values: ArrayLike<number>;
  startSec: number;
  stepSec: number;
  /** Static series (labels, phase, allocatable) are written every this many seconds (< 5 min lookback). */
  staticEverySec?: number;
}

/** Pods of pool `compute` and the share of the pool's requests each carries. */
export const COMPUTE_PODS = [
  { pod: 'api-7d9f8-abcde', node: 'aks-compute-0', share: 0.5 },
  { pod: 'api-7d9f8-fghij', node: 'aks-compute-1', share: 0.3 },
  { pod: 'worker-5c6b7-klmno', node: 'aks-compute-1', share: 0.2 },
];
export const COMPUTE_ALLOCATABLE = 7.82;

export function line(name: string, labels: Record<string, string>, value: number, ts: number): string {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name}{${l}} ${value} ${ts}`;
}

/**
 * OpenMetrics text for a small AKS cluster: pool `compute` (2 nodes, 3 running pods whose CPU
 * requests add up to `values`, plus a finished Job pod whose requests must not count), pool
 * `system` (1 node, one pod with constant requests), and a counter `demo_http_requests_total`
 * that restarts halfway (a reset).
 */
export function clusterOpenMetrics(o: ClusterMetricsOptions): string {
  const n = o.values.length;
  const every = Math.max(1, Math.round((o.staticEverySec ?? 240) / o.stepSec));
  const staticTimes: number[] = [];
  for (let i = 0; i < n; i += every) staticTimes.push(o.startSec + i * o.stepSec);
  if ((n - 1) % every !== 0) staticTimes.push(o.startSec + (n - 1) * o.stepSec);
  const out: string[] = [];

  out.push('# TYPE kube_pod_container_resource_requests gauge');
  for (const p of COMPUTE_PODS) {
    const labels = { namespace: 'shop', pod: p.pod, container: p.pod.split('-')[0]!, node: p.node, resource: 'cpu', unit: 'core' };
    for (let i = 0; i < n; i++) {
      const v = o.values[i]!;
      if (!Number.isNaN(v)) out.push(line('kube_pod_container_resource_requests', labels, v * p.share, o.startSec + i * o.stepSec));
    }
  }
  const job = { namespace: 'shop', pod: 'migrate-28371-xyz12', container: 'migrate', node: 'aks-compute-0', resource: 'cpu', unit: 'core' };
  const sys = { namespace: 'kube-system', pod: 'coredns-789-abcde', container: 'coredns', node: 'aks-system-0', resource: 'cpu', unit: 'core' };
  for (const t of staticTimes) out.push(line('kube_pod_container_resource_requests', job, 3, t));
  for (const t of staticTimes) out.push(line('kube_pod_container_resource_requests', sys, 0.25, t));

  out.push('# TYPE kube_pod_status_phase gauge');
  const phases: { namespace: string; pod: string; phase: string; v: number }[] = [
    ...COMPUTE_PODS.map((p) => ({ namespace: 'shop', pod: p.pod, phase: 'Running', v: 1 })),
    { namespace: 'shop', pod: job.pod, phase: 'Running', v: 0 },
    { namespace: 'shop', pod: job.pod, phase: 'Succeeded', v: 1 },
    { namespace: 'kube-system', pod: sys.pod, phase: 'Running', v: 1 },
  ];
  for (const ph of phases)
    for (const t of staticTimes) out.push(line('kube_pod_status_phase', { namespace: ph.namespace, pod: ph.pod, phase: ph.phase }, ph.v, t));

  out.push('# TYPE kube_node_labels gauge');
  const nodes = [
    { node: 'aks-compute-0', pool: 'compute', cpu: COMPUTE_ALLOCATABLE },
    { node: 'aks-compute-1', pool: 'compute', cpu: COMPUTE_ALLOCATABLE + 0.5 },
    { node: 'aks-system-0', pool: 'system', cpu: 3.86 },
  ];
  for (const nd of nodes) for (const t of staticTimes) out.push(line('kube_node_labels', { node: nd.node, label_agentpool: nd.pool }, 1, t));

  out.push('# TYPE kube_node_status_allocatable gauge');
  for (const nd of nodes)
    for (const t of staticTimes) out.push(line('kube_node_status_allocatable', { node: nd.node, resource: 'cpu', unit: 'core' }, nd.cpu, t));

  out.push('# TYPE demo_http_requests counter');
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out.push(line('demo_http_requests_total', { job: 'demo' }, i < half ? 10 * i : 10 * (i - half), o.startSec + i * o.stepSec));

  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode} before it was ready:\n${output().slice(-2000)}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`prometheus did not become ready within ${timeoutMs} ms:\n${output().slice(-2000)}`);
}

/** Builds a TSDB from OpenMetrics text with promtool and serves it with prometheus on a free port. */
/**
 * Serves a TSDB with prometheus on a free port: built from OpenMetrics text with promtool, or an
 * existing data directory (`dataDir`, e.g. a restored backup; openMetrics is then ignored).
 * `adminApi` adds --web.enable-admin-api (the snapshot API). `scrape` adds live scrape jobs (e.g. a
 * real exporter on a free port); with an empty `openMetrics` nothing is backfilled.
 */
export async function startPrometheusWith(
  openMetrics: string,
  options: {
    retention?: string;
    startTimeoutMs?: number;
    adminApi?: boolean;
    dataDir?: string;
    scrape?: { job: string; target: string; intervalSec: number }[];
  } = {},
): Promise<PrometheusInstance> {
  if (!prometheusInstalled())
    throw new Error('prometheus and promtool are not installed. Fix: apt-get install prometheus (Debian package; .ci/run installs it)');
  const dir = await mkdtemp(join(tmpdir(), 'prom-test-'));
  const dataDir = options.dataDir ?? join(dir, 'data');
  const input = join(dir, 'input.om');
  const backfill = !options.dataDir && openMetrics !== '';
  if (backfill) await writeFile(input, openMetrics);
  if (backfill)
    try {
      // Larger blocks than the default 2 h keep the block count (and Prometheus' start-up) small.
      await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=24h', input, dataDir], { maxBuffer: 16 * 1024 * 1024 });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`promtool could not build the TSDB: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
    }
  await rm(input, { force: true });
  const config = join(dir, 'prometheus.yml');
  const jobs = (options.scrape ?? []).map(
    (j) => `  - job_name: ${j.job}\n    scrape_interval: ${j.intervalSec}s\n    static_configs:\n      - targets: ['${j.target}']\n`,
  );
  await writeFile(config, `global:\n  scrape_interval: 1h\nscrape_configs:${jobs.length ? `\n${jobs.join('')}` : ' []\n'}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.retention.time=${options.retention ?? '3650d'}`,
      '--log.level=warn',
      ...(options.adminApi ? ['--web.enable-admin-api'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => log, options.startTimeoutMs ?? 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, dataDir, stop };
}
