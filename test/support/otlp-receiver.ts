// A local OTLP/HTTP receiver (JSON encoding, the `@opentelemetry/exporter-*-otlp-http` default):
// POST /v1/traces and /v1/metrics are answered 200 and their bodies kept, so a test can read
// what an exporter sent (OTLP spec: opentelemetry.io/docs/specs/otlp/#otlphttp).
import { createServer, type Server } from 'node:http';

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

export interface OtlpReceiver {
  url: string;
  /** Every raw body received, for leak scans. */
  bodies: string[];
  spans(): OtlpSpan[];
  metricNames(): string[];
  stop(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: { path: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const parsed = (path: string) => bodies.filter((b) => b.path === path).map((b) => JSON.parse(b.body) as Record<string, unknown[]>);
  return {
    url,
    get bodies() {
      return bodies.map((b) => b.body);
    },
    spans: () =>
      parsed('/v1/traces').flatMap((b) =>
        (b['resourceSpans'] as { scopeSpans: { spans: OtlpSpan[] }[] }[]).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
      ),
    metricNames: () =>
      [
        ...new Set(
          parsed('/v1/metrics').flatMap((b) =>
            (b['resourceMetrics'] as { scopeMetrics: { metrics: { name: string }[] }[] }[]).flatMap((rm) =>
              rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name)),
            ),
          ),
        ),
      ].sort(),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
