// `aksops backup create --cluster C [--part P]... [--namespace NS]... [--database D]... [--retention] [--wait]`:
// an on-demand backup by the function app (POST /api/backups). --wait polls GET /api/backups/{id}
// until the manifest is written (complete) or the orchestration ends without one (failed).
import { parseFlags, UsageError } from './args.js';
import { baseUrl, call, failure, progressLine, unreachable, waitFor, FINISHED } from './http.js';
import type { CliIo } from './io.js';
import { text } from '../domain/text.js';

export const BACKUP_CREATE_FLAGS = {
  cluster: { type: 'string' },
  part: { type: 'string', multiple: true },
  namespace: { type: 'string', multiple: true },
  database: { type: 'string', multiple: true },
  retention: { type: 'boolean' },
  wait: { type: 'boolean' },
  url: { type: 'string' },
} as const;

export async function runBackupCreate(args: string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseFlags(args, BACKUP_CREATE_FLAGS, 'backup create');
    const url = baseUrl(values.url, io, 'backup create');
    const body = {
      ...(values.cluster ? { cluster: values.cluster } : {}),
      ...(values.part ? { parts: values.part } : {}),
      ...(values.namespace ? { namespaces: values.namespace } : {}),
      ...(values.database ? { databases: values.database } : {}),
      ...(values.retention ? { retention: true } : {}),
    };
    const r = await call(io, url, 'POST', '/api/backups', body);
    if (r.status !== 202) return failure(io, 'backup create', r);
    const started = r.body as { instanceId: string; result: string; input: { backupId: string; cluster: string } };
    io.out(JSON.stringify(started, null, 2));
    if (!values.wait) return 0;
    const path = `/api/backups/${encodeURIComponent(started.input.backupId)}?cluster=${encodeURIComponent(started.input.cluster)}`;
    return await waitFor(io, `backup ${started.input.backupId}`, {
      poll: async () => {
        const s = await call(io, url, 'GET', path);
        if (s.status === 404) return { done: false, ok: false, line: 'Pending' };
        if (s.status !== 200) return { done: true, ok: false, line: `HTTP ${s.status}` };
        const b = s.body as Record<string, unknown>;
        if (b['status'] !== 'incomplete')
          return {
            done: true,
            ok: (b['warnings'] as unknown[] | undefined)?.length === 0 || b['warnings'] === undefined,
            line: `complete: ${text(b['itemCount'], '0')} items${(b['warnings'] as unknown[] | undefined)?.length ? `, ${(b['warnings'] as unknown[]).length} warnings` : ''}`,
          };
        const o = (b['orchestration'] ?? {}) as Record<string, unknown>;
        return { done: FINISHED.has(String(o['runtimeStatus'])), ok: false, line: progressLine(o) };
      },
    });
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    return unreachable(io, 'backup create', e);
  }
}
