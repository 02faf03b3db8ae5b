// Registrations of secret rotation: the orchestration, the slots entity, the activities, and the
// triggers (Event Grid from the Key Vault system topic, the daily sweep, on-call HTTP). Thin: the
// logic is in orchestrations/secret-rotation.ts and src/rotation/. Modules load on first use.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { activity, clientEventGrid, clientHttp, clientTimer, entity, orchestration } from './lib/durable-lazy.js';
import { readBodyLimited } from './lib/http-body.js';
import { rotationEnv, triggerEnv, ROTATION_ORCHESTRATION } from './lib/rotation-runtime.js';
import type { RotationEnv } from '../src/rotation/activities.js';
import { isInstanceNotFound } from './lib/durable-instances.js';

/** Name the Bicep Event Grid subscription targets (bicep/main.bicep secretRotationFunctionName). */
export const SECRET_ROTATION_EVENT_GRID_FUNCTION = 'secretRotationEventGrid';

orchestration(ROTATION_ORCHESTRATION, async () => (await import('../orchestrations/secret-rotation.js')).secretRotationOrchestrator);
entity('rotationSlots', async () => (await import('../orchestrations/rotation-slots.js')).rotationSlotsEntity as never);

type Act = typeof import('../src/rotation/activities.js');
const ACTIVITIES: Array<[string, (m: Act) => (env: RotationEnv, input: never) => Promise<unknown>]> = [
  ['rotationPrepare', (m) => m.prepare],
  ['rotationCreate', (m) => m.create],
  ['rotationPropagate', (m) => m.propagate],
  ['rotationRoll', (m) => m.roll],
  ['rotationRolloutStatus', (m) => m.rolloutStatus],
  ['rotationVerify', (m) => m.verify],
  ['rotationPromote', (m) => m.promote],
  ['rotationRollback', (m) => m.rollback],
  ['rotationRevertProvider', (m) => m.revertProvider],
  ['rotationAudit', (m) => m.writeAudit],
  ['rotationNotify', (m) => m.notify],
];
for (const [name, pick] of ACTIVITIES) {
  activity(name, async () => {
    const m = await import('../src/rotation/activities.js');
    const fn = pick(m);
    return async (input: unknown, context: InvocationContext) => fn(await rotationEnv((t) => context.warn(`ROTATION ${t}`)), input as never);
  });
}

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
    context.log(`secret rotation sweep: ${res.checked} enrolled secret(s) checked; ${res.results.map((r) => `${r.secretName} ${r.decision}`).join(', ') || 'none due'}`);
  },
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({ status, headers: { 'Content-Type': 'application/json', ...headers }, jsonBody: body });

/** Who asked: the Easy Auth principal when present, else the function-key caller. */
function actorOf(request: HttpRequest): string {
  const p = request.headers.get('x-ms-client-principal-name');
  return p ? `user:${p.slice(0, 200)}` : 'http:function-key';
}

async function readJson(request: HttpRequest): Promise<Record<string, unknown> | null> {
  const text = await readBodyLimited(request, 16 * 1024);
  if (text === null) return null;
  try {
    const v = JSON.parse(text === '' ? '{}' : text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function rotationsStart(request: HttpRequest, client: DurableClient): Promise<HttpResponseInit> {
  const body = await readJson(request);
  if (!body || typeof body['secret'] !== 'string' || !/^[0-9a-zA-Z-]{1,127}$/.test(body['secret'])) {
    return json(400, { error: 'body must be {"secret": "<Key Vault secret name>", "dryRun"?: true, "version"?: "<current version>"}' });
  }
  if (body['dryRun'] !== undefined && typeof body['dryRun'] !== 'boolean') return json(400, { error: 'dryRun must be true or false' });
  if (body['version'] !== undefined && (typeof body['version'] !== 'string' || !/^[0-9a-zA-Z]{1,64}$/.test(body['version']))) return json(400, { error: 'version must be a Key Vault version ID' });
  const { requestRotation } = await import('../src/rotation/trigger.js');
  try {
    const res = await requestRotation(await triggerEnv(client), {
      secretName: body['secret'],
      reason: 'manual',
      actor: actorOf(request),
      ...(body['dryRun'] === true ? { dryRun: true } : {}),
      ...(typeof body['version'] === 'string' ? { version: body['version'] } : {}),
    });
    const status = res.decision === 'started' ? 202 : res.decision === 'missing' || res.decision === 'not-enrolled' ? 404 : 200;
    return json(status, res);
  } catch (e) {
    const { redactSecrets } = await import('../src/domain/redact.js');
    return json(503, { error: redactSecrets((e as Error).message) }, { 'Retry-After': '30' });
  }
}

clientHttp('rotationsStart', { route: 'rotations', methods: ['POST'], authLevel: 'function', handler: (r, c) => rotationsStart(r, c) });

clientHttp('rotationsStatus', {
  route: 'rotations/{instanceId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (request, client) => {
    const id = request.params['instanceId'] ?? '';
    try {
      const s = await client.getStatus(id);
      return json(200, { instanceId: id, runtimeStatus: s.runtimeStatus, customStatus: s.customStatus, output: s.output, createdTime: s.createdTime, lastUpdatedTime: s.lastUpdatedTime });
    } catch (e) {
      return isInstanceNotFound(e) ? json(404, { error: `no rotation ${id}` }) : json(503, { error: 'status unavailable' }, { 'Retry-After': '30' });
    }
  },
});

clientHttp('rotationsApprove', {
  route: 'rotations/{instanceId}/approval',
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request, client) => {
    const id = request.params['instanceId'] ?? '';
    const body = await readJson(request);
    if (!body || typeof body['approved'] !== 'boolean') return json(400, { error: 'body must be {"approved": true|false}' });
    const { EVENT_ROTATION_APPROVAL } = await import('../src/rotation/contracts.js');
    try {
      await client.raiseEvent(id, EVENT_ROTATION_APPROVAL, { approved: body['approved'], by: actorOf(request) });
      return json(202, { instanceId: id, approved: body['approved'] });
    } catch (e) {
      return /404|410|No instance/.test((e as Error).message) ? json(404, { error: `no waiting rotation ${id}` }) : json(503, { error: 'could not deliver the approval' }, { 'Retry-After': '30' });
    }
  },
});
