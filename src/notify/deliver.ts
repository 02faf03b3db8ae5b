// The notify activity's logic: pick the configured targets that want this kind of message
// (notifications[].events, and the rule's notify list), read each target's webhook URL from
// the app setting its urlSetting names, build the Teams or Slack payload and send it with
// retries; email targets go through Azure Communication Services (email.ts). A failed delivery is logged and reported, never thrown: notifications never block
// or fail a remediation. The URL never leaves this function (not in logs, results or audit).
import type { CompiledConfig } from '../config/load.js';
import type { NotificationTarget } from '../config/schema.js';
import type { NotifyInput } from '../domain/types.js';
import { sendEmail, type EmailDeps } from './email.js';
import { buildMessage, type NotificationMessage } from './message.js';
import { postJson, type SendOptions, type SendResult } from './sender.js';
import { slackPayload } from './slack.js';
import { teamsPayload } from './teams.js';

export interface DeliveryReport {
  target: string;
  type: 'teams' | 'slack' | 'email' | 'pagerduty' | 'opsgenie';
  ok: boolean;
  status?: number;
  attempts: number;
  error?: string;
}

export interface DeliverDeps {
  config: CompiledConfig;
  /** Reads the app setting a target names (readNamedSetting over process.env in the app). */
  secret(name: string): string | undefined;
  publicBaseUrl: string | undefined;
  send?: SendOptions;
  log?(level: 'info' | 'warn', message: string): void;
  /** Ids already delivered in this worker (a retried activity does not send twice). */
  delivered?: Set<string>;
  /** Email targets: the app's credential and SDK options (src/notify/email.ts). */
  email?: Omit<EmailDeps, 'secret'>;
}

/** Sends one message to one target (Teams, Slack or email); `key` makes an email's Operation-Id. Never throws. */
export async function sendToTarget(
  deps: Pick<DeliverDeps, 'secret' | 'send' | 'email'>,
  t: NotificationTarget,
  message: NotificationMessage,
  key: string,
): Promise<SendResult> {
  if (t.type === 'email') return sendEmail(t, message, key, { ...deps.email, secret: deps.secret });
  const url = deps.secret(t.urlSetting);
  if (!url) return { ok: false, attempts: 0, error: `app setting ${t.urlSetting} is not set` };
  if (!/^https?:\/\//i.test(url)) return { ok: false, attempts: 0, error: `app setting ${t.urlSetting} is not an http(s) URL` };
  const r = await postJson(url, t.type === 'teams' ? teamsPayload(message) : slackPayload(message), deps.send);
  // A receiver may echo the request URL in its error page: the URL (its path is the secret) never leaves here.
  return r.error ? { ...r, error: scrubUrl(r.error, url) } : r;
}

function scrubUrl(text: string, url: string): string {
  let path = '';
  try {
    path = new URL(url).pathname;
  } catch {
    // not a URL: the whole value is scrubbed below
  }
  return [url, ...(path.length > 1 ? [path] : [])].reduce((acc, s) => acc.split(s).join('[redacted]'), text);
}

export async function deliverNotification(deps: DeliverDeps, n: NotifyInput): Promise<DeliveryReport[]> {
  const message = buildMessage(n, deps.publicBaseUrl);
  const targets = deps.config.source.notifications.filter((t) => (!n.targets || n.targets.includes(t.name)) && (!t.events || t.events.includes(n.kind)));
  const reports: DeliveryReport[] = [];
  for (const t of targets) {
    const key = `${n.id}|${t.name}`;
    if (deps.delivered?.has(key)) {
      reports.push({ target: t.name, type: t.type, ok: true, attempts: 0 });
      continue;
    }
    const r = await sendToTarget(deps, t, message, key);
    const report: DeliveryReport = {
      target: t.name,
      type: t.type,
      ok: r.ok,
      attempts: r.attempts,
      ...(r.status !== undefined ? { status: r.status } : {}),
      ...(r.error ? { error: r.error } : {}),
    };
    reports.push(report);
    if (r.ok) deps.delivered?.add(key);
    deps.log?.(
      r.ok ? 'info' : 'warn',
      `notification ${n.kind} ${n.reason} for run ${n.instanceId} to ${t.name} (${t.type}): ${r.ok ? `delivered (HTTP ${r.status})` : `not delivered after ${r.attempts} attempts: ${r.error}`}`,
    );
  }
  return reports;
}
