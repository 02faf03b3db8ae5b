// The morning digest: warnings held out of hours (ops-event.ts queues them with the next
// business-hours start) are sent in one message per target once that time has come. Run by a
// timer (functions/notify.ts) every few minutes; idempotent per day and target: the digest's key
// is its day, target and the hash of the events in it, claimed before sending and marked sent
// after (NotifyStore), so a re-run or an overlapping timer never sends it twice, and a crash
// between claim and mark leaves the items queued for the next run once the claim expires.
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../domain/types.js';
import type { DigestItem } from '../adapters/notify-store.js';
import { sendToTarget } from './deliver.js';
import type { NotificationMessage } from './message.js';
import type { NotifyStoreLike, OpsNotifyDeps } from './ops-event.js';

export interface DigestStoreLike extends NotifyStoreLike {
  due(now: Date): Promise<DigestItem[]>;
  remove(items: DigestItem[]): Promise<void>;
}

export interface DigestReport {
  target: string;
  digestAt: string;
  items: number;
  result: 'sent' | 'failed' | 'already-sent' | 'in-flight' | 'no-such-target';
  error?: string;
}

const MAX_LINES = 50;

export function digestMessage(items: DigestItem[], digestAt: string): NotificationMessage {
  const n = items.length;
  const title = `Morning digest: ${n} warning${n === 1 ? '' : 's'} held out of hours`;
  const steps = items.slice(0, MAX_LINES).map((i) => `${i.at} ${i.title}`);
  if (n > MAX_LINES) steps.push(`... ${n - MAX_LINES} more (aksops audit --decision routed)`);
  const summary = `Raised between ${items[0]?.at ?? digestAt} and ${items.at(-1)?.at ?? digestAt}, sent at the start of business hours (${digestAt}).`;
  return {
    title,
    severity: 'warning',
    summary,
    facts: [{ name: 'Warnings', value: String(n) }],
    steps,
    links: [],
    text: [title, summary, ...steps.map((s) => `- ${s}`)].join('\n'),
  };
}

export function digestKey(target: string, digestAt: string, items: DigestItem[]): string {
  const h = createHash('sha256')
    .update(
      items
        .map((i) => i.key)
        .sort()
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 16);
  return `digest:${digestAt.slice(0, 10)}:${target}:${h}`;
}

/** Sends every digest due at `now`; one report per (digest time, target). */
export async function sendDueDigests(deps: Omit<OpsNotifyDeps, 'store'> & { store: DigestStoreLike }): Promise<DigestReport[]> {
  const now = deps.now();
  const groups = new Map<string, DigestItem[]>();
  for (const item of await deps.store.due(now)) {
    const k = `${item.digestAt}|${item.target}`;
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  const out: DigestReport[] = [];
  for (const items of groups.values()) {
    const { target, digestAt } = items[0]!;
    const key = digestKey(target, digestAt, items);
    const base = { target, digestAt, items: items.length };
    const t = deps.config.source.notifications.find((x) => x.name === target);
    if (!t) {
      // Kept queued (nothing is lost): the target comes back, or someone reads the audit.
      out.push({ ...base, result: 'no-such-target', error: `notification target ${target} is no longer configured; the items stay queued` });
      continue;
    }
    const claim = await deps.store.claim(key, now);
    if (!claim.granted) {
      if (claim.why === 'sent') await deps.store.remove(items);
      out.push({ ...base, result: claim.why === 'sent' ? 'already-sent' : 'in-flight' });
      continue;
    }
    const s = await sendToTarget(deps, t, digestMessage(items, digestAt), key);
    await deps.store.settle(key, s.ok, now);
    if (s.ok) await deps.store.remove(items);
    const record: AuditRecord = {
      id: key,
      at: now.toISOString(),
      kind: 'decision',
      actor: 'timer',
      runbook: 'digest',
      target,
      decision: 'digest-sent',
      result: s.ok ? 'sent' : 'failed',
      detail:
        `${items.length} warning(s) held for ${digestAt} to ${target} (${t.type})${s.ok ? '' : `: not sent (${s.error ?? 'error'}); kept for the next run`}: ${items.map((i) => i.key).join(', ')}`.slice(
          0,
          4000,
        ),
    };
    await deps.audit.write([record]);
    deps.log?.(s.ok ? 'info' : 'warn', `digest ${key}: ${s.ok ? 'sent' : `not sent: ${s.error}`}`);
    out.push({ ...base, result: s.ok ? 'sent' : 'failed', ...(s.error ? { error: s.error } : {}) });
  }
  return out;
}
