// Traces of the app's own work through the OpenTelemetry API (a no-op until src/telemetry/setup.ts
// registers an SDK): one trace follows an alert from the webhook through the orchestration's
// activities to the Kubernetes calls. The orchestration cannot hold a live span (it is replayed),
// so the webhook's span context travels in the run's input as a W3C `traceparent` string and each
// activity starts its span under it. Attributes are names and outcomes only, never values that
// could carry a secret: every string attribute passes the secret scrubber.
import { context, propagation, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { redactSecrets } from '../domain/redact.js';

export const TRACER_NAME = 'aks-estate-ops';

function clean(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = typeof v === 'string' ? redactSecrets(v).slice(0, 256) : v;
  return out;
}

/** Runs `fn` in a span; the span records failure (scrubbed message) and always ends. */
export async function withSpan<T>(name: string, attrs: Attributes, fn: (span: Span) => Promise<T>, parentTraceparent?: string): Promise<T> {
  const parent = parentTraceparent ? propagation.extract(context.active(), { traceparent: parentTraceparent }) : context.active();
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes: clean(attrs) }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: redactSecrets((e as Error).message ?? String(e)).slice(0, 500) });
      throw e;
    } finally {
      span.end();
    }
  });
}

/** The active span's W3C traceparent, to carry into a Durable run's input; undefined without a recording span. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'];
}

/** Adds scrubbed attributes to the active span, if any. */
export function annotate(attrs: Attributes): void {
  trace.getActiveSpan()?.setAttributes(clean(attrs));
}
