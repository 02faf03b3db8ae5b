// Cost-budget enforcement (docs/budgets.md): the hourly timer, the Azure Monitor budget webhook,
// evaluate/status/approval over HTTP, the `budgetEnforcement` orchestration, the `budget` entity
// and their activities. Thin: the logic is in orchestrations/budget-*.ts and src/budget/. SDKs and
// modules load on first use.
//
// Instance IDs carry idempotency: budget-<name>-<period>-<hour> for the timer (a repeated tick or
// a second worker starts nothing), ...-webhook-<minute> for the webhook (action groups retry),
// ...-http-<second> for POST evaluate. Whatever starts, the entity's lease lets one act at a time.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import type { BudgetEnv } from '../src/budget/activities.js';
import type { BudgetCaller, BudgetHttpDeps, HttpResult } from '../src/budget/http.js';
import { actorOf, APPROVER_ROLE, OPERATOR_ROLE, proofText } from '../src/oncall/identity.js';
import { identify, refused, validQuery } from './lib/http.js';
import type { BudgetSpec, BudgetNotifyInput } from '../src/budget/types.js';
import type { AuditRecord } from '../src/domain/types.js';
import { activity, clientHttp, clientTimer, entity, orchestration } from './lib/durable-lazy.js';
import { appSettings, auditStore, configLoader, notifyEnv, runbookEnv } from './lib/runtime.js';
import { notifyOpsEvent } from './lib/ops-notify.js';
import { readBodyLimited } from './lib/http-body.js';
import { poolOfNode } from '../src/domain/protection.js';
import { BUDGET_ACTIVITY, BUDGET_ENTITY, BUDGET_ORCHESTRATION } from '../src/budget/types.js';

/** Hourly, five minutes past (cost data refreshes every few hours; the cache keeps queries rarer still). */
export const BUDGETS_SCHEDULE = '0 5 * * * *';

orchestration(BUDGET_ORCHESTRATION, async () => (await import('../orchestrations/budget-enforcement.js')).budgetEnforcementOrchestrator);
entity(BUDGET_ENTITY, async () => (await import('../orchestrations/budget-entity.js')).budgetEntity as never);

interface BudgetRuntime {
  env: BudgetEnv;
  budgets: () => BudgetSpec[];
}

let runtime: Promise<BudgetRuntime> | undefined;

/** The adapters the activities and HTTP functions use, built once per worker (KubeAccess shared with the runbooks). */
function budgetRuntime(): Promise<BudgetRuntime> {
  runtime ??= (async () => {
    const settings = appSettings();
    const [
      rb,
      loadConfig,
      { AgentPools },
      { ManagedClusters },
      { ArmOperations },
      { AksEstate },
      { CostManagementSource, TableCostCache },
      { compileBudgets },
      { namespaceReport, quantity },
    ] = await Promise.all([
      runbookEnv(),
      configLoader(),
      import('../src/adapters/arm-agent-pools.js'),
      import('../src/adapters/arm-managed-clusters.js'),
      import('../src/adapters/arm-operations.js'),
      import('../src/adapters/aks-estate.js'),
      import('../src/adapters/cost-management.js'),
      import('../src/budget/compile.js'),
      import('../src/budget/report.js'),
    ]);
    const identity = settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {};
    const clusters = new ManagedClusters(identity);
    const estate = new AksEstate({
      config: loadConfig,
      kube: rb.kube,
      pools: new AgentPools(identity),
      clusters,
      operations: new ArmOperations({ credential: () => clusters.credential() }),
    });
    const cost = new CostManagementSource({ cache: TableCostCache.fromSettings(settings, settings.costCacheTableName), ...identity });
    const azure = (name: string) => {
      const c = loadConfig().clusters.find((x) => x.name === name);
      if (!c?.azure) throw new Error(`cluster ${name} has no azure block`);
      return c;
    };
    const env: BudgetEnv = {
      get config() {
        return loadConfig();
      },
      estate,
      cost,
      isPaused: () => rb.isPaused(),
      report: (input) =>
        namespaceReport(
          {
            nodes: async (name) => {
              const apis = await rb.kube.forCluster(azure(name));
              const list = await apis.core.listNode();
              return list.items.map((n) => ({
                name: n.metadata?.name ?? '',
                pool: poolOfNode(n) ?? '',
                cpuCores: quantity(n.status?.allocatable?.['cpu']),
                memoryBytes: quantity(n.status?.allocatable?.['memory']),
              }));
            },
            pods: async (name) => {
              const apis = await rb.kube.forCluster(azure(name));
              const list = await apis.core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running' });
              return list.items.map((p) => ({
                namespace: p.metadata?.namespace ?? '',
                node: p.spec?.nodeName ?? '',
                cpuCores: (p.spec?.containers ?? []).reduce((s, c) => s + quantity(c.resources?.requests?.['cpu']), 0),
                memoryBytes: (p.spec?.containers ?? []).reduce((s, c) => s + quantity(c.resources?.requests?.['memory']), 0),
              }));
            },
            poolCosts: async (name, period, now) => {
              const c = azure(name);
              const mc = await clusters.get({
                subscriptionId: c.azure!.subscriptionId,
                resourceGroup: c.azure!.resourceGroup,
                clusterName: c.azure!.clusterName,
              });
              if (!mc.nodeResourceGroup) return {};
              return cost.poolCosts(c.azure!.subscriptionId, mc.nodeResourceGroup, period, new Date(now));
            },
          },
          input,
        ),
    };
    return { env, budgets: () => compileBudgets(loadConfig().source) };
  })();
  runtime.catch(() => (runtime = undefined));
  return runtime;
}

// ---------------------------------------------------------------- activities

const withEnv =
  <I, O>(fn: (env: BudgetEnv, input: I) => Promise<O>) =>
  async () =>
  async (input: unknown) =>
    fn((await budgetRuntime()).env, input as I);

activity(BUDGET_ACTIVITY.gate, async () => {
  const { budgetGate } = await import('../src/budget/activities.js');
  return async () => budgetGate((await budgetRuntime()).env);
});
activity(BUDGET_ACTIVITY.measure, async () => withEnv((await import('../src/budget/activities.js')).budgetMeasure)());
activity(BUDGET_ACTIVITY.plan, async () => withEnv((await import('../src/budget/activities.js')).budgetPlan)());
activity(BUDGET_ACTIVITY.readStep, async () => withEnv((await import('../src/budget/activities.js')).budgetReadStep)());
activity(BUDGET_ACTIVITY.applyStep, async () => withEnv((await import('../src/budget/activities.js')).budgetApplyStep)());
activity(BUDGET_ACTIVITY.checkStep, async () => withEnv((await import('../src/budget/activities.js')).budgetCheckStep)());
activity(BUDGET_ACTIVITY.report, async () => withEnv((await import('../src/budget/activities.js')).budgetReport)());

activity(BUDGET_ACTIVITY.audit, async () => {
  const [audit, { recordAuditMetrics }] = await Promise.all([auditStore(), import('../src/telemetry/metrics.js')]);
  return async (input: unknown) => {
    await audit.write(input as AuditRecord[]);
    recordAuditMetrics(input as AuditRecord[]);
  };
});

// Audited, then sent to the configured Teams/Slack targets (src/notify); a failed delivery never fails the run.
activity(BUDGET_ACTIVITY.notify, async () => {
  const [audit, loadConfig, { deliverNotification }, { toNotifyInput, notificationAudit, recordStageMetric }, { eventFromBudget }] = await Promise.all([
    auditStore(),
    configLoader(),
    import('../src/notify/deliver.js'),
    import('../src/budget/notify-message.js'),
    import('../src/notify/job-events.js'),
  ]);
  const delivered = new Set<string>();
  return async (input: unknown, context: InvocationContext) => {
    const n = input as BudgetNotifyInput;
    await audit.write([notificationAudit(n)]);
    recordStageMetric(n);
    // A stage that fired or a failed enforcement goes through the routing (paged / chat / morning digest).
    const routed = eventFromBudget(n);
    if (routed) return notifyOpsEvent(routed, context);
    try {
      // No public base URL: the runbook run links do not apply to budget instances.
      await deliverNotification(
        { ...notifyEnv(), config: loadConfig(), publicBaseUrl: undefined, delivered, log: (level, m) => context[level](m) },
        toNotifyInput(n),
      );
    } catch (e) {
      context.warn(`budget notification ${n.id} not delivered: ${(e as Error).message}`);
    }
  };
});

// ---------------------------------------------------------------- triggers (logic: src/budget/http.ts)

async function httpDeps(client: DurableClient): Promise<BudgetHttpDeps> {
  const [rt, audit, { durableBudgetInstances }, { previewEvaluation }] = await Promise.all([
    budgetRuntime(),
    auditStore(),
    import('./lib/durable-budgets.js'),
    import('../src/budget/status.js'),
  ]);
  return {
    budgets: rt.budgets,
    instances: durableBudgetInstances(client),
    audit,
    now: () => new Date(),
    forceDryRun: appSettings().forceDryRun,
    preview: (spec, period, state, now) => previewEvaluation(rt.env, spec, period, state, now.toISOString()),
  };
}

function reply(r: HttpResult): HttpResponseInit {
  return { status: r.status, jsonBody: r.body, headers: { 'content-type': 'application/json', ...r.headers } };
}

clientTimer('budgetsTimer', {
  schedule: BUDGETS_SCHEDULE,
  handler: async (_timer, client, context) => {
    const { timerTick } = await import('../src/budget/http.js');
    await timerTick(await httpDeps(client), (level, m) => (level === 'info' ? context.log(m) : context.warn(m)));
  },
});

// Azure Monitor action group webhook for cost budget alerts. Action groups cannot send custom
// headers: the function key in the URL (?code=) is the authentication (authLevel function).
clientHttp('budgetsWebhook', {
  route: 'budgets/webhook',
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request: HttpRequest, client: DurableClient) => {
    const text = await readBodyLimited(request, appSettings().webhookMaxBodyBytes);
    if (text === null) return reply({ status: 413, body: { error: `body larger than WEBHOOK_MAX_BODY_BYTES (${appSettings().webhookMaxBodyBytes})` } });
    const { handleWebhook } = await import('../src/budget/http.js');
    return reply(await handleWebhook(await httpDeps(client), text));
  },
});

clientHttp('budgetsGet', {
  route: 'budgets/{name}',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (request, client) => {
    const q = await validQuery<{ at?: string }>(request, 'budgetsGet');
    if (!q.ok) return q.response;
    const { handleGet } = await import('../src/budget/http.js');
    return reply(await handleGet(await httpDeps(client), request.params['name'], q.value.at ?? null));
  },
});

/** The caller, with the role the route needs (docs/security.md); a name in the body is only claimed. */
async function caller(request: HttpRequest, text: string, role: string, purpose: string, field: string): Promise<HttpResponseInit | BudgetCaller> {
  let body: Record<string, unknown> = {};
  try {
    const v = JSON.parse(text || '{}') as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) body = v as Record<string, unknown>;
  } catch {
    /* the handler answers 400 for the body */
  }
  const who = identify(request, body, { role, purpose, field });
  if (!who.ok) return refused(who);
  return { actor: actorOf(who), proof: proofText(who) };
}

clientHttp('budgetsEvaluate', {
  route: 'budgets/{name}/evaluate',
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request, client) => {
    const text = await readBodyLimited(request, 64 * 1024);
    if (text === null) return reply({ status: 413, body: { error: 'body larger than 64 KiB' } });
    const who = await caller(request, text, OPERATOR_ROLE, 'evaluate budgets', 'requestedBy');
    if (!('actor' in who)) return who;
    const { handleEvaluate } = await import('../src/budget/http.js');
    return reply(await handleEvaluate(await httpDeps(client), request.params['name'], text, who));
  },
});

/** POST /api/budgets/{name}/approval: an Approver decides the stage waiting for approval. */
export async function budgetsApproval(request: HttpRequest, client: DurableClient): Promise<HttpResponseInit> {
  const text = await readBodyLimited(request, 16 * 1024);
  if (text === null) return reply({ status: 413, body: { error: 'body larger than 16 KiB' } });
  const who = await caller(request, text, APPROVER_ROLE, 'approve budget stages', 'by');
  if (!('actor' in who)) return who;
  const { handleApproval } = await import('../src/budget/http.js');
  return reply(await handleApproval(await httpDeps(client), request.params['name'], text, who));
}

clientHttp('budgetsApproval', { route: 'budgets/{name}/approval', methods: ['POST'], authLevel: 'function', handler: budgetsApproval });
