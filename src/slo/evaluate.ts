// Reads an SLO's error ratios from Prometheus (instant queries at one time, so every window is
// measured at the same moment) and turns them into its error-budget state. The SLO window's ratio
// is computed from the raw SLI (events-weighted), not from the recording rules, so the state is
// right even before the rules have been deployed.
import type { PrometheusClient } from '../adapters/prometheus.js';
import type { SloConfig } from '../config/slo-schema.js';
import { sloState, type SloState } from './budget.js';
import { RATE_WINDOWS, errorRatioQuery } from './spec.js';

export async function readSloState(client: PrometheusClient, slo: SloConfig, atMs: number): Promise<SloState> {
  const windows = [...new Set<string>([...RATE_WINDOWS, slo.window])];
  const ratios: Record<string, number> = {};
  await Promise.all(
    windows.map(async (w) => {
      const result = await client.queryInstant(errorRatioQuery(slo, w), atMs);
      // An SLI must aggregate to one series; several mean the PromQL lacks a sum().
      if (result.length > 1)
        throw new Error(
          `SLO ${slo.name}: the SLI returned ${result.length} series for window ${w}. Fix: aggregate good and total with sum(...) so each gives one series`,
        );
      ratios[w] = result[0]?.value ?? NaN;
    }),
  );
  return sloState(slo, ratios, new Date(atMs).toISOString());
}
