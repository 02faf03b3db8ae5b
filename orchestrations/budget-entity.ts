// Durable entity `budget`: one instance per budget and period (key "<budget>.<period start>")
// holds the enforcement state: stages fired, every change made with the values it replaced, the
// evaluation lease, approvals. Entities run one operation at a time, which makes the lease a
// lease and "record the intent before the change" atomic. The rules are in src/budget/state.ts;
// this file only stores state and maps operations. Registered in functions/budgets.ts.
import * as df from 'durable-functions';
import type { EntityContext, EntityHandler } from 'durable-functions';
import {
  acquireLease,
  evaluate,
  initialBudgetState,
  markApplied,
  markRestored,
  markStageFired,
  markStageRestored,
  recordApproval,
  recordIntent,
  releaseLease,
  setLookbackDone,
  type BudgetState,
} from '../src/budget/state.js';

import { BUDGET_ENTITY } from '../src/budget/types.js';

export { BUDGET_ENTITY };

export const BUDGET_OP = {
  acquire: 'acquire',
  release: 'release',
  evaluate: 'evaluate',
  stageFired: 'stageFired',
  stageRestored: 'stageRestored',
  intent: 'intent',
  applied: 'applied',
  restored: 'restored',
  lookbackDone: 'lookbackDone',
  approval: 'approval',
  get: 'get',
} as const;

/** Entity key: budget names are slugs and period keys dates, so "." separates them unambiguously. */
export function budgetEntityKey(budget: string, periodKey: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(budget) || !/^\d{4}-\d{2}-\d{2}$/.test(periodKey))
    throw new RangeError(`bad budget entity key parts: ${budget} ${periodKey}`);
  return `${budget}.${periodKey}`;
}

export function budgetEntityId(budget: string, periodKey: string): df.EntityId {
  return new df.EntityId(BUDGET_ENTITY, budgetEntityKey(budget, periodKey));
}

type Op = (state: BudgetState, input: never) => { state: BudgetState; result: unknown };

const OPS: Record<string, Op> = {
  [BUDGET_OP.acquire]: acquireLease,
  [BUDGET_OP.release]: releaseLease,
  [BUDGET_OP.evaluate]: evaluate,
  [BUDGET_OP.stageFired]: markStageFired,
  [BUDGET_OP.stageRestored]: markStageRestored,
  [BUDGET_OP.intent]: recordIntent,
  [BUDGET_OP.applied]: markApplied,
  [BUDGET_OP.restored]: markRestored,
  [BUDGET_OP.lookbackDone]: setLookbackDone,
  [BUDGET_OP.approval]: recordApproval,
};

export const budgetEntity: EntityHandler<BudgetState> = (context: EntityContext<BudgetState>) => {
  const op = context.df.operationName ?? '';
  if (op === BUDGET_OP.get) {
    // Reading never creates the entity: an unknown budget/period reads as the initial state.
    // context.df.return marks the entity as existing (durable-functions Entity.js), so an entity
    // that did not exist before this read is destructed again on exit.
    context.df.return(context.df.getState(() => initialBudgetState()) ?? initialBudgetState());
    if (context.df.isNewlyConstructed) context.df.destructOnExit();
    return;
  }
  const fn = OPS[op];
  if (!fn) throw new Error(`budget: unknown operation ${op}`);
  const input = context.df.getInput<unknown>();
  if (input === undefined || input === null || typeof input !== 'object') throw new Error(`budget ${op}: input object required`);
  const state = context.df.getState(() => initialBudgetState()) ?? initialBudgetState();
  const r = fn(state, input as never);
  if (r.state !== state) context.df.setState(r.state);
  context.df.return(r.result);
};
