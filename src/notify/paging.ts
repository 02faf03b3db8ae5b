// Paging receivers: PagerDuty Events API v2 (POST {routing_key, event_action trigger|resolve,
// dedup_key, payload{summary, source, severity, timestamp, component, group, class,
// custom_details}} -> 202) and the Opsgenie Alert API (POST /v2/alerts {message, alias,
// description, priority, source, tags, details} with "Authorization: GenieKey <key>" -> 202;
// close: POST /v2/alerts/{alias}/close?identifierType=alias). Shapes from PagerDuty's
// developer docs (events-API-v2) and Opsgenie's Alert API reference.
// The dedup key (PagerDuty) and alias (Opsgenie) are derived from the page's key, so a re-run
// (activity retry, replay, a second failure of the same backup) updates the same incident and
// the resolve closes it. Retries: 429 (Retry-After) and 5xx via postJson. The routing and API
// keys are read from app settings here and never leave this function (not in results, logs,
// errors or audit).
import { createHash } from 'node:crypto';
import type { PagingReceiver } from '../config/paging-schema.js';
import { postJson, type SendOptions, type SendResult } from './sender.js';

export interface Page {
  /** What the incident is about, stable across re-runs: "backup-failed:ms5-prod:nightly", an instance id, ... */
  key: string;
  action: 'trigger' | 'resolve';
  severity: 'critical' | 'warning' | 'info';
  summary: string;
  /** The cluster, or "aksops". */
  source: string;
  /** backup, rotation, budget, remediation, scaling. */
  component: string;
  detail?: string;
  at: string;
}

export interface PageReport {
  receiver: string;
  type: PagingReceiver['type'];
  ok: boolean;
  status?: number;
  attempts: number;
  error?: string;
  dedupKey: string;
}

/** ≤ 255 characters (PagerDuty) and ≤ 512 (Opsgenie alias); no secret goes into it. */
export function dedupKey(key: string): string {
  return `aksops-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export function pagerdutyBody(routingKey: string, p: Page): Record<string, unknown> {
  const dk = dedupKey(p.key);
  if (p.action === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key: dk };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dk,
    payload: {
      summary: p.summary.slice(0, 1024),
      source: p.source,
      severity: p.severity,
      timestamp: p.at,
      component: p.component,
      group: p.source,
      class: p.component,
      custom_details: { detail: p.detail ?? '', key: p.key },
    },
  };
}

const PRIORITY = { critical: 'P1', warning: 'P3', info: 'P5' } as const;

export function opsgenieRequest(base: string, p: Page): { url: string; body: Record<string, unknown> } {
  const alias = dedupKey(p.key);
  const root = base.replace(/\/+$/, '');
  if (p.action === 'resolve')
    return { url: `${root}/v2/alerts/${encodeURIComponent(alias)}/close?identifierType=alias`, body: { source: 'aksops', note: p.summary.slice(0, 25000) } };
  return {
    url: `${root}/v2/alerts`,
    body: {
      message: p.summary.slice(0, 130),
      alias,
      description: (p.detail ?? p.summary).slice(0, 15000),
      priority: PRIORITY[p.severity],
      source: 'aksops',
      tags: [p.component, p.source],
      details: { key: p.key, at: p.at },
    },
  };
}

export async function sendPage(r: PagingReceiver, p: Page, secret: (name: string) => string | undefined, opts: SendOptions = {}): Promise<PageReport> {
  const base = { receiver: r.name, type: r.type, dedupKey: dedupKey(p.key) };
  const settingName = r.type === 'pagerduty' ? r.routingKeySetting : r.apiKeySetting;
  const key = secret(settingName);
  if (!key) return { ...base, ok: false, attempts: 0, error: `app setting ${settingName} is not set` };
  let res: SendResult;
  if (r.type === 'pagerduty') res = await postJson(r.url, pagerdutyBody(key, p), opts);
  else {
    const req = opsgenieRequest(r.url, p);
    res = await postJson(req.url, req.body, { ...opts, headers: { ...opts.headers, authorization: `GenieKey ${key}` } });
  }
  // The answer's text is the receiver's; scrub the key in case an error page echoes the request.
  const error = res.error?.split(key).join('[redacted]');
  return { ...base, ok: res.ok, attempts: res.attempts, ...(res.status !== undefined ? { status: res.status } : {}), ...(error ? { error } : {}) };
}
