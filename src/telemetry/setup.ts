// Starts OpenTelemetry for the app's own telemetry, from app settings:
//  - APPLICATIONINSIGHTS_CONNECTION_STRING: the Azure Monitor OpenTelemetry distro
//    (@azure/monitor-opentelemetry, `useAzureMonitor`): traces and metrics to Application Insights;
//  - OTEL_EXPORTER_OTLP_ENDPOINT: OTLP over HTTP (JSON) to any collector, e.g. a Grafana Alloy or
//    the OpenTelemetry Collector: the OpenTelemetry SDK with the OTLP exporters.
// Both can be set (Azure Monitor gets the OTLP exporters as extra processors). Neither: nothing is
// loaded (the API stays a no-op and cold start pays nothing). The SDKs are imported only here.
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import { resetInstruments } from './metrics.js';

export interface TelemetryHandle {
  /** Exports everything buffered now (tests, and before a worker stops). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  exporters: ('azure-monitor' | 'otlp')[];
}

export interface TelemetryOptions {
  /** How often metrics are exported (default 60 s). */
  metricIntervalMs?: number;
}

export async function startTelemetry(env: Record<string, string | undefined>, options: TelemetryOptions = {}): Promise<TelemetryHandle | undefined> {
  const aiConnection = env['APPLICATIONINSIGHTS_CONNECTION_STRING'];
  const otlp = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (!aiConnection && !otlp) return undefined;
  const interval = options.metricIntervalMs ?? 60_000;
  const serviceName = env['OTEL_SERVICE_NAME'] ?? env['WEBSITE_SITE_NAME'] ?? 'aks-estate-ops';

  const [{ BatchSpanProcessor, NodeTracerProvider }, { PeriodicExportingMetricReader, MeterProvider }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/resources'),
  ]);
  const otlpParts = otlp
    ? await (async () => {
        const [{ OTLPTraceExporter }, { OTLPMetricExporter }] = await Promise.all([
          import('@opentelemetry/exporter-trace-otlp-http'),
          import('@opentelemetry/exporter-metrics-otlp-http'),
        ]);
        const base = otlp.replace(/\/+$/, '');
        return {
          spans: new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` })),
          reader: new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
            exportIntervalMillis: interval,
          }) as MetricReader,
        };
      })()
    : undefined;

  let flush: () => Promise<void>;
  let shutdown: () => Promise<void>;
  if (aiConnection) {
    const { useAzureMonitor, shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
    // Entra-only ingestion (bicep/modules/functionapp.bicep sets "ClientId=<id>;Authorization=AAD"):
    // the exporter authenticates with the app's managed identity.
    const clientId = /(?:^|;)\s*ClientId=([^;]+)/i.exec(env['APPLICATIONINSIGHTS_AUTHENTICATION_STRING'] ?? '')?.[1];
    const credential = clientId ? new (await import('@azure/identity')).ManagedIdentityCredential({ clientId }) : undefined;
    useAzureMonitor({
      azureMonitorExporterOptions: { connectionString: aiConnection, ...(credential ? { credential } : {}) },
      resource: resourceFromAttributes({ 'service.name': serviceName }),
      ...(otlpParts ? { spanProcessors: [otlpParts.spans], metricReaders: [otlpParts.reader] } : {}),
    });
    flush = async () => {
      await otlpParts?.spans.forceFlush();
      await otlpParts?.reader.forceFlush();
    };
    shutdown = () => shutdownAzureMonitor();
  } else {
    const resource = resourceFromAttributes({ 'service.name': serviceName });
    const tracer = new NodeTracerProvider({ resource, spanProcessors: [otlpParts!.spans] });
    tracer.register(); // global tracer provider, W3C propagator, AsyncLocalStorage context manager
    const meters = new MeterProvider({ resource, readers: [otlpParts!.reader] });
    const { metrics } = await import('@opentelemetry/api');
    metrics.setGlobalMeterProvider(meters);
    flush = async () => {
      await tracer.forceFlush();
      await meters.forceFlush();
    };
    shutdown = async () => {
      await tracer.shutdown();
      await meters.shutdown();
    };
  }
  resetInstruments();
  return { flush, shutdown, exporters: [...(aiConnection ? (['azure-monitor'] as const) : []), ...(otlp ? (['otlp'] as const) : [])] };
}
