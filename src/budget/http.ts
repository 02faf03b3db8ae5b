// The budget HTTP endpoints and the timer, free of the Functions framework (functions/budgets.ts
// adapts them): the Azure Monitor budget webhook, evaluate (dry-run preview or enforce now),
// status, approval, and starting evaluations with idempotent instance IDs.
import { checkBody } from '../api/validate.js';
import type { AuditRecord } from '../domain/types.js';
import { BudgetPayloadError, matchBudgets, parseBudgetNotification } from './alert-payload.js';
import { periodAt } from './period.js';
import { waitingApproval, type BudgetState } from './state.js';
import { budgetStatus, type Preview } from './status.js';
import { EVENT_BUDGET_APPROVAL, type BudgetEnforcementInput, type BudgetSpec, type Period } from './types.js';

/** The Durable Functions client, as the budget endpoints use it (functions/lib/durable-budgets.ts). */
export interface BudgetInstances {
  /** Runtime status, or null when the instance does not exist. */
  status(instanceId: string): Promise<string | null>;
  start(instanceId: string, input: BudgetEnforcementInput): Promise<void>;
  raise(instanceId: string, event: string, data: unknown): Promise<void>;
  entityState(budget: string, periodKey: string): Promise<BudgetState | null>;
}

export interface BudgetHttpDeps {
  budgets: () => BudgetSpec[];
  instances: BudgetInstances;
  audit: { write(records: AuditRecord[]): Promise<void> };
  now(): Date;
  forceDryRun: boolean;
  /** Dry-run evaluation (reads cost data and the estate; changes nothing). */
  preview(spec: BudgetSpec, period: Period, state: BudgetState | null, now: Date): Promise<Preview>;
}

export interface HttpResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function compact(d: Date, to: 'hour' | 'minute' | 'second'): string {
  const iso = d.toISOString().replace(/[-:]/g, '');
  return to === 'hour' ? iso.slice(0, 11) : to === 'minute' ? iso.slice(0, 13) : iso.slice(0, 15);
}

/** budget-<name>-<period>-<hour> (timer), ...-webhook-<minute>, ...-http-<second>. */
export function budgetInstanceId(budget: string, period: Period, trigger: BudgetEnforcementInput['trigger'], now: Date): string {
  const suffix = trigger === 'timer' ? compact(now, 'hour') : trigger === 'webhook' ? `webhook-${compact(now, 'minute')}` : `http-${compact(now, 'second')}`;
  return `budget-${budget}-${period.key}-${suffix}`;
}

/** Starts an evaluation unless that instance ID already ran or runs. */
export async function startEvaluation(
  deps: Pick<BudgetHttpDeps, 'instances' | 'forceDryRun'>,
  spec: BudgetSpec,
  trigger: BudgetEnforcementInput['trigger'],
  now: Date,
  refresh: boolean,
  requestedBy?: string,
): Promise<{ instanceId: string; started: boolean }> {
  const period = periodAt(spec.period, now);
  const instanceId = budgetInstanceId(spec.name, period, trigger, now);
  if ((await deps.instances.status(instanceId)) !== null) return { instanceId, started: false };
  const input: BudgetEnforcementInput = { budget: spec, period, trigger, refresh, forceDryRun: deps.forceDryRun, ...(requestedBy ? { requestedBy } : {}) };
  try {
    await deps.instances.start(instanceId, input);
    return { instanceId, started: true };
  } catch (e) {
    // Another worker (or a retried delivery) may have started it in between.
    if ((await deps.instances.status(instanceId)) !== null) return { instanceId, started: false };
    throw e;
  }
}

/** The hourly timer: one evaluation per budget per hour. Failures of one budget do not stop the others. */
export async function timerTick(
  deps: Pick<BudgetHttpDeps, 'budgets' | 'instances' | 'forceDryRun' | 'now'>,
  log: (level: 'info' | 'warn', m: string) => void,
): Promise<void> {
  const now = deps.now();
  for (const spec of deps.budgets()) {
    try {
      const r = await startEvaluation(deps, spec, 'timer', now, false);
      log('info', `budget ${spec.name}: ${r.started ? 'evaluation started' : 'evaluation already ran this hour'} (${r.instanceId})`);
    } catch (e) {
      log('warn', `budget ${spec.name}: could not start the evaluation: ${(e as Error).message}`);
    }
  }
}

const unavailable = (): HttpResult => ({
  status: 503,
  body: { error: 'Durable Functions or storage is unavailable; retry later' },
  headers: { 'retry-after': '30' },
});

/**
 * POST /api/budgets/webhook: an Azure Monitor action group's budget notification. 400 for a body
 * that is not one (naming the field); 2xx once the evaluations are started (202) or when no
 * configured budget matches (200, audited: not an error the action group should retry); 503 when
 * Durable Functions or storage fails (the action group retries).
 */
export async function handleWebhook(deps: BudgetHttpDeps, text: string): Promise<HttpResult> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { status: 400, body: { error: 'body: not JSON' } };
  }
  let n;
  try {
    n = parseBudgetNotification(body);
  } catch (e) {
    if (e instanceof BudgetPayloadError) return { status: 400, body: { error: e.message } };
    throw e;
  }
  const matched = matchBudgets(n, deps.budgets());
  const now = deps.now();
  try {
    const started = [];
    for (const spec of matched) started.push({ budget: spec.name, ...(await startEvaluation(deps, spec, 'webhook', now, true, 'azure-monitor')) });
    await deps.audit.write([
      {
        id: `budget-webhook:${n.subscriptionId}:${n.budgetName}:${compact(now, 'minute')}`,
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
    return { status: matched.length > 0 ? 202 : 200, body: { matched: matched.map((b) => b.name), started } };
  } catch {
    return unavailable();
  }
}

function find(deps: Pick<BudgetHttpDeps, 'budgets'>, name: string | undefined): BudgetSpec | null {
  return name ? (deps.budgets().find((b) => b.name === name) ?? null) : null;
}

const notFound = (name: string | undefined): HttpResult => ({
  status: 404,
  body: { error: `no budget named ${name ?? ''}. Fix: use a budgets[].name from the config` },
});

/** GET /api/budgets/{name}[?at=ISO]: the period's stages, last evaluation and changes in effect. */
export async function handleGet(deps: BudgetHttpDeps, name: string | undefined, at: string | null): Promise<HttpResult> {
  const spec = find(deps, name);
  if (!spec) return notFound(name);
  const when = at ? new Date(at) : deps.now();
  if (!Number.isFinite(when.getTime())) return { status: 400, body: { error: `at: "${at}" is not a time. Fix: e.g. ?at=2025-03-29T06:00:00Z` } };
  const period = periodAt(spec.period, when);
  try {
    return { status: 200, body: budgetStatus(spec, period, await deps.instances.entityState(spec.name, period.key)) };
  } catch {
    return unavailable();
  }
}

/** POST /api/budgets/{name}/evaluate {"mode": "dry-run" | "enforce", "requestedBy"?}. */
/** The proven caller (functions/lib/http.ts identify): overrides names in the body. */
export interface BudgetCaller {
  actor: string;
  proof: string;
}

export async function handleEvaluate(deps: BudgetHttpDeps, name: string | undefined, text: string, caller?: BudgetCaller): Promise<HttpResult> {
  const spec = find(deps, name);
  if (!spec) return notFound(name);
  const checked = checkBody<{ mode?: 'dry-run' | 'enforce'; requestedBy?: string }>('budgetsEvaluate', text);
  if (!checked.ok) return checked.invalid;
  const body = checked.value;
  const mode = body.mode ?? 'dry-run';
  const requestedBy = caller
    ? `${caller.actor} (${caller.proof})`
    : typeof body.requestedBy === 'string' && /^[\w.@:+-]{1,100}$/.test(body.requestedBy)
      ? `user:${body.requestedBy}`
      : 'http';
  const now = deps.now();
  if (mode === 'enforce') {
    if (spec.mode !== 'enforce')
      return { status: 409, body: { error: `budget ${spec.name} is in dry-run. Fix: set budgets[].mode: enforce in the config to let it act` } };
    try {
      const r = await startEvaluation(deps, spec, 'http', now, true, requestedBy);
      return { status: 202, body: r };
    } catch {
      return unavailable();
    }
  }
  const period = periodAt(spec.period, now);
  try {
    return { status: 200, body: { mode: 'dry-run', ...(await deps.preview(spec, period, await deps.instances.entityState(spec.name, period.key), now)) } };
  } catch (e) {
    return { status: 503, body: { error: `the preview failed: ${(e as Error).message.split('\n')[0]}` }, headers: { 'retry-after': '60' } };
  }
}

/** POST /api/budgets/{name}/approval {"approve": bool, "by"?}: to the stage waiting for approval. */
export async function handleApproval(deps: BudgetHttpDeps, name: string | undefined, text: string, caller?: BudgetCaller): Promise<HttpResult> {
  const spec = find(deps, name);
  if (!spec) return notFound(name);
  const checked = checkBody<{ approve: boolean; by?: string }>('budgetsApproval', text);
  if (!checked.ok) return checked.invalid;
  const body = checked.value;
  const by = caller
    ? `${caller.actor} (${caller.proof})`
    : typeof body.by === 'string' && /^[\w.@:+-]{1,100}$/.test(body.by)
      ? `user:${body.by}`
      : 'user:unknown';
  const period = periodAt(spec.period, deps.now());
  try {
    const state = await deps.instances.entityState(spec.name, period.key);
    const waiting = waitingApproval(state);
    if (!waiting) return { status: 404, body: { error: `budget ${spec.name} has no stage waiting for approval` } };
    const stage = spec.stages[waiting.stage]?.name;
    await deps.instances.raise(waiting.instanceId, EVENT_BUDGET_APPROVAL, { approve: body.approve, by, ...(stage ? { stage } : {}) });
    return { status: 202, body: { instanceId: waiting.instanceId, stage, approve: body.approve, by } };
  } catch {
    return unavailable();
  }
}
