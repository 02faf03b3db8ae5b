// intake.*: parse + validate + match against 1,000 rules, per alert and per 100-alert request,
// against bare JSON.parse of the same payloads measured in the same run.
import { parseConfig } from '../src/config/load.js';
import { decideAlerts } from '../src/intake/decide.js';
import { parseWebhookJson } from '../src/intake/payload.js';
import { type Benchmark, type BenchResult, nowMs, percentile, round, withRatio } from './lib.js';

const RULES = 1000;
const REQUESTS = 300;
const ALERTS_PER_REQUEST = 100;
const ROUNDS = 5;

function configYaml(): string {
  const lines = ['version: 1', 'clusters: [{name: prod, kubeContext: prod}]', 'rules:'];
  for (let i = 0; i < RULES; i++) {
    // Most real rules pin alertname; a few match on other labels only (tried for every alert).
    const byName = i % 50 !== 0;
    lines.push(
      `  - name: rule-${i}`,
      `    matchers: [${byName ? `'alertname="Alert${i}"', ` : ''}'namespace=~"shop-(api|web|worker)-${i % 7}"', 'severity!="none"']`,
      `    runbook: restart-pod`,
      `    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }`,
    );
  }
  return lines.join('\n');
}

function payloads(): string[] {
  const out: string[] = [];
  let seq = 0;
  for (let r = 0; r < REQUESTS; r++) {
    const alerts = [];
    for (let a = 0; a < ALERTS_PER_REQUEST; a++, seq++) {
      const rule = (seq * 7919) % (RULES + 200); // some alertnames match no rule
      alerts.push({
        status: seq % 10 === 0 ? 'resolved' : 'firing',
        labels: {
          alertname: `Alert${rule}`,
          namespace: `shop-api-${rule % 7}`,
          pod: `api-${seq.toString(36)}-x2x4q`,
          container: 'api',
          severity: 'warning',
          cluster: 'prod',
          job: 'kube-state-metrics',
        },
        annotations: { summary: 'Pod is crash looping.', description: `Pod shop/api-${seq} is in waiting state.` },
        startsAt: '2026-11-22T02:58:31.201Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
        fingerprint: (0x1000000000 + seq).toString(16),
      });
    }
    out.push(
      JSON.stringify({
        receiver: 'aksops',
        status: 'firing',
        alerts,
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://am:9093',
        version: '4',
        groupKey: `g${r}`,
        truncatedAlerts: 0,
      }),
    );
  }
  return out;
}

function timeEach(texts: string[], fn: (t: string) => unknown): { totalMs: number; perRequest: number[] } {
  const perRequest: number[] = [];
  const t0 = nowMs();
  for (const t of texts) {
    const s = nowMs();
    fn(t);
    perRequest.push(nowMs() - s);
  }
  return { totalMs: nowMs() - t0, perRequest };
}

export const intakeBenchmark: Benchmark = {
  name: 'intake',
  async run(): Promise<BenchResult[]> {
    const cfg = parseConfig(configYaml());
    const texts = payloads();
    const alerts = REQUESTS * ALERTS_PER_REQUEST;
    let decided = 0;
    const intake = (t: string) => (decided += decideAlerts(parseWebhookJson(t), cfg).length);
    const bare = (t: string) => JSON.parse(t) as unknown;
    // Warm up the JIT on both paths, then keep the best of ROUNDS for each.
    timeEach(texts.slice(0, 50), intake);
    timeEach(texts.slice(0, 50), bare);
    let best = { totalMs: Infinity, perRequest: [] as number[] };
    let bestBase = { totalMs: Infinity, perRequest: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      const b = timeEach(texts, bare);
      if (b.totalMs < bestBase.totalMs) bestBase = b;
      const r = timeEach(texts, intake);
      if (r.totalMs < best.totalMs) best = r;
    }
    if (decided === 0) throw new Error('intake benchmark decided nothing: the workload is broken');
    const lat = [...best.perRequest].sort((a, b) => a - b);
    const baseLat = [...bestBase.perRequest].sort((a, b) => a - b);
    return [
      withRatio({
        name: 'intake.alerts_per_second',
        value: Math.round(alerts / (best.totalMs / 1000)),
        unit: 'alerts/s',
        better: 'higher',
        baseline: Math.round(alerts / (bestBase.totalMs / 1000)),
        goal: '>= 50000 on one core',
      }),
      withRatio({ name: 'intake.request_p50', value: round(percentile(lat, 50)), unit: 'ms', better: 'lower', baseline: round(percentile(baseLat, 50)) }),
      withRatio({ name: 'intake.request_p99', value: round(percentile(lat, 99)), unit: 'ms', better: 'lower', baseline: round(percentile(baseLat, 99)) }),
    ];
  },
};
