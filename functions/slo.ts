// SLOs and error budgets (docs/slo.md): a timer reads every SLO from Prometheus every 5 minutes,
// stores its state and announces budget thresholds; the errorBudgetGate activity (remediation,
// budget steps, scale-downs, rotation roll-outs);
// GET /api/slo (function key: read-only state, like GET /api/audit). Thin: the logic is in
// src/slo/. Modules load on first use.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { ErrorBudgetGateInput } from '../src/slo/activities.js';
import type { NotifyInput } from '../src/domain/types.js';
import { REMEDIATION_ACTIVITY } from '../src/domain/remediation-activities.js';
import { activity } from './lib/durable-lazy.js';
import { appSettings, auditStore, configLoader, notifyEnv } from './lib/runtime.js';

export const SLO_SCHEDULE = '30 */5 * * * *';

async function sloStore() {
  const { SloStore } = await import('../src/adapters/slo-store.js');
  return SloStore.fromSettings(appSettings());
}

activity(REMEDIATION_ACTIVITY.errorBudgetGate, async () => {
  const [{ errorBudgetGateActivity }, load, store, audit] = await Promise.all([import('../src/slo/activities.js'), configLoader(), sloStore(), auditStore()]);
  return (input: unknown) => errorBudgetGateActivity({ config: load().source, store, audit: (r) => audit.write(r) }, input as ErrorBudgetGateInput);
});

app.timer('sloTimer', {
  schedule: SLO_SCHEDULE,
  handler: async (_timer, context) => {
    const [{ evaluateSlos }, { prometheusClientFor }, { notifyActivity }, load, store, audit] = await Promise.all([
      import('../src/slo/activities.js'),
      import('../src/adapters/prometheus.js'),
      import('../src/notify/activity.js'),
      configLoader(),
      sloStore(),
      auditStore(),
    ]);
    const config = load().source;
    if (!config.slo) return;
    const settings = appSettings();
    const result = await evaluateSlos({
      config,
      store,
      prometheus: (source) => prometheusClientFor(source, settings.managedIdentityClientId),
      notify: (n: NotifyInput) => notifyActivity({ ...notifyEnv(), audit, config: load(), delivered: new Set(), log: (level, m) => context[level](m) }, n),
      nowMs: Date.now(),
      log: (m) => context.warn(m),
    });
    context.log(
      `SLOs: ${result.states.map((s) => `${s.slo} ${s.status}`).join(', ') || 'none read'}${result.failed.length ? `; ${result.failed.length} failed` : ''}`,
    );
  },
});

export async function sloStatusHandler(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const [{ sloReport }, load, store] = await Promise.all([import('../src/slo/report.js'), configLoader(), sloStore()]);
    return { status: 200, jsonBody: sloReport(load().source, await store.all()) };
  } catch (err) {
    const { errorResponse } = await import('./audit.js');
    return errorResponse(err, context, 'SLO status');
  }
}

app.http('sloStatus', { route: 'slo', methods: ['GET'], authLevel: 'function', handler: sloStatusHandler });
