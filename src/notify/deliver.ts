// The notify activity's logic: pick the configured targets that want this kind of message
// (notifications[].events, and the rule's notify list), read each target's webhook URL from
// the app setting its urlSetting names, build the Teams or Slack payload and send it with
// retries. A failed delivery is logged and reported, never thrown: notifications never block
// or fail a remediation. The URL never leaves this function (not in logs, results or audit).
import type { CompiledConfig } from '../config/load.js';
import type { NotifyInput } from '../domain/types.js';
import { buildMessage } from './message.js';
import { postJson, type SendOptions, type SendResult } from './sender.js';
import { slackPayload } from './slack.js';
import { teamsPayload } from './teams.js';

export interface DeliveryReport {
  target: string;
  type: 'teams' | 'slack' | 'pagerduty' | 'opsgenie';
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
    const url = deps.secret(t.urlSetting);
    let r: SendResult;
    if (!url) r = { ok: false, attempts: 0, error: `app setting ${t.urlSetting} is not set` };
    else if (!/^https?:\/\//i.test(url)) r = { ok: false, attempts: 0, error: `app setting ${t.urlSetting} is not an http(s) URL` };
    else r = await postJson(url, t.type === 'teams' ? teamsPayload(message) : slackPayload(message), deps.send);
    const report: DeliveryReport = { target: t.name, type: t.type, ok: r.ok, attempts: r.attempts, ...(r.status !== undefined ? { status: r.status } : {}), ...(r.error ? { error: r.error } : {}) };
    reports.push(report);
    if (r.ok) deps.delivered?.add(key);
    deps.log?.(r.ok ? 'info' : 'warn', `notification ${n.kind} ${n.reason} for run ${n.instanceId} to ${t.name} (${t.type}): ${r.ok ? `delivered (HTTP ${r.status})` : `not delivered after ${r.attempts} attempts: ${r.error}`}`);
  }
  return reports;
}
