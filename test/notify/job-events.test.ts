// The app's own failures through the routing, per job (src/notify/job-events.ts -> notifyOps):
// a failed backup, verify or restore drill, a rotation rolled back, a budget stage or failure,
// a scaling fallback. Each record is shaped as the job writes it; each arrives once (page or
// chat) however often the job's activity runs again, on real Azurite and the PagerDuty fake.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { readSettings } from '../../src/config/settings.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { NotifyStore } from '../../src/adapters/notify-store.js';
import { notifyOps, type OpsEvent } from '../../src/notify/ops-event.js';
import { eventFromBudget, eventFromJobResult, eventFromRotation, eventFromScalingFallback } from '../../src/notify/job-events.js';
import { dedupKey } from '../../src/notify/paging.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { startPagerDuty, type PagingServer } from '../fakes/paging-servers.js';

const { connectionString } = inject('azurite');
const suffix = Math.random().toString(36).slice(2, 8);
const settings = readSettings({ AzureWebJobsStorage: connectionString, CONTROL_TABLE_NAME: `ctljob${suffix}`, AUDIT_TABLE_NAME: `audjob${suffix}` });
const PD_KEY = 'R0UT1NGK3Y0123456789abcdefABCDEF';
let pd: PagingServer;
let chat: Server;
const chatBodies: string[] = [];
let deps: Parameters<typeof notifyOps>[0];

beforeAll(async () => {
  pd = await startPagerDuty(PD_KEY);
  chat = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      chatBodies.push(raw);
      res.writeHead(200).end('1');
    });
  });
  await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r));
  const yaml = readFileSync('examples/ops.yaml', 'utf8').replace(
    '      routingKeySetting: PAGERDUTY_ROUTING_KEY',
    `      routingKeySetting: PAGERDUTY_ROUTING_KEY\n      url: ${pd.url}/v2/enqueue`,
  );
  const secrets: Record<string, string> = {
    PAGERDUTY_ROUTING_KEY: PD_KEY,
    TEAMS_WEBHOOK_URL: `http://127.0.0.1:${(chat.address() as { port: number }).port}/teams`,
  };
  deps = {
    config: parseConfig(yaml, 'ops.yaml'),
    secret: (n) => secrets[n],
    send: { sleep: async () => {} },
    audit: AuditStore.fromSettings(settings),
    store: NotifyStore.fromSettings(settings),
    now: () => new Date('2026-12-08T02:30:00Z'),
  };
});
afterAll(async () => {
  chat.closeAllConnections();
  await new Promise((r) => chat.close(r));
  await pd.close();
});

const result = (over: Partial<AuditRecord>): AuditRecord => ({
  id: 'x:result',
  at: '2026-12-08T02:20:00Z',
  kind: 'result',
  actor: 'timer',
  instanceId: 'x',
  ...over,
});

/** Runs the job's activity twice (a re-run) and returns how often PagerDuty heard about it. */
async function twice(e: OpsEvent | null): Promise<{ triggers: number; decision: string }> {
  expect(e).not.toBeNull();
  const first = await notifyOps(deps, e!);
  await notifyOps(deps, e!);
  return { triggers: pd.incidents.get(dedupKey(e!.key))?.triggers ?? 0, decision: first.decision };
}

describe('each job failure is paged once (02:30 on a Tuesday: out of hours)', () => {
  it('backup failed', async () => {
    const r = result({
      id: 'backup-ms5-prod-2026-12-08T02:00:result',
      instanceId: 'backup-ms5-prod-2026-12-08T02:00',
      runbook: 'backup',
      target: 'ms5-prod/backup/b-1',
      decision: 'backup',
      result: 'failed',
      detail: 'planning failed: 403',
    });
    expect(await twice(eventFromJobResult(r))).toEqual({ triggers: 1, decision: 'paged' });
  });
  it('backup verify failed', async () => {
    const r = result({
      instanceId: 'verify-ms5-prod-2026-12-08',
      runbook: 'backup-verify',
      target: 'ms5-prod/backup/b-1',
      decision: 'verify',
      result: 'verify-failed',
      detail: '1 mismatch(es)',
    });
    expect(await twice(eventFromJobResult(r))).toEqual({ triggers: 1, decision: 'paged' });
  });
  it('restore drill failed', async () => {
    const r = result({
      instanceId: 'drill-1',
      runbook: 'restore-drill',
      target: 'ms5-prod/backend',
      decision: 'restore-drill',
      result: 'failed',
      detail: '2 missing',
    });
    expect(await twice(eventFromJobResult(r))).toEqual({ triggers: 1, decision: 'paged' });
  });
  it('rotation rolled back', async () => {
    const n = {
      id: 'rot-1:notify',
      at: '2026-12-08T02:25:00Z',
      instanceId: 'rot-1',
      secretName: 'pg-password',
      outcome: 'rolled-back',
      detail: 'verify failed; restored as v7',
    };
    expect(await twice(eventFromRotation(n))).toEqual({ triggers: 1, decision: 'paged' });
  });
  it('budget enforcement failed', async () => {
    const n = {
      id: 'bud-1:notify:3',
      at: '2026-12-08T02:00:00Z',
      kind: 'failure' as const,
      budget: 'ms5-monthly',
      period: '2026-12',
      instanceId: 'bud-1',
      mode: 'enforce' as const,
      summary: 'scale down failed',
      lines: [],
      targets: null,
    };
    expect(await twice(eventFromBudget(n))).toEqual({ triggers: 1, decision: 'paged' });
  });
});

describe('warnings out of hours wait for the digest (queued once), successes are not told', () => {
  it('a budget stage that fired and a scaling fallback are queued once each; a passing backup, a dry-run stage and a rotated secret are nothing', async () => {
    const stage = eventFromBudget({
      id: 'bud-2:notify:1',
      at: '2026-12-08T02:00:00Z',
      kind: 'stage',
      budget: 'ms5-monthly',
      period: '2026-12',
      instanceId: 'bud-2',
      stage: 'warn',
      mode: 'enforce',
      summary: 'spend 82 % of budget',
      lines: ['top: compute'],
      targets: null,
    });
    const fallback = eventFromScalingFallback(
      { cluster: 'ms5-prod', pool: 'compute', mode: 'enforce' },
      { effectiveMode: 'forecast-only', modeReasons: ['no daily cycle'] },
      '2026-12-08T02:05:00Z',
    );
    for (const e of [stage, fallback]) {
      expect(await twice(e)).toMatchObject({ triggers: 0, decision: 'digest-queued' });
    }
    const queued = await NotifyStore.fromSettings(settings).queued();
    expect(queued.map((q) => q.key).sort()).toEqual(['budget-stage:bud-2:notify:1', 'scaling-fallback:ms5-prod/compute:2026-12-08']);
    // Only the five critical failures reached chat at night, each once.
    expect(chatBodies).toHaveLength(5);
    expect(chatBodies.every((b) => b.includes('Failure'))).toBe(true);
    expect(eventFromJobResult(result({ decision: 'backup', result: 'complete' }))).toBeNull();
    expect(
      eventFromBudget({ id: 'b', at: '', kind: 'stage', budget: 'x', period: 'p', instanceId: 'i', mode: 'dry-run', summary: '', lines: [], targets: null }),
    ).toBeNull();
    expect(eventFromRotation({ instanceId: 'r', at: '', secretName: 's', outcome: 'rotated', detail: '' })).toBeNull();
    expect(
      eventFromScalingFallback({ cluster: 'c', pool: 'p', mode: 'enforce' }, { effectiveMode: 'enforce', modeReasons: [] }, '2026-12-08T00:00:00Z'),
    ).toBeNull();
  });

  it('each routing decision is audited once per event, naming the receivers; no key in the audit', async () => {
    const { items } = await AuditStore.fromSettings(settings).query({ since: '2026-12-07', until: '2026-12-09', limit: 100, decision: 'routed' });
    expect(items.map((i) => `${i.runbook}:${i.result}`).sort()).toEqual([
      'backup-verify:paged',
      'backup:paged',
      'budget:digest-queued',
      'budget:paged',
      'restore-drill:paged',
      'rotation:paged',
      'scaling:digest-queued',
    ]);
    expect(items.every((i) => i.detail?.includes(i.result === 'paged' ? 'paged: pagerduty-oncall' : 'digest at'))).toBe(true);
    expect(JSON.stringify(items)).not.toContain(PD_KEY);
  });
});
