// The escalation chain of a waiting approval (paging.escalation), replayed through the SDK
// executor with a crash after every step: each level's durable timer that wins pages its
// receivers once (one incident per run and level), the wait goes on, and the pages are resolved
// when the run is approved, rejected or cancelled; a timeout leaves them open.
import { describe, expect, it } from 'vitest';
import type { RemediationInput } from '../../src/domain/types.js';
import { EVENT_ALERT_RESOLVED, EVENT_APPROVAL, EVENT_CANCEL, type RemediationOutput } from '../../orchestrations/remediation.js';
import { approvalPolicy } from '../../src/runbooks/policy.js';
import { parseConfig } from '../../src/config/load.js';
import { RUNBOOKS } from '../../src/runbooks/catalogue.js';
import { forEachCrashPoint, type HarnessView, type PlannedEvent } from '../support/replay-harness.js';
import { DEPLOYMENT, newWorld, notificationsOf, remediationHarness, remediationInput, type World } from '../support/replay-remediation-world.js';

const APPROVAL: RemediationInput['approval'] = {
  required: true,
  reason: 'runbook drain-node requires approval',
  timeoutSeconds: 3600,
  escalation: [
    { afterSeconds: 900, receivers: ['pagerduty-oncall'] },
    { afterSeconds: 2700, receivers: ['opsgenie-platform'] },
  ],
};
const ID = remediationInput().instanceId;
const key = (level: number) => `${ID}:awaiting-approval:level-${level}`;
/** Idle in awaiting-approval after `pages` escalation pages went out. */
const afterPages = (pages: number) => (v: HarnessView) =>
  v.idle && (v.customStatus as { phase?: string } | undefined)?.phase === 'awaiting-approval' && v.completed('escalationPage') >= pages;
const resolvedWhileVerifying: PlannedEvent = {
  name: EVENT_ALERT_RESOLVED,
  input: { endsAt: '2025-01-01T01:30:00Z' },
  when: (v) => v.idle && (v.customStatus as { phase?: string } | undefined)?.phase === 'verifying',
};

interface Scenario {
  name: string;
  events: PlannedEvent[];
  outcome: RemediationOutput['outcome'];
  incidents: Record<string, 'triggered' | 'resolved'>;
  mutations: number;
}

const scenarios: Scenario[] = [
  {
    name: 'approved after the first level paged: level 1 paged once and resolved, level 2 never paged',
    events: [{ name: EVENT_APPROVAL, input: { decision: 'approve', by: 'alice@contoso.com' }, when: afterPages(1) }, resolvedWhileVerifying],
    outcome: 'effective',
    incidents: { [key(0)]: 'resolved' },
    mutations: 1,
  },
  {
    name: 'rejected before any level is due: nobody paged',
    events: [{ name: EVENT_APPROVAL, input: { decision: 'reject', by: 'bob@contoso.com' }, when: afterPages(0) }],
    outcome: 'rejected',
    incidents: {},
    mutations: 0,
  },
  {
    name: 'cancelled after both levels paged: both resolved',
    events: [{ name: EVENT_CANCEL, input: { by: 'carol@contoso.com' }, when: afterPages(2) }],
    outcome: 'cancelled',
    incidents: { [key(0)]: 'resolved', [key(1)]: 'resolved' },
    mutations: 0,
  },
  {
    name: 'nobody decides: both levels paged, then the timeout escalates; the pages stay open',
    events: [],
    outcome: 'approval-timeout',
    incidents: { [key(0)]: 'triggered', [key(1)]: 'triggered' },
    mutations: 0,
  },
];

function check(s: Scenario, world: World, out: RemediationOutput): void {
  expect(out.outcome).toBe(s.outcome);
  expect(Object.fromEntries([...world.incidents].map(([k, i]) => [k, i.status]))).toEqual(s.incidents);
  expect(world.mutations).toBe(s.mutations);
  expect(notificationsOf(world, 'approval-request')).toHaveLength(1);
  expect(notificationsOf(world, 'escalation').map((n) => n.reason)).toEqual(s.outcome === 'approval-timeout' ? ['approval-timeout'] : []);
}

describe('approval escalation chain (replayed)', () => {
  for (const s of scenarios) {
    describe(s.name, () => {
      it('ends as expected, each level paged to its receivers at its delay', async () => {
        const world = newWorld();
        const h = remediationHarness(world, remediationInput({ approval: APPROVAL }), s.events);
        const r = await h.run();
        expect(r.status, r.error).toBe('completed');
        check(s, world, r.output as RemediationOutput);
        for (const [k, i] of world.incidents) {
          expect(i.triggers).toBe(1);
          expect(i.receivers).toEqual(APPROVAL.escalation![Number(k.slice(-1))]!.receivers);
        }
        const firedAt = h.store.history.filter((e) => e.EventType === 10).map((e) => e['FireAt']);
        if (s.incidents[key(0)]) expect(firedAt).toContain('2025-01-01T00:15:04.000Z'); // 15 minutes after the request
        expect((await h.replay()).newActions).toEqual([]);
      });

      it('crash after every step: same end, one incident per level, never paged twice', async () => {
        const worlds: World[] = [];
        const { points } = await forEachCrashPoint(
          () => {
            const w = newWorld();
            worlds.push(w);
            return remediationHarness(w, remediationInput({ approval: APPROVAL }), s.events);
          },
          (_h, r) => {
            const world = worlds.at(-1)!;
            expect(r.status).toBe('completed');
            check(s, world, r.output as RemediationOutput);
            // A crash between an activity and its recorded result re-runs it: the same dedup key, so still one incident.
            expect(world.incidents.size).toBe(Object.keys(s.incidents).length);
          },
        );
        expect(points).toBeGreaterThan(5);
      }, 180_000);
    });
  }

  it('the levels come from paging.escalation in ops.yaml, in seconds, with their receivers', () => {
    const cfg = parseConfig(`version: 1
clusters: [{name: aks-prod, kubeContext: aks-prod}]
approvals: {timeout: 40m}
paging:
  receivers: [{name: pd, type: pagerduty, routingKeySetting: PD_KEY}, {name: og, type: opsgenie, apiKeySetting: OG_KEY}]
  escalation: [{after: 15m, receivers: [pd]}, {after: 35m, receivers: [og]}]
`);
    expect(approvalPolicy(cfg, RUNBOOKS['drain-node']!, DEPLOYMENT, undefined)).toMatchObject({
      required: true,
      timeoutSeconds: 2400,
      escalation: [
        { afterSeconds: 900, receivers: ['pd'] },
        { afterSeconds: 2100, receivers: ['og'] },
      ],
    });
  });
});
