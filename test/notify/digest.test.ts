// The morning digest and the routing of the app's own failures, on real Azurite tables (the
// control table holds claims and the queue, the audit table the decisions) with a local chat
// receiver and the PagerDuty fake: a warning out of hours is queued once, sent once in the
// digest when business hours start (Monday 09:00 London), never twice on a re-run, kept on a
// receiver failure and after a crash; a critical failure pages once; every decision is audited.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { readSettings } from '../../src/config/settings.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { NotifyStore } from '../../src/adapters/notify-store.js';
import { notifyOps, type OpsEvent } from '../../src/notify/ops-event.js';
import { digestKey, sendDueDigests } from '../../src/notify/digest.js';
import { dedupKey } from '../../src/notify/paging.js';
import { startPagerDuty, type PagingServer } from '../fakes/paging-servers.js';

const { connectionString } = inject('azurite');
const suffix = Math.random().toString(36).slice(2, 8);
const settings = readSettings({ AzureWebJobsStorage: connectionString, CONTROL_TABLE_NAME: `ctldig${suffix}`, AUDIT_TABLE_NAME: `auddig${suffix}` });
const PD_KEY = 'R0UT1NGK3Y0123456789abcdefABCDEF';
const TEAMS_PATH = '/webhookb2/secret-teams-path-0123456789';

let chat: Server;
let chatUrl = '';
let pd: PagingServer;
const received: Array<{ path: string; body: { attachments?: Array<{ content: { body: Array<{ text?: string }> } }> } }> = [];
let chatStatus = 200;

beforeAll(async () => {
  chat = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(raw) as (typeof received)[number]['body'] });
      res.writeHead(chatStatus).end(chatStatus === 200 ? '1' : 'error');
    });
  });
  await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r));
  chatUrl = `http://127.0.0.1:${(chat.address() as { port: number }).port}${TEAMS_PATH}`;
  pd = await startPagerDuty(PD_KEY);
});
afterAll(async () => {
  chat.closeAllConnections();
  await new Promise((r) => chat.close(r));
  await pd.close();
});

function world(nowIso: () => string) {
  const yaml = readFileSync('examples/ops.yaml', 'utf8').replace(
    '      routingKeySetting: PAGERDUTY_ROUTING_KEY',
    `      routingKeySetting: PAGERDUTY_ROUTING_KEY\n      url: ${pd.url}/v2/enqueue`,
  );
  const config = parseConfig(yaml, 'examples/ops.yaml');
  const secrets: Record<string, string> = { TEAMS_WEBHOOK_URL: chatUrl, PAGERDUTY_ROUTING_KEY: PD_KEY };
  const logs: string[] = [];
  return {
    logs,
    store: NotifyStore.fromSettings(settings),
    audit: AuditStore.fromSettings(settings),
    deps() {
      return {
        config,
        secret: (n: string) => secrets[n],
        send: { sleep: async () => {}, attempts: 2 },
        log: (_l: string, m: string) => void logs.push(m),
        audit: this.audit,
        store: this.store,
        now: () => new Date(nowIso()),
      };
    },
  };
}

const textOf = (r: (typeof received)[number]) => JSON.stringify(r.body);

describe('the morning digest (Azurite)', () => {
  let now = '2026-12-05T03:00:00Z';
  let w: ReturnType<typeof world>;
  beforeAll(() => {
    w = world(() => now);
  });
  const warning = (key: string, at: string, summary: string): OpsEvent => ({ key, severity: 'warning', component: 'budget', source: 'ms5-prod', summary, at });

  it('a warning out of hours is queued once (a re-run is not queued or sent again), nothing goes to chat at night', async () => {
    const e = warning('budget-stage:ms5-monthly:warn:2026-12', '2026-12-05T03:00:00Z', 'budget ms5-monthly reached stage warn (82 %)');
    const r1 = await notifyOps(w.deps(), e);
    expect(r1).toMatchObject({ decision: 'digest-queued', queued: ['oncall-teams'], delivered: [] });
    expect(r1.why).toContain('morning digest at 2026-12-07T09:00:00.000Z');
    expect((await notifyOps(w.deps(), e)).decision).toBe('already-sent');
    now = '2026-12-06T22:00:00Z';
    await notifyOps(w.deps(), warning('scaling-fallback:ms5-prod/compute:2026-12-06', '2026-12-06T22:00:00Z', 'pool compute fell back to forecast-only'));
    expect((await w.store.queued()).map((i) => [i.target, i.digestAt])).toEqual([
      ['oncall-teams', '2026-12-07T09:00:00.000Z'],
      ['oncall-teams', '2026-12-07T09:00:00.000Z'],
    ]);
    expect(received).toEqual([]);
    expect(await sendDueDigests(w.deps())).toEqual([]); // Sunday night: not due
  });

  it('at 09:00 Monday the digest is sent once; a crashed claim holds it until the lease ends; a re-run sends nothing', async () => {
    const items = await w.store.queued();
    const key = digestKey('oncall-teams', '2026-12-07T09:00:00.000Z', items);
    // A run that crashed after claiming, before sending:
    expect((await w.store.claim(key, new Date('2026-12-07T09:01:00Z'))).granted).toBe(true);
    now = '2026-12-07T09:05:00Z';
    expect(await sendDueDigests(w.deps())).toEqual([{ target: 'oncall-teams', digestAt: '2026-12-07T09:00:00.000Z', items: 2, result: 'in-flight' }]);
    expect(received).toEqual([]);
    now = '2026-12-07T09:12:00Z'; // the crashed claim (10 minutes) has expired
    expect((await sendDueDigests(w.deps())).map((r) => r.result)).toEqual(['sent']);
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe(TEAMS_PATH);
    expect(textOf(received[0]!)).toContain('Morning digest: 2 warnings held out of hours');
    expect(textOf(received[0]!)).toContain('budget ms5-monthly reached stage warn');
    expect(textOf(received[0]!)).toContain('pool compute fell back to forecast-only');
    expect(await w.store.queued()).toEqual([]);
    now = '2026-12-07T09:15:00Z';
    expect(await sendDueDigests(w.deps())).toEqual([]);
    // A crash after the send was marked but before the items were removed: the same items again are not re-sent.
    for (const i of items) await w.store.enqueue(i);
    expect((await sendDueDigests(w.deps())).map((r) => r.result)).toEqual(['already-sent']);
    expect(await w.store.queued()).toEqual([]);
    expect(received).toHaveLength(1);
  });

  it('a receiver failure keeps the items for the next run (nothing lost), which sends them', async () => {
    now = '2026-12-08T01:00:00Z';
    await notifyOps(w.deps(), warning('budget-stage:ms5-monthly:reduce:2026-12', now, 'budget ms5-monthly reached stage reduce (91 %)'));
    received.length = 0;
    chatStatus = 500;
    now = '2026-12-08T09:01:00Z';
    expect((await sendDueDigests(w.deps())).map((r) => r.result)).toEqual(['failed']);
    expect(await w.store.queued()).toHaveLength(1);
    chatStatus = 200;
    now = '2026-12-08T09:06:00Z';
    expect((await sendDueDigests(w.deps())).map((r) => r.result)).toEqual(['sent']);
    expect(received.filter((r) => r.body.attachments)).toHaveLength(3); // 2 failed attempts, then the one that arrived
    expect(await w.store.queued()).toEqual([]);
  });

  it('a critical failure pages at once (one incident however often it is reported) and goes to chat; in hours a warning goes to chat', async () => {
    received.length = 0;
    now = '2026-12-08T02:10:00Z';
    const e: OpsEvent = {
      key: 'backup-failed:ms5-prod:backup-ms5-prod-nightly-2026-12-08',
      severity: 'critical',
      component: 'backup',
      source: 'ms5-prod',
      summary: 'backup of ms5-prod failed: planning failed',
      at: now,
    };
    const r = await notifyOps(w.deps(), e);
    expect(r).toMatchObject({ decision: 'paged', delivered: ['pagerduty-oncall', 'oncall-teams'] });
    await notifyOps(w.deps(), e);
    expect(pd.incidents.get(dedupKey(e.key))).toMatchObject({ status: 'triggered', triggers: 1 });
    expect(received).toHaveLength(1);
    now = '2026-12-08T10:00:00Z';
    expect(await notifyOps(w.deps(), warning('scaling-fallback:ms5-prod/compute:2026-12-08', now, 'fell back'))).toMatchObject({
      decision: 'chat',
      delivered: ['oncall-teams'],
    });
  });

  it('every routing decision and digest is in the audit with receivers and why; no webhook URL or routing key anywhere', async () => {
    const { items } = await w.audit.query({ since: '2026-12-05', until: '2026-12-09', limit: 100 });
    const routed = items.filter((i) => i.decision === 'routed');
    expect(routed.map((i) => i.result).sort()).toEqual(['chat', 'digest-queued', 'digest-queued', 'digest-queued', 'paged']);
    expect(routed.find((i) => i.result === 'paged')!.detail).toContain('paged: pagerduty-oncall');
    expect(routed.find((i) => i.result === 'digest-queued')!.detail).toMatch(/out of hours: morning digest at .*digest at .*: oncall-teams/);
    const digests = items.filter((i) => i.decision === 'digest-sent');
    expect(digests.map((i) => i.result).sort()).toEqual(['failed', 'sent', 'sent']);
    const everything = JSON.stringify([items, w.logs, await w.store.queued()]);
    expect(everything).not.toContain(PD_KEY);
    expect(everything).not.toContain('secret-teams-path');
  });
});
