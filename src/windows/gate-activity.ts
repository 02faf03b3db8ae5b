// The windowGate activity's logic: evaluate the one window gate (policy.ts) for an
// orchestration's action at the orchestration's own time, and audit every verdict that is not a
// plain "proceed" (suppressed, waiting, expired, approval, overridden). The verdict is recorded
// in the orchestration's history, so a replay sees the same answer. Idempotent: the audit id is
// derived from the instance, the action and the instant, so a re-run rewrites the same row.
import type { AuditRecord } from '../domain/types.js';
import type { WindowsConfig } from '../config/windows-schema.js';
import { evaluateGate, type AdhocWindow, type GateRequest, type GateVerdict, type HolidayDates } from './policy.js';

export { WINDOW_GATE_ACTIVITY } from './activity-names.js';

export interface WindowGateInput extends GateRequest {
  instanceId: string;
  /** What is about to happen, for the audit: "restart-pod", "budget stage 2", "rotate db-password". */
  action: string;
  /** targetKey or a short scope text, for the audit. */
  target?: string;
}

export interface WindowGateEnv {
  windows(): WindowsConfig | undefined;
  adhoc(): Promise<AdhocWindow[]>;
  holidays(): Promise<HolidayDates>;
  audit(records: AuditRecord[]): Promise<void>;
}

export async function windowGate(env: WindowGateEnv, input: WindowGateInput): Promise<GateVerdict> {
  const [adhoc, holidays] = await Promise.all([env.adhoc(), env.holidays()]);
  const verdict = evaluateGate(env.windows(), adhoc, input, holidays);
  if (verdict.decision !== 'proceed' || verdict.window) {
    await env.audit([
      {
        id: `window:${input.instanceId}:${input.action}:${input.at}`,
        at: input.at,
        kind: 'decision',
        actor: 'orchestration',
        instanceId: input.instanceId,
        ...(input.target ? { target: input.target } : {}),
        decision: `window-${verdict.decision}`,
        result: verdict.reason,
        detail: `${input.scope.job} ${input.action} on ${scopeText(input)}: ${verdict.reason}${verdict.window ? ` (window ${verdict.window.policy}, interval ${verdict.window.interval}, ends ${verdict.window.endsAt ?? 'beyond the look-ahead'})` : ''}`,
      },
    ]);
  }
  // Keep the history small: the active list is for the CLI, not for the orchestration.
  return {
    decision: verdict.decision,
    reason: verdict.reason,
    ...(verdict.retryAt ? { retryAt: verdict.retryAt } : {}),
    ...(verdict.window ? { window: verdict.window } : {}),
    active: [],
  };
}

export function scopeText(r: Pick<GateRequest, 'scope'>): string {
  const s = r.scope;
  return [s.cluster, s.namespace ? `namespace ${s.namespace}` : '', s.nodePool ? `pool ${s.nodePool}` : ''].filter(Boolean).join(' ');
}
