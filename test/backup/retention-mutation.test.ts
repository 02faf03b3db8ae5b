// Retention behaviours that mutation testing found unguarded (issue #19).
import { describe, expect, it } from 'vitest';
import { evaluateRetention, type BackupRef, type RetentionPolicy } from '../../src/backup/retention.js';

const none: RetentionPolicy = { keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, incompleteAfterSeconds: 3600 };
const NOW = new Date('2026-11-22T12:00:00Z');
const b = (backupId: string, startedAt: string, complete = true): BackupRef => ({ backupId, startedAt, complete });

describe('retention ties and bad times', () => {
  it('keeps the same backup of two with the same startedAt whatever the listing order (higher ID first)', () => {
    const pair = [b('bk-a', '2026-11-22T02:00:00Z'), b('bk-b', '2026-11-22T02:00:00Z')];
    for (const list of [pair, [...pair].reverse()]) {
      const r = evaluateRetention(list, { ...none, daily: 1 }, NOW);
      expect(r.keep).toEqual([{ backupId: 'bk-b', reasons: ['daily 2026-11-22'] }]);
      expect(r.expire).toEqual([{ backupId: 'bk-a', reason: 'not kept by any retention rule' }]);
    }
  });

  it('orders backups of the same startedAt by ID, newest-first, in every listing order', () => {
    const ids = ['bk-a', 'bk-b', 'bk-c'];
    const perms = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const p of perms) {
      const r = evaluateRetention(
        p.map((i) => b(ids[i]!, '2026-11-22T02:00:00Z')),
        { ...none, keepLast: 2 },
        NOW,
      );
      expect(
        r.keep.map((k) => k.backupId),
        p.join(),
      ).toEqual(['bk-c', 'bk-b']);
      expect(
        r.expire.map((k) => k.backupId),
        p.join(),
      ).toEqual(['bk-a']);
    }
  });

  it('refuses a backup whose startedAt is not a time, complete or not, naming it (so nothing is kept or expired by accident)', () => {
    for (const complete of [true, false]) {
      const list = [b('bk-ok', '2026-11-22T02:00:00Z'), b('bk-bad', 'yesterday', complete)];
      expect(() => evaluateRetention(list, none, NOW)).toThrow(RangeError);
      expect(() => evaluateRetention(list, none, NOW)).toThrow('backup bk-bad: startedAt "yesterday" is not a time');
    }
  });

  it('expires an incomplete backup only once older than incompleteAfterSeconds, keeping the newest complete one', () => {
    const list = [b('done', '2026-11-21T00:00:00Z'), b('young', '2026-11-22T11:00:00Z', false), b('old', '2026-11-22T10:59:59Z', false)];
    const r = evaluateRetention(list, none, NOW);
    expect(r.keep).toEqual([
      { backupId: 'young', reasons: ['incomplete, may still be running'] },
      { backupId: 'done', reasons: ['newest complete backup'] },
    ]);
    expect(r.expire).toEqual([{ backupId: 'old', reason: 'incomplete (no manifest) for more than 3600s' }]);
  });

  it('refuses a negative or fractional policy value, naming the key', () => {
    expect(() => evaluateRetention([], { ...none, weekly: -1 }, NOW)).toThrow(new RangeError('retention.weekly must be a whole number >= 0, got -1'));
    expect(() => evaluateRetention([], { ...none, keepLast: 1.5 }, NOW)).toThrow(new RangeError('retention.keepLast must be a whole number >= 0, got 1.5'));
    expect(() => evaluateRetention([b('x', '2026-11-22T00:00:00Z'), b('x', '2026-11-21T00:00:00Z')], none, NOW)).toThrow(
      new RangeError('backup x is listed twice'),
    );
  });
});
