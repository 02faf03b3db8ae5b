// Issue #17: the queue signal from a real Celery broker. Celery's Redis transport (kombu) keeps a
// queue as a Redis list named after the queue, and each non-zero priority step in its own list
// `<queue>\x06\x16<priority>` (kombu/transport/redis.py `_q_for_pri`, PRIORITY_STEPS 0/3/6/9).
// The chain runs on the real components: redis-server <- redis_exporter (Debian's
// prometheus-redis-exporter, `-check-keys`) <- Prometheus scraping it every second <- the pool's
// demand query (src/scaling/queue.ts) through the app's Prometheus client. A burst pushed into
// the lists shows up as the workers it needs, and draining them brings the demand back down.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../src/adapters/prometheus.js';
import { queueRequestsQuery } from '../../src/scaling/queue.js';
import { freePort } from '../support/net.js';
import { startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';
import { startRedis, type RedisInstance } from '../support/redis.js';

const PASSWORD = 'queue-test-password';
const SEP = '\x06\x16';
// Every list of queue "analysis" (all priority steps), and nothing else that starts with "analysis".
const QUEUE = {
  query: `redis_key_size{key=~"analysis(\\\\x06\\\\x16[0-9])?"}`,
  tasksPerWorker: 4,
  workerRequests: 0.5,
  up: 'up{job="redis-exporter"}',
};
const exporterInstalled = spawnSync('prometheus-redis-exporter', ['--version'], { stdio: 'ignore' }).status === 0;

let redis: RedisInstance;
let exporter: ChildProcess;
let prom: PrometheusInstance;
let client: PrometheusClient;

const cli = (...args: string[]): string =>
  execFileSync('redis-cli', ['-p', String(redis.port), '--no-auth-warning', ...args], { env: { ...process.env, REDISCLI_AUTH: PASSWORD } })
    .toString()
    .trim();

/** Celery-shaped messages (the body does not matter to the length). */
const push = (key: string, n: number): void => {
  for (let i = 0; i < n; i += 100) cli('RPUSH', key, ...Array.from({ length: Math.min(100, n - i) }, (_, j) => `{"id":"task-${i + j}"}`));
};

/** The demand Prometheus answers now, once the scrapes have caught up with `expected` (or the last value). */
async function demandBecomes(expected: number): Promise<number> {
  let last = NaN;
  for (let i = 0; i < 100; i++) {
    const r = await client.queryInstant(queueRequestsQuery(QUEUE), Date.now());
    last = r.length === 1 ? r[0]!.value : NaN;
    if (Object.is(last, expected)) return last;
    await new Promise((res) => setTimeout(res, 250));
  }
  return last;
}

describe.skipIf(!exporterInstalled)('queue signal from a real Celery broker (Redis -> redis_exporter -> Prometheus)', () => {
  beforeAll(async () => {
    redis = await startRedis({ adminPassword: PASSWORD });
    const port = await freePort();
    // The password goes in through the environment, never argv.
    exporter = spawn(
      'prometheus-redis-exporter',
      [`-redis.addr=redis://127.0.0.1:${redis.port}`, `-web.listen-address=127.0.0.1:${port}`, '-check-keys=analysis*,reports*'],
      { stdio: 'ignore', env: { ...process.env, REDIS_PASSWORD: PASSWORD } },
    );
    prom = await startPrometheusWith('', { scrape: [{ job: 'redis-exporter', target: `127.0.0.1:${port}`, intervalSec: 1 }] });
    client = new PrometheusClient({ baseUrl: prom.url });
  }, 120_000);
  afterAll(async () => {
    exporter?.kill('SIGTERM');
    await prom?.stop();
    await redis?.stop();
  });

  it('counts every priority list of the queue, and only that queue, as the workers it needs', async () => {
    push('analysis', 90);
    push(`analysis${SEP}3`, 50);
    push(`analysis${SEP}9`, 20);
    push('analysis-results', 500); // another key with the same prefix: not tasks waiting
    push('reports', 1000); // another queue
    // 160 tasks / 4 per worker = 40 workers x 0.5 cores.
    expect(await demandBecomes(20)).toBe(20);
  }, 60_000);

  it('follows the queue down as workers drain it (BRPOP from the highest priority first)', async () => {
    cli('DEL', `analysis${SEP}9`, `analysis${SEP}3`);
    cli('LTRIM', 'analysis', '0', '8'); // 9 left: ceil(9 / 4) = 3 workers
    expect(await demandBecomes(1.5)).toBe(1.5);
  }, 60_000);

  it('an emptied queue (Redis deletes the list, the exporter drops the series) is zero demand, not a gap', async () => {
    cli('DEL', 'analysis');
    expect(await demandBecomes(0)).toBe(0);
    // Without `up` the same idle queue is a gap: the reason `up` exists.
    const plain = await client.queryInstant(queueRequestsQuery({ ...QUEUE, up: undefined }), Date.now());
    expect(plain).toEqual([]);
  }, 60_000);

  it('an exporter outage is a gap, never read as an idle queue', async () => {
    exporter.kill('SIGTERM');
    // Prometheus records up == 0 at the next scrape; the demand query then has no value at all.
    expect(await demandBecomes(NaN)).toBeNaN();
  }, 60_000);
});
