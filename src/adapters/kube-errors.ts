// Reading failures of @kubernetes/client-node 1.x calls. A non-2xx answer throws an
// ApiException whose `code` is the HTTP status and whose `body` is the raw response text
// (gen/http/http.js getBodyAsAny), usually a metav1.Status JSON document. Transport errors
// (node-fetch FetchError) carry a string `code` such as ECONNREFUSED instead.
// These helpers never read request headers, so a bearer token cannot leak into messages.
import { missingPermissionHint } from '../permissions/forbidden.js';

export interface KubeFailure {
  /** HTTP status code. */
  code: number;
  /** metav1.Status reason (NotFound, Conflict, Forbidden, ...) when the body was a Status. */
  reason: string | undefined;
  /** metav1.Status message when the body was a Status. */
  message: string | undefined;
}

/** The API server's answer inside a client-node error, or undefined for transport errors. */
export function kubeFailureOf(err: unknown): KubeFailure | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'number') return undefined;
  let body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = undefined;
    }
  }
  const status = typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status' ? (body as Record<string, unknown>) : undefined;
  return {
    code,
    reason: typeof status?.['reason'] === 'string' ? status['reason'] : undefined,
    message: typeof status?.['message'] === 'string' ? status['message'] : undefined,
  };
}

/** True when the API server answered with this HTTP status. */
export function isKubeStatus(err: unknown, code: number): boolean {
  return kubeFailureOf(err)?.code === code;
}

/** One line for humans: "HTTP 403 Forbidden: pods "x" is forbidden: ..." or the transport error. */
export function describeKubeError(err: unknown): string {
  const f = kubeFailureOf(err);
  if (f) {
    const hint = f.code === 403 ? missingPermissionHint(f.message) : undefined;
    return `HTTP ${f.code}${f.reason ? ` ${f.reason}` : ''}${f.message ? `: ${f.message}` : ''}${hint ? `; ${hint}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether retrying the same request later may succeed: transport errors, throttling (429)
 * and server-side failures (5xx). Everything else is a definitive answer.
 */
export function isRetryableKubeError(err: unknown): boolean {
  const f = kubeFailureOf(err);
  if (f) return f.code === 429 || f.code >= 500;
  const e = err as { name?: unknown; code?: unknown } | null;
  return e !== null && typeof e === 'object' && (e.name === 'FetchError' || e.name === 'AbortError' || typeof e.code === 'string');
}
