// `aksops windows list|check`: which maintenance windows, freezes and business hours apply, at
// an instant, to a target, and why; the same gate (src/windows/policy.ts) the orchestrations ask.
import { dirname, isAbsolute, resolve } from 'node:path';
import { WINDOW_JOBS, type WindowJob } from '../config/windows-schema.js';
import { activeWindows, businessHours, endOf, evaluateGate, intervalMatches, type WindowScope } from '../windows/policy.js';
import { holidayLoader } from '../windows/holidays.js';
import { configPath, loadConfigOrReport, parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';

export const WINDOWS_USAGE = `Usage:
  aksops windows list  [--config FILE] [--at TIME]
      Every time interval and policy: active at TIME or not, when it ends, when it next starts
      (within 8 days), and business hours. One JSON object per line.
  aksops windows check --target CLUSTER[/NAMESPACE] [--node-pool POOL] [--job JOB] [--at TIME]
                       [--scale-down] [--override] [--config FILE]
      What the window gate answers for an automated action on that target at TIME (default now):
      proceed, wait (until when), skip or approval, with the windows that apply and why.
      JOB: ${WINDOW_JOBS.join(', ')} (default: every job).
TIME is ISO 8601 with an offset (2026-12-05T02:30:00Z, 2026-12-05T02:30+00:00). Ad-hoc windows
opened over POST /api/windows live in the app; GET /api/windows lists them.
Exit codes: 0 ok, 1 invalid config, 2 usage error.`;

const FLAGS = {
  config: { type: 'string' },
  at: { type: 'string' },
  target: { type: 'string' },
  'node-pool': { type: 'string' },
  job: { type: 'string' },
  'scale-down': { type: 'boolean' },
  override: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options commander declares for `windows list|check` (help is commander's own). */
export const WINDOWS_FLAGS = (({ help: _help, ...rest }) => rest)(FLAGS);

export async function runWindows(args: string[], io: CliIo): Promise<number> {
  const verb = args[0];
  let values: ReturnType<typeof parseFlags<typeof FLAGS>>['values'];
  try {
    ({ values } = parseFlags(args.slice(1), FLAGS, `windows ${verb ?? ''}`.trim()));
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  if (values.help || verb === '--help' || verb === '-h') return (io.out(WINDOWS_USAGE), 0);
  if (verb !== 'list' && verb !== 'check') return (io.err(`aksops windows: say list or check.\n${WINDOWS_USAGE}`), 2);
  const at = values.at === undefined ? new Date() : new Date(values.at);
  if (values.at !== undefined && (!/(Z|[+-]\d{2}:?\d{2})$/i.test(values.at) || Number.isNaN(at.getTime())))
    return (io.err(`--at "${values.at}" is not an ISO time with an offset. Fix: e.g. --at 2026-12-05T02:30:00Z`), 2);
  const path = configPath(values.config, io.env);
  const cfg = loadConfigOrReport(path, io);
  if (!cfg) return 1;
  const w = cfg.source.windows;
  const full = isAbsolute(path) ? path : resolve(io.cwd, path);
  const extra = await holidayLoader({ baseDir: dirname(full) })(w, (m) => io.err(m));
  const hours = businessHours(w, at, extra);

  if (verb === 'list') {
    for (const ti of w?.timeIntervals ?? []) {
      const active = intervalMatches(w!, ti.name, at, extra);
      io.out(
        JSON.stringify({
          interval: ti.name,
          activeAt: at.toISOString(),
          active,
          nextStart: active ? null : nextStart((t) => intervalMatches(w!, ti.name, t, extra), at),
        }),
      );
    }
    for (const p of w?.policies ?? [])
      io.out(
        JSON.stringify({
          policy: p.name,
          kind: p.kind,
          intervals: p.intervals,
          scope: p.scope,
          whenBlocked: p.whenBlocked,
          maxWait: p.maxWait,
          ...(p.prewarm ? { prewarm: p.prewarm } : {}),
        }),
      );
    io.out(JSON.stringify({ businessHours: w?.businessHours ?? null, at: at.toISOString(), ...hours }));
    return 0;
  }

  if (!values.target) return (io.err('aksops windows check: --target CLUSTER[/NAMESPACE] is required. See aksops windows check --help'), 2);
  const [cluster, namespace, rest] = values.target.split('/');
  if (!cluster || rest !== undefined)
    return (io.err(`--target "${values.target}" is not CLUSTER or CLUSTER/NAMESPACE. Fix: e.g. --target ms5-prod/timescaledb`), 2);
  if (!cfg.clusters.some((c) => c.name === cluster))
    return (io.err(`--target: "${cluster}" is not a configured cluster (${cfg.clusters.map((c) => c.name).join(', ')})`), 1);
  if (values.job !== undefined && !(WINDOW_JOBS as readonly string[]).includes(values.job))
    return (io.err(`--job "${values.job}" is not one of ${WINDOW_JOBS.join(', ')}`), 2);
  const jobs = values.job ? [values.job as WindowJob] : [...WINDOW_JOBS];
  for (const job of jobs) {
    const scope: WindowScope = { cluster, job, ...(namespace ? { namespace } : {}), ...(values['node-pool'] ? { nodePool: values['node-pool'] } : {}) };
    const v = evaluateGate(
      w,
      [],
      { scope, at: at.toISOString(), ...(values.override ? { override: true } : {}), ...(values['scale-down'] ? { scaleDown: true } : {}) },
      extra,
    );
    const why = activeWindows(w, [], scope, at, extra);
    io.out(
      JSON.stringify({
        job,
        target: values.target,
        at: at.toISOString(),
        decision: v.decision,
        reason: v.reason,
        ...(v.retryAt ? { retryAt: v.retryAt } : {}),
        windows: why,
      }),
    );
  }
  io.out(JSON.stringify({ businessHours: hours.inHours ? 'in hours' : 'out of hours', ...(hours.nextStart ? { nextStart: hours.nextStart } : {}) }));
  return 0;
}

/** The first minute (within the look-ahead) the predicate holds. */
const nextStart = (pred: (t: Date) => boolean, at: Date): string | null => endOf((t) => !pred(t), at)?.toISOString() ?? null;
