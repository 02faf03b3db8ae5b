// Adapts the Durable Functions client to the on-call endpoints' RunPort (src/oncall/runs.ts):
// instance status with input and custom status, start, raise an event, read a guard entity.
// The client throws on 404 for a missing instance (durable-functions 3.x getStatus).
import type { DurableClient } from 'durable-functions';
import type { RemediationInput, Target } from '../../src/domain/types.js';
import type { GuardState } from '../../src/domain/guard.js';
import type { RunPort, RunStatus } from '../../src/oncall/runs.js';
import { REMEDIATION_ORCHESTRATION, isInstanceNotFound } from './durable-instances.js';
import { durableSdk } from './durable-lazy.js';

export function durableRuns(client: DurableClient): RunPort {
  return {
    async status(instanceId: string): Promise<RunStatus | null> {
      try {
        const s = await client.getStatus(instanceId, { showInput: true });
        if (!s?.runtimeStatus) return null;
        return {
          name: String(s.name ?? ''),
          runtimeStatus: String(s.runtimeStatus),
          input: s.input,
          customStatus: s.customStatus,
          output: s.output,
          createdTime: new Date(s.createdTime).toISOString(),
          lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
        };
      } catch (e) {
        if (isInstanceNotFound(e)) return null;
        throw e;
      }
    },
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
