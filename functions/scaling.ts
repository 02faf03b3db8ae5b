// Predictive node-pool scaling (docs/scaling.md): a timer starts one `predictiveScaling`
// orchestration per 5-minute slot (the slot is its instance ID, so a repeated tick does nothing),
// the orchestration's activities, and GET /api/scaling/report. Thin: the logic is in
// orchestrations/predictive-scaling.ts and src/scaling/. SDKs and modules load on first use.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { DecisionRecord } from '../src/adapters/scaling-store.js';
import type { ApplyMinCountInput, ForecastPoolInput, ScalingDeps } from '../src/scaling/activities.js';
import type { PoolPlan } from '../src/scaling/plan.js';
import { SCALING_ACTIVITY, SCALING_ORCHESTRATION } from '../src/scaling/activity-names.js';
import { activity, clientTimer, orchestration } from './lib/durable-lazy.js';
import { appSettings, configLoader, auditStore, controlStore } from './lib/runtime.js';
import { startOnce } from './lib/durable-instances.js';
import { notifyOpsEvent } from './lib/ops-notify.js';
import { validQuery } from './lib/http.js';
import type { scalingQuery } from '../src/api/schemas.js';
import type { z } from 'zod';

export const SCALING_SCHEDULE = '0 */5 * * * *';
const SLOT_MS = 5 * 60_000;

orchestration(SCALING_ORCHESTRATION, async () => (await import('../orchestrations/predictive-scaling.js')).predictiveScalingOrchestrator);

let deps: Promise<ScalingDeps> | undefined;
/** The adapters the activities use, built once per worker. */
function scalingDeps(): Promise<ScalingDeps> {
  deps ??= (async () => {
    const settings = appSettings();
    const [{ ScalingStore }, { AgentPools }, { prometheusClientFor }, { isPaused }, audit, control] = await Promise.all([
      import('../src/adapters/scaling-store.js'),
      import('../src/adapters/arm-agent-pools.js'),
      import('../src/adapters/prometheus.js'),
      import('../src/adapters/control-store.js'),
      auditStore(),
      controlStore(),
    ]);
    const agentPools = new AgentPools(settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {});
    return {
      store: ScalingStore.fromSettings(settings),
      prometheus: (plan: PoolPlan) => prometheusClientFor(plan.prometheus, settings.managedIdentityClientId),
      agentPools,
      audit,
      isPaused: async () => (await isPaused(settings, control)).paused,
      forceDryRun: settings.forceDryRun,
    };
  })();
  deps.catch(() => (deps = undefined));
  return deps;
}

// A pool configured for enforce that falls back to forecast-only is told once a day (src/notify/job-events.ts).
activity(SCALING_ACTIVITY.forecast, async () => {
  const [{ forecastPoolActivity }, { eventFromScalingFallback }] = await Promise.all([
    import('../src/scaling/activities.js'),
    import('../src/notify/job-events.js'),
  ]);
  return async (input: unknown, context: InvocationContext) => {
    const i = input as ForecastPoolInput;
    const out = await forecastPoolActivity(i, await scalingDeps());
    await notifyOpsEvent(eventFromScalingFallback(i.plan, out, i.at), context);
    return out;
  };
});

activity(SCALING_ACTIVITY.apply, async () => {
  const { applyMinCountActivity } = await import('../src/scaling/activities.js');
  return async (input: unknown) => applyMinCountActivity(input as ApplyMinCountInput, await scalingDeps());
});

activity(SCALING_ACTIVITY.record, async () => {
  const { recordDecisionActivity } = await import('../src/scaling/activities.js');
  return async (input: unknown) => recordDecisionActivity(input as DecisionRecord, await scalingDeps());
});

/** The instance ID of the run for the slot containing `now`: one run per 5 minutes. */
export function scalingInstanceId(now: Date): string {
  return `scaling-${new Date(Math.floor(now.getTime() / SLOT_MS) * SLOT_MS).toISOString()}`;
}

clientTimer('scalingTimer', {
  schedule: SCALING_SCHEDULE,
  handler: async (_timer, client, context) => {
    const [{ scalingPlan }, load] = await Promise.all([import('../src/scaling/plan.js'), configLoader()]);
    const pools = scalingPlan(load());
    if (pools.length === 0) return;
    const instanceId = scalingInstanceId(new Date());
    if ((await startOnce(client, SCALING_ORCHESTRATION, instanceId, { pools })) === 'exists') return;
    context.log(`predictive scaling ${instanceId} started for ${pools.length} pool(s)`);
  },
});

export interface ScalingReportDeps {
  plans: () => Promise<PoolPlan[]>;
  store: () => Promise<import('../src/adapters/scaling-store.js').ScalingStore>;
  now?: () => Date;
}

/** GET /api/scaling/report?cluster=&pool=&days=7&series=true */
export function createScalingReportHandler(d: ScalingReportDeps): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const q = await validQuery<z.output<typeof scalingQuery>>(request, 'scalingReport');
    if (!q.ok) return q.response;
    const { cluster, pool, days = 7 } = q.value;
    try {
      const [{ poolReport }, plans, store] = await Promise.all([import('../src/scaling/report.js'), d.plans(), d.store()]);
      const selected = plans.filter((p) => (!cluster || p.cluster === cluster) && (!pool || p.pool === pool));
      if (selected.length === 0) {
        const known = plans.map((p) => p.key).join(', ') || '(none: ops.yaml has no scaling section)';
        return {
          status: 404,
          jsonBody: { error: `no configured pool matches${cluster ? ` cluster=${cluster}` : ''}${pool ? ` pool=${pool}` : ''}. Configured: ${known}` },
        };
      }
      const now = (d.now ?? (() => new Date()))();
      const since = new Date(now.getTime() - days * 86_400_000).toISOString();
      const pools = [];
      for (const p of selected) {
        const [rows, decisions] = await Promise.all([store.listForecasts(p.cluster, p.pool, since), store.listDecisions(p.cluster, p.pool, since)]);
        pools.push({
          configuredMode: p.mode,
          ...poolReport(p.cluster, p.pool, rows, decisions, { policy: p.policy, leadMs: p.leadMs, series: q.value.series === 'true' }),
        });
      }
      return { status: 200, jsonBody: { generatedAt: now.toISOString(), days, pools } };
    } catch (err) {
      const { errorResponse } = await import('./audit.js');
      return errorResponse(err, context, 'scaling report');
    }
  };
}

app.http('scalingReport', {
  route: 'scaling/report',
  methods: ['GET'],
  authLevel: 'function',
  handler: createScalingReportHandler({
    plans: async () => {
      const [{ scalingPlan }, load] = await Promise.all([import('../src/scaling/plan.js'), configLoader()]);
      return scalingPlan(load());
    },
    store: async () => (await import('../src/adapters/scaling-store.js')).ScalingStore.fromSettings(appSettings()),
  }),
});
