// `aksops audit`: the audit log over GET /api/audit, filtered server-side, one page at a time
// (--cursor continues where the previous page stopped). Table on a terminal, JSON when piped.
import { parseFlags, UsageError } from './args.js';
import { baseUrl, call, failure, unreachable } from './http.js';
import type { CliIo } from './io.js';
import { outputFormat, printRows } from './output.js';

export const AUDIT_FLAGS = {
  since: { type: 'string' },
  until: { type: 'string' },
  cluster: { type: 'string' },
  namespace: { type: 'string' },
  target: { type: 'string' },
  rule: { type: 'string' },
  decision: { type: 'string' },
  'instance-id': { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  url: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/** CLI flag -> query parameter of GET /api/audit. */
const PARAMS: Record<string, string> = {
  since: 'since',
  until: 'until',
  cluster: 'cluster',
  namespace: 'namespace',
  target: 'target',
  rule: 'rule',
  decision: 'decision',
  'instance-id': 'instanceId',
  limit: 'limit',
  cursor: 'cursor',
};

export async function runAudit(args: string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseFlags(args, AUDIT_FLAGS, 'audit');
    const url = baseUrl(values.url, io, 'audit');
    const format = outputFormat(values.output, io, 'audit');
    const q = new URLSearchParams();
    for (const [flag, param] of Object.entries(PARAMS)) {
      const v = (values as Record<string, string | undefined>)[flag];
      if (v !== undefined) q.set(param, v);
    }
    const r = await call(io, url, 'GET', `/api/audit?${q.toString()}`);
    if (r.status !== 200) return failure(io, 'audit', r);
    const body = r.body as { items: Record<string, unknown>[]; truncated: boolean; next?: string };
    printRows(io, format, body.items, ['at', 'kind', 'actor', 'target', 'rule', 'decision', 'result', 'instanceId'], body);
    if (format === 'table' && body.next) io.err(`more rows: aksops audit ... --cursor ${body.next}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    return unreachable(io, 'audit', e);
  }
}
