// The budget functions as the Functions host indexes them: the compiled app loaded with the
// stand-in @azure/functions-core (test/support/functions-core-stub.cjs), as in
// test/functions/registrations.test.ts. Needs `npm run build` (npm test does it first).
import { describe, expect, it } from 'vitest';
import { loadRegistrations, type Registration } from '../support/registrations.js';
import { readFileSync } from 'node:fs';

const triggerOf = (r: Registration) => Object.values(r.bindings).find((b) => /trigger$/i.test(b.type))!;
const hasClient = (r: Registration) => Object.values(r.bindings).some((b) => b.type === 'durableClient' && b.direction === 'in');

describe('budget registrations', () => {
  const byName = new Map(loadRegistrations().map((r) => [r.name, r]));

  it('the budget webhook is POST budgets/webhook with a function key (the path bicep/ gives the action group)', () => {
    const bicep = readFileSync('bicep/main.bicep', 'utf8');
    expect(bicep).toContain("param budgetWebhookPath string = 'api/budgets/webhook'");
    const wh = byName.get('budgetsWebhook')!;
    expect(triggerOf(wh)).toMatchObject({ type: 'httpTrigger', route: 'budgets/webhook', methods: ['POST'], authLevel: 'function' });
    expect(hasClient(wh)).toBe(true);
  });

  it('evaluate, status and approval over HTTP, with a function key and a Durable client', () => {
    expect(triggerOf(byName.get('budgetsEvaluate')!)).toMatchObject({ route: 'budgets/{name}/evaluate', methods: ['POST'], authLevel: 'function' });
    expect(triggerOf(byName.get('budgetsGet')!)).toMatchObject({ route: 'budgets/{name}', methods: ['GET'], authLevel: 'function' });
    expect(triggerOf(byName.get('budgetsApproval')!)).toMatchObject({ route: 'budgets/{name}/approval', methods: ['POST'], authLevel: 'function' });
    for (const n of ['budgetsEvaluate', 'budgetsGet', 'budgetsApproval']) expect(hasClient(byName.get(n)!), n).toBe(true);
  });

  it('an hourly timer with a Durable client; the orchestration, the entity and every activity', () => {
    const timer = byName.get('budgetsTimer')!;
    expect(triggerOf(timer)).toMatchObject({ type: 'timerTrigger', schedule: '0 5 * * * *' });
    expect(hasClient(timer)).toBe(true);
    expect(triggerOf(byName.get('budgetEnforcement')!)).toMatchObject({ type: 'orchestrationTrigger' });
    expect(triggerOf(byName.get('budget')!)).toMatchObject({ type: 'entityTrigger' });
    for (const a of [
      'budgetGate',
      'budgetMeasure',
      'budgetPlan',
      'budgetReadStep',
      'budgetApplyStep',
      'budgetCheckStep',
      'budgetReport',
      'budgetNotify',
      'budgetAudit',
    ]) {
      expect(triggerOf(byName.get(a)!), a).toMatchObject({ type: 'activityTrigger' });
    }
  });
});
