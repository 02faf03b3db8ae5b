// The function app's entry point (package.json "main"): importing a module registers its
// functions. Keep imports here light: SDKs are loaded lazily where they are used (cold start
// is benchmarked: npm run bench -- coldstart).
import './alertmanager-webhook.js';
import './audit.js';
import './control.js';
import './remediation.js';
import './scaling.js';
import './runbooks.js';
import './rotation.js';
import './budgets.js';
import './backup.js';
import './slo.js';
import './console.js';
import './windows.js';
import './health.js';
import './hygiene.js';
import './doctor.js';
import './notify.js';

// The app's own telemetry (docs/telemetry.md): OpenTelemetry to Application Insights and/or OTLP,
// only when configured (nothing is loaded otherwise). Started in the background: the Azure
// Monitor distro takes seconds to load, which must not delay the functions' registration
// (cold start); spans and metrics from before it is up are not exported.
if (process.env['APPLICATIONINSIGHTS_CONNECTION_STRING'] || process.env['OTEL_EXPORTER_OTLP_ENDPOINT']) {
  import('../src/telemetry/setup.js')
    .then((t) => t.startTelemetry(process.env))
    .catch((e: unknown) => console.warn(`telemetry not started: ${(e as Error).message}`));
}
