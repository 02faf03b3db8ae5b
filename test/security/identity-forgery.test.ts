// Attack (#12 item 3): identity was checked only on /api/runbooks. With RUNBOOKS_AUTH=easy-auth and
// no principal, a rotation approval answered 202 (a forged x-ms-client-principal-name recorded as
// the approver), a rotation approval on a remediation's instance answered 202, GET
// /api/rotations/{id} showed a remediation's status, an ended rotation's approval answered 202
// (raiseEvent resolves on 410 Gone), budget approval answered 202 as user:unknown, and POST
// /api/pause took its actor from a forged header. In function-key mode, a forged base64
// x-ms-client-principal with roles ["Approver"] approved as someone else, audited as
// "(Easy Auth principal)". The real handlers run here over the real DurableClient against the
// fake Durable extension and a real audit table in Azurite.
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { callerIdentity } from '../../src/oncall/identity.js';
import { readSettings } from '../../src/config/settings.js';

const enc = (name: string, roles: string[]) =>
  Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      name_typ: 'preferred_username',
      claims: [{ typ: 'preferred_username', val: name }, ...roles.map((r) => ({ typ: 'roles', val: r }))],
    }),
  ).toString('base64');
const APPROVER = { 'x-ms-client-principal': enc('alice@contoso.com', ['Approver']) };
const OPERATOR = { 'x-ms-client-principal': enc('oscar@contoso.com', ['Operator']) };
const FORGED_NAME = { 'x-ms-client-principal-name': 'ceo@contoso.com' };

let durable: FakeDurableExtension;
let rotation: typeof import('../../functions/rotation.js');
let control: typeof import('../../functions/control.js');
let budgets: typeof import('../../functions/budgets.js');

function req(method: string, url: string, body?: unknown, headers: Record<string, string> = {}, params: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({
    method,
    url: `http://localhost/api/${url}`,
    headers: { 'content-type': 'application/json', ...headers },
    params,
    ...(body !== undefined ? { body: { string: JSON.stringify(body) } } : {}),
  });
}
const ctx = () => new InvocationContext({ functionName: 'sec', logHandler: () => undefined });
const client = () => durable.invocation('sec').client;

function seed(instanceId: string, name: string, runtimeStatus: 'Running' | 'Completed', customStatus: unknown) {
  const now = new Date().toISOString();
  durable.instances.set(instanceId, {
    name,
    instanceId,
    input: {},
    runtimeStatus,
    createdTime: now,
    lastUpdatedTime: now,
    output: null,
    customStatus,
    events: [],
  });
}

beforeAll(async () => {
  durable = await new FakeDurableExtension().start();
  // Behind Easy Auth, principal required (WEBSITE_AUTH_ENABLED is what App Service sets).
  Object.assign(process.env, {
    RUNBOOKS_AUTH: 'easy-auth',
    WEBSITE_AUTH_ENABLED: 'True',
    AzureWebJobsStorage: inject('azurite').connectionString,
    AUDIT_TABLE_NAME: `secid${Date.now().toString(36)}`,
    CONTROL_TABLE_NAME: `secctl${Date.now().toString(36)}`,
  });
  [rotation, control, budgets] = await Promise.all([
    import('../../functions/rotation.js'),
    import('../../functions/control.js'),
    import('../../functions/budgets.js'),
  ]);
});
afterAll(async () => {
  await durable.stop();
});
beforeEach(() => {
  durable.instances.clear();
  seed('rot-1', 'secretRotation', 'Running', { phase: 'awaiting-approval' });
  seed('rot-ended', 'secretRotation', 'Completed', { phase: 'done' });
  seed('rem-1', 'remediation', 'Running', { phase: 'awaiting-approval', plan: { summary: 'secret plan' } });
});

const events = (id: string) => durable.instances.get(id)!.events;

describe('attack: no or forged identity on the rotation, budget and pause routes (easy-auth mode)', () => {
  it('rotation approval without a principal, or with only a forged name header, is 401 and raises nothing', async () => {
    expect(
      (await rotation.rotationsApprove(req('POST', 'rotations/rot-1/approval', { approved: true }, {}, { instanceId: 'rot-1' }), client(), ctx())).status,
    ).toBe(401);
    expect(
      (await rotation.rotationsApprove(req('POST', 'rotations/rot-1/approval', { approved: true }, FORGED_NAME, { instanceId: 'rot-1' }), client(), ctx()))
        .status,
    ).toBe(401);
    expect(events('rot-1')).toEqual([]);
  });

  it('an Operator is not an Approver: 403', async () => {
    expect(
      (await rotation.rotationsApprove(req('POST', 'rotations/rot-1/approval', { approved: true }, OPERATOR, { instanceId: 'rot-1' }), client(), ctx())).status,
    ).toBe(403);
    expect(events('rot-1')).toEqual([]);
  });

  it("a rotation approval aimed at a remediation's instance is 404; at an ended rotation 409", async () => {
    expect(
      (await rotation.rotationsApprove(req('POST', 'rotations/rem-1/approval', { approved: true }, APPROVER, { instanceId: 'rem-1' }), client(), ctx())).status,
    ).toBe(404);
    expect(events('rem-1')).toEqual([]);
    const ended = await rotation.rotationsApprove(
      req('POST', 'rotations/rot-ended/approval', { approved: true }, APPROVER, { instanceId: 'rot-ended' }),
      client(),
      ctx(),
    );
    expect(ended.status).toBe(409);
    expect(events('rot-ended')).toEqual([]);
  });

  it('an Approver approving a waiting rotation: 202, and the event says how the approver was proven', async () => {
    const r = await rotation.rotationsApprove(req('POST', 'rotations/rot-1/approval', { approved: true }, APPROVER, { instanceId: 'rot-1' }), client(), ctx());
    expect(r.status).toBe(202);
    expect(events('rot-1')).toEqual([{ name: 'rotationApproval', data: { approved: true, by: 'user:alice@contoso.com (Easy Auth principal)' } }]);
  });

  it("GET /api/rotations/{id} does not show another job's instance, and needs a principal", async () => {
    expect((await rotation.rotationsStatus(req('GET', 'rotations/rem-1', undefined, APPROVER, { instanceId: 'rem-1' }), client(), ctx())).status).toBe(404);
    expect((await rotation.rotationsStatus(req('GET', 'rotations/rot-1', undefined, {}, { instanceId: 'rot-1' }), client(), ctx())).status).toBe(401);
    expect((await rotation.rotationsStatus(req('GET', 'rotations/rot-1', undefined, OPERATOR, { instanceId: 'rot-1' }), client(), ctx())).status).toBe(200);
  });

  it('budget approval without a principal is 401 (it used to answer 202 as user:unknown)', async () => {
    const r = await budgets.budgetsApproval(req('POST', 'budgets/prod/approval', { approve: true }, {}, { name: 'prod' }), client());
    expect(r.status).toBe(401);
    const o = await budgets.budgetsApproval(req('POST', 'budgets/prod/approval', { approve: true, by: 'ceo' }, OPERATOR, { name: 'prod' }), client());
    expect(o.status).toBe(403);
  });

  it('POST /api/pause with a forged name header is 401 and stores nothing', async () => {
    const r = await control.setPauseHandler(req('POST', 'pause', { paused: true, reason: 'x', by: 'x' }, FORGED_NAME), ctx());
    expect(r.status).toBe(401);
    const got = await control.getPauseHandler(req('GET', 'pause'), ctx());
    expect((got.jsonBody as { switch: unknown }).switch).toBeNull();
  });
});

describe('attack: forged x-ms-client-principal in function-key mode (no Easy Auth in front)', () => {
  const policy = readSettings({});
  it('the forged principal is ignored: the name is the claimed body field, and the proof says function key', () => {
    const forged = { get: (n: string) => (n === 'x-ms-client-principal' ? enc('ceo@contoso.com', ['Approver']) : null) };
    expect(policy.behindEasyAuth).toBe(false);
    expect(callerIdentity(forged, {}, policy, { role: 'Approver', field: 'approver', fieldRequired: true })).toMatchObject({
      ok: false,
      status: 401,
      parameter: 'approver',
    });
    expect(callerIdentity(forged, { approver: 'mallory' }, policy, { role: 'Approver', field: 'approver', fieldRequired: true })).toMatchObject({
      ok: true,
      by: 'mallory',
      proof: 'function-key',
      claimed: true,
    });
  });

  it('easy-auth mode without WEBSITE_AUTH_ENABLED is refused at startup', () => {
    expect(() => readSettings({ RUNBOOKS_AUTH: 'easy-auth' })).toThrow(/WEBSITE_AUTH_ENABLED.*Fix/);
  });
});
