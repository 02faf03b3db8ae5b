// Registrations of the remediation orchestration, the guard entity and their activities.
// Thin: the logic is in orchestrations/ and src/runbooks/run.ts. Modules load on first use.
import type { InvocationContext } from '@azure/functions';
import type { AuditRecord, NotifyInput, ResolveTargetInput, RunRunbookInput } from '../src/domain/types.js';
import { activity, entity, orchestration } from './lib/durable-lazy.js';
import { auditStore, runbookEnv } from './lib/runtime.js';

orchestration('remediation', async () => (await import('../orchestrations/remediation.js')).remediationOrchestrator);

entity('guard', async () => (await import('../orchestrations/guard-entity.js')).guardEntity as never);

activity('resolveTarget', async () => {
  const [{ resolveTarget }, env] = await Promise.all([import('../src/runbooks/run.js'), runbookEnv()]);
  return (input: unknown) => resolveTarget(env, input as ResolveTargetInput);
});

activity('runRunbook', async () => {
  const [{ runRunbook }, env] = await Promise.all([import('../src/runbooks/run.js'), runbookEnv()]);
  return (input: unknown) => runRunbook(env, input as RunRunbookInput);
});

activity('writeAudit', async () => {
  const audit = await auditStore();
  return async (input: unknown) => {
    await audit.write([input as AuditRecord]);
  };
});

// Escalations are recorded in the audit log and the function log. Teams/Slack delivery comes
// with the notification targets of the runbook catalogue (issue 3).
activity('notify', async () => {
  const audit = await auditStore();
  return async (input: unknown, context: InvocationContext) => {
    const n = input as NotifyInput;
    context.warn(`ESCALATION ${n.reason} for ${n.target} (rule ${n.rule}, run ${n.instanceId}): ${n.detail}`);
    await audit.write([
      { id: n.id, at: n.at, kind: 'result', actor: 'orchestration', instanceId: n.instanceId, rule: n.rule, runbook: n.runbook, target: n.target, fingerprint: n.fingerprint, ...(n.alertname ? { alertname: n.alertname } : {}), decision: 'escalated', result: n.reason, detail: n.detail },
    ]);
  };
});
