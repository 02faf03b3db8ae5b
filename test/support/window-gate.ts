// The windowGate activity for replay harnesses: the real activity logic over a given windows
// config (none: every action proceeds), its audit rows collected in `rows`. With it the
// errorBudgetGate activity every job asks after the window (orchestrations/action-gates.ts), here
// with no policy configured (it allows); test/slo/job-gates.replay.test.ts drives real policies.
import type { WindowsConfig } from '../../src/config/windows-schema.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { windowGate, type WindowGateInput } from '../../src/windows/gate-activity.js';
import type { AdhocWindow } from '../../src/windows/policy.js';
import type { OpsConfig } from '../../src/config/schema.js';
import { errorBudgetGateActivity, type ErrorBudgetGateInput } from '../../src/slo/activities.js';

export function windowGateActivity(windows?: WindowsConfig, adhoc: AdhocWindow[] = [], rows: AuditRecord[] = []) {
  return {
    windowGate: (input: WindowGateInput) =>
      windowGate({ windows: () => windows, adhoc: async () => adhoc, holidays: async () => ({}), audit: async (r) => void rows.push(...r) }, input),
    errorBudgetGate: (input: ErrorBudgetGateInput) => errorBudgetGateActivity({ config: {} as OpsConfig, store: { all: async () => new Map() } }, input),
  };
}
