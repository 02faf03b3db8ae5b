// Builds one budget evaluation (one orchestration instance) for the replay harness: the real
// orchestrator, budget entity and activities, over an in-memory estate (world.ts) and a cost curve.
// Entity states carry over from earlier evaluations (the task hub's entity storage).
import { windowGateActivity } from '../support/window-gate.js';
import type { WindowsConfig } from '../../src/config/windows-schema.js';
import { budgetApplyStep, budgetCheckStep, budgetGate, budgetMeasure, budgetPlan, budgetReadStep, type BudgetEnv } from '../../src/budget/activities.js';
import { periodAt } from '../../src/budget/period.js';
import type { BudgetNotifyInput, BudgetSpec, Measurement } from '../../src/budget/types.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { budgetEnforcementOrchestrator, type BudgetEnforcementInput } from '../../orchestrations/budget-enforcement.js';
import { budgetEntity } from '../../orchestrations/budget-entity.js';
import { createReplayHarness, type ActivityImpl, type PlannedEvent, type ReplayHarness } from '../support/replay-harness.js';
import { loadFixture } from './fixtures.js';
import type { World } from './world.js';

export const FIXTURE = loadFixture();

/** day (YYYY-MM-DD) -> [cost to date, forecast]. */
export type Curve = Record<string, [number | null, number | null]>;

export interface Run {
  harness: ReplayHarness;
  world: World;
  audits: Map<string, AuditRecord>;
  notes: Map<string, BudgetNotifyInput>;
}

export interface RunOptions {
  budget: BudgetSpec;
  curve: Curve;
  day: string;
  world: World;
  entities: Record<string, string>;
  events?: PlannedEvent[];
  paused?: boolean;
  forceDryRun?: boolean;
  /** Time of day of the evaluation; default 06:00:00Z. */
  time?: string;
  /** Maintenance windows and freezes the window gate evaluates; its audit rows go to windowRows. */
  windows?: WindowsConfig;
  windowRows?: AuditRecord[];
  /** Activities that replace the defaults (the error-budget gate with a policy: test/support/error-budget.ts). */
  activities?: Record<string, ActivityImpl>;
}

export function measurementOf(curve: Curve, budget: BudgetSpec, now: string): Measurement {
  const day = now.slice(0, 10);
  const v = curve[day];
  if (!v) throw new Error(`no cost data for ${day}`);
  return {
    period: periodAt(budget.period, now).key,
    actual: v[0],
    forecast: v[1],
    currency: budget.currency,
    asOf: now,
    drivers: [{ name: 'Virtual Machines', cost: Math.round((v[0] ?? 0) * 0.8) }],
    notes: v[1] === null ? ['forecast not available yet'] : [],
    cached: false,
  };
}

export function budgetRun(o: RunOptions): Run {
  const audits = new Map<string, AuditRecord>();
  const notes = new Map<string, BudgetNotifyInput>();
  const env: BudgetEnv = {
    config: FIXTURE.cfg,
    estate: o.world,
    cost: { measure: async (i) => measurementOf(o.curve, o.budget, i.now) },
    isPaused: async () => ({ paused: o.paused === true, reason: o.paused ? 'test pause' : null }),
  };
  const at = `${o.day}T${o.time ?? '06:00:00.000Z'}`;
  const period = periodAt(o.budget.period, at);
  const input: BudgetEnforcementInput = { budget: o.budget, period, trigger: 'timer', refresh: false, forceDryRun: o.forceDryRun === true };
  const harness = createReplayHarness({
    orchestrator: budgetEnforcementOrchestrator,
    name: 'budgetEnforcement',
    instanceId: `budget-${o.budget.name}-${period.key}-${at.slice(0, 13)}`,
    input,
    startTime: at,
    ...(o.events ? { events: o.events } : {}),
    activities: {
      budgetGate: () => budgetGate(env),
      ...windowGateActivity(o.windows, [], o.windowRows),
      budgetMeasure: (i: never) => budgetMeasure(env, i),
      budgetPlan: (i: never) => budgetPlan(env, i),
      budgetReadStep: (i: never) => budgetReadStep(env, i),
      budgetApplyStep: (i: never) => budgetApplyStep(env, i),
      budgetCheckStep: (i: never) => budgetCheckStep(env, i),
      budgetReport: () => ({ namespaces: [{ cluster: 'ms5-prod', namespace: 'preview', cost: 420 }], idle: [{ cluster: 'ms5-prod', cost: 90 }], notes: [] }),
      budgetNotify: (n: BudgetNotifyInput) => void notes.set(n.id, n),
      budgetAudit: (rs: AuditRecord[]) => void rs.forEach((r) => audits.set(r.id, r)),
      ...o.activities,
    },
    entities: { budget: budgetEntity },
  });
  Object.assign(harness.store.entities, JSON.parse(JSON.stringify(o.entities)) as Record<string, string>);
  return { harness, world: o.world, audits, notes };
}

/** Entity states with every time replaced: a resumed run may skip a poll a clean run made. */
export function timeless(entities: Record<string, string>): unknown {
  return JSON.parse(JSON.stringify(entities).replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>'));
}
