// Posts a JSON payload to a webhook with a timeout per attempt and a few retries: transport
// errors, 408, 429 (honouring Retry-After up to a cap) and 5xx are retried; other answers are
// final. Never throws and never reports the URL (it is a credential: Teams and Slack webhook
// URLs carry their secret in the path); errors name the target instead.

export interface SendResult {
  ok: boolean;
  status?: number;
  attempts: number;
  /** Why it failed, without the URL. */
  error?: string;
}

export interface SendOptions {
  attempts?: number;
  timeoutMs?: number;
  /** Base backoff; attempt n waits base * 2^(n-1), at most maxDelayMs. */
  backoffMs?: number;
  maxDelayMs?: number;
  fetch?: typeof fetch;
  /** Extra request headers (e.g. Opsgenie's Authorization: GenieKey ...); never reported. */
  headers?: Record<string, string>;
  sleep?: (ms: number) => Promise<void>;
}

const RETRYABLE = (s: number) => s === 408 || s === 429 || s >= 500;

export async function postJson(url: string, payload: unknown, opts: SendOptions = {}): Promise<SendResult> {
  const attempts = opts.attempts ?? 3;
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxDelay = opts.maxDelayMs ?? 5000;
  let last: SendResult = { ok: false, attempts: 0, error: 'not sent' };
  for (let i = 1; i <= attempts; i++) {
    let retryAfterMs: number | undefined;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...opts.headers },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
        redirect: 'error',
      });
      const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
      if (res.ok) return { ok: true, status: res.status, attempts: i };
      last = { ok: false, status: res.status, attempts: i, error: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
      if (!RETRYABLE(res.status)) return last;
      const ra = Number(res.headers.get('retry-after'));
      if (Number.isFinite(ra) && ra >= 0) retryAfterMs = ra * 1000;
    } catch (e) {
      const err = e as { name?: string; cause?: { code?: string } };
      last = {
        ok: false,
        attempts: i,
        error: err.name === 'TimeoutError' ? `timed out after ${opts.timeoutMs ?? 5000} ms` : `transport error ${err.cause?.code ?? err.name ?? 'unknown'}`,
      };
    }
    if (i < attempts) await sleep(Math.min(maxDelay, retryAfterMs ?? (opts.backoffMs ?? 500) * 2 ** (i - 1)));
  }
  return last;
}
