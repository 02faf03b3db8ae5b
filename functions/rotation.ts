// Registrations of secret rotation: the orchestration, the slots entity, the activities, and the
// triggers (Event Grid from the Key Vault system topic, the daily sweep, on-call HTTP). Thin: the
// logic is in orchestrations/secret-rotation.ts and src/rotation/. Modules load on first use.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { activity, clientEventGrid, clientHttp, clientTimer, entity, orchestration } from './lib/durable-lazy.js';
import { guarded, identify, json, readJson, refused, validBody } from './lib/http.js';
import { durableRuns } from './lib/durable-runs.js';
import { ROTATION_ACTIVITY } from '../src/rotation/contracts.js';
import { rotationEnv, triggerEnv, ROTATION_ORCHESTRATION } from './lib/rotation-runtime.js';
import type { RotationEnv } from '../src/rotation/activities.js';
import type { RotationNotifyInput } from '../src/rotation/contracts.js';
import { notifyOpsEvent } from './lib/ops-notify.js';
import { actorOf, APPROVER_ROLE, OPERATOR_ROLE, proofText } from '../src/oncall/identity.js';
import { raiseToWaiting, statusOfKind } from '../src/oncall/instance-events.js';

/** Name the Bicep Event Grid subscription targets (bicep/main.bicep secretRotationFunctionName). */
export const SECRET_ROTATION_EVENT_GRID_FUNCTION = 'secretRotationEventGrid';

orchestration(ROTATION_ORCHESTRATION, async () => (await import('../orchestrations/secret-rotation.js')).secretRotationOrchestrator);
entity('rotationSlots', async () => (await import('../orchestrations/rotation-slots.js')).rotationSlotsEntity as never);

type Act = typeof import('../src/rotation/activities.js');
const ACTIVITIES: Array<[string, (m: Act) => (env: RotationEnv, input: never) => Promise<unknown>]> = [
  [ROTATION_ACTIVITY.prepare, (m) => m.prepare],
  [ROTATION_ACTIVITY.create, (m) => m.create],
  [ROTATION_ACTIVITY.propagate, (m) => m.propagate],
  [ROTATION_ACTIVITY.roll, (m) => m.roll],
  [ROTATION_ACTIVITY.rolloutStatus, (m) => m.rolloutStatus],
  [ROTATION_ACTIVITY.verify, (m) => m.verify],
  [ROTATION_ACTIVITY.promote, (m) => m.promote],
  [ROTATION_ACTIVITY.rollback, (m) => m.rollback],
  [ROTATION_ACTIVITY.revertProvider, (m) => m.revertProvider],
  [ROTATION_ACTIVITY.audit, (m) => m.writeAudit],
];
for (const [name, pick] of ACTIVITIES) {
  activity(name, async () => {
    const m = await import('../src/rotation/activities.js');
    const fn = pick(m);
    return async (input: unknown, context: InvocationContext) => fn(await rotationEnv((t) => context.warn(`ROTATION ${t}`)), input as never);
  });
}

// A rotation that did not end rotated: logged and audited, and routed to people (paged when it rolled back or failed).
activity(ROTATION_ACTIVITY.notify, async () => {
  const [m, { eventFromRotation }] = await Promise.all([import('../src/rotation/activities.js'), import('../src/notify/job-events.js')]);
  return async (input: unknown, context: InvocationContext) => {
    const n = input as RotationNotifyInput;
    await m.notify(await rotationEnv((t) => context.warn(`ROTATION ${t}`)), n);
    await notifyOpsEvent(eventFromRotation(n), context);
  };
});

clientEventGrid(SECRET_ROTATION_EVENT_GRID_FUNCTION, {
  handler: async (event, client, context) => {
    const { handleKeyVaultEvent } = await import('../src/rotation/trigger.js');
    // Transient failures throw: Event Grid redelivers (retryPolicy in bicep/modules/eventgrid.bicep).
    const res = await handleKeyVaultEvent(await triggerEnv(client), event);
    context.log(`secret rotation ${res.decision}: ${res.secretName} ${res.instanceId ?? ''} ${res.detail}`);
  },
});

clientTimer('secretRotationSweep', {
  schedule: '0 0 3 * * *',
  handler: async (_timer, client, context) => {
    const { sweep } = await import('../src/rotation/trigger.js');
    const res = await sweep(await triggerEnv(client));
    context.log(
      `secret rotation sweep: ${res.checked} enrolled secret(s) checked; ${res.results.map((r) => `${r.secretName} ${r.decision}`).join(', ') || 'none due'}`,
    );
  },
});

/** The roles of the rotation routes (docs/security.md). */
const START = { role: OPERATOR_ROLE, purpose: 'start secret rotations' };
const APPROVE = { role: APPROVER_ROLE, purpose: 'approve secret rotations' };
const ROTATION = { orchestration: ROTATION_ORCHESTRATION, phase: 'awaiting-approval', kind: 'rotation' };

export async function rotationsStart(request: HttpRequest, client: DurableClient): Promise<HttpResponseInit> {
  const read = await readJson(request, 16 * 1024);
  if (!read.ok) return read.response;
  const body = read.body;
  const who = identify(request, body, START);
  if (!who.ok) return refused(who);
  const checked = await validBody<{ secret: string; dryRun?: boolean; version?: string }>('rotationsStart', body);
  if (!checked.ok) return checked.response;
  const { secret, dryRun, version } = checked.value;
  const { requestRotation } = await import('../src/rotation/trigger.js');
  try {
    const res = await requestRotation(await triggerEnv(client), {
      secretName: secret,
      reason: 'manual',
      actor: actorOf(who),
      ...(dryRun === true ? { dryRun: true } : {}),
      ...(version !== undefined ? { version } : {}),
    });
    const status = res.decision === 'started' ? 202 : res.decision === 'missing' || res.decision === 'not-enrolled' ? 404 : 200;
    return json(status, res);
  } catch (e) {
    const { redactSecrets } = await import('../src/domain/redact.js');
    return json(503, { error: redactSecrets((e as Error).message) }, { 'Retry-After': '30' });
  }
}

/** GET /api/rotations/{id}: a rotation's status; another job's instance is "no rotation". */
export async function rotationsStatus(request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  const who = identify(request, {});
  if (!who.ok) return refused(who);
  const id = request.params['instanceId'] ?? '';
  return guarded(context, 'rotation status', async () => {
    const s = await statusOfKind(durableRuns(client), id, ROTATION);
    if (!s) return json(404, { error: `no rotation ${id}` });
    return json(200, {
      instanceId: id,
      runtimeStatus: s.runtimeStatus,
      customStatus: s.customStatus,
      output: s.output,
      createdTime: s.createdTime,
      lastUpdatedTime: s.lastUpdatedTime,
    });
  });
}

/** POST /api/rotations/{id}/approval: only an Approver, only into a rotation that waits for approval. */
export async function rotationsApprove(request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  const id = request.params['instanceId'] ?? '';
  const read = await readJson(request, 16 * 1024);
  if (!read.ok) return read.response;
  const who = identify(request, read.body, APPROVE);
  if (!who.ok) return refused(who);
  const checked = await validBody<{ approved: boolean }>('rotationsApprove', read.body);
  if (!checked.ok) return checked.response;
  const { approved } = checked.value;
  const { EVENT_ROTATION_APPROVAL } = await import('../src/rotation/contracts.js');
  return guarded(context, 'rotation approval', async () => {
    const r = await raiseToWaiting(durableRuns(client), id, ROTATION, EVENT_ROTATION_APPROVAL, { approved, by: `${actorOf(who)} (${proofText(who)})` });
    return r.ok ? json(202, { instanceId: id, approved, by: actorOf(who), proof: who.proof }) : json(r.status, { error: r.error });
  });
}

clientHttp('rotationsStart', { route: 'rotations', methods: ['POST'], authLevel: 'function', handler: (r, c) => rotationsStart(r, c) });
clientHttp('rotationsStatus', { route: 'rotations/{instanceId}', methods: ['GET'], authLevel: 'function', handler: rotationsStatus });
clientHttp('rotationsApprove', { route: 'rotations/{instanceId}/approval', methods: ['POST'], authLevel: 'function', handler: rotationsApprove });
