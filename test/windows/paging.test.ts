// Paging receivers against local servers speaking the PagerDuty Events API v2 and Opsgenie Alert
// API (test/fakes/paging-servers.ts): one incident per dedup key however often a run repeats,
// resolution closes it, 429 and 5xx are retried, and the routing/API key never shows in a report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagingSchema } from '../../src/config/paging-schema.js';
import { windowsSchema } from '../../src/config/windows-schema.js';
import { dedupKey, sendPage, type Page } from '../../src/notify/paging.js';
import { escalationDue, route } from '../../src/notify/routing.js';
import { startOpsgenie, startPagerDuty, type PagingServer } from '../fakes/paging-servers.js';

const PD_KEY = 'R0UT1NGK3Y0123456789abcdefABCDEF';
const OG_KEY = 'eb243592-faa2-4ba2-a551-1afdf565c889';
const secrets: Record<string, string> = { PAGERDUTY_ROUTING_KEY: PD_KEY, OPSGENIE_API_KEY: OG_KEY };
const secret = (n: string) => secrets[n];
const fast = { sleep: async () => {}, attempts: 3 };

let pd: PagingServer;
let og: PagingServer;
beforeAll(async () => {
  [pd, og] = await Promise.all([startPagerDuty(PD_KEY), startOpsgenie(OG_KEY)]);
});
afterAll(async () => {
  await Promise.all([pd.close(), og.close()]);
});

const page = (over: Partial<Page> = {}): Page => ({
  key: 'backup-failed:ms5-prod:nightly:2026-12-05',
  action: 'trigger',
  severity: 'critical',
  summary: 'Backup nightly of ms5-prod failed: pg_dump exit 1',
  source: 'ms5-prod',
  component: 'backup',
  at: '2026-12-05T02:10:00Z',
  ...over,
});

describe('PagerDuty Events API v2', () => {
  const receiver = () =>
    pagingSchema.parse({ receivers: [{ name: 'pd', type: 'pagerduty', routingKeySetting: 'PAGERDUTY_ROUTING_KEY', url: `${pd.url}/v2/enqueue` }] })
      .receivers[0]!;

  it('a re-run triggers the same incident (dedup key), the resolve closes it', async () => {
    const r1 = await sendPage(receiver(), page(), secret, fast);
    const r2 = await sendPage(receiver(), page(), secret, fast);
    expect(r1).toMatchObject({ ok: true, status: 202, dedupKey: dedupKey(page().key) });
    expect(r2.ok).toBe(true);
    expect([...pd.incidents.values()].filter((i) => i.key === r1.dedupKey)).toEqual([
      expect.objectContaining({ status: 'triggered', triggers: 2, severity: 'critical' }),
    ]);
    expect(await sendPage(receiver(), page({ action: 'resolve' }), secret, fast)).toMatchObject({ ok: true });
    expect(pd.incidents.get(r1.dedupKey)?.status).toBe('resolved');
  });

  it('429 (Retry-After) and 5xx are retried; a permanent 5xx is reported without the routing key', async () => {
    pd.failNext(1, 429);
    pd.failNext(1, 502);
    expect(await sendPage(receiver(), page({ key: 'k2' }), secret, fast)).toMatchObject({ ok: true, attempts: 3 });
    pd.failNext(3, 503);
    const r = await sendPage(receiver(), page({ key: 'k3' }), secret, fast);
    expect(r).toMatchObject({ ok: false, status: 503, attempts: 3 });
    expect(JSON.stringify(r)).not.toContain(PD_KEY);
  });

  it('a wrong key is a 400 the receiver reports, not retried, key not echoed', async () => {
    const r = await sendPage(receiver(), page({ key: 'k4' }), () => 'WRONGKEY0123456789abcdefABCDEF00', fast);
    expect(r).toMatchObject({ ok: false, status: 400, attempts: 1 });
    expect(JSON.stringify(r)).not.toContain('WRONGKEY');
    expect(await sendPage(receiver(), page(), () => undefined, fast)).toMatchObject({
      ok: false,
      attempts: 0,
      error: 'app setting PAGERDUTY_ROUTING_KEY is not set',
    });
  });
});

describe('Opsgenie Alert API', () => {
  const receiver = () => pagingSchema.parse({ receivers: [{ name: 'og', type: 'opsgenie', apiKeySetting: 'OPSGENIE_API_KEY', url: og.url }] }).receivers[0]!;

  it('GenieKey auth, alias dedup across re-runs, close by alias; 429/5xx retried', async () => {
    og.failNext(1, 429);
    const r1 = await sendPage(receiver(), page({ severity: 'warning', summary: 'x'.repeat(400) }), secret, fast);
    expect(r1).toMatchObject({ ok: true, status: 202, attempts: 2 });
    og.failNext(1, 500);
    await sendPage(receiver(), page({ severity: 'warning' }), secret, fast);
    const inc = og.incidents.get(r1.dedupKey)!;
    expect(inc).toMatchObject({ status: 'triggered', triggers: 2, severity: 'P3' });
    expect(inc.summary.length).toBe(130);
    expect(og.requests.at(-1)!.headers['authorization']).toBe(`GenieKey ${OG_KEY}`);
    await sendPage(receiver(), page({ action: 'resolve' }), secret, fast);
    expect(og.incidents.get(r1.dedupKey)?.status).toBe('resolved');
  });

  it('a wrong key is a 401, reported without the key', async () => {
    const r = await sendPage(receiver(), page({ key: 'og2' }), () => 'not-the-key-1234', fast);
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(JSON.stringify(r)).not.toContain('not-the-key-1234');
  });
});

describe('routing by severity and business hours', () => {
  const windows = windowsSchema.parse({
    timeIntervals: [
      { name: 'office', time_intervals: [{ weekdays: ['monday:friday'], times: [{ start_time: '09:00', end_time: '17:30' }], location: 'Europe/London' }] },
    ],
    holidays: [{ name: 'uk', location: 'Europe/London', dates: ['2026-12-25'] }],
    businessHours: { intervals: ['office'], holidays: ['uk'] },
  });
  const paging = pagingSchema.parse({
    receivers: [
      { name: 'pd', type: 'pagerduty', routingKeySetting: 'K' },
      { name: 'og', type: 'opsgenie', apiKeySetting: 'O' },
    ],
    routes: { critical: ['pd'], chat: ['teams'], digest: ['teams'] },
    escalation: [
      { after: '15m', receivers: ['pd'] },
      { after: '45m', receivers: ['og'] },
    ],
  });

  it('critical pages at once any time; warning in hours to chat; out of hours to the morning digest (holidays are out of hours)', () => {
    expect(route(paging, windows, 'critical', new Date('2026-12-05T03:00:00Z'))).toMatchObject({ page: ['pd'], chat: ['teams'] });
    expect(route(paging, windows, 'warning', new Date('2026-12-04T10:00:00Z'))).toMatchObject({ page: [], chat: ['teams'] });
    expect(route(paging, windows, 'warning', new Date('2026-12-04T18:00:00Z'))).toMatchObject({
      page: [],
      chat: [],
      digestAt: '2026-12-07T09:00:00.000Z',
      digest: ['teams'],
    });
    expect(route(paging, windows, 'warning', new Date('2026-12-25T10:00:00Z')).digestAt).toBe('2026-12-28T09:00:00.000Z');
    // Summer: 09:00 London is 08:00Z.
    expect(route(paging, windows, 'info', new Date('2026-06-05T20:00:00Z')).digestAt).toBe('2026-06-08T08:00:00.000Z');
  });

  it('escalation: each level is due once its delay has passed', () => {
    expect(escalationDue(paging, 14 * 60)).toEqual([]);
    expect(escalationDue(paging, 15 * 60).map((l) => l.receivers)).toEqual([['pd']]);
    expect(escalationDue(paging, 50 * 60).map((l) => l.receivers)).toEqual([['pd'], ['og']]);
  });
});

describe('the notify activity pages remediation escalations', () => {
  it('an escalation (critical) pages routes.critical once per run and reason, a result does not; no key in logs or reports', async () => {
    const { notifyActivity } = await import('../../src/notify/activity.js');
    const { parseConfig } = await import('../../src/config/load.js');
    const { readFileSync } = await import('node:fs');
    const yaml = readFileSync('examples/ops.yaml', 'utf8').replace(
      '      routingKeySetting: PAGERDUTY_ROUTING_KEY',
      `      routingKeySetting: PAGERDUTY_ROUTING_KEY\n      url: ${pd.url}/v2/enqueue`,
    );
    const config = parseConfig(yaml, 'ops.yaml');
    const logs: string[] = [];
    const deps = {
      config,
      secret: (n: string) => secrets[n],
      publicBaseUrl: undefined,
      audit: { write: async () => {} },
      log: (_l: string, m: string) => void logs.push(m),
      send: fast,
    };
    const n = {
      id: 'rem-1:escalation',
      kind: 'escalation' as const,
      at: '2026-12-05T03:00:00Z',
      instanceId: 'rem-1',
      rule: 'crashloop-restart',
      runbook: 'restart-pod',
      target: 'ms5-prod/backend/Deployment/api',
      fingerprint: 'f',
      reason: 'breaker-opened',
      detail: '3 failed remediations in a row',
    };
    const before = pd.incidents.size;
    const r1 = await notifyActivity(deps, n);
    await notifyActivity(deps, n); // an activity re-run: same incident
    expect(r1.delivered).toContain('pagerduty-oncall');
    expect(pd.incidents.size).toBe(before + 1);
    expect(pd.incidents.get(dedupKey('rem-1:breaker-opened'))).toMatchObject({ status: 'triggered', triggers: 2, severity: 'critical' });
    await notifyActivity(deps, { ...n, id: 'rem-1:result', kind: 'result', reason: 'effective' });
    expect(pd.incidents.size).toBe(before + 1);
    expect(JSON.stringify([r1, logs])).not.toContain(PD_KEY);
  });
});
