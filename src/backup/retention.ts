// Grandfather-father-son retention, pure. The rules are restic's `forget --keep-*` semantics
// (restic internal/restic/snapshot_policy.go ApplyPolicy), which SREs already know:
//   keepLast N   the N newest complete backups;
//   daily D      for the last D days that have a backup, the newest backup of each day;
//   weekly W     the same per ISO week; monthly M per calendar month; yearly Y per year.
// Periods are UTC. A backup kept by any rule stays; the reasons are reported. On top of restic:
//   - the newest complete backup is never expired, whatever the policy says;
//   - incomplete backups (no manifest) never count toward a rule; they expire once older than
//     `incompleteAfterSeconds` (a running backup is younger than that), never before.

export interface RetentionPolicy {
  keepLast: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
  /** Incomplete backups older than this (seconds) are deleted. */
  incompleteAfterSeconds: number;
}

export interface BackupRef {
  backupId: string;
  /** ISO time the backup started (its slot time for scheduled backups). */
  startedAt: string;
  /** Has a manifest (the completion marker). */
  complete: boolean;
}

export interface RetentionDecision {
  keep: Array<{ backupId: string; reasons: string[] }>;
  expire: Array<{ backupId: string; reason: string }>;
}

type Rule = 'last' | 'daily' | 'weekly' | 'monthly' | 'yearly';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO 8601 week of a UTC date: "2025-W01" (the week with the year's first Thursday is week 1). */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7; // Monday 1 ... Sunday 7
  t.setUTCDate(t.getUTCDate() + 4 - day); // the Thursday of this week decides the year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${pad(week)}`;
}

function periodKey(rule: Rule, d: Date, id: string): string {
  switch (rule) {
    case 'last':
      return id;
    case 'daily':
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    case 'weekly':
      return isoWeek(d);
    case 'monthly':
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
    case 'yearly':
      return String(d.getUTCFullYear());
  }
}

function timeOf(b: BackupRef): number {
  const t = Date.parse(b.startedAt);
  if (Number.isNaN(t)) throw new RangeError(`backup ${b.backupId}: startedAt "${b.startedAt}" is not a time`);
  return t;
}

/** Newest first; ties broken by ID (descending) so the order never depends on input order. */
function newestFirst(a: BackupRef, b: BackupRef): number {
  return timeOf(b) - timeOf(a) || (a.backupId < b.backupId ? 1 : a.backupId > b.backupId ? -1 : 0);
}

export function evaluateRetention(backups: BackupRef[], policy: RetentionPolicy, now: Date): RetentionDecision {
  for (const k of ['keepLast', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    if (!Number.isInteger(policy[k]) || policy[k] < 0) throw new RangeError(`retention.${k} must be a whole number >= 0, got ${policy[k]}`);
  }
  const seen = new Set<string>();
  for (const b of backups) {
    if (seen.has(b.backupId)) throw new RangeError(`backup ${b.backupId} is listed twice`);
    seen.add(b.backupId);
  }
  const complete = backups.filter((b) => b.complete).sort(newestFirst);
  const reasons = new Map<string, string[]>();
  const keep = (id: string, why: string) => {
    const r = reasons.get(id) ?? [];
    r.push(why);
    reasons.set(id, r);
  };
  const budget: Record<Rule, number> = { last: policy.keepLast, daily: policy.daily, weekly: policy.weekly, monthly: policy.monthly, yearly: policy.yearly };
  const lastKey: Partial<Record<Rule, string>> = {};
  for (const b of complete) {
    const d = new Date(timeOf(b));
    for (const rule of ['last', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
      if (budget[rule] <= 0) continue;
      const key = periodKey(rule, d, b.backupId);
      if (key === lastKey[rule]) continue;
      lastKey[rule] = key;
      budget[rule] -= 1;
      keep(b.backupId, rule === 'last' ? 'last' : `${rule} ${key}`);
    }
  }
  const newest = complete[0];
  if (newest && !reasons.has(newest.backupId)) keep(newest.backupId, 'newest complete backup');

  const decision: RetentionDecision = { keep: [], expire: [] };
  for (const b of [...backups].sort(newestFirst)) {
    if (b.complete) {
      const r = reasons.get(b.backupId);
      if (r) decision.keep.push({ backupId: b.backupId, reasons: r });
      else decision.expire.push({ backupId: b.backupId, reason: 'not kept by any retention rule' });
      continue;
    }
    const ageSeconds = (now.getTime() - timeOf(b)) / 1000;
    if (ageSeconds > policy.incompleteAfterSeconds)
      decision.expire.push({ backupId: b.backupId, reason: `incomplete (no manifest) for more than ${policy.incompleteAfterSeconds}s` });
    else decision.keep.push({ backupId: b.backupId, reasons: ['incomplete, may still be running'] });
  }
  return decision;
}
