// Each secret's next due date and last result (src/rotation/schedule.ts): from validityDays, the
// rotation window and the rotations' result rows in the audit; the same boundary as the sweep.
import { describe, expect, it } from 'vitest';
import { secretSchedule } from '../../src/rotation/schedule.js';
import { sweepDecision } from '../../src/rotation/model.js';
import type { AuditRecord } from '../../src/domain/types.js';

const secret = { name: 'redis-password', strategy: 'random', validityDays: 90 };
const WINDOW = 30 * 86400;
const row = (at: string, result: string, over: Partial<AuditRecord> = {}): AuditRecord => ({
  id: `rotation-redis-password-${at}:result`,
  at,
  kind: 'result',
  actor: 'sweep',
  instanceId: `rotation-redis-password-${at}`,
  runbook: 'secret-rotation',
  target: 'keyvault/redis-password',
  result,
  ...over,
});

describe('secret schedule', () => {
  it('is due validityDays - window after the last successful rotation; the last result is the newest run', () => {
    const rows = [
      row('2026-01-10T06:00:00.000Z', 'rotated'),
      row('2026-02-01T06:00:00.000Z', 'rolled-back', { detail: 'verify failed; restored as v7' }),
      row('2025-12-01T06:00:00.000Z', 'rotated'),
      // Not this secret's result rows: another secret, the notify row of the same run, another job.
      row('2026-02-02T06:00:00.000Z', 'rotated', { target: 'keyvault/pg-password' }),
      row('2026-02-03T06:00:00.000Z', 'failed', { id: 'rotation-redis-password-x:notify' }),
      row('2026-02-04T06:00:00.000Z', 'rotated', { runbook: 'drain-node' }),
    ];
    const s = secretSchedule(secret, WINDOW, rows, new Date('2026-02-05T00:00:00Z'));
    expect(s).toMatchObject({
      name: 'redis-password',
      last: { at: '2026-02-01T06:00:00.000Z', result: 'rolled-back', detail: 'verify failed; restored as v7' },
      lastRotatedAt: '2026-01-10T06:00:00.000Z',
      nextDue: '2026-03-11T06:00:00.000Z', // 10 Jan + 90 d = 10 Apr expiry; 30 d before
      due: 'scheduled',
    });
    expect(s.why).toContain('valid 90 days, rotated 30 days before expiry');
  });

  it('says due now on the same boundary the sweep uses, and unknown without a rotation in the audit', () => {
    const rows = [row('2026-01-10T06:00:00.000Z', 'rotated')];
    const at = (iso: string) => secretSchedule(secret, WINDOW, rows, new Date(iso)).due;
    expect(at('2026-03-11T05:59:59.999Z')).toBe('scheduled');
    expect(at('2026-03-11T06:00:00.000Z')).toBe('now');
    // The sweep, given the version this rotation wrote (expiry = rotation + 90 d), agrees at both instants.
    const version = { name: 'redis-password', version: 'v8', tags: {}, expiresOn: '2026-04-10T06:00:00.000Z' };
    expect(sweepDecision(version, 90, new Date('2026-03-11T05:59:59.999Z'), WINDOW).due).toBe(false);
    expect(sweepDecision(version, 90, new Date('2026-03-11T06:00:00.000Z'), WINDOW).due).toBe(true);
    const none = secretSchedule(secret, WINDOW, [row('2026-01-10T06:00:00.000Z', 'failed')], new Date('2026-02-05T00:00:00Z'));
    expect(none).toMatchObject({ nextDue: null, due: 'unknown', lastRotatedAt: null, last: { result: 'failed' } });
    expect(none.why).toMatch(/aksops secrets status/);
  });
});
