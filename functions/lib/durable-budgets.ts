// Adapts the Durable Functions client to the budget endpoints' BudgetInstances port
// (src/budget/http.ts). getStatus throws on 404 for an unknown instance (durable-functions 3.x).
import type { DurableClient } from 'durable-functions';
import type { BudgetInstances } from '../../src/budget/http.js';
import { BUDGET_ORCHESTRATION } from '../../src/budget/types.js';
import type { BudgetState } from '../../src/budget/state.js';
import { budgetEntityId } from '../../orchestrations/budget-entity.js';
import { instanceStatus } from './durable-instances.js';

export function durableBudgetInstances(client: DurableClient): BudgetInstances {
  return {
    status: (instanceId) => instanceStatus(client, instanceId),
    async start(instanceId, input) {
      await client.startNew(BUDGET_ORCHESTRATION, { instanceId, input });
    },
    async raise(instanceId, event, data) {
      await client.raiseEvent(instanceId, event, data);
    },
    async entityState(budget, periodKey) {
      const r = await client.readEntityState<BudgetState>(budgetEntityId(budget, periodKey));
      return r.entityExists && r.entityState ? r.entityState : null;
    },
  };
}
