// The budget endpoints and timer (src/budget/http.ts) through the real DurableClient against the
// fake Durable extension HTTP API, with a real audit table in Azurite: the Azure Monitor budget
// webhook (schemaId "AIP Budget Notification"), evaluate (dry-run preview / enforce), status,
// approval as an external event, and idempotent starts.
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { durableBudgetInstances } from '../../functions/lib/durable-budgets.js';
import { readSettings } from '../../src/config/settings.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { handleApproval, handleEvaluate, handleGet, handleWebhook, timerTick, type BudgetHttpDeps } from '../../src/budget/http.js';
import type { BudgetEnforcementInput } from '../../src/budget/types.js';
import { initialBudgetState, recordApproval, acquireLease, type BudgetState } from '../../src/budget/state.js';
import type { BudgetSpec } from '../../src/budget/types.js';
import { budgetEntityKey } from '../../orchestrations/budget-entity.js';
import { fixtureBudget, SUB } from './fixtures.js';

const ENFORCE: BudgetSpec = fixtureBudget();
const DRY: BudgetSpec = { ...ENFORCE, name: 'staging-estate', mode: 'dry-run', scope: { subscriptionId: SUB, resourceGroup: 'rg-staging' } };
const NOW = new Date('2025-03-29T06:30:15.000Z');
const suffix = Math.random().toString(36).slice(2, 7);

let durable: FakeDurableExtension;
let audit: AuditStore;
let previews: number;

beforeAll(async () => {
  durable = await new FakeDurableExtension().start();
  audit = AuditStore.fromSettings(readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, AUDIT_TABLE_NAME: `budgethttp${suffix}` }));
});
afterAll(() => durable.stop());
beforeEach(() => {
  durable.instances.clear();
  durable.entities.clear();
  durable.starts.length = 0;
  previews = 0;
});

function deps(now = NOW): BudgetHttpDeps {
  const { client } = durable.invocation('budgets');
  return {
    budgets: () => [ENFORCE, DRY],
    instances: durableBudgetInstances(client),
    audit,
    now: () => now,
    forceDryRun: false,
    preview: async (spec, period) => {
      previews++;
      return {
        period,
        measurement: { period: period.key, actual: 2500, forecast: 3100, currency: 'EUR', asOf: NOW.toISOString(), drivers: [], notes: [], cached: true },
        decision: { level: 1, fire: [0, 1], release: [], checks: [], rejected: [] },
        plans: [],
        restores: [],
      };
    },
  };
}

const sample = (data: Record<string, string> = {}) =>
  JSON.stringify({
    schemaId: 'AIP Budget Notification',
    data: {
      SubscriptionName: 'ms5',
      SubscriptionId: SUB,
      ResourceGroup: 'MC_rg-ms5-dev_aks-ms5-dev_westeurope',
      SpendingAmount: '2450.10',
      BudgetStartDate: '2025-03-01T00:00:00Z',
      Budget: '3000',
      Unit: 'EUR',
      BudgetCreator: 'ops@contoso.com',
      BudgetName: 'budget-dev-aks-nodes',
      BudgetType: 'Cost',
      NotificationThresholdAmount: '2400.0',
      ...data,
    },
  });

async function auditRows() {
  return (await audit.query({ since: '2025-03-29T00:00:00Z', until: '2025-03-30T00:00:00Z', limit: 100 })).items;
}

describe('POST /api/budgets/webhook (Azure Monitor action group)', () => {
  it('starts a fresh evaluation of the budget with that scope, once per minute, and audits it', async () => {
    const r = await handleWebhook(deps(), sample());
    expect(r.status).toBe(202);
    expect(r.body).toEqual({
      matched: ['dev-estate'],
      started: [{ budget: 'dev-estate', instanceId: 'budget-dev-estate-2025-03-01-webhook-20250329T0630', started: true }],
    });
    const input = durable.starts[0]!.input as BudgetEnforcementInput;
    expect(durable.starts[0]!.name).toBe('budgetEnforcement');
    expect(input).toMatchObject({
      trigger: 'webhook',
      refresh: true,
      requestedBy: 'azure-monitor',
      period: { key: '2025-03-01' },
      budget: { name: 'dev-estate' },
    });
    // An action group retry within the minute starts nothing new.
    expect((await handleWebhook(deps(), sample())).body).toMatchObject({ started: [{ started: false }] });
    expect(durable.starts).toHaveLength(1);
    const rows = (await auditRows()).filter((a) => a.actor === 'azure-monitor');
    expect(rows[0]).toMatchObject({ kind: 'decision', decision: 'evaluate', rule: 'azure-budget:budget-dev-aks-nodes' });
    expect(rows[0]!.detail).toContain('spending 2450.1 of 3000 EUR');
  });

  it('answers 200 for a notification no budget matches (nothing started, audited) and 400 for a bad payload', async () => {
    const r = await handleWebhook(deps(), sample({ ResourceGroup: 'rg-elsewhere' }));
    expect(r).toMatchObject({ status: 200, body: { matched: [], started: [] } });
    expect((await handleWebhook(deps(), '{"schemaId":"azureMonitorCommonAlertSchema","data":{}}')).status).toBe(400);
    const bad = await handleWebhook(deps(), sample({ SpendingAmount: 'lots' }));
    expect(bad).toMatchObject({ status: 400, body: { error: expect.stringContaining('data.SpendingAmount') } });
    expect((await handleWebhook(deps(), 'not json')).status).toBe(400);
    expect(durable.starts).toHaveLength(0);
  });

  it('answers 503 with Retry-After when Durable Functions fails, so the action group retries', async () => {
    durable.failNext(500, /orchestrators/);
    const r = await handleWebhook(deps(), sample());
    expect(r).toMatchObject({ status: 503, headers: { 'retry-after': '30' } });
  });
});

describe('POST /api/budgets/{name}/evaluate', () => {
  it('dry-run (default) previews and starts nothing; enforce starts an evaluation now', async () => {
    const p = await handleEvaluate(deps(), 'dev-estate', '');
    expect(p).toMatchObject({ status: 200, body: { mode: 'dry-run', decision: { fire: [0, 1] } } });
    expect(previews).toBe(1);
    expect(durable.starts).toHaveLength(0);
    const e = await handleEvaluate(deps(), 'dev-estate', JSON.stringify({ mode: 'enforce', requestedBy: 'alice@contoso.com' }));
    expect(e).toMatchObject({ status: 202, body: { instanceId: 'budget-dev-estate-2025-03-01-http-20250329T063015', started: true } });
    expect(durable.starts[0]!.input).toMatchObject({ trigger: 'http', refresh: true, requestedBy: 'user:alice@contoso.com' });
  });

  it('refuses enforce on a dry-run budget, unknown budgets and bad bodies', async () => {
    expect(await handleEvaluate(deps(), 'staging-estate', '{"mode":"enforce"}')).toMatchObject({
      status: 409,
      body: { error: expect.stringContaining('Fix: set budgets[].mode: enforce') },
    });
    expect((await handleEvaluate(deps(), 'nope', '')).status).toBe(404);
    expect((await handleEvaluate(deps(), 'dev-estate', '{"mode":"yolo"}')).status).toBe(400);
    expect((await handleEvaluate(deps(), 'dev-estate', '{')).status).toBe(400);
    expect(durable.starts).toHaveLength(0);
  });
});

describe('status and approval', () => {
  function seedState(mutate: (s: BudgetState) => BudgetState): void {
    durable.entities.set(`budget/${budgetEntityKey('dev-estate', '2025-03-01')}`, mutate(initialBudgetState('dev-estate', '2025-03-01')));
  }

  it("GET shows the period's stages and changes from the entity", async () => {
    seedState((s) => ({ ...s, fired: [{ index: 0, name: 'warn', mode: 'enforce', firedAt: '2025-03-22T06:00:08.000Z', percent: 80.67 }] }));
    const r = await handleGet(deps(), 'dev-estate', null);
    expect(r.status).toBe(200);
    expect((r.body as { stages: Array<{ name: string; state: string }> }).stages.map((s) => [s.name, s.state])).toEqual([
      ['warn', 'fired'],
      ['slow-down', 'pending'],
      ['stop', 'pending'],
    ]);
    expect(r.body).toMatchObject({ waiting: null });
    const empty = await handleGet(deps(), 'dev-estate', '2025-02-10T00:00:00Z');
    expect(empty.body).toMatchObject({ period: { key: '2025-02-01' }, active: [], last: null });
    expect((await handleGet(deps(), 'dev-estate', 'soon')).status).toBe(400);
  });

  it('approval is raised to the evaluation waiting for it; nothing waiting is 404', async () => {
    expect((await handleApproval(deps(), 'dev-estate', '{"approve":true}')).status).toBe(404);
    const instanceId = 'budget-dev-estate-2025-03-01-20250329T06';
    durable.instances.set(instanceId, {
      name: 'budgetEnforcement',
      instanceId,
      input: null,
      runtimeStatus: 'Running',
      createdTime: NOW.toISOString(),
      lastUpdatedTime: NOW.toISOString(),
      output: null,
      customStatus: null,
      events: [],
    });
    seedState((s) => {
      const leased = acquireLease(s, { instanceId, now: '2025-03-29T06:00:00.000Z', leaseSeconds: 7200, budget: 'dev-estate', period: '2025-03-01' }).state;
      return recordApproval(leased, { stage: 2, status: 'requested', at: '2025-03-29T06:01:00.000Z', instanceId }).state;
    });
    // GET names the stage that waits (what the console's Approve button decides).
    expect((await handleGet(deps(), 'dev-estate', null)).body).toMatchObject({
      waiting: { stage: 'stop', instanceId, requestedAt: '2025-03-29T06:01:00.000Z' },
    });
    expect((await handleApproval(deps(), 'dev-estate', '{"approve":"yes"}')).status).toBe(400);
    const r = await handleApproval(deps(), 'dev-estate', JSON.stringify({ approve: true, by: 'alice@contoso.com' }));
    expect(r).toMatchObject({ status: 202, body: { instanceId, stage: 'stop', approve: true, by: 'user:alice@contoso.com' } });
    expect(durable.instances.get(instanceId)!.events).toEqual([
      { name: 'budgetApproval', data: { approve: true, by: 'user:alice@contoso.com', stage: 'stop' } },
    ]);
  });
});

describe('the hourly timer', () => {
  it('starts one evaluation per budget per hour', async () => {
    const logs: string[] = [];
    await timerTick(deps(new Date('2025-03-29T07:05:00Z')), (_l, m) => void logs.push(m));
    await timerTick(deps(new Date('2025-03-29T07:35:00Z')), (_l, m) => void logs.push(m));
    expect(durable.starts.map((s) => s.instanceId)).toEqual(['budget-dev-estate-2025-03-01-20250329T07', 'budget-staging-estate-2025-03-01-20250329T07']);
    expect(logs.filter((l) => l.includes('already ran this hour'))).toHaveLength(2);
  });
});
