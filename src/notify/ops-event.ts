// The app's own failures (a backup, verify or drill that failed, a rotation rolled back, a budget
// stage fired, a scaling fallback) told through the same routing as everything else
// (routing.ts, docs/windows.md#paging): critical pages at once and goes to chat; a warning goes
// to chat in business hours and waits for the morning digest outside them. Each event is sent
// once per key (a claim in the control table, so an activity retry or a second worker does not
// send it again), and every routing decision lands in the audit with the receivers and why.
import type { CompiledConfig } from '../config/load.js';
import type { NotificationTarget } from '../config/schema.js';
import type { AuditRecord } from '../domain/types.js';
import { redactSecrets } from '../domain/redact.js';
import type { Claim, DigestItem } from '../adapters/notify-store.js';
import { pageCritical } from './activity.js';
import { sendToTarget, type DeliverDeps, type DeliveryReport } from './deliver.js';
import type { NotificationMessage } from './message.js';
import { route } from './routing.js';

export interface OpsEvent {
  /** What it is about, stable across re-runs: "backup-failed:ms5-prod:<instance>". Sent once per key. */
  key: string;
  severity: 'critical' | 'warning' | 'info';
  /** backup, backup-verify, restore-drill, rotation, budget, scaling. */
  component: string;
  /** The cluster (or "aksops"). */
  source: string;
  summary: string;
  detail?: string;
  at: string;
  instanceId?: string;
  /** Only these notification targets (e.g. a budget's notify list); absent = what the route names. */
  targets?: string[] | null;
}

export interface NotifyStoreLike {
  claim(key: string, now: Date): Promise<Claim>;
  settle(key: string, ok: boolean, now: Date): Promise<void>;
  enqueue(item: DigestItem): Promise<void>;
}

export interface OpsNotifyDeps extends Pick<DeliverDeps, 'config' | 'secret' | 'send' | 'email' | 'log'> {
  audit: { write(records: AuditRecord[]): Promise<void> };
  store: NotifyStoreLike;
  now(): Date;
}

export interface OpsNotifyReport {
  decision: 'paged' | 'chat' | 'digest-queued' | 'already-sent' | 'in-flight';
  why: string;
  delivered: string[];
  failed: Array<{ target: string; error?: string }>;
  queued: string[];
}

const clean = (s: string, n: number) => redactSecrets(s).slice(0, n);

export function eventMessage(e: OpsEvent): NotificationMessage {
  const title = clean(`${e.severity === 'critical' ? 'Failure' : 'Warning'} (${e.component}): ${e.summary}`, 200);
  const summary = clean(e.detail ?? e.summary, 1500);
  const facts = [
    { name: 'Source', value: e.source },
    { name: 'Component', value: e.component },
    { name: 'At', value: e.at },
    ...(e.instanceId ? [{ name: 'Run', value: e.instanceId }] : []),
  ].map((f) => ({ name: f.name, value: clean(f.value, 300) }));
  return { title, severity: e.severity, summary, facts, steps: [], links: [], text: [title, summary, ...facts.map((f) => `${f.name}: ${f.value}`)].join('\n') };
}

/** The targets a route names (null = every notification target). */
export function targetsNamed(config: CompiledConfig, names: string[] | null | undefined, only?: string[] | null): NotificationTarget[] {
  const all = config.source.notifications.filter((t) => only == null || only.includes(t.name));
  return names == null ? all : all.filter((t) => names.includes(t.name));
}

/** Routes one event: page, chat now, or hold for the digest; audited; sent once per key. Never throws for a receiver. */
export async function notifyOps(deps: OpsNotifyDeps, e: OpsEvent): Promise<OpsNotifyReport> {
  const now = deps.now();
  const claimKey = `event:${e.key}`;
  const claim = await deps.store.claim(claimKey, now);
  const r = route(deps.config.source.paging, deps.config.source.windows, e.severity, new Date(e.at));
  if (!claim.granted)
    return {
      decision: claim.why === 'sent' ? 'already-sent' : 'in-flight',
      why: `${e.key} was ${claim.why === 'sent' ? 'already sent' : 'being sent by another run'}`,
      delivered: [],
      failed: [],
      queued: [],
    };
  const reports: DeliveryReport[] = [];
  if (e.severity === 'critical')
    reports.push(
      ...(await pageCritical(deps, {
        key: e.key,
        action: 'trigger',
        severity: 'critical',
        summary: e.summary,
        source: e.source,
        component: e.component,
        detail: e.detail ?? '',
        at: e.at,
      })),
    );
  const message = eventMessage(e);
  const chat = r.digestAt ? [] : targetsNamed(deps.config, r.chat, e.targets);
  for (const t of chat) {
    const s = await sendToTarget(deps, t, message, `${e.key}|${t.name}`);
    reports.push({
      target: t.name,
      type: t.type,
      ok: s.ok,
      attempts: s.attempts,
      ...(s.status !== undefined ? { status: s.status } : {}),
      ...(s.error ? { error: s.error } : {}),
    });
    deps.log?.(s.ok ? 'info' : 'warn', `${e.component} ${e.severity} ${e.key} to ${t.name} (${t.type}): ${s.ok ? 'delivered' : `not delivered: ${s.error}`}`);
  }
  const queued: string[] = [];
  if (r.digestAt) {
    for (const t of targetsNamed(deps.config, r.digest, e.targets)) {
      await deps.store.enqueue({
        digestAt: r.digestAt,
        target: t.name,
        key: e.key,
        at: e.at,
        severity: e.severity,
        title: message.title,
        summary: message.summary,
      });
      queued.push(t.name);
    }
  }
  const delivered = reports.filter((x) => x.ok).map((x) => x.target);
  const failed = reports.filter((x) => !x.ok).map((x) => ({ target: x.target, ...(x.error ? { error: x.error } : {}) }));
  const paged = reports.filter((x) => x.type === 'pagerduty' || x.type === 'opsgenie').map((x) => x.target);
  const decision = paged.length > 0 ? 'paged' : r.digestAt ? 'digest-queued' : 'chat';
  const detail = [
    r.why,
    paged.length ? `paged: ${paged.join(', ')}` : '',
    chat.length ? `chat: ${chat.map((t) => t.name).join(', ')}` : '',
    queued.length ? `digest at ${r.digestAt}: ${queued.join(', ')}` : '',
    delivered.length ? `delivered: ${delivered.join(', ')}` : '',
    failed.length ? `failed: ${failed.map((f) => `${f.target} (${f.error ?? 'error'})`).join(', ')}` : '',
    `event: ${e.summary}`,
  ]
    .filter(Boolean)
    .join('; ');
  await deps.audit.write([
    {
      id: `notify:${e.key}`,
      at: now.toISOString(),
      kind: 'decision',
      actor: 'orchestration',
      ...(e.instanceId ? { instanceId: e.instanceId } : {}),
      runbook: e.component,
      target: e.source,
      decision: 'routed',
      result: decision,
      detail: clean(detail, 4000),
    },
  ]);
  // Something was delivered or queued (or there was nothing to send): done. Only a total failure is retried by the next run.
  await deps.store.settle(claimKey, delivered.length > 0 || queued.length > 0 || reports.length === 0, now);
  return { decision, why: r.why, delivered, failed, queued };
}
