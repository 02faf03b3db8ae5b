// How CLI commands talk to the function app: base URL from --url or $AKSOPS_URL, the function key
// from $AKSOPS_FUNCTION_KEY (sent as x-functions-key, never printed), JSON in and out, and a
// poller for --wait that writes one progress line to stderr whenever the status changes.
import { UsageError } from './args.js';
import type { CliIo } from './io.js';
import { text } from '../domain/text.js';

export interface Http {
  status: number;
  body: unknown;
}

export function baseUrl(flag: string | undefined, io: CliIo, command: string): string {
  const url = flag ?? io.env['AKSOPS_URL'];
  if (!url) throw new UsageError(`aksops ${command}: the app URL is missing. Fix: pass --url https://<app>.azurewebsites.net or set AKSOPS_URL`);
  if (!/^https?:\/\//.test(url)) throw new UsageError(`aksops ${command}: --url ${url} is not an http(s) URL`);
  return url;
}

export async function call(io: CliIo, url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Http> {
  const key = io.env['AKSOPS_FUNCTION_KEY'];
  const res = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(key ? { 'x-functions-key': key } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed };
}

/** Prints the app's error answer and returns exit code 1. */
export function failure(io: CliIo, command: string, r: Http): number {
  const b = r.body as { error?: string } | string;
  const hint = r.status === 401 || r.status === 403 ? '. Fix: set AKSOPS_FUNCTION_KEY to a function key of the app (az functionapp keys list)' : '';
  io.err(`aksops ${command}: HTTP ${r.status}: ${typeof b === 'string' ? b.slice(0, 300) : (b.error ?? JSON.stringify(b).slice(0, 300))}${hint}`);
  return 1;
}

/** Transport failures (refused, DNS, timeout) as a one-line message and exit 1; anything else is rethrown. */
export function unreachable(io: CliIo, command: string, e: unknown): number {
  if (e instanceof TypeError || (e as Error).name === 'TimeoutError') {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    io.err(`aksops ${command}: cannot reach the app (${(e as Error).message}${code ? `: ${code}` : ''}). Fix: check --url / AKSOPS_URL`);
    return 1;
  }
  throw e;
}

export const user = (io: CliIo): string | undefined => io.env['AKSOPS_USER'] ?? io.env['USER'] ?? io.env['USERNAME'];

export interface WaitOptions {
  /** Reads the current state; `done` ends the wait, `line` is the progress shown. */
  poll: () => Promise<{ done: boolean; ok: boolean; line: string }>;
  intervalMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Polls until done: a progress line on stderr whenever it changes. Returns the exit code (0 ok, 1 failed or timed out). */
export async function waitFor(io: CliIo, command: string, o: WaitOptions): Promise<number> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = Number(io.env['AKSOPS_WAIT_INTERVAL_MS'] ?? o.intervalMs ?? 2000);
  const deadline = Date.now() + (o.timeoutMs ?? 60 * 60_000);
  let last = '';
  for (;;) {
    const s = await o.poll();
    if (s.line !== last) io.err(`${command}: ${s.line}`);
    last = s.line;
    if (s.done) return s.ok ? 0 : 1;
    if (Date.now() > deadline) return (io.err(`aksops ${command}: still not finished after the wait limit; it continues in the app`), 1);
    await sleep(interval);
  }
}

/** A progress line from a Durable status (runtimeStatus, customStatus {phase, done/total or progress}). */
export function progressLine(s: Record<string, unknown>): string {
  const custom = (s['customStatus'] ?? s) as Record<string, unknown> | null;
  const progress: unknown = custom?.['progress'] ?? custom;
  const p = progress && typeof progress === 'object' ? (progress as Record<string, unknown>) : null;
  const phase = custom?.['phase'] ?? s['phase'];
  const count = typeof p?.['done'] === 'number' && typeof p['total'] === 'number' ? ` ${p['done']}/${p['total']}` : '';
  return `${text(s['runtimeStatus'] ?? s['status'], 'unknown')}${phase ? `, phase ${text(phase)}` : ''}${count}`;
}

export const FINISHED = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
