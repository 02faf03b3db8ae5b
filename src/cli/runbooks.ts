// `aksops runbooks ...`: the on-call HTTP runbooks from a terminal.
//   aksops runbooks list [--json]                         the catalogue (local: the same engine)
//   aksops runbooks run NAME --param k=v ... [--dry-run] [--cluster C] [--idempotency-key K] [--url URL] [--json]
//   aksops runbooks status ID [--url URL] [--json]
//   aksops runbooks approve ID [--comment TEXT] [--url URL]
//   aksops runbooks reject ID [--comment TEXT] [--url URL]
//   aksops runbooks cancel ID [--reason TEXT] [--url URL]
// The app's URL comes from --url or $AKSOPS_URL, the function key from $AKSOPS_FUNCTION_KEY
// (sent as x-functions-key; never printed), the identity from $AKSOPS_USER or $USER.
// `run --wait` polls the status until the run finishes, with a progress line on stderr.
import { randomUUID } from 'node:crypto';
import { describeCatalogue, RUNBOOKS } from '../runbooks/catalogue.js';
import { parseFlags, UsageError } from './args.js';
import { baseUrl as appUrl, call, failure as httpFailure, FINISHED, unreachable, user, waitFor, type Http } from './http.js';
import type { CliIo } from './io.js';
import { text } from '../domain/text.js';

const SUB = ['list', 'run', 'status', 'approve', 'reject', 'cancel'] as const;

export const RUNBOOKS_FLAGS = {
  json: { type: 'boolean' },
  url: { type: 'string' },
  param: { type: 'string', multiple: true, short: 'p' },
  'dry-run': { type: 'boolean' },
  cluster: { type: 'string' },
  'idempotency-key': { type: 'string' },
  comment: { type: 'string' },
  reason: { type: 'string' },
  wait: { type: 'boolean' },
} as const;

const baseUrl = (flag: string | undefined, io: CliIo) => appUrl(flag, io, 'runbooks');
const failure = (io: CliIo, what: string, r: Http) => httpFailure(io, `runbooks ${what}`, r);

/** --wait: polls the run's status until it finishes; a progress line on stderr per change. */
function waitRun(io: CliIo, url: string, id: string): Promise<number> {
  return waitFor(io, `runbooks run ${id}`, {
    poll: async () => {
      const r = await call(io, url, 'GET', `/api/runbooks/runs/${encodeURIComponent(id)}`);
      if (r.status !== 200) return { done: true, ok: false, line: `HTTP ${r.status}` };
      const b = r.body as { runtimeStatus?: string; phase?: string; outcome?: string; progress?: { done?: number; total?: number } };
      const line = `${b.runtimeStatus ?? '?'}, phase ${b.phase ?? '-'}${b.progress ? ` ${b.progress.done ?? 0}/${b.progress.total ?? 0}` : ''}${b.outcome ? `, outcome ${b.outcome}` : ''}`;
      const done = FINISHED.has(b.runtimeStatus ?? '');
      return { done, ok: b.runtimeStatus === 'Completed' && !/fail|refused|rejected|timed-out/.test(b.outcome ?? ''), line };
    },
  });
}

function printRun(io: CliIo, b: Record<string, unknown>): void {
  const plan = b['plan'] as { summary?: string; steps?: string[]; refusal?: string } | undefined;
  const progress = b['progress'] as { done?: number; total?: number; detail?: string } | undefined;
  const approval = b['approval'] as { reason?: string; deadline?: string; decision?: string; by?: string } | undefined;
  const result = b['result'] as { action?: string; outcome?: string; detail?: string } | undefined;
  io.out(`run ${String(b['id'])}: ${text(b['runbook'])} on ${text(b['target'])}${b['dryRun'] ? ' (dry-run)' : ''}`);
  io.out(`  status: ${text(b['runtimeStatus'])}, phase ${text(b['phase'], '-')}${b['outcome'] ? `, outcome ${text(b['outcome'])}` : ''}`);
  if (plan?.summary) io.out(`  plan: ${plan.summary}${plan.refusal ? ` (refused: ${plan.refusal})` : ''}`);
  for (const s of plan?.steps ?? []) io.out(`    - ${s}`);
  if (approval)
    io.out(
      `  approval: ${approval.reason ?? ''}${approval.decision ? `; ${approval.decision}${approval.by ? ` by ${approval.by}` : ''}` : `; decide before ${approval.deadline ?? '?'}`}`,
    );
  if (progress) io.out(`  progress: ${progress.done ?? 0}/${progress.total ?? 0}${progress.detail ? ` (${progress.detail})` : ''}`);
  if (result) io.out(`  result: ${result.outcome ?? ''}: ${result.action ?? ''}${result.detail ? ` (${result.detail})` : ''}`);
}

export async function runRunbooks(args: string[], io: CliIo): Promise<number> {
  const sub = args[0] as (typeof SUB)[number] | undefined;
  try {
    if (!sub || !(SUB as readonly string[]).includes(sub)) throw new UsageError(`aksops runbooks: expected one of ${SUB.join(', ')}. See aksops --help`);
    const { values, positionals } = parseFlags(args.slice(1), RUNBOOKS_FLAGS, `runbooks ${sub}`);
    if (sub === 'list') {
      const list = describeCatalogue();
      if (values.json) io.out(JSON.stringify(list, null, 2));
      else {
        for (const r of list) {
          const params = Object.entries(r.params).map(
            ([k, p]) =>
              `${k}${p.required ? '' : '?'}:${p.kind}${p.kind === 'int' ? `[${p.min}..${p.max}]` : p.kind === 'enum' ? `(${(p.values ?? []).join('|')})` : ''}`,
          );
          io.out(`${r.name}${r.approval === 'required' ? ' (approval required)' : ''}\n  ${r.description}\n  params: ${params.join(' ') || '(none)'}`);
        }
      }
      return 0;
    }
    const id = positionals[0];
    // What the user must name comes before where to send it.
    if (sub === 'run' && !id) throw new UsageError('aksops runbooks run: NAME is required (aksops runbooks list shows them)');
    const url = baseUrl(values.url, io);
    if (sub === 'run' && id) {
      if (!RUNBOOKS[id]) io.err(`aksops runbooks run: "${id}" is not in this CLI's catalogue; asking the app anyway`);
      const params: Record<string, string> = {};
      for (const p of values.param ?? []) {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new UsageError(`aksops runbooks run: --param ${p} is not k=v`);
        params[p.slice(0, eq)] = p.slice(eq + 1);
      }
      const key = values['idempotency-key'] ?? randomUUID();
      const body: Record<string, unknown> = { params, dryRun: values['dry-run'] === true };
      const who = user(io);
      if (who) body['requestedBy'] = who;
      if (values.cluster) body['cluster'] = values.cluster;
      const r = await call(io, url, 'POST', `/api/runbooks/${encodeURIComponent(id)}`, body, { 'idempotency-key': key });
      if (r.status !== 202 && r.status !== 200) return failure(io, 'run', r);
      const b = r.body as Record<string, unknown>;
      if (values.json) io.out(JSON.stringify(b, null, 2));
      else {
        io.out(
          `${r.status === 200 ? 'already started' : 'started'} run ${String(b['id'])} (${b['dryRun'] ? 'dry-run' : 'for real'}${b['approvalRequired'] ? ', waits for approval' : ''}); idempotency key ${key}`,
        );
        io.out(`  status: aksops runbooks status ${String(b['id'])}`);
      }
      return values.wait ? waitRun(io, url, String(b['id'])) : 0;
    }
    if (!id) throw new UsageError(`aksops runbooks ${sub}: ID is required`);
    const path = `/api/runbooks/runs/${encodeURIComponent(id)}`;
    if (sub === 'status') {
      const r = await call(io, url, 'GET', path);
      if (r.status !== 200) return failure(io, 'status', r);
      if (values.json) io.out(JSON.stringify(r.body, null, 2));
      else printRun(io, r.body as Record<string, unknown>);
      return 0;
    }
    const body: Record<string, unknown> = {};
    const who = user(io);
    if (who) body['approver'] = who;
    if (sub === 'cancel' && values.reason) body['reason'] = values.reason;
    if (sub !== 'cancel' && values.comment) body['comment'] = values.comment;
    const r = await call(io, url, 'POST', `${path}/${sub}`, body);
    if (r.status !== 202) return failure(io, sub, r);
    io.out(
      values.json
        ? JSON.stringify(r.body, null, 2)
        : `${sub === 'cancel' ? 'cancel requested' : `${sub}d`} run ${id} as ${String((r.body as { by?: string }).by ?? who ?? '')}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    return unreachable(io, `runbooks ${sub}`, e);
  }
}
