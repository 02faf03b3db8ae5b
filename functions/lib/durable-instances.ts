// Starting orchestrations exactly once, through the Durable Functions client.
// The client throws on 404 for a missing instance (durable-functions 3.x DurableClient.getStatus),
// and the extension refuses to start an ID that is Running but would OVERWRITE one that is
// Completed/Failed/Terminated (default overridableExistingInstanceStates = NonRunningStates).
// So callers read the status first (an existing instance, in any state, is never restarted),
// and a start that loses a race with another caller re-reads it.
import type { DurableClient } from 'durable-functions';
import type { RemediationInput } from '../../src/domain/types.js';
import type { RunStatus } from '../../src/oncall/runs.js';
import { EVENT_ALERT_RESOLVED, type RemediationInstances } from '../../src/intake/webhook.js';

export const REMEDIATION_ORCHESTRATION = 'remediation';

export function isInstanceNotFound(e: unknown): boolean {
  return e instanceof Error && /HTTP 404|No instance with ID/.test(e.message);
}

/** The instance's runtime status ("Running", "Completed", ...), or null when no instance has this ID. */
export async function instanceStatus(client: DurableClient, instanceId: string): Promise<string | null> {
  try {
    const s = await client.getStatus(instanceId);
    return s?.runtimeStatus ? String(s.runtimeStatus) : null;
  } catch (e) {
    if (isInstanceNotFound(e)) return null;
    throw e;
  }
}

/** What the status endpoint of an instance shows (the on-call port's RunStatus). */
export type InstanceDetails = RunStatus;

/** The instance's status, or null when no instance has this ID; `input` only with showInput. */
export async function instanceDetails(client: DurableClient, instanceId: string, options: { showInput?: boolean } = {}): Promise<InstanceDetails | null> {
  try {
    const s = await client.getStatus(instanceId, options.showInput ? { showInput: true } : {});
    if (!s?.runtimeStatus) return null;
    return {
      name: String(s.name ?? ''),
      runtimeStatus: String(s.runtimeStatus),
      input: options.showInput ? s.input : undefined,
      customStatus: s.customStatus,
      output: s.output,
      createdTime: new Date(s.createdTime).toISOString(),
      lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
    };
  } catch (e) {
    if (isInstanceNotFound(e)) return null;
    throw e;
  }
}

/** Starts the instance, the caller having seen none; 'exists' when another caller started it first. */
export async function startOrExists(client: DurableClient, orchestration: string, instanceId: string, input: unknown): Promise<'started' | 'exists'> {
  try {
    await client.startNew(orchestration, { instanceId, input });
    return 'started';
  } catch (e) {
    if ((await instanceStatus(client, instanceId)) !== null) return 'exists';
    throw e;
  }
}

/** Starts the instance unless one with this ID exists in any state. */
export async function startOnce(client: DurableClient, orchestration: string, instanceId: string, input: unknown): Promise<'started' | 'exists'> {
  if ((await instanceStatus(client, instanceId)) !== null) return 'exists';
  return startOrExists(client, orchestration, instanceId, input);
}

export function durableRemediationInstances(client: DurableClient): RemediationInstances {
  return {
    status: (instanceId) => instanceStatus(client, instanceId),
    start: (input: RemediationInput) => startOrExists(client, REMEDIATION_ORCHESTRATION, input.instanceId, input),
    async raiseResolved(instanceId, data) {
      try {
        await client.raiseEvent(instanceId, EVENT_ALERT_RESOLVED, data);
      } catch (e) {
        if (!isInstanceNotFound(e)) throw e;
      }
    },
  };
}
