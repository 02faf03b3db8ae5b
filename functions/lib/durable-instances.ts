// Adapts the Durable Functions client to the intake's RemediationInstances port.
// The client throws on 404 for a missing instance (durable-functions 3.x DurableClient.getStatus),
// and the extension refuses to start an ID that is Running but would OVERWRITE one that is
// Completed/Failed/Terminated (default overridableExistingInstanceStates = NonRunningStates).
// So the intake always reads the status first, and a start that loses a race re-reads it.
import type { DurableClient } from 'durable-functions';
import type { RemediationInput } from '../../src/domain/types.js';
import { EVENT_ALERT_RESOLVED, type RemediationInstances } from '../../src/intake/webhook.js';

export const REMEDIATION_ORCHESTRATION = 'remediation';

function isNotFound(e: unknown): boolean {
  return e instanceof Error && /HTTP 404|No instance with ID/.test(e.message);
}

export function durableRemediationInstances(client: DurableClient): RemediationInstances {
  const status = async (instanceId: string): Promise<string | null> => {
    try {
      const s = await client.getStatus(instanceId);
      return s?.runtimeStatus ? String(s.runtimeStatus) : null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  };
  return {
    status,
    async start(input: RemediationInput) {
      try {
        await client.startNew(REMEDIATION_ORCHESTRATION, { instanceId: input.instanceId, input });
        return 'started';
      } catch (e) {
        // Another delivery (an HA peer) may have started it between our status read and now.
        if ((await status(input.instanceId)) !== null) return 'exists';
        throw e;
      }
    },
    async raiseResolved(instanceId, data) {
      try {
        await client.raiseEvent(instanceId, EVENT_ALERT_RESOLVED, data);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
}
