// A simulated week of alerts (Monday 7 to Sunday 13 December 2026, every 30 minutes, two
// namespaces, warning and critical) against a config with business hours in Europe/London, one
// maintenance window (TimescaleDB upgrade, Saturday 02:00-04:00) and one freeze (Thursday 18:00 to
// Friday 18:00). Each alert goes through the real windowGate activity logic (which writes the
// audit) and the notification router; the expected answer is computed here from the rules as
// docs/windows.md states them, on London wall-clock time read with Intl (not luxon).
import { describe, expect, it } from 'vitest';
import { windowsSchema } from '../../src/config/windows-schema.js';
import { pagingSchema } from '../../src/config/paging-schema.js';
import { windowGate } from '../../src/windows/gate-activity.js';
import { route } from '../../src/notify/routing.js';
import type { AuditRecord } from '../../src/domain/types.js';

const windows = windowsSchema.parse({
  timeIntervals: [
    { name: 'tsdb-upgrade', time_intervals: [{ weekdays: ['saturday'], times: [{ start_time: '02:00', end_time: '04:00' }], location: 'Europe/London' }] },
    { name: 'release-freeze', dated: [{ from: '2026-12-10T18:00', to: '2026-12-11T18:00', location: 'Europe/London' }] },
    { name: 'office', time_intervals: [{ weekdays: ['monday:friday'], times: [{ start_time: '09:00', end_time: '17:30' }], location: 'Europe/London' }] },
  ],
  policies: [
    { name: 'tsdb-upgrade', kind: 'maintenance', intervals: ['tsdb-upgrade'], scope: { namespaces: ['timescaledb'] }, maxWait: '3h' },
    { name: 'release-freeze', kind: 'freeze', intervals: ['release-freeze'] },
  ],
  businessHours: { intervals: ['office'] },
});
const paging = pagingSchema.parse({
  receivers: [{ name: 'pd', type: 'pagerduty', routingKeySetting: 'PD' }],
  routes: { critical: ['pd'], chat: ['teams'], digest: ['teams'] },
});

const fmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hourCycle: 'h23',
  weekday: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
});
function london(t: Date) {
  const p = Object.fromEntries(fmt.formatToParts(t).map((x) => [x.type, x.value]));
  return { wd: p['weekday']!, day: Number(p['day']), minutes: Number(p['hour']) * 60 + Number(p['minute']) };
}

/** docs/windows.md, "what happens to an alert": the expected gate decision and routing. */
function expected(t: Date, ns: string, severity: 'warning' | 'critical') {
  const l = london(t);
  const inMaint = ns === 'timescaledb' && l.wd === 'Sat' && l.minutes >= 120 && l.minutes < 240;
  const inFreeze = t >= new Date('2026-12-10T18:00:00Z') && t < new Date('2026-12-11T18:00:00Z'); // December: London is on GMT
  const decision = inMaint ? 'wait' : inFreeze ? 'approval' : 'proceed';
  const inHours = !['Sat', 'Sun'].includes(l.wd) && l.minutes >= 540 && l.minutes < 1050;
  const routing = severity === 'critical' ? 'page' : inHours ? 'chat' : 'digest';
  return { decision, routing };
}

describe('a simulated week of alerts', () => {
  it('every decision is what the docs say, and every window decision is in the audit', async () => {
    const audit = new Map<string, AuditRecord>();
    const env = {
      windows: () => windows,
      adhoc: async () => [],
      holidays: async () => ({}),
      audit: async (rs: AuditRecord[]) => rs.forEach((r) => audit.set(r.id, r)),
    };
    const counts: Record<string, number> = {};
    let n = 0;
    for (let t = Date.parse('2026-12-07T00:00:00Z'); t < Date.parse('2026-12-14T00:00:00Z'); t += 30 * 60_000) {
      for (const [ns, severity] of [
        ['timescaledb', 'critical'],
        ['backend', 'warning'],
        ['timescaledb', 'warning'],
      ] as const) {
        const at = new Date(t);
        const id = `rem-${n++}`;
        const v = await windowGate(env, {
          instanceId: id,
          action: 'restart-pod',
          scope: { cluster: 'ms5-prod', namespace: ns, job: 'remediation' },
          at: at.toISOString(),
        });
        const r = route(paging, windows, severity, at);
        const want = expected(at, ns, severity);
        const got = { decision: v.decision, routing: r.page.length > 0 ? 'page' : r.digestAt ? 'digest' : 'chat' };
        expect(got, `${at.toISOString()} ${ns} ${severity}`).toEqual(want);
        counts[`${want.decision}/${want.routing}`] = (counts[`${want.decision}/${want.routing}`] ?? 0) + 1;
        const row = [...audit.values()].find((a) => a.instanceId === id);
        if (want.decision === 'proceed') expect(row).toBeUndefined();
        else {
          expect(row).toMatchObject({ kind: 'decision', decision: `window-${want.decision}`, at: at.toISOString() });
          if (want.decision === 'wait') {
            expect(row!.result).toMatch(/^suppressed \(maintenance tsdb-upgrade\): waiting until 2026-12-12T04:00:00.000Z$/);
            expect(v.retryAt).toBe('2026-12-12T04:00:00.000Z');
          } else expect(row!.result).toBe('freeze release-freeze: automated actions need an approval');
        }
        if (want.routing === 'digest') expect(Date.parse(r.digestAt!)).toBeGreaterThan(t);
      }
    }
    // The week really exercised every case: 4 maintenance half-hours x 2 timescaledb alerts, a 24h freeze.
    expect(counts['wait/page']).toBe(4);
    expect(counts['wait/digest']).toBe(4);
    expect((counts['approval/page'] ?? 0) + (counts['approval/chat'] ?? 0) + (counts['approval/digest'] ?? 0)).toBe(48 * 3);
    expect(counts['proceed/chat']).toBeGreaterThan(0);
    expect(audit.size).toBe(8 + 48 * 3);
  });
});
