// The notify activity, free of the Functions framework: escalations and approval requests are
// recorded in the audit log, every message goes to the configured Teams/Slack targets.
// Delivery failures are logged and returned, never thrown (a notification never fails a run).
import type { AuditRecord, NotifyInput } from '../domain/types.js';
import { deliverNotification, type DeliverDeps, type DeliveryReport } from './deliver.js';
import { sendPage, type Page } from './paging.js';
import { route } from './routing.js';

export interface NotifyActivityDeps extends DeliverDeps {
  audit: { write(records: AuditRecord[]): Promise<void> };
}

export async function notifyActivity(deps: NotifyActivityDeps, n: NotifyInput): Promise<{ delivered: string[]; failed: Array<{ target: string; error?: string }> }> {
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
  return { delivered: reports.filter((r) => r.ok).map((r) => r.target), failed: reports.filter((r) => !r.ok).map((r) => ({ target: r.target, ...(r.error ? { error: r.error } : {}) })) };
}

/** Critical messages (escalations by default) page paging.routes.critical at once (docs/windows.md#paging); one incident per run and reason. */
async function pageIfCritical(deps: NotifyActivityDeps, n: NotifyInput): Promise<DeliveryReport[]> {
  const severity = n.severity ?? (n.kind === 'escalation' ? 'critical' : 'warning');
  if (severity !== 'critical') return [];
  return pageCritical(deps, { key: `${n.instanceId}:${n.reason}`, action: 'trigger', severity, summary: `${n.runbook} on ${n.target}: ${n.reason}`, source: n.target.split('/')[0] ?? 'aksops', component: 'remediation', detail: n.detail, at: n.at });
}

/** Sends a critical page to every receiver of paging.routes.critical; reports each delivery, never throws for a receiver. */
export async function pageCritical(deps: Pick<NotifyActivityDeps, 'config' | 'secret' | 'send' | 'log'>, p: Page): Promise<DeliveryReport[]> {
  const paging = deps.config.source.paging;
  if (!paging) return [];
  const out: DeliveryReport[] = [];
  for (const name of route(paging, deps.config.source.windows, 'critical', new Date(p.at)).page) {
    const r = paging.receivers.find((x) => x.name === name);
    if (!r) continue;
    const page = await sendPage(r, p, deps.secret, deps.send);
    deps.log?.(page.ok ? 'info' : 'warn', `page ${p.key} to ${r.name} (${r.type}): ${page.ok ? `sent (HTTP ${page.status})` : `not sent after ${page.attempts} attempts: ${page.error}`}`);
    out.push({ target: r.name, type: r.type, ok: page.ok, attempts: page.attempts, ...(page.status !== undefined ? { status: page.status } : {}), ...(page.error ? { error: page.error } : {}) });
  }
  return out;
}
