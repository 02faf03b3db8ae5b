// The SLO timer's work end to end on real components: error budgets read from the real
// Prometheus, state stored in the control table on Azurite, thresholds announced once (a second
// tick announces nothing new), and the report GET /api/slo serves. Plus the registrations.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrometheusClient } from '../../src/adapters/prometheus.js';
import { SloStore } from '../../src/adapters/slo-store.js';
import { readSettings } from '../../src/config/settings.js';
import type { OpsConfig } from '../../src/config/schema.js';
import { sloSectionSchema } from '../../src/config/slo-schema.js';
import type { NotifyInput } from '../../src/domain/types.js';
import { evaluateSlos } from '../../src/slo/activities.js';
import { sloReport } from '../../src/slo/report.js';
import { prometheusInstalled, startPrometheusWith, type PrometheusInstance } from '../support/prometheus.js';
import { loadRegistrations, triggerOf } from '../support/registrations.js';

const START = 1_767_225_600;
const MINUTES = 24 * 60;

// One day of 1,000 requests a minute; 1 % errors all day (twice a 99.5 % budget) for `bad`, 0.1 % for `good`.
function openMetrics(): string {
  const lines = ['# TYPE http_requests counter'];
  for (const [svc, perMin] of [
    ['bad', 10],
    ['good', 1],
  ] as const) {
    for (const code of ['200', '500']) {
      for (let m = 0; m <= MINUTES; m++) {
        const v = code === '500' ? perMin * m : (1000 - perMin) * m;
        lines.push(`http_requests_total{job="${svc}",code="${code}"} ${v} ${START + m * 60}`);
      }
    }
  }
  return [...lines, '# EOF', ''].join('\n');
}

const events = (job: string) => ({
  good: `sum(rate(http_requests_total{job="${job}",code!~"5.."}[{{window}}]))`,
  total: `sum(rate(http_requests_total{job="${job}"}[{{window}}]))`,
});

describe.skipIf(!prometheusInstalled())('SLO timer on the real Prometheus and Azurite', () => {
  let prom: PrometheusInstance;
  let store: SloStore;
  let config: OpsConfig;
  beforeAll(async () => {
    prom = await startPrometheusWith(openMetrics());
    store = SloStore.fromSettings(readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, CONTROL_TABLE_NAME: `control${Date.now()}` }));
    const slo = sloSectionSchema.parse({
      prometheus: { url: prom.url },
      objectives: [
        { name: 'checkout', service: 'bad', objective: 99.5, window: '28d', sli: { events: events('bad') } },
        { name: 'catalogue', service: 'good', objective: 99.5, window: '28d', sli: { events: events('good') } },
        {
          name: 'broken',
          service: 'x',
          objective: 99,
          window: '28d',
          sli: { events: { good: 'sum(rate(nope[{{window}}])) by (a) or vector(1) or vector(2)', total: 'vector(1)[{{window}}]' } },
        },
      ],
    });
    config = { slo } as unknown as OpsConfig;
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
  });

  it('stores each state, announces thresholds once, keeps going past a broken SLO, and reports', async () => {
    const sent: NotifyInput[] = [];
    const deps = {
      config,
      store,
      prometheus: () => new PrometheusClient({ baseUrl: prom.url, retries: 0 }),
      notify: async (n: NotifyInput) => void sent.push(n),
      nowMs: (START + MINUTES * 60) * 1000,
    };
    const first = await evaluateSlos(deps);
    expect(first.states.map((s) => [s.slo, s.status])).toEqual([
      ['checkout', 'exhausted'],
      ['catalogue', 'healthy'],
    ]);
    expect(first.failed.map((f) => f.slo)).toEqual(['broken']);
    expect(first.announced).toEqual([
      { slo: 'checkout', threshold: 0.5 },
      { slo: 'checkout', threshold: 0.25 },
      { slo: 'checkout', threshold: 0 },
    ]);
    expect(sent.map((n) => [n.kind, n.severity, n.reason])).toEqual([
      ['result', 'info', 'error-budget-below-50'],
      ['result', 'warning', 'error-budget-below-25'],
      ['escalation', 'critical', 'error-budget-spent'],
    ]);
    expect(sent[2]!.detail).toMatch(/^SLO checkout \(99\.5% over 28d\) of bad: error budget spent, -100% left/);

    const second = await evaluateSlos({ ...deps, nowMs: deps.nowMs - 60_000 });
    expect(second.announced).toEqual([]);

    const report = sloReport(config, await store.all());
    expect(report.slos.map((e) => [e.slo, e.state?.status ?? e.note])).toEqual([
      ['checkout', 'exhausted'],
      ['catalogue', 'healthy'],
      ['broken', 'not measured yet: the SLO timer runs every 5 minutes'],
    ]);
    expect(report.slos[0]!.state!.budgetRemaining).toBeCloseTo(-1, 3);
  });
});

describe('SLO registrations', () => {
  const byName = new Map(loadRegistrations().map((r) => [r.name, r]));
  it('registers the timer, GET /api/slo with a function key, and the gate activity', () => {
    expect(triggerOf(byName.get('sloTimer')!)).toMatchObject({ type: 'timerTrigger', schedule: '30 */5 * * * *' });
    expect(triggerOf(byName.get('sloStatus')!)).toMatchObject({ type: 'httpTrigger', route: 'slo', methods: ['GET'], authLevel: 'function' });
    expect(triggerOf(byName.get('errorBudgetGate')!)).toMatchObject({ type: 'activityTrigger' });
  });
});
