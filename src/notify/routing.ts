// Where a message goes, by severity and the time of day (docs/windows.md#paging). Pure.
//   critical            page paging.routes.critical at once (any time), and tell chat
//   warning, in hours   chat (paging.routes.chat, default every notification target)
//   warning, out of hrs wait for the morning: the digest at the next business-hours start
//   info                chat in hours; out of hours, the digest
// Escalation: nobody approved within paging.escalation[i].after of the request -> page level i.
import type { PagingConfig } from '../config/paging-schema.js';
import type { WindowsConfig } from '../config/windows-schema.js';
import { parseDuration } from '../domain/duration.js';
import { businessHours, type HolidayDates } from '../windows/policy.js';

export interface Route {
  /** Paging receivers to trigger now. */
  page: string[];
  /** Chat targets (notifications[].name) to send to now; null = every configured target. */
  chat: string[] | null;
  /** Out of hours: held for the digest at this instant (ISO), to these chat targets (null = all). */
  digestAt?: string;
  digest?: string[] | null;
  why: string;
}

export function route(
  paging: PagingConfig | undefined,
  windows: WindowsConfig | undefined,
  severity: 'critical' | 'warning' | 'info',
  at: Date,
  extra?: HolidayDates,
): Route {
  const chat = paging?.routes.chat ?? null;
  if (severity === 'critical') return { page: paging?.routes.critical ?? [], chat, why: 'critical: paged at once' };
  const h = businessHours(windows, at, extra);
  if (h.inHours) return { page: [], chat, why: `${severity} in business hours: chat` };
  return {
    page: [],
    chat: [],
    digestAt: h.nextStart ?? at.toISOString(),
    digest: paging?.routes.digest ?? chat,
    why: `${severity} out of hours: morning digest at ${h.nextStart ?? 'once business hours are configured'}`,
  };
}

/** The escalation levels due `elapsedSeconds` after an approval was requested (in order). */
export function escalationDue(paging: PagingConfig | undefined, elapsedSeconds: number): { level: number; receivers: string[]; after: string }[] {
  return (paging?.escalation ?? [])
    .map((e, level) => ({ level, receivers: e.receivers, after: e.after, s: parseDuration(e.after)! }))
    .filter((e) => e.s <= elapsedSeconds)
    .map(({ level, receivers, after }) => ({ level, receivers, after }));
}
