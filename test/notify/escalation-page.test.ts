// The escalationPage activity against the PagerDuty fake: a level triggered twice (activity
// retry) is one incident, the resolve closes it, each call is audited with its receivers, and
// the routing key appears in no report, log or audit row.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { escalationPageActivity } from '../../src/notify/activity.js';
import { dedupKey } from '../../src/notify/paging.js';
import type { AuditRecord, EscalationPageInput } from '../../src/domain/types.js';
import { startPagerDuty, type PagingServer } from '../fakes/paging-servers.js';

const PD_KEY = 'R0UT1NGK3Y0123456789abcdefABCDEF';
let pd: PagingServer;
beforeAll(async () => {
  pd = await startPagerDuty(PD_KEY);
});
afterAll(async () => {
  await pd.close();
});

it('one incident per run and level, resolved on decision, audited without the key', async () => {
  const yaml = readFileSync('examples/ops.yaml', 'utf8').replace(
    '      routingKeySetting: PAGERDUTY_ROUTING_KEY',
    `      routingKeySetting: PAGERDUTY_ROUTING_KEY\n      url: ${pd.url}/v2/enqueue`,
  );
  const rows: AuditRecord[] = [];
  const logs: string[] = [];
  const deps = {
    config: parseConfig(yaml, 'ops.yaml'),
    secret: (n: string) => (n === 'PAGERDUTY_ROUTING_KEY' ? PD_KEY : undefined),
    send: { sleep: async () => {} },
    audit: { write: async (r: AuditRecord[]) => void rows.push(...r) },
    log: (_l: string, m: string) => void logs.push(m),
  };
  const input: EscalationPageInput = {
    key: 'rem-1:awaiting-approval:level-0',
    action: 'trigger',
    receivers: ['pagerduty-oncall'],
    level: 0,
    instanceId: 'rem-1',
    summary: 'drain-node on ms5-prod/Node/n1 waits for approval, level 1',
    source: 'ms5-prod',
    at: '2026-12-05T03:15:00Z',
  };
  pd.failNext(1, 429);
  const r1 = await escalationPageActivity(deps, input);
  await escalationPageActivity(deps, input);
  expect(r1).toEqual([expect.objectContaining({ target: 'pagerduty-oncall', ok: true, attempts: 2 })]);
  expect(pd.incidents.get(dedupKey(input.key))).toMatchObject({ status: 'triggered', triggers: 2 });
  await escalationPageActivity(deps, { ...input, action: 'resolve', at: '2026-12-05T03:20:00Z' });
  expect(pd.incidents.get(dedupKey(input.key))?.status).toBe('resolved');
  expect(pd.incidents.size).toBe(1);
  expect(rows.map((r) => [r.id, r.decision, r.result])).toEqual([
    ['rem-1:awaiting-approval:level-0:trigger', 'paged', 'sent'],
    ['rem-1:awaiting-approval:level-0:trigger', 'paged', 'sent'],
    ['rem-1:awaiting-approval:level-0:resolve', 'page-resolved', 'sent'],
  ]);
  expect(rows[0]!.detail).toContain('receivers: pagerduty-oncall');
  expect(JSON.stringify([rows, logs, r1])).not.toContain(PD_KEY);
});
