// Which outcomes of the app's own jobs are worth telling someone, as OpsEvents for notifyOps
// (ops-event.ts): one mapping per job, from what the job already records (its result audit
// row, the rotation's notify input, a budget notification, a pool's forecast). Pure.
//   backup failed                        critical   backup-failed:<instance>
//   backup partial (some parts failed)   warning    backup-partial:<instance>
//   verify found mismatches / failed     critical   verify-failed:<instance>
//   restore drill failed                 critical   drill-failed:<instance>
//   rotation rolled back / failed        critical   rotation-<outcome>:<instance> (with warnings: warning)
//   budget stage fired                   warning    budget-stage:<notification id>
//   budget enforcement failed            critical   budget-failure:<notification id>
//   scaling fell back from enforce       warning    scaling-fallback:<cluster>/<pool>:<UTC day>
import type { AuditRecord } from '../domain/types.js';
import type { BudgetNotifyInput } from '../budget/types.js';
import type { OpsEvent } from './ops-event.js';

const cluster = (target: string | undefined) => (target ?? '').split('/')[0] || 'aksops';

/** The result row a backup, verify or restore-drill orchestration writes (WRITE_AUDIT_ACTIVITY). */
export function eventFromJobResult(r: AuditRecord): OpsEvent | null {
  if (r.kind !== 'result' || !r.instanceId) return null;
  const base = { source: cluster(r.target), at: r.at, instanceId: r.instanceId, detail: r.detail ?? '' };
  if (r.decision === 'backup' && r.result === 'failed')
    return { ...base, key: `backup-failed:${r.instanceId}`, severity: 'critical', component: 'backup', summary: `backup ${r.target ?? ''} failed` };
  if (r.decision === 'backup' && r.result === 'partial')
    return {
      ...base,
      key: `backup-partial:${r.instanceId}`,
      severity: 'warning',
      component: 'backup',
      summary: `backup ${r.target ?? ''} is partial: some parts failed`,
    };
  if (r.decision === 'verify' && r.result === 'verify-failed')
    return {
      ...base,
      key: `verify-failed:${r.instanceId}`,
      severity: 'critical',
      component: 'backup-verify',
      summary: `verification of ${r.target ?? ''} failed`,
    };
  if (r.decision === 'restore-drill' && r.result === 'failed')
    return {
      ...base,
      key: `drill-failed:${r.instanceId}`,
      severity: 'critical',
      component: 'restore-drill',
      summary: `restore drill of ${r.target ?? ''} failed`,
    };
  return null;
}

/** A rotation that did not end rotated (the orchestration calls its notify activity only then). */
export function eventFromRotation(n: { instanceId: string; at: string; secretName: string; outcome: string; detail: string }): OpsEvent | null {
  if (['rotated', 'dry-run', 'stale', 'rejected', 'skipped'].includes(n.outcome)) return null;
  const what = n.outcome === 'rolled-back' ? 'was rolled back' : `ended ${n.outcome}`;
  return {
    key: `rotation-${n.outcome}:${n.instanceId}`,
    severity: n.outcome === 'rotated-with-warnings' ? 'warning' : 'critical',
    component: 'rotation',
    source: 'aksops',
    summary: `rotation of secret ${n.secretName} ${what}`,
    detail: n.detail,
    at: n.at,
    instanceId: n.instanceId,
  };
}

/** A budget stage that fired (warning) or an enforcement that failed (critical); other budget messages are not routed here. */
export function eventFromBudget(n: BudgetNotifyInput): OpsEvent | null {
  if (n.mode === 'dry-run' || (n.kind !== 'stage' && n.kind !== 'failure')) return null;
  const critical = n.kind === 'failure';
  return {
    key: `budget-${n.kind}:${n.id}`,
    severity: critical ? 'critical' : 'warning',
    component: 'budget',
    source: `budget/${n.budget}`,
    summary: critical ? `budget ${n.budget} enforcement failed` : `budget ${n.budget} stage ${n.stage ?? ''} fired`,
    detail: [n.summary, ...n.lines.slice(0, 20)].join('\n'),
    at: n.at,
    instanceId: n.instanceId,
    targets: n.targets,
  };
}

/** A pool configured for enforce that runs forecast-only this round (mode.ts says why); once per pool and UTC day. */
export function eventFromScalingFallback(
  plan: { cluster: string; pool: string; mode: string },
  out: { effectiveMode: string; modeReasons: string[] },
  at: string,
): OpsEvent | null {
  if (plan.mode !== 'enforce' || out.effectiveMode === 'enforce') return null;
  return {
    key: `scaling-fallback:${plan.cluster}/${plan.pool}:${at.slice(0, 10)}`,
    severity: 'warning',
    component: 'scaling',
    source: plan.cluster,
    summary: `pool ${plan.cluster}/${plan.pool} fell back from enforce to ${out.effectiveMode}`,
    detail: out.modeReasons.join('; ') || 'no reason recorded',
    at,
  };
}
