// GET /api/health (function key): 200 {healthy: true, checks} or 503 naming each failed check
// and its fix (src/health/checks.ts). The same checks run once when the worker starts, so a
// missing or invalid ops.yaml is in the log at deployment, not at the first alert.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { HealthDeps, HealthReport } from '../src/health/checks.js';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

async function defaultDeps(): Promise<HealthDeps> {
  const [{ loadConfigFile }, { probeTable }, { projectInfo }, fs, path] = await Promise.all([
    import('../src/config/load.js'),
    import('../src/adapters/table-probe.js'),
    import('../src/config/project-root.js'),
    import('node:fs'),
    import('node:path'),
  ]);
  const readHostJson = (): unknown => JSON.parse(fs.readFileSync(path.join(projectInfo().root, 'host.json'), 'utf8'));
  return { env: process.env, loadConfig: (p) => loadConfigFile(p), probeTable, readHostJson };
}

async function run(deps?: HealthDeps): Promise<HealthReport> {
  const { checkHealth } = await import('../src/health/checks.js');
  return checkHealth(deps ?? (await defaultDeps()));
}

export function createHealthHandler(deps?: HealthDeps): Handler {
  return async (_request, context) => {
    const report = await run(deps);
    if (!report.healthy) {
      const { describeFailures } = await import('../src/health/checks.js');
      context.warn(`health: not healthy\n${describeFailures(report)}`);
    }
    return { status: report.healthy ? 200 : 503, jsonBody: report };
  };
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'function', handler: createHealthHandler() });

// Start-up check: in the background (cold start is benchmarked), logged as an error when failing.
app.hook.appStart(() => {
  void run()
    .then(async (report) => {
      if (report.healthy) return;
      const { describeFailures } = await import('../src/health/checks.js');
      console.error(`aksops start-up check failed; GET /api/health shows the same:\n${describeFailures(report)}`);
    })
    .catch((e: unknown) => console.error(`aksops start-up check could not run: ${(e as Error).message}`));
});
