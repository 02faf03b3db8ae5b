// The Backups list shows each backup's newest verification from the audit (scheduled or on demand).
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/domain/types.js';
import type { BackupListing } from '../../src/backup/catalog.js';
import { withLastVerification } from '../../src/backup/verify-status.js';

const backup = (cluster: string, backupId: string): BackupListing => ({
  backupId,
  cluster,
  startedAt: '2026-12-01T02:00:00Z',
  complete: true,
  status: 'complete',
});
const row = (target: string, at: string, result: string, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  id: `${target}:${at}`,
  at,
  kind: 'result',
  actor: 'timer',
  runbook: 'backup-verify',
  decision: 'verify',
  target,
  result,
  detail: `${result} at ${at}`,
  ...extra,
});

describe('last verification of each backup', () => {
  const a = backup('ms5-prod', '20261201T020000Z-nightly');
  const b = backup('ms5-prod', '20261202T020000Z-nightly');
  const other = backup('ms5-dev', '20261201T020000Z-nightly');

  it('takes the newest verification of each backup, in any row order, and says who asked', () => {
    const rows = [
      row('ms5-prod/backup/20261201T020000Z-nightly', '2026-12-01T03:00:00Z', 'verified'),
      row('ms5-prod/backup/20261201T020000Z-nightly', '2026-12-03T09:00:00Z', 'verify-failed', { actor: 'user:bob@contoso.com' }),
      row('ms5-prod/backup/20261201T020000Z-nightly', '2026-12-02T03:00:00Z', 'verified'),
    ];
    const [la, lb] = withLastVerification([a, b], rows);
    expect(la!.lastVerification).toEqual({
      ok: false,
      at: '2026-12-03T09:00:00Z',
      reason: 'verify-failed at 2026-12-03T09:00:00Z',
      by: 'user:bob@contoso.com',
    });
    expect(lb).toEqual(b);
    expect(lb).not.toHaveProperty('lastVerification');
  });

  it('matches the cluster too: the same backup ID in another cluster is another backup', () => {
    const [lo] = withLastVerification([other], [row('ms5-prod/backup/20261201T020000Z-nightly', '2026-12-01T03:00:00Z', 'verified')]);
    expect(lo).not.toHaveProperty('lastVerification');
  });

  it('ignores rows that are not verification results', () => {
    const target = 'ms5-prod/backup/20261201T020000Z-nightly';
    const rows = [
      row(target, '2026-12-01T03:00:00Z', 'verified', { kind: 'decision' }),
      row(target, '2026-12-01T03:00:00Z', 'verified', { runbook: 'backup' }),
      row(target, '2026-12-01T03:00:00Z', 'completed'),
      row(target, '2026-12-01T03:00:00Z', 'verified', { target: undefined }),
    ];
    expect(withLastVerification([a], rows)[0]).not.toHaveProperty('lastVerification');
    expect(withLastVerification([a], [row(target, '2026-12-01T03:00:00Z', 'verified', { detail: undefined })])[0]!.lastVerification).toEqual({
      ok: true,
      at: '2026-12-01T03:00:00Z',
      reason: '',
      by: 'timer',
    });
  });
});
