// `aksops pause --reason R` / `aksops resume --reason R` / `aksops pause --status`: the global
// pause switch over GET/POST /api/pause. The identity is $AKSOPS_USER or $USER (Easy Auth wins in the app).
import { parseFlags, UsageError } from './args.js';
import { baseUrl, call, failure, unreachable, user } from './http.js';
import type { CliIo } from './io.js';
import { outputFormat, printRows } from './output.js';

export const PAUSE_FLAGS = {
  reason: { type: 'string' },
  status: { type: 'boolean' },
  url: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

function show(io: CliIo, format: 'table' | 'json', body: Record<string, unknown>): void {
  const sw = body['switch'] as { reason?: string; by?: string; at?: string } | null;
  printRows(
    io,
    format,
    [{ paused: body['paused'], source: body['source'], reason: sw?.reason, by: sw?.by, at: sw?.at, note: body['note'] }],
    ['paused', 'source', 'reason', 'by', 'at', 'note'],
    body,
  );
}

function command(paused: boolean): (args: string[], io: CliIo) => Promise<number> {
  const name = paused ? 'pause' : 'resume';
  return async (args, io) => {
    try {
      const { values } = parseFlags(args, PAUSE_FLAGS, name);
      const url = baseUrl(values.url, io, name);
      const format = outputFormat(values.output, io, name);
      if (values.status) {
        const r = await call(io, url, 'GET', '/api/pause');
        if (r.status !== 200) return failure(io, name, r);
        return (show(io, format, r.body as Record<string, unknown>), 0);
      }
      if (!values.reason?.trim())
        throw new UsageError(`aksops ${name}: --reason is required (it goes into the audit log), e.g. --reason "maintenance INC-1234"`);
      const by = user(io);
      const r = await call(io, url, 'POST', '/api/pause', { paused, reason: values.reason, ...(by ? { by } : {}) });
      if (r.status !== 200) return failure(io, name, r);
      show(io, format, r.body as Record<string, unknown>);
      return 0;
    } catch (e) {
      if (e instanceof UsageError) return (io.err(e.message), 2);
      return unreachable(io, name, e);
    }
  };
}

export const runPause = command(true);
export const runResume = command(false);
