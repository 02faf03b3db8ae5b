// Registrations of the remediation orchestration, the guard entity and their activities.
// Thin: the logic is in orchestrations/ and src/ (runbooks/run.ts, runbooks/closed-loop.ts,
// notify/deliver.ts). Modules load on first use.
import type { InvocationContext } from '@azure/functions';
import type { AuditRecord, NotifyInput, PlanRunbookInput, ResolveTargetInput, RunRunbookInput, SilenceInput, VerifyInput } from '../src/domain/types.js';
import { REMEDIATION_ACTIVITY } from '../src/domain/remediation-activities.js';
import { activity, entity, orchestration } from './lib/durable-lazy.js';
import { appSettings, auditStore, closedLoopEnv, configLoader, runbookEnv } from './lib/runtime.js';

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

activity(REMEDIATION_ACTIVITY.writeAudit, async () => {
  const audit = await auditStore();
  return async (input: unknown) => {
    await audit.write([input as AuditRecord]);
  };
});

// Escalations and approval requests are also audited; every message goes to the configured
// Teams/Slack targets (src/notify/activity.ts). Delivery failures never fail the activity.
activity(REMEDIATION_ACTIVITY.notify, async () => {
  const [audit, loadConfig, { notifyActivity }, { readNamedSetting }] = await Promise.all([
    auditStore(),
    configLoader(),
    import('../src/notify/activity.js'),
    import('../src/config/settings.js'),
  ]);
  const delivered = new Set<string>();
  return (input: unknown, context: InvocationContext) =>
    notifyActivity(
      { audit, config: loadConfig(), secret: (name) => readNamedSetting(process.env, name), publicBaseUrl: appSettings().publicBaseUrl, delivered, log: (level, m) => context[level](m) },
      input as NotifyInput,
    );
});
