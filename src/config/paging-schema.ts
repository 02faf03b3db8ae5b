// The `paging` section of ops.yaml (docs/windows.md#paging): receivers that page people
// (PagerDuty Events API v2, Opsgenie Alert API), the routes by severity and business hours, and
// the escalation chain. Credentials are app setting NAMES, never values.
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';

const setting = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an app setting name. Fix: e.g. PAGERDUTY_ROUTING_KEY' });
const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and "-". Fix: e.g. pagerduty-primary' });
const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, { message: 'is not a duration. Fix: e.g. 15m' });

const receiverSchema = z.discriminatedUnion('type', [
  z.strictObject({
    name,
    type: z.literal('pagerduty'),
    /** App setting holding the Events API v2 integration (routing) key. */
    routingKeySetting: setting,
    /** Events API endpoint; default https://events.pagerduty.com/v2/enqueue (EU: https://events.eu.pagerduty.com/v2/enqueue). */
    url: z.url({ protocol: /^https?$/ }).default('https://events.pagerduty.com/v2/enqueue'),
  }),
  z.strictObject({
    name,
    type: z.literal('opsgenie'),
    /** App setting holding the Opsgenie API integration key. */
    apiKeySetting: setting,
    /** Alert API base; default https://api.opsgenie.com (EU: https://api.eu.opsgenie.com). */
    url: z.url({ protocol: /^https?$/ }).default('https://api.opsgenie.com'),
  }),
]);

export const pagingSchema = z.strictObject({
  receivers: z.array(receiverSchema).default([]),
  routes: z
    .strictObject({
      /** Critical: paged at once, any time. */
      critical: z.array(z.string()).default([]),
      /** Warnings in business hours go to these chat targets (notifications[].name); default all. */
      chat: z.array(z.string()).optional(),
      /** Warnings out of hours wait for the next business-hours start and go to these chat targets in one digest. */
      digest: z.array(z.string()).optional(),
    })
    .default({ critical: [] }),
  /** Nobody approved within `after` of the request: page these receivers (levels in order). */
  escalation: z.array(z.strictObject({ after: duration, receivers: z.array(z.string()).min(1) })).default([]),
});

export type PagingConfig = z.output<typeof pagingSchema>;
export type PagingReceiver = PagingConfig['receivers'][number];

export function checkPaging(p: PagingConfig, notifications: ReadonlySet<string>, approvalTimeout?: string): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const names = new Set<string>();
  p.receivers.forEach((r, i) => {
    if (names.has(r.name))
      issues.push({ path: ['paging', 'receivers', i, 'name'], message: `"${r.name}" is used twice. Fix: give each receiver its own name` });
    names.add(r.name);
  });
  const known = (n: string, path: (string | number)[]) => {
    if (!names.has(n))
      issues.push({ path, message: `"${n}" is not a paging receiver. Fix: use one of ${[...names].join(', ') || '(none: add paging.receivers)'}` });
  };
  p.routes.critical.forEach((n, j) => known(n, ['paging', 'routes', 'critical', j]));
  for (const k of ['chat', 'digest'] as const) {
    p.routes[k]?.forEach((n, j) => {
      if (!notifications.has(n))
        issues.push({
          path: ['paging', 'routes', k, j],
          message: `"${n}" is not a notification target (notifications[].name). Fix: use one of ${[...notifications].join(', ') || '(none configured)'}`,
        });
    });
  }
  let last = 0;
  p.escalation.forEach((e, i) => {
    e.receivers.forEach((n, j) => known(n, ['paging', 'escalation', i, 'receivers', j]));
    const s = parseDuration(e.after)!;
    if (s <= last)
      issues.push({
        path: ['paging', 'escalation', i, 'after'],
        message: 'must be later than the level before. Fix: list levels in increasing order, e.g. 15m, 30m',
      });
    const timeout = approvalTimeout ? parseDuration(approvalTimeout) : null;
    if (timeout && s >= timeout)
      issues.push({
        path: ['paging', 'escalation', i, 'after'],
        message: `is not before approvals.timeout (${approvalTimeout}): this level would never page. Fix: lower it or raise approvals.timeout`,
      });
    last = s;
  });
  return issues;
}
