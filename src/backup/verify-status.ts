// The last verification of each backup, scheduled or on demand, for the Backups list: read from
// the audit's result rows that backupVerification writes (runbook 'backup-verify', decision
// 'verify', target <cluster>/backup/<id>; orchestrations/backup.ts). Pure.
import type { AuditRecord } from '../domain/types.js';
import type { BackupListing } from './catalog.js';

/** How far back the list looks for verifications: the audit query's widest window. */
export const VERIFY_LOOKBACK = '91d';

export interface LastVerification {
  ok: boolean;
  at: string;
  /** The verdict text (src/backup/verify-verdict.ts). */
  reason: string;
  /** Who asked: 'timer' for the schedule, else the proven caller. */
  by: string;
}

export type BackupWithVerification = BackupListing & { lastVerification?: LastVerification };

/** Each backup with its newest verification among `rows`, when there is one. */
export function withLastVerification(backups: readonly BackupListing[], rows: readonly AuditRecord[]): BackupWithVerification[] {
  const latest = new Map<string, LastVerification>();
  for (const r of rows) {
    if (r.kind !== 'result' || r.runbook !== 'backup-verify' || r.target === undefined) continue;
    if (r.result !== 'verified' && r.result !== 'verify-failed') continue;
    const seen = latest.get(r.target);
    if (seen && seen.at >= r.at) continue;
    latest.set(r.target, { ok: r.result === 'verified', at: r.at, reason: r.detail ?? '', by: r.actor });
  }
  return backups.map((b) => {
    const v = latest.get(`${b.cluster}/backup/${b.backupId}`);
    return v ? { ...b, lastVerification: v } : { ...b };
  });
}
