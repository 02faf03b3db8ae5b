// Adapts the Durable Functions client to the on-call endpoints' RunPort (src/oncall/runs.ts):
// instance status with input and custom status, start, raise an event, read a guard entity.
// The client throws on 404 for a missing instance (durable-functions 3.x getStatus).
import type { DurableClient } from 'durable-functions';
import type { RemediationInput, Target } from '../../src/domain/types.js';
import type { GuardState } from '../../src/domain/guard.js';
import type { RunPort, RunStatus } from '../../src/oncall/runs.js';
import { REMEDIATION_ORCHESTRATION, instanceDetails } from './durable-instances.js';
import { durableSdk } from './durable-lazy.js';

export function durableRuns(client: DurableClient): RunPort {
  return {
    status: (instanceId: string): Promise<RunStatus | null> => instanceDetails(client, instanceId, { showInput: true }),
    async start(input: RemediationInput): Promise<void> {
      await client.startNew(REMEDIATION_ORCHESTRATION, { instanceId: input.instanceId, input });
    },
    async raise(instanceId: string, event: string, data: unknown): Promise<void> {
      await client.raiseEvent(instanceId, event, data);
    },
    async guardState(target: Target): Promise<GuardState | null> {
      const [{ guardEntityId }] = await Promise.all([import('../../orchestrations/guard-entity.js'), durableSdk()]);
      const r = await client.readEntityState<GuardState>(guardEntityId(target));
      return r.entityExists && r.entityState ? r.entityState : null;
    },
  };
}
