// Error-budget state against the real Prometheus (Debian `prometheus`, TSDB backfilled with
// promtool): two days of a FastAPI service's request counters with known error counts, and the
// budget, the burn rates and the status checked against numbers computed by hand from those counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../src/adapters/prometheus.js';
import { sloSchema } from '../../src/config/slo-schema.js';
import { sloState, thresholdCrossings } from '../../src/slo/budget.js';
import { readSloState } from '../../src/slo/evaluate.js';
import { prometheusInstalled, startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';

const slo = sloSchema.parse({
  name: 'api-availability',
  service: 'fastapi-backend',
  objective: 99.5,
  window: '28d',
  sli: {
    events: { good: 'sum(rate(http_requests_total{job="api",code!~"5.."}[{{window}}]))', total: 'sum(rate(http_requests_total{job="api"}[{{window}}]))' },
  },
});

// 1,000 requests a minute for 48 hours. Errors a minute: 2 on day one, 1 for the next 23 hours,
// 100 in the last hour (an incident).
const START = 1_767_225_600; // 2026-01-01T00:00:00Z
const MINUTES = 48 * 60;
const errorsAt = (m: number) => (m < 24 * 60 ? 2 : m < 47 * 60 ? 1 : 100);

function openMetrics(): string {
  const out = ['# TYPE http_requests counter'];
  let ok = 0;
  let bad = 0;
  const okLines: string[] = [];
  const badLines: string[] = [];
  for (let m = 0; m <= MINUTES; m++) {
    const t = START + m * 60;
    okLines.push(`http_requests_total{job="api",code="200"} ${ok} ${t}`);
    badLines.push(`http_requests_total{job="api",code="500"} ${bad} ${t}`);
    if (m < MINUTES) {
      const e = errorsAt(m);
      ok += 1000 - e;
      bad += e;
    }
  }
  return [...out, ...okLines, ...badLines, '# EOF', ''].join('\n');
}

// By hand: 2,880,000 requests; errors 1,440 x 2 + 1,380 x 1 + 60 x 100 = 10,260.
const HAND = {
  errorRatio: 10_260 / 2_880_000, // 0.0035625
  budgetRemaining: 1 - 10_260 / 2_880_000 / 0.005, // 0.2875
  burn1h: 0.1 / 0.005, // 20: the last hour is 10 % errors
  burn6h: (5 * 60 * 1 + 60 * 100) / (6 * 60 * 1000) / 0.005, // 3.5
  burn1d: (23 * 60 * 1 + 60 * 100) / (24 * 60 * 1000) / 0.005, // 1.025
};

describe.skipIf(!prometheusInstalled())('error budget from the real Prometheus', () => {
  let prom: PrometheusInstance;
  beforeAll(async () => {
    prom = await startPrometheusWith(openMetrics());
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
  });

  it('matches the hand-computed budget, burn rates and status', async () => {
    const client = new PrometheusClient({ baseUrl: prom.url });
    const state = await readSloState(client, slo, (START + MINUTES * 60) * 1000);
    expect(state.errorRatio).toBeCloseTo(HAND.errorRatio, 6);
    expect(state.budgetRemaining).toBeCloseTo(HAND.budgetRemaining, 3);
    expect(state.burnRates['1h']).toBeCloseTo(HAND.burn1h, 2);
    expect(state.burnRates['5m']).toBeCloseTo(HAND.burn1h, 2);
    expect(state.burnRates['6h']).toBeCloseTo(HAND.burn6h, 2);
    expect(state.burnRates['1d']).toBeCloseTo(HAND.burn1d, 2);
    // 20 > 13.44 (1 h and 5 m): the page condition holds; 1.025 < 2.8 (1 d): no ticket.
    expect(state.fastBurn).toBe(true);
    expect(state.slowBurn).toBe(false);
    expect(state.status).toBe('burning-fast');
  });

  it('an hour before the incident the budget is healthy', async () => {
    const client = new PrometheusClient({ baseUrl: prom.url });
    const state = await readSloState(client, slo, (START + 47 * 60 * 60) * 1000);
    expect(state.budgetRemaining).toBeCloseTo(1 - (2880 + 1380) / (47 * 60 * 1000) / 0.005, 3);
    expect(state.status).toBe('healthy');
  });
});

describe('error-budget state (pure)', () => {
  it('is exhausted when the window ratio spends the whole budget, whatever the burn', () => {
    const s = sloState(slo, { '28d': 0.006, '5m': 0, '30m': 0, '1h': 0, '2h': 0, '6h': 0, '1d': 0, '3d': 0 }, '2026-01-03T00:00:00Z');
    expect(s.budgetRemaining).toBeCloseTo(-0.2, 9);
    expect(s.status).toBe('exhausted');
  });

  it('needs both windows of a pair above the factor to call a burn', () => {
    const base = { '28d': 0.001, '5m': 0, '30m': 0, '1h': 0, '2h': 0, '6h': 0, '1d': 0, '3d': 0 };
    expect(sloState(slo, { ...base, '1h': 0.1 }, 't').fastBurn).toBe(false);
    expect(sloState(slo, { ...base, '1h': 0.1, '5m': 0.1 }, 't').fastBurn).toBe(true);
    expect(sloState(slo, { ...base, '6h': 0.03, '30m': 0.03 }, 't').fastBurn).toBe(true);
    expect(sloState(slo, { ...base, '1d': 0.015, '2h': 0.015 }, 't')).toMatchObject({ fastBurn: false, slowBurn: true, status: 'burning' });
  });

  it('reports no data when the SLI had no events (0/0)', () => {
    const s = sloState(slo, { '28d': NaN }, 't');
    expect(s).toMatchObject({ status: 'no-data', budgetRemaining: null, errorRatio: null });
  });

  it('announces each threshold once on the way down, and again after a recovery', () => {
    expect(thresholdCrossings(null, 0.8)).toEqual({ announce: [], lastNotified: null });
    expect(thresholdCrossings(null, 0.3)).toEqual({ announce: [0.5], lastNotified: 0.5 });
    expect(thresholdCrossings(0.5, 0.45)).toEqual({ announce: [], lastNotified: 0.5 });
    expect(thresholdCrossings(0.5, -0.1)).toEqual({ announce: [0.25, 0], lastNotified: 0 });
    expect(thresholdCrossings(0, 0.6)).toEqual({ announce: [], lastNotified: null });
    expect(thresholdCrossings(null, 0.2)).toEqual({ announce: [0.5, 0.25], lastNotified: 0.25 });
    expect(thresholdCrossings(0.25, null)).toEqual({ announce: [], lastNotified: 0.25 });
  });
});
