// The notify activity, free of the Functions framework: escalations and approval requests are
// recorded in the audit log, every message goes to the configured Teams/Slack targets.
// Delivery failures are logged and returned, never thrown (a notification never fails a run).
import type { AuditRecord, NotifyInput } from '../domain/types.js';
import { deliverNotification, type DeliverDeps, type DeliveryReport } from './deliver.js';

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
  return { delivered: reports.filter((r) => r.ok).map((r) => r.target), failed: reports.filter((r) => !r.ok).map((r) => ({ target: r.target, ...(r.error ? { error: r.error } : {}) })) };
}
