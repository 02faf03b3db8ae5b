// The Prometheus adapter against a real Prometheus whose TSDB was backfilled with promtool from a
// shared trace (crane-input0: 8 days at 1 minute = 11,520 steps, more than Prometheus serves in
// one range query), shaped like kube-state-metrics on AKS.
import { readFileSync } from 'node:fs';
import { tracePath } from '../support/traces.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkRange, fetchPoolDemand, PrometheusClient, PrometheusError } from '../../src/adapters/prometheus.js';
import { parseCsvSeries } from '../../src/forecast/csv.js';
import { forecastPool } from '../../src/scaling/pool-forecast.js';
import { clusterOpenMetrics, COMPUTE_ALLOCATABLE, startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';

const trace = parseCsvSeries(readFileSync(tracePath('crane-input0.csv'), 'utf8')).series;
const STEP_SEC = 60;
const n = trace.values.length;
// Shift the trace so it ends an hour ago (Prometheus keeps recent data), on a whole minute.
const END_SEC = Math.floor(Date.now() / 60_000) * 60 - 3600;
const START_SEC = END_SEC - (n - 1) * STEP_SEC;
// A 30-minute hole in the middle: kube-state-metrics was down.
const GAP_FROM = 5000;
const GAP_TO = 5030;
// The trace's values are "production CPU" in arbitrary units; read them as millicores / 10.
const cores = Float64Array.from(trace.values, (v, i) => (i >= GAP_FROM && i < GAP_TO ? NaN : v / 10));

let prom: PrometheusInstance;
let calls: { start: number; end: number }[] = [];
const countingFetch: typeof fetch = async (input, init) => {
  const body = new URLSearchParams(typeof init?.body === 'string' ? init.body : '');
  if (body.get('start')) calls.push({ start: Number(body.get('start')), end: Number(body.get('end')) });
  return fetch(input, init);
};

beforeAll(async () => {
  prom = await startPrometheusWith(clusterOpenMetrics({ values: cores, startSec: START_SEC, stepSec: STEP_SEC }));
}, 180_000);
afterAll(async () => prom?.stop());

function client(extra: Partial<ConstructorParameters<typeof PrometheusClient>[0]> = {}): PrometheusClient {
  calls = [];
  return new PrometheusClient({ baseUrl: prom.url, fetch: countingFetch, retries: 0, ...extra });
}

describe('Prometheus adapter against a real Prometheus', () => {
  it("reads a pool's CPU requests over 8 days at 1 minute in two chunks and matches the trace", async () => {
    const c = client();
    const d = await fetchPoolDemand(c, { pool: 'compute', resource: 'cpu', startMs: START_SEC * 1000, endMs: END_SEC * 1000, stepMs: 60_000 });
    expect(d.seriesCount).toBe(1);
    expect(d.requests.values.length).toBe(n);
    expect(d.requests.startMs).toBe(START_SEC * 1000);
    // 11,520 steps > 11,000: the requests query needed two range queries (plus one for allocatable).
    expect(calls.length).toBe(3);
    let compared = 0;
    for (let i = 0; i < n; i++) {
      const want = cores[i]!;
      const got = d.requests.values[i]!;
      if (i >= GAP_FROM && i < GAP_TO) continue; // checked below
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
      compared++;
    }
    expect(compared).toBe(n - 30);
    // Allocatable of the smallest compute node; the system pool and the finished Job are excluded.
    expect(d.allocatablePerNode).toBeCloseTo(COMPUTE_ALLOCATABLE, 9);
  });

  it('turns a scrape gap into NaN steps once the 5-minute lookback runs out', async () => {
    const d = await fetchPoolDemand(client(), {
      pool: 'compute',
      resource: 'cpu',
      startMs: (START_SEC + (GAP_FROM - 10) * 60) * 1000,
      endMs: (START_SEC + (GAP_TO + 10) * 60) * 1000,
      stepMs: 60_000,
    });
    const v = Array.from(d.requests.values);
    // Steps 0-9 precede the gap; the next 5 still see the last sample (lookback); then nothing until it ends.
    expect(v.slice(0, 15).every((x) => Number.isFinite(x))).toBe(true);
    expect(v.slice(15, 40).every((x) => Number.isNaN(x))).toBe(true);
    expect(v.slice(40).every((x) => Number.isFinite(x))).toBe(true);
  });

  it('aligns an unaligned window to whole steps and resamples at a coarser step', async () => {
    const start = (START_SEC + 600) * 1000 + 17_000;
    const end = start + 6 * 3600_000;
    const d = await fetchPoolDemand(client(), { pool: 'compute', resource: 'cpu', startMs: start, endMs: end, stepMs: 300_000 });
    expect(d.requests.startMs % 300_000).toBe(0);
    expect(d.requests.startMs).toBeLessThanOrEqual(start);
    for (let i = 0; i < d.requests.values.length; i++) {
      const k = (d.requests.startMs + i * 300_000) / 1000 - START_SEC;
      expect(d.requests.values[i]).toBeCloseTo(cores[k / 60]!, 6);
    }
  });

  it('without chunking the real Prometheus refuses the range: the error is reported, not retried', async () => {
    const c = client({ maxPointsPerQuery: 20_000, retries: 3 });
    const err = await c.queryRange({ query: 'up', startMs: START_SEC * 1000, endMs: END_SEC * 1000, stepMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusError);
    expect(err).toMatchObject({ status: 400, errorType: 'bad_data', transient: false });
    expect((err as Error).message).toMatch(/exceeded maximum resolution of 11,000 points per timeseries/);
    expect(calls.length).toBe(1);
  });

  it('handles a counter reset when asked for per-step increases', async () => {
    const half = Math.floor(n / 2);
    const from = (START_SEC + (half - 3) * 60) * 1000;
    const [s] = await client().queryRange({ query: 'demo_http_requests_total', startMs: from, endMs: from + 6 * 60_000, stepMs: 60_000, kind: 'counter' });
    // 10 per minute; at the restart the counter drops to 0, which counts as 0 new requests, then 10 again.
    expect(Array.from(s!.series.values)).toEqual([NaN, 10, 10, 0, 10, 10, 10]);
  });

  it('reports PromQL errors with their type', async () => {
    const err = await client()
      .queryRange({ query: 'sum(', startMs: START_SEC * 1000, endMs: START_SEC * 1000 + 600_000, stepMs: 60_000 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, errorType: 'bad_data', transient: false });
  });

  it('feeds the live forecast: 8 days of requests at 5 minutes give a daily model and a capacity need', async () => {
    const d = await fetchPoolDemand(client(), { pool: 'compute', resource: 'cpu', startMs: START_SEC * 1000, endMs: END_SEC * 1000, stepMs: 300_000 });
    const f = forecastPool(d.requests, { horizonMs: 3_600_000, leadMs: 900_000, decisionWindowMs: 600_000, coverage: 0.95, underCost: 2 });
    expect(f.periodicity?.daily.detected).toBe(true);
    expect(f.model).toMatch(/holt-winters|seasonal-naive/);
    expect(f.decisionUpper).toBeGreaterThan(0);
    expect(f.gapsFilled).toBeGreaterThan(0);
  });
});

describe('range chunking', () => {
  it('covers the grid exactly once with at most maxPoints steps per chunk', () => {
    const chunks = chunkRange(0, 11_519 * 60_000, 60_000, 10_000);
    expect(chunks).toEqual([
      { startMs: 0, endMs: 9_999 * 60_000 },
      { startMs: 10_000 * 60_000, endMs: 11_519 * 60_000 },
    ]);
    expect(chunkRange(0, 0, 60_000, 10_000)).toEqual([{ startMs: 0, endMs: 0 }]);
  });
});
