// Each secret's last rotation and next due date, for the console's Rotations page (GET
// /api/overview): from the config (validityDays, rotation.window) and the rotations' result rows in
// the audit. Pure. A rotation writes the new version with an expiry validityDays after it, and the
// daily sweep rotates a secret once its expiry is inside the window (dueAt, src/rotation/model.ts),
// so the next due date is the last successful rotation + validityDays - window. It is read from the
// audit, not Key Vault: the rotation's end is a few minutes (or an approval wait) after the version
// was written, so Key Vault's expiry can come that much earlier; `aksops secrets status` reads it.
import type { AuditRecord } from '../domain/types.js';
import { dueAt } from './model.js';

/** How far back GET /api/overview reads rotation results (the audit query allows 92 days). */
export const ROTATION_LOOKBACK = '91d';

export interface RotationRun {
  at: string;
  result: string;
  instanceId: string;
  detail?: string;
}

export interface SecretSchedule {
  name: string;
  strategy: string;
  /** The newest rotation's outcome (rotated, rolled-back, failed, dry-run, ...), or null. */
  last: RotationRun | null;
  lastRotatedAt: string | null;
  nextDue: string | null;
  due: 'now' | 'scheduled' | 'unknown';
  why: string;
}

const DAY_MS = 86_400_000;

/** The rotation result rows (audit id `<instance>:result`) of one secret, newest first. */
function runsOf(name: string, records: readonly AuditRecord[]): RotationRun[] {
  const target = `keyvault/${name}`.toLowerCase();
  return records
    .filter((r) => r.runbook === 'secret-rotation' && r.id.endsWith(':result') && r.target?.toLowerCase() === target)
    .map((r) => ({ at: r.at, result: r.result ?? 'unknown', instanceId: r.instanceId ?? '', ...(r.detail ? { detail: r.detail } : {}) }))
    .sort((a, b) => b.at.localeCompare(a.at));
}

export function secretSchedule(
  secret: { name: string; strategy: string; validityDays: number },
  windowSeconds: number,
  records: readonly AuditRecord[],
  now: Date,
): SecretSchedule {
  const runs = runsOf(secret.name, records);
  const rotated = runs.find((r) => r.result === 'rotated');
  const base = { name: secret.name, strategy: secret.strategy, last: runs[0] ?? null, lastRotatedAt: rotated?.at ?? null };
  if (!rotated)
    return {
      ...base,
      nextDue: null,
      due: 'unknown',
      why: `no successful rotation in the audit of the last ${ROTATION_LOOKBACK}: the daily sweep decides from the expiry in Key Vault (aksops secrets status)`,
    };
  const next = new Date(dueAt(Date.parse(rotated.at) + secret.validityDays * DAY_MS, windowSeconds));
  const due = next.getTime() <= now.getTime() ? 'now' : 'scheduled';
  return {
    ...base,
    nextDue: next.toISOString(),
    due,
    why:
      due === 'now'
        ? `rotated ${rotated.at}; its ${secret.validityDays}-day version is inside the rotation window: the next daily sweep rotates it`
        : `rotated ${rotated.at}; valid ${secret.validityDays} days, rotated ${windowSeconds / 86400} days before expiry`,
  };
}
