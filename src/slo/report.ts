// What GET /api/slo and `aksops slo status` show: every configured SLO with its last stored
// error-budget state (or why there is none), and the policies with the scopes they guard.
import type { StoredSlo } from '../adapters/slo-store.js';
import type { OpsConfig } from '../config/schema.js';
import type { SloState } from './budget.js';

export interface SloReportEntry {
  slo: string;
  service: string;
  objective: number;
  window: string;
  state: SloState | null;
  /** Why there is no state: not measured yet. */
  note?: string;
}

export interface SloReport {
  slos: SloReportEntry[];
  policies: { name: string; slos: string[]; scope: Record<string, string[]>; whenExhausted: string; whenBurningFast: string }[];
}

export function sloReport(config: Pick<OpsConfig, 'slo'>, stored: Map<string, StoredSlo>): SloReport {
  const section = config.slo;
  if (!section) return { slos: [], policies: [] };
  return {
    slos: section.objectives.map((o) => {
      const s = stored.get(o.name)?.state ?? null;
      return {
        slo: o.name,
        service: o.service,
        objective: o.objective,
        window: o.window,
        state: s,
        ...(s ? {} : { note: 'not measured yet: the SLO timer runs every 5 minutes' }),
      };
    }),
    policies: section.policies.map((p) => ({
      name: p.name,
      slos: p.slos,
      scope: Object.fromEntries(Object.entries(p.scope).filter(([, v]) => v !== undefined)),
      whenExhausted: p.whenExhausted,
      whenBurningFast: p.whenBurningFast,
    })),
  };
}
