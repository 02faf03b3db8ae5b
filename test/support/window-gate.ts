// The windowGate activity for replay harnesses: the real activity logic over a given windows
// config (none: every action proceeds), its audit rows collected in `rows`.
import type { WindowsConfig } from '../../src/config/windows-schema.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { windowGate, type WindowGateInput } from '../../src/windows/gate-activity.js';
import type { AdhocWindow } from '../../src/windows/policy.js';

export function windowGateActivity(windows?: WindowsConfig, adhoc: AdhocWindow[] = [], rows: AuditRecord[] = []) {
  return { windowGate: (input: WindowGateInput) => windowGate({ windows: () => windows, adhoc: async () => adhoc, holidays: async () => ({}), audit: async (r) => void rows.push(...r) }, input) };
}
