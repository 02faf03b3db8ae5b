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
import type { BudgetSpec, BudgetNotifyInput, Period } from '../src/budget/types.js';
import type { BudgetState } from '../src/budget/state.js';
import type { AuditRecord } from '../src/domain/types.js';
import type { BudgetEnforcementInput } from '../orchestrations/budget-enforcement.js';
import { activity, clientHttp, clientTimer, entity, orchestration } from './lib/durable-lazy.js';
import { appSettings, auditStore, configLoader, runbookEnv } from './lib/runtime.js';
import { readBodyLimited } from './lib/http-body.js';

/** Hourly, five minutes past (cost data refreshes every few hours; the cache keeps queries rarer still). */
export const BUDGETS_SCHEDULE = '0 5 * * * *';
export const BUDGET_ORCHESTRATION = 'budgetEnforcement';

orchestration(BUDGET_ORCHESTRATION, async () => (await import('../orchestrations/budget-enforcement.js')).budgetEnforcementOrchestrator);
entity('budget', async () => (await import('../orchestrations/budget-entity.js')).budgetEntity as never);

interface BudgetRuntime {
  env: BudgetEnv;
  budgets(): BudgetSpec[];
}

let runtime: Promise<BudgetRuntime> | undefined;

/** The adapters the activities and HTTP functions use, built once per worker (KubeAccess shared with the runbooks). */
function budgetRuntime(): Promise<BudgetRuntime> {
  runtime ??= (async () => {
    const settings = appSettings();
    const [rb, loadConfig, { AgentPools }, { ManagedClusters }, { ArmOperations }, { AksEstate }, { CostManagementSource, TableCostCache }, { compileBudgets }, { namespaceReport, quantity }] = await Promise.all([
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
    const estate = new AksEstate({ config: loadConfig, kube: rb.kube, pools: new AgentPools(identity), clusters, operations: new ArmOperations({ credential: () => clusters.credential() }) });
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
      isPaused: rb.isPaused,
      report: (input) =>
        namespaceReport(
          {
            nodes: async (name) => {
              const apis = await rb.kube.forCluster(azure(name));
              const list = await apis.core.listNode();
              return list.items.map((n) => ({
                name: n.metadata?.name ?? '',
                pool: n.metadata?.labels?.['kubernetes.azure.com/agentpool'] ?? n.metadata?.labels?.['agentpool'] ?? '',
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
              const mc = await clusters.get({ subscriptionId: c.azure!.subscriptionId, resourceGroup: c.azure!.resourceGroup, clusterName: c.azure!.clusterName });
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

const withEnv = <I, O>(fn: (env: BudgetEnv, input: I) => Promise<O>) => async () => async (input: unknown) => fn((await budgetRuntime()).env, input as I);

activity('budgetGate', async () => {
  const { budgetGate } = await import('../src/budget/activities.js');
  return async () => budgetGate((await budgetRuntime()).env);
});
activity('budgetMeasure', async () => withEnv((await import('../src/budget/activities.js')).budgetMeasure)());
activity('budgetPlan', async () => withEnv((await import('../src/budget/activities.js')).budgetPlan)());
activity('budgetReadStep', async () => withEnv((await import('../src/budget/activities.js')).budgetReadStep)());
activity('budgetApplyStep', async () => withEnv((await import('../src/budget/activities.js')).budgetApplyStep)());
activity('budgetCheckStep', async () => withEnv((await import('../src/budget/activities.js')).budgetCheckStep)());
activity('budgetReport', async () => withEnv((await import('../src/budget/activities.js')).budgetReport)());

activity('budgetAudit', async () => {
  const audit = await auditStore();
  return async (input: unknown) => {
    await audit.write(input as AuditRecord[]);
  };
});

// Audited, then sent to the configured Teams/Slack targets (src/notify); a failed delivery never fails the run.
activity('budgetNotify', async () => {
  const [audit, loadConfig, { deliverNotification }, { readNamedSetting }, { toNotifyInput, notificationAudit }] = await Promise.all([
    auditStore(),
    configLoader(),
    import('../src/notify/deliver.js'),
    import('../src/config/settings.js'),
    import('../src/budget/notify.js'),
  ]);
  const delivered = new Set<string>();
  return async (input: unknown, context: InvocationContext) => {
    const n = input as BudgetNotifyInput;
    await audit.write([notificationAudit(n)]);
    try {
      // No public base URL: the runbook run links do not apply to budget instances.
      await deliverNotification({ config: loadConfig(), secret: (name) => readNamedSetting(process.env, name), publicBaseUrl: undefined, delivered, log: (level, m) => context[level](m) }, toNotifyInput(n));
    } catch (e) {
      context.warn(`budget notification ${n.id} not delivered: ${(e as Error).message}`);
    }
  };
});

// ---------------------------------------------------------------- starting evaluations

function compact(d: Date, to: 'hour' | 'minute' | 'second'): string {
  const iso = d.toISOString().replace(/[-:]/g, '');
  return to === 'hour' ? iso.slice(0, 11) : to === 'minute' ? iso.slice(0, 13) : iso.slice(0, 15);
}

export function budgetInstanceId(budget: string, period: Period, trigger: 'timer' | 'webhook' | 'http', now: Date): string {
  const suffix = trigger === 'timer' ? compact(now, 'hour') : trigger === 'webhook' ? `webhook-${compact(now, 'minute')}` : `http-${compact(now, 'second')}`;
  return `budget-${budget}-${period.key}-${suffix}`;
}

async function runtimeStatus(client: DurableClient, instanceId: string): Promise<string | null> {
  try {
    const s = await client.getStatus(instanceId);
    return s?.runtimeStatus ? String(s.runtimeStatus) : null;
  } catch (e) {
    if (e instanceof Error && /HTTP 404|No instance with ID/.test(e.message)) return null;
    throw e;
  }
}

/** Starts an evaluation unless that instance ID already ran or runs. */
async function startEvaluation(client: DurableClient, spec: BudgetSpec, trigger: BudgetEnforcementInput['trigger'], now: Date, refresh: boolean, requestedBy?: string): Promise<{ instanceId: string; started: boolean }> {
  const { periodAt } = await import('../src/budget/period.js');
  const period = periodAt(spec.period, now);
  const instanceId = budgetInstanceId(spec.name, period, trigger, now);
  if ((await runtimeStatus(client, instanceId)) !== null) return { instanceId, started: false };
  const input: BudgetEnforcementInput = { budget: spec, period, trigger, refresh, forceDryRun: appSettings().forceDryRun, ...(requestedBy ? { requestedBy } : {}) };
  try {
    await client.startNew(BUDGET_ORCHESTRATION, { instanceId, input });
    return { instanceId, started: true };
  } catch (e) {
    if ((await runtimeStatus(client, instanceId)) !== null) return { instanceId, started: false };
    throw e;
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json', ...headers } };
}

function unavailable(e: unknown, context: InvocationContext): HttpResponseInit {
  context.error(`budgets: ${(e as Error).message}`);
  return json(503, { error: 'Durable Functions or storage is unavailable; retry later' }, { 'retry-after': '30' });
}

clientTimer('budgetsTimer', {
  schedule: BUDGETS_SCHEDULE,
  handler: async (_timer, client, context) => {
    const rt = await budgetRuntime();
    const now = new Date();
    for (const spec of rt.budgets()) {
      try {
        const r = await startEvaluation(client, spec, 'timer', now, false);
        context.log(`budget ${spec.name}: ${r.started ? 'evaluation started' : 'evaluation already ran this hour'} (${r.instanceId})`);
      } catch (e) {
        context.error(`budget ${spec.name}: could not start the evaluation: ${(e as Error).message}`);
      }
    }
  },
});

// Azure Monitor action group webhook for cost budget alerts. Action groups cannot send custom
// headers: the function key in the URL (?code=) is the authentication (authLevel function).
clientHttp('budgetsWebhook', {
  route: 'budgets/webhook',
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request: HttpRequest, client: DurableClient, context: InvocationContext) => {
    const text = await readBodyLimited(request, appSettings().webhookMaxBodyBytes);
    if (text === null) return json(413, { error: `body larger than WEBHOOK_MAX_BODY_BYTES (${appSettings().webhookMaxBodyBytes})` });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json(400, { error: 'body: not JSON' });
    }
    const { parseBudgetNotification, matchBudgets, BudgetPayloadError } = await import('../src/budget/notification.js');
    let n;
    try {
      n = parseBudgetNotification(body);
    } catch (e) {
      if (e instanceof BudgetPayloadError) return json(400, { error: e.message });
      throw e;
    }
    try {
      const rt = await budgetRuntime();
      const matched = matchBudgets(n, rt.budgets());
      const now = new Date();
      const started = [];
      for (const spec of matched) started.push({ budget: spec.name, ...(await startEvaluation(client, spec, 'webhook', now, true, 'azure-monitor')) });
      const audit = await auditStore();
      await audit.write([
        {
          id: `budget-webhook:${n.budgetName}:${compact(now, 'minute')}`,
          at: now.toISOString(),
          kind: 'decision',
          actor: 'azure-monitor',
          rule: `azure-budget:${n.budgetName}`,
          runbook: 'budget-enforcement',
          target: `subscription/${n.subscriptionId}/${n.resourceGroup || '-'}`,
          decision: matched.length > 0 ? 'evaluate' : 'no-match',
          detail: `Azure budget ${n.budgetName}: spending ${n.spendingAmount ?? '?'} of ${n.budgetAmount ?? '?'} ${n.unit} (threshold ${n.notificationThreshold}); ${matched.length > 0 ? `evaluating ${matched.map((b) => b.name).join(', ')}` : 'no configured budget has this name or scope'}`,
        },
      ]);
      // 2xx either way: an unmatched notification is not an error the action group should retry.
      return json(matched.length > 0 ? 202 : 200, { matched: matched.map((b) => b.name), started });
    } catch (e) {
      return unavailable(e, context);
    }
  },
});

async function findBudget(name: string | undefined): Promise<BudgetSpec | null> {
  if (!name) return null;
  return (await budgetRuntime()).budgets().find((b) => b.name === name) ?? null;
}

async function entityState(client: DurableClient, spec: BudgetSpec, period: Period): Promise<BudgetState | null> {
  const { budgetEntityId } = await import('../orchestrations/budget-entity.js');
  const r = await client.readEntityState<BudgetState>(budgetEntityId(spec.name, period.key));
  return r.entityExists && r.entityState ? r.entityState : null;
}

clientHttp('budgetsGet', {
  route: 'budgets/{name}',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (request, client, context) => {
    const spec = await findBudget(request.params['name']);
    if (!spec) return json(404, { error: `no budget named ${request.params['name'] ?? ''}. Fix: use a budgets[].name from the config` });
    try {
      const [{ periodAt }, { budgetStatus }] = await Promise.all([import('../src/budget/period.js'), import('../src/budget/status.js')]);
      const at = request.query.get('at');
      const period = periodAt(spec.period, at ? new Date(at) : new Date());
      return json(200, budgetStatus(spec, period, await entityState(client, spec, period)));
    } catch (e) {
      if (e instanceof RangeError) return json(400, { error: `at: ${e.message}` });
      return unavailable(e, context);
    }
  },
});

clientHttp('budgetsEvaluate', {
  route: 'budgets/{name}/evaluate',
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request, client, context) => {
    const spec = await findBudget(request.params['name']);
    if (!spec) return json(404, { error: `no budget named ${request.params['name'] ?? ''}. Fix: use a budgets[].name from the config` });
    const text = (await readBodyLimited(request, 64 * 1024)) ?? '';
    let body: { mode?: unknown; requestedBy?: unknown } = {};
    try {
      body = text.trim() ? (JSON.parse(text) as typeof body) : {};
    } catch {
      return json(400, { error: 'body: not JSON. Fix: send {"mode": "dry-run"} or {"mode": "enforce"}' });
    }
    const mode = body.mode ?? 'dry-run';
    if (mode !== 'dry-run' && mode !== 'enforce') return json(400, { error: 'mode: expected "dry-run" or "enforce"' });
    const requestedBy = typeof body.requestedBy === 'string' && /^[\w.@:+-]{1,100}$/.test(body.requestedBy) ? `user:${body.requestedBy}` : 'http';
    if (mode === 'enforce') {
      if (spec.mode !== 'enforce') return json(409, { error: `budget ${spec.name} is in dry-run. Fix: set budgets[].mode: enforce in the config to let it act` });
      try {
        const r = await startEvaluation(client, spec, 'http', new Date(), true, requestedBy);
        return json(202, { instanceId: r.instanceId, started: r.started });
      } catch (e) {
        return unavailable(e, context);
      }
    }
    try {
      const [{ periodAt }, { previewEvaluation }, rt] = await Promise.all([import('../src/budget/period.js'), import('../src/budget/status.js'), budgetRuntime()]);
      const now = new Date();
      const period = periodAt(spec.period, now);
      return json(200, { mode: 'dry-run', ...(await previewEvaluation(rt.env, spec, period, await entityState(client, spec, period), now.toISOString())) });
    } catch (e) {
      return unavailable(e, context);
    }
  },
});

clientHttp('budgetsApproval', {
  route: 'budgets/{name}/approval',
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request, client, context) => {
    const spec = await findBudget(request.params['name']);
    if (!spec) return json(404, { error: `no budget named ${request.params['name'] ?? ''}` });
    const text = (await readBodyLimited(request, 16 * 1024)) ?? '';
    let body: { approve?: unknown; by?: unknown; stage?: unknown };
    try {
      body = JSON.parse(text || '{}') as typeof body;
    } catch {
      return json(400, { error: 'body: not JSON. Fix: send {"approve": true, "by": "alice@contoso.com"}' });
    }
    if (typeof body.approve !== 'boolean') return json(400, { error: 'approve: expected true or false' });
    const by = typeof body.by === 'string' && /^[\w.@:+-]{1,100}$/.test(body.by) ? `user:${body.by}` : 'user:unknown';
    try {
      const { periodAt } = await import('../src/budget/period.js');
      const period = periodAt(spec.period, new Date());
      const state = await entityState(client, spec, period);
      const waiting = state?.approvals.filter((a) => a.status === 'requested' && state.lease?.instanceId === a.instanceId).at(-1);
      if (!waiting) return json(404, { error: `budget ${spec.name} has no stage waiting for approval` });
      const { EVENT_BUDGET_APPROVAL } = await import('../orchestrations/budget-enforcement.js');
      const stage = spec.stages[waiting.stage]?.name;
      await client.raiseEvent(waiting.instanceId, EVENT_BUDGET_APPROVAL, { approve: body.approve, by, ...(stage ? { stage } : {}) });
      return json(202, { instanceId: waiting.instanceId, stage, approve: body.approve, by });
    } catch (e) {
      return unavailable(e, context);
    }
  },
});
