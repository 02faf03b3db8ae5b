// `aksops scaling report`: GET /api/scaling/report per pool: mode and its reasons, MASE, coverage,
// the latest forecast. Table on a terminal, JSON when piped.
import { parseFlags, UsageError } from './args.js';
import { baseUrl, call, failure, unreachable } from './http.js';
import type { CliIo } from './io.js';
import { outputFormat, printRows } from './output.js';

export const SCALING_REPORT_FLAGS = {
  cluster: { type: 'string' },
  pool: { type: 'string' },
  days: { type: 'string' },
  url: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export async function runScalingReport(args: string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseFlags(args, SCALING_REPORT_FLAGS, 'scaling report');
    const url = baseUrl(values.url, io, 'scaling report');
    const format = outputFormat(values.output, io, 'scaling report');
    const q = new URLSearchParams();
    if (values.cluster) q.set('cluster', values.cluster);
    if (values.pool) q.set('pool', values.pool);
    if (values.days) q.set('days', values.days);
    const r = await call(io, url, 'GET', `/api/scaling/report?${q.toString()}`);
    if (r.status !== 200) return failure(io, 'scaling report', r);
    const body = r.body as { pools: Record<string, unknown>[] };
    const rows = body.pools.map((p) => {
      const f = (p['forecast'] ?? {}) as Record<string, unknown>;
      const prov = (p['provisioning'] ?? {}) as Record<string, unknown>;
      return {
        cluster: p['cluster'],
        pool: p['pool'],
        configured: p['configuredMode'],
        mode: p['mode'],
        mase: f['maseVsPersistence'],
        accuracy: f['accuracy'],
        coverage: f['coverage'],
        intervals: p['intervals'],
        extraNodeHours: prov['extraNodeHoursVsReactive'],
        reasons: (p['modeReasons'] as string[] | undefined)?.join('; '),
      };
    });
    printRows(io, format, rows, ['cluster', 'pool', 'configured', 'mode', 'mase', 'accuracy', 'coverage', 'intervals', 'extraNodeHours', 'reasons'], body);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    return unreachable(io, 'scaling report', e);
  }
}
