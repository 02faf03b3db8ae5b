// The notify activity, free of the Functions framework: escalations and approval requests are
// recorded in the audit log, every message goes to the configured Teams/Slack targets.
// Delivery failures are logged and returned, never thrown (a notification never fails a run).
import type { AuditRecord, EscalationPageInput, NotifyInput } from '../domain/types.js';
import { redactSecrets } from '../domain/redact.js';
import { deliverNotification, type DeliverDeps, type DeliveryReport } from './deliver.js';
import { sendPage, type Page } from './paging.js';
import { route } from './routing.js';

export interface NotifyActivityDeps extends DeliverDeps {
  audit: { write(records: AuditRecord[]): Promise<void> };
}

export async function notifyActivity(
  deps: NotifyActivityDeps,
  n: NotifyInput,
): Promise<{ delivered: string[]; failed: Array<{ target: string; error?: string }> }> {
  if (n.kind === 'escalation') deps.log?.('warn', `ESCALATION ${n.reason} for ${n.target} (rule ${n.rule}, run ${n.instanceId}): ${n.detail}`);
  if (n.kind !== 'result') {
    await deps.audit.write([
      {
        id: n.id,
        at: n.at,
        kind: 'result',
        actor: 'orchestration',
        instanceId: n.instanceId,
        rule: n.rule,
        runbook: n.runbook,
        target: n.target,
        ...(n.fingerprint ? { fingerprint: n.fingerprint } : {}),
        ...(n.alertname ? { alertname: n.alertname } : {}),
        decision: n.kind === 'escalation' ? 'escalated' : 'approval-requested',
        result: n.reason,
        detail: n.detail,
      },
    ]);
  }
  let reports: DeliveryReport[];
  try {
    reports = await deliverNotification(deps, n);
  } catch (e) {
    deps.log?.('warn', `notification ${n.id} not delivered: ${(e as Error).message}`);
    reports = [];
  }
  reports.push(...(await pageIfCritical(deps, n)));
  return {
    delivered: reports.filter((r) => r.ok).map((r) => r.target),
    failed: reports.filter((r) => !r.ok).map((r) => ({ target: r.target, ...(r.error ? { error: r.error } : {}) })),
  };
}

/** Critical messages (escalations by default) page paging.routes.critical at once (docs/windows.md#paging); one incident per run and reason. */
async function pageIfCritical(deps: NotifyActivityDeps, n: NotifyInput): Promise<DeliveryReport[]> {
  const severity = n.severity ?? (n.kind === 'escalation' ? 'critical' : 'warning');
  if (severity !== 'critical') return [];
  return pageCritical(deps, {
    key: `${n.instanceId}:${n.reason}`,
    action: 'trigger',
    severity,
    summary: `${n.runbook} on ${n.target}: ${n.reason}`,
    source: n.target.split('/')[0] ?? 'aksops',
    component: 'remediation',
    detail: n.detail,
    at: n.at,
  });
}

/** Sends a critical page to every receiver of paging.routes.critical; reports each delivery, never throws for a receiver. */
export async function pageCritical(deps: Pick<NotifyActivityDeps, 'config' | 'secret' | 'send' | 'log'>, p: Page): Promise<DeliveryReport[]> {
  const paging = deps.config.source.paging;
  if (!paging) return [];
  return pageReceivers(deps, route(paging, deps.config.source.windows, 'critical', new Date(p.at)).page, p);
}

/**
 * The escalationPage activity: one level of a waiting approval's escalation chain, triggered when
 * its delay passed, resolved when the run was decided or cancelled. The dedup key is the run and
 * level, so a retried activity or a replay updates the same incident. Audited with the receivers.
 */
export async function escalationPageActivity(
  deps: Pick<NotifyActivityDeps, 'config' | 'secret' | 'send' | 'log' | 'audit'>,
  e: EscalationPageInput,
): Promise<DeliveryReport[]> {
  const reports = await pageReceivers(deps, e.receivers, {
    key: e.key,
    action: e.action,
    severity: 'critical',
    summary: e.summary,
    source: e.source,
    component: 'remediation',
    detail: e.summary,
    at: e.at,
  });
  const sent = reports.filter((r) => r.ok).map((r) => r.target);
  const failed = reports.filter((r) => !r.ok).map((r) => `${r.target} (${r.error ?? 'error'})`);
  await deps.audit.write([
    {
      id: `${e.key}:${e.action}`,
      at: e.at,
      kind: 'decision',
      actor: 'orchestration',
      instanceId: e.instanceId,
      target: e.source,
      decision: e.action === 'trigger' ? 'paged' : 'page-resolved',
      result: failed.length === 0 ? 'sent' : sent.length > 0 ? 'partly-sent' : 'failed',
      detail: redactSecrets(
        `escalation level ${e.level + 1} (paging.escalation[${e.level}]): ${e.summary}; receivers: ${e.receivers.join(', ') || '(none)'}${sent.length ? `; sent: ${sent.join(', ')}` : ''}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
      ).slice(0, 4000),
    },
  ]);
  return reports;
}

async function pageReceivers(deps: Pick<NotifyActivityDeps, 'config' | 'secret' | 'send' | 'log'>, names: string[], p: Page): Promise<DeliveryReport[]> {
  const paging = deps.config.source.paging;
  if (!paging) return [];
  const out: DeliveryReport[] = [];
  for (const name of names) {
    const r = paging.receivers.find((x) => x.name === name);
    if (!r) continue;
    const page = await sendPage(r, p, deps.secret, deps.send);
    deps.log?.(
      page.ok ? 'info' : 'warn',
      `page ${p.key} to ${r.name} (${r.type}): ${page.ok ? `sent (HTTP ${page.status})` : `not sent after ${page.attempts} attempts: ${page.error}`}`,
    );
    out.push({
      target: r.name,
      type: r.type,
      ok: page.ok,
      attempts: page.attempts,
      ...(page.status !== undefined ? { status: page.status } : {}),
      ...(page.error ? { error: page.error } : {}),
    });
  }
  return out;
}
