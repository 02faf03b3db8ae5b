// Registrations of the remediation orchestration, the guard entity and their activities.
// Thin: the logic is in orchestrations/ and src/ (runbooks/run.ts, runbooks/closed-loop.ts,
// notify/deliver.ts). Modules load on first use.
import type { InvocationContext } from '@azure/functions';
import type {
  AuditRecord,
  EscalationPageInput,
  NotifyInput,
  PlanRunbookInput,
  ResolveTargetInput,
  RunRunbookInput,
  SilenceInput,
  VerifyInput,
} from '../src/domain/types.js';
import { REMEDIATION_ACTIVITY } from '../src/domain/remediation-activities.js';
import { activity, entity, orchestration } from './lib/durable-lazy.js';
import { auditStore, closedLoopEnv, configLoader, notifyEnv, runbookEnv } from './lib/runtime.js';
import { notifyOpsEvent } from './lib/ops-notify.js';

orchestration('remediation', async () => (await import('../orchestrations/remediation.js')).remediationOrchestrator);

entity('guard', async () => (await import('../orchestrations/guard-entity.js')).guardEntity as never);

activity(REMEDIATION_ACTIVITY.resolveTarget, async () => {
  const [{ resolveTarget }, env] = await Promise.all([import('../src/runbooks/run.js'), runbookEnv()]);
  return (input: unknown) => resolveTarget(env, input as ResolveTargetInput);
});

activity(REMEDIATION_ACTIVITY.planRunbook, async () => {
  const [{ planRunbook }, env] = await Promise.all([import('../src/runbooks/run.js'), runbookEnv()]);
  return (input: unknown) => planRunbook(env, input as PlanRunbookInput);
});

activity(REMEDIATION_ACTIVITY.runRunbook, async () => {
  const [{ runRunbook }, env] = await Promise.all([import('../src/runbooks/run.js'), runbookEnv()]);
  return (input: unknown) => runRunbook(env, input as RunRunbookInput);
});

activity(REMEDIATION_ACTIVITY.verifyRemediation, async () => {
  const [{ verifyRemediation }, env] = await Promise.all([import('../src/runbooks/closed-loop.js'), closedLoopEnv()]);
  return (input: unknown) => verifyRemediation(env, input as VerifyInput);
});

activity(REMEDIATION_ACTIVITY.silence, async () => {
  const [{ silence }, env] = await Promise.all([import('../src/runbooks/closed-loop.js'), closedLoopEnv()]);
  return (input: unknown) => silence(env, input as SilenceInput);
});

// Shared by remediation, backup, verify and restore drills: a failed job's result row is also
// routed to people (src/notify/job-events.ts): paged when critical, chat or the morning digest.
activity(REMEDIATION_ACTIVITY.writeAudit, async () => {
  const [audit, { recordAuditMetrics }, { eventFromJobResult }] = await Promise.all([
    auditStore(),
    import('../src/telemetry/metrics.js'),
    import('../src/notify/job-events.js'),
  ]);
  return async (input: unknown, context: InvocationContext) => {
    await audit.write([input as AuditRecord]);
    recordAuditMetrics([input as AuditRecord]);
    await notifyOpsEvent(eventFromJobResult(input as AuditRecord), context);
  };
});

// A waiting approval's escalation level: page (or resolve) its receivers, audited (src/notify/activity.ts).
activity(REMEDIATION_ACTIVITY.escalationPage, async () => {
  const [audit, loadConfig, { escalationPageActivity }] = await Promise.all([auditStore(), configLoader(), import('../src/notify/activity.js')]);
  return (input: unknown, context: InvocationContext) =>
    escalationPageActivity({ ...notifyEnv(), audit, config: loadConfig(), log: (level, m) => context[level](m) }, input as EscalationPageInput);
});

// Escalations and approval requests are also audited; every message goes to the configured
// Teams/Slack targets (src/notify/activity.ts). Delivery failures never fail the activity.
activity(REMEDIATION_ACTIVITY.notify, async () => {
  const [audit, loadConfig, { notifyActivity }] = await Promise.all([auditStore(), configLoader(), import('../src/notify/activity.js')]);
  const delivered = new Set<string>();
  return (input: unknown, context: InvocationContext) =>
    notifyActivity({ ...notifyEnv(), audit, config: loadConfig(), delivered, log: (level, m) => context[level](m) }, input as NotifyInput);
});
