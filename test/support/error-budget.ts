// The errorBudgetGate activity for replay harnesses: the real activity logic (src/slo/activities.ts)
// over one SLO (api-availability, 99.5 % over 28 days) and one error-budget policy whose budget
// state is a function of the orchestration's time, so an activity that runs twice (at least once)
// reads the same. Its audit rows are collected in `rows`.
import type { StoredSlo } from '../../src/adapters/slo-store.js';
import { errorBudgetPolicySchema, sloSchema } from '../../src/config/slo-schema.js';
import type { OpsConfig } from '../../src/config/schema.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { errorBudgetGateActivity, type ErrorBudgetGateInput } from '../../src/slo/activities.js';
import { sloState } from '../../src/slo/budget.js';

export const SLO = sloSchema.parse({
  name: 'api-availability',
  service: 'fastapi-backend',
  objective: 99.5,
  window: '28d',
  sli: { events: { good: 'g[{{window}}]', total: 't[{{window}}]' } },
});

export type BudgetHealth = 'healthy' | 'spent' | 'unreadable';

export interface ErrorBudgetWorld {
  /** The budget at an orchestration time (ISO). */
  health: (at: string) => BudgetHealth;
  whenExhausted?: 'wait' | 'approval';
  /** The policy's scope; default every cluster. */
  scope?: { clusters?: string[]; namespaces?: string[]; nodePools?: string[] };
  maxWait?: string;
  recheckEvery?: string;
  rows?: AuditRecord[];
}

const RATE_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];
const ratios = (windowRatio: number) => Object.fromEntries([...RATE_WINDOWS.map((w) => [w, 0.001]), ['28d', windowRatio]]);

export function sloConfig(w: Omit<ErrorBudgetWorld, 'health' | 'rows'>): OpsConfig {
  const policy = errorBudgetPolicySchema.parse({
    name: 'change-freeze',
    slos: [SLO.name],
    scope: w.scope ?? {},
    whenExhausted: w.whenExhausted ?? 'wait',
    maxWait: w.maxWait ?? '1h',
    recheckEvery: w.recheckEvery ?? '15m',
  });
  return { slo: { prometheus: { url: 'http://prometheus:9090', auth: 'none' }, objectives: [SLO], policies: [policy] } } as unknown as OpsConfig;
}

/** `{ errorBudgetGate }` to spread into a harness's activities (after the window gate's). */
export function errorBudgetGateActivityFor(w: ErrorBudgetWorld) {
  const config = sloConfig(w);
  return {
    errorBudgetGate: async (input: ErrorBudgetGateInput) => {
      const health = w.health(input.at);
      if (health === 'unreadable') throw new Error('control table unavailable (503)');
      const state = sloState(SLO, ratios(health === 'healthy' ? 0.001 : 0.006), input.at);
      const store = { all: async () => new Map<string, StoredSlo>([[SLO.name, { state, lastNotified: null }]]) };
      return errorBudgetGateActivity({ config, store, audit: async (r) => void w.rows?.push(...r) }, input);
    },
  };
}

/** Audit decisions of the error-budget gate, one per row id (a re-run rewrites the same row). */
export function policyDecisions(rows: AuditRecord[]): string[] {
  return [...new Map(rows.filter((r) => r.result === 'error-budget').map((r) => [r.id, r.decision ?? ''])).values()];
}
