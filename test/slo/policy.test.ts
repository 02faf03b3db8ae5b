// The error-budget policy's verdicts (pure), the runbook impact table, and which targets a
// policy covers.
import { describe, expect, it } from 'vitest';
import { errorBudgetPolicySchema, sloSchema } from '../../src/config/slo-schema.js';
import { sloState } from '../../src/slo/budget.js';
import { RUNBOOK_IMPACT, runbookImpact } from '../../src/slo/impact.js';
import { MAX_STATE_AGE_SECONDS, errorBudgetCoverage, errorBudgetGate } from '../../src/slo/policy.js';
import { runbookNames } from '../../src/runbooks/catalogue.js';

const slo = sloSchema.parse({ name: 'api', service: 'api', objective: 99, window: '28d', sli: { events: { good: 'g[{{window}}]', total: 't[{{window}}]' } } });
const policy = (over: Record<string, unknown> = {}) =>
  errorBudgetPolicySchema.parse({ name: 'p', slos: ['api'], scope: { clusters: ['prod'], namespaces: ['shop'] }, ...over });
const NOW = Date.parse('2026-03-01T12:00:00Z');
const at = new Date(NOW - 60_000).toISOString();
const base = { '5m': 0.001, '30m': 0.001, '1h': 0.001, '2h': 0.001, '6h': 0.001, '1d': 0.001, '3d': 0.001 };
const states = (ratio: number, extra: Record<string, number> = {}, when = at) => new Map([['api', sloState(slo, { ...base, '28d': ratio, ...extra }, when)]]);
const shop = { cluster: 'prod', namespace: 'shop' };

describe('errorBudgetGate', () => {
  it('allows disruptive actions while the budget is healthy', () => {
    expect(errorBudgetGate([policy()], states(0.005), shop, 'disruptive', NOW)).toEqual({ verdict: 'allow' });
  });

  it('asks for approval (default) or waits while the budget is spent, and says why', () => {
    const v = errorBudgetGate([policy()], states(0.02), shop, 'disruptive', NOW);
    expect(v).toMatchObject({ verdict: 'approval', policy: 'p', maxWaitSeconds: 7200, recheckSeconds: 600 });
    expect(v.verdict !== 'allow' && v.reason).toBe(
      'the error budget of SLO api is spent (-100% left of 28d): error-budget policy p asks for approval of disruptive actions',
    );
    expect(errorBudgetGate([policy({ whenExhausted: 'wait' })], states(0.02), shop, 'disruptive', NOW).verdict).toBe('wait');
  });

  it('never holds a restorative action', () => {
    expect(errorBudgetGate([policy({ whenExhausted: 'wait' })], states(0.02), shop, 'restorative', NOW)).toEqual({ verdict: 'allow' });
  });

  it('acts on a fast burn as configured, including allow', () => {
    const burning = states(0.005, { '1h': 0.2, '5m': 0.2 });
    expect(errorBudgetGate([policy()], burning, shop, 'disruptive', NOW).verdict).toBe('approval');
    expect(errorBudgetGate([policy({ whenBurningFast: 'wait' })], burning, shop, 'disruptive', NOW).verdict).toBe('wait');
    expect(errorBudgetGate([policy({ whenBurningFast: 'allow' })], burning, shop, 'disruptive', NOW).verdict).toBe('allow');
  });

  it('fails closed on missing, stale or empty state', () => {
    expect(errorBudgetGate([policy()], new Map(), shop, 'disruptive', NOW)).toMatchObject({
      verdict: 'approval',
      reason: expect.stringMatching(/has not been measured yet/),
    });
    const stale = new Date(NOW - (MAX_STATE_AGE_SECONDS + 60) * 1000).toISOString();
    expect(errorBudgetGate([policy()], states(0.001, {}, stale), shop, 'disruptive', NOW)).toMatchObject({
      verdict: 'approval',
      reason: expect.stringMatching(/was last measured at/),
    });
    expect(errorBudgetGate([policy()], states(NaN), shop, 'disruptive', NOW)).toMatchObject({
      verdict: 'approval',
      reason: expect.stringMatching(/had no events/),
    });
  });

  it('applies only in scope; a node-level action (no namespace) is in every namespace scope', () => {
    expect(errorBudgetGate([policy()], states(0.02), { cluster: 'dev', namespace: 'shop' }, 'disruptive', NOW).verdict).toBe('allow');
    expect(errorBudgetGate([policy()], states(0.02), { cluster: 'prod', namespace: 'batch' }, 'disruptive', NOW).verdict).toBe('allow');
    expect(errorBudgetGate([policy()], states(0.02), { cluster: 'prod' }, 'disruptive', NOW).verdict).toBe('approval');
  });

  it('waiting wins over asking when two policies disagree', () => {
    const v = errorBudgetGate([policy({ name: 'ask' }), policy({ name: 'hold', whenExhausted: 'wait' })], states(0.02), shop, 'disruptive', NOW);
    expect(v).toMatchObject({ verdict: 'wait', policy: 'hold' });
  });
});

describe('runbook impact', () => {
  it('classifies every runbook of the catalogue on purpose', () => {
    expect(runbookNames().filter((n) => RUNBOOK_IMPACT[n] === undefined)).toEqual([]);
  });
  it('a scale-down (the plan asks approval) is disruptive, a scale-up restorative; unknown runbooks are disruptive', () => {
    expect(runbookImpact('scale-workload', { requiresApproval: 'scaling api down from 4 to 2 replicas' })).toBe('disruptive');
    expect(runbookImpact('scale-workload', {})).toBe('restorative');
    expect(runbookImpact('drain-node')).toBe('disruptive');
    expect(runbookImpact('restart-pod')).toBe('restorative');
    expect(runbookImpact('something-new')).toBe('disruptive');
  });
});

describe('errorBudgetCoverage', () => {
  it('covers targets in scope, with the longest hold of a waiting policy', () => {
    expect(errorBudgetCoverage([policy()], shop)).toEqual({ maxWaitSeconds: 0 });
    expect(errorBudgetCoverage([policy(), policy({ name: 'w', whenExhausted: 'wait', maxWait: '3h' })], shop)).toEqual({ maxWaitSeconds: 10800 });
    expect(errorBudgetCoverage([policy()], { cluster: 'dev', namespace: 'shop' })).toBeUndefined();
    expect(errorBudgetCoverage(undefined, shop)).toBeUndefined();
  });
});
