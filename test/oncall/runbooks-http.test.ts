// The on-call HTTP runbooks (src/oncall/runs.ts) through the real DurableClient against the fake
// Durable extension and a real audit table in Azurite: validation (400 naming the parameter),
// unknown runbook (404), protected scopes (403), identities (401/403), the guard (409),
// idempotent starts, approvals, rejections and cancels as external events. A refused or
// unauthenticated call starts nothing, raises nothing and writes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { durableRuns } from '../../functions/lib/durable-runs.js';
import { parseConfig } from '../../src/config/load.js';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { approvalPage, cancelRun, decideRun, getRun, listRunbooks, manualRunId, startRun, type OncallDeps, type OncallRequest } from '../../src/oncall/runs.js';
import { guardEntityKey } from '../../orchestrations/guard-entity.js';
import { initialGuardState } from '../../src/domain/guard.js';
import type { RemediationInput } from '../../src/domain/types.js';

const CONFIG = parseConfig(`
version: 1
protected: { namespaces: [monitoring] }
clusters: [{ name: ms5-prod, kubeContext: ms5 }]
approvals: { requiredIn: { namespaces: [payments] } }
`);

let durable: FakeDurableExtension;
let audit: AuditStore;
let settings: Settings;
const suffix = Math.random().toString(36).slice(2, 7);

beforeAll(async () => {
  durable = await new FakeDurableExtension().start();
  // Behind Easy Auth (WEBSITE_AUTH_ENABLED, set by App Service): principal headers are trusted.
  settings = readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, AUDIT_TABLE_NAME: `rbhttp${suffix}`, WEBSITE_AUTH_ENABLED: 'True' });
  audit = AuditStore.fromSettings(settings);
});
afterAll(async () => {
  await durable.stop();
});
beforeEach(() => {
  durable.instances.clear();
  durable.entities.clear();
  durable.starts.length = 0;
});

function deps(over: Partial<Settings> = {}): OncallDeps {
  const { client } = durable.invocation('runbooks');
  return {
    config: () => CONFIG,
    settings: { ...settings, ...over },
    runs: durableRuns(client),
    audit,
    now: () => new Date('2025-03-01T10:00:00Z'),
    apiBase: 'https://aksops.example/api',
  };
}

function principal(name: string, roles: string[] = []): string {
  return Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      name_typ: 'preferred_username',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims: [{ typ: 'preferred_username', val: name }, ...roles.map((r) => ({ typ: 'roles', val: r }))],
    }),
  ).toString('base64');
}

function req(params: Record<string, string>, body: unknown = undefined, headers: Record<string, string> = {}): OncallRequest {
  const h = new Headers({ ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers });
  return { headers: { get: (n) => h.get(n) }, body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body), params };
}

async function auditRows(instanceId: string) {
  return (await audit.query({ since: '2025-02-28T00:00:00Z', until: '2025-03-02T00:00:00Z', instanceId, limit: 50 })).items;
}

/** Makes a started run look like the orchestration waiting for approval. */
function awaitingApproval(id: string) {
  const inst = durable.instances.get(id)!;
  inst.customStatus = {
    phase: 'awaiting-approval',
    runbook: 'drain-node',
    dryRun: false,
    plan: { summary: 'drain node aks-compute-1-vmss000001: evict 3 pods', steps: ['cordon', '<script>alert(1)</script>'] },
    approval: { reason: 'runbook drain-node requires approval', deadline: '2025-03-01T10:30:00Z' },
  };
}

describe('GET /api/runbooks', () => {
  it('lists every runbook with its parameter schema and approval default', () => {
    const r = listRunbooks();
    const list = (r.body as { runbooks: Array<{ name: string; approval: string; params: Record<string, { kind: string; min?: number; max?: number }> }> })
      .runbooks;
    expect(list.map((x) => x.name)).toEqual([
      'restart-pod',
      'rollout-restart',
      'scale-workload',
      'cordon-node',
      'uncordon-node',
      'drain-node',
      'expand-pvc',
      'rollback-deployment',
      'delete-failed-jobs',
      'run-job',
      'notify-only',
    ]);
    expect(list.find((x) => x.name === 'scale-workload')!.params['replicas']).toMatchObject({ kind: 'int', min: 0, max: 10000 });
    expect(list.find((x) => x.name === 'drain-node')!.approval).toBe('required');
  });
});

describe('POST /api/runbooks/{name}', () => {
  const drain = { params: { node: 'aks-compute-1-vmss000001' }, dryRun: false, requestedBy: 'dave@contoso.com' };

  it('starts the remediation orchestration with a manual input and answers 202 with status URLs', async () => {
    const r = await startRun(deps(), req({ name: 'drain-node' }, drain, { 'idempotency-key': 'INC-4711' }));
    const id = manualRunId('drain-node', 'INC-4711');
    expect(r.status).toBe(202);
    expect(r.headers).toMatchObject({ Location: `https://aksops.example/api/runbooks/runs/${id}` });
    expect(r.body).toMatchObject({
      id,
      idempotencyKey: 'INC-4711',
      target: 'ms5-prod/_/Node/aks-compute-1-vmss000001',
      dryRun: false,
      approvalRequired: true,
      approveUrl: `https://aksops.example/api/runbooks/runs/${id}/approve`,
    });
    expect(durable.starts).toHaveLength(1);
    const input = durable.starts[0]!.input as RemediationInput;
    expect(durable.starts[0]!.name).toBe('remediation');
    expect(input).toMatchObject({
      instanceId: id,
      rule: 'manual',
      runbook: 'drain-node',
      source: 'manual',
      requestedBy: 'dave@contoso.com',
      target: { kind: 'Node', namespace: '' },
      approval: { required: true, reason: 'runbook drain-node requires approval', timeoutSeconds: 1800 },
    });
    expect(input.alert).toBeUndefined();
    expect(await auditRows(id)).toEqual([
      expect.objectContaining({ kind: 'decision', actor: 'user:dave@contoso.com', decision: 'start', runbook: 'drain-node' }),
    ]);

    // The same Idempotency-Key again: the same run, nothing new started.
    const again = await startRun(deps(), req({ name: 'drain-node' }, drain, { 'idempotency-key': 'INC-4711' }));
    expect(again).toMatchObject({ status: 200, body: { id, existing: true } });
    expect(durable.starts).toHaveLength(1);
  });

  it('defaults to dry-run, generates and returns a key, and takes the requester from Easy Auth', async () => {
    const r = await startRun(
      deps(),
      req(
        { name: 'rollout-restart' },
        { params: { namespace: 'shop', name: 'api', kind: 'Deployment' } },
        { 'x-ms-client-principal': principal('erin@contoso.com', ['Operator']) },
      ),
    );
    expect(r.status).toBe(202);
    const body = r.body as { id: string; idempotencyKey: string; dryRun: boolean };
    expect(body.dryRun).toBe(true);
    expect(body.id).toBe(manualRunId('rollout-restart', body.idempotencyKey));
    expect((durable.starts[0]!.input as RemediationInput).requestedBy).toBe('erin@contoso.com');
  });

  it('refuses bad input with the parameter named, and starts nothing', async () => {
    const cases: Array<[OncallRequest, number, string]> = [
      [req({ name: 'restart-everything' }, drain), 404, 'name'],
      [req({ name: 'scale-workload' }, { params: { namespace: 'shop', name: 'api', replicas: 'lots' }, requestedBy: 'x' }), 400, 'params.replicas'],
      [req({ name: 'scale-workload' }, { params: { namespace: 'shop', name: 'api', replicas: 200000 }, requestedBy: 'x' }), 400, 'params.replicas'],
      [req({ name: 'scale-workload' }, { params: { namespace: 'shop', replicas: 3 }, requestedBy: 'x' }), 400, 'params.name'],
      [req({ name: 'rollout-restart' }, { params: { name: 'api' }, requestedBy: 'x' }), 400, 'params.namespace'],
      [req({ name: 'rollout-restart' }, { params: { namespace: 'Shop!', name: 'api' }, requestedBy: 'x' }), 400, 'params.namespace'],
      [req({ name: 'delete-failed-jobs' }, { params: { namespace: 'a', selector: 'app in (x' }, requestedBy: 'x' }), 400, 'params.selector'],
      [req({ name: 'drain-node' }, { ...drain, dryRun: 'no' }), 400, 'dryRun'],
      [req({ name: 'drain-node' }, { ...drain, cluster: 'nope' }), 400, 'cluster'],
      [req({ name: 'drain-node' }, { ...drain, force: true }), 400, 'force'],
      [req({ name: 'drain-node' }, { ...drain, params: { node: { a: 1 } } }), 400, 'params.node'],
      [req({ name: 'drain-node' }, 'not json'), 400, 'body'],
      [req({ name: 'drain-node' }, JSON.stringify(drain), { 'content-type': 'text/plain' }), 415, 'content-type'],
    ];
    for (const [r, status, parameter] of cases) {
      const res = await startRun(deps(), r);
      expect({ status: res.status, parameter: (res.body as { parameter?: string }).parameter }, JSON.stringify(res.body)).toEqual({ status, parameter });
    }
    expect(durable.starts).toEqual([]);
  });

  it('refuses protected scopes (always and by config) with 403', async () => {
    for (const ns of ['kube-system', 'monitoring']) {
      const r = await startRun(deps(), req({ name: 'rollout-restart' }, { params: { namespace: ns, name: 'x' }, requestedBy: 'x' }));
      expect(r.status).toBe(403);
      expect((r.body as { error: string }).error).toMatch(new RegExp(`refused: namespace ${ns} is (always protected|protected by config)`));
    }
    expect(durable.starts).toEqual([]);
  });

  it('needs an identity: 401 without requestedBy, and without a principal in easy-auth mode', async () => {
    const { requestedBy: _r, ...anonymous } = drain;
    const a = await startRun(deps(), req({ name: 'drain-node' }, anonymous));
    expect(a).toMatchObject({ status: 401, body: { parameter: 'requestedBy' } });
    const b = await startRun(deps({ runbooksAuth: 'easy-auth' }), req({ name: 'drain-node' }, drain));
    expect(b.status).toBe(401);
    expect(durable.starts).toEqual([]);
  });

  it("refuses with 409 when the target's guard would (circuit breaker open), starting nothing", async () => {
    const target = { cluster: 'ms5-prod', namespace: 'shop', kind: 'Deployment' as const, name: 'api' };
    durable.entities.set(`guard/${guardEntityKey(target)}`, {
      ...initialGuardState(),
      breaker: { since: Date.parse('2025-03-01T09:00:00Z'), reason: '3 consecutive failed remediations' },
    });
    const r = await startRun(deps(), req({ name: 'rollout-restart' }, { params: { namespace: 'shop', name: 'api' }, requestedBy: 'x' }));
    expect(r).toMatchObject({ status: 409, body: { reason: 'circuit-open' } });
    expect(durable.starts).toEqual([]);
  });

  it('requires approval for any run in a namespace approvals.requiredIn lists', async () => {
    await startRun(deps(), req({ name: 'rollout-restart' }, { params: { namespace: 'payments', name: 'api' }, requestedBy: 'x', dryRun: false }));
    expect((durable.starts[0]!.input as RemediationInput).approval).toMatchObject({
      required: true,
      reason: 'namespace payments requires approval (approvals.requiredIn.namespaces)',
    });
  });
});

describe('runs: status, approve, reject, cancel', () => {
  async function started(): Promise<string> {
    const r = await startRun(
      deps(),
      req(
        { name: 'drain-node' },
        { params: { node: 'aks-compute-1-vmss000001' }, dryRun: false, requestedBy: 'dave@contoso.com' },
        { 'idempotency-key': `k-${Math.random()}` },
      ),
    );
    return (r.body as { id: string }).id;
  }

  it('GET shows phase, plan and approval from the custom status', async () => {
    const id = await started();
    awaitingApproval(id);
    const r = await getRun(deps(), req({ id }));
    expect(r).toMatchObject({
      status: 200,
      body: {
        id,
        runtimeStatus: 'Running',
        runbook: 'drain-node',
        source: 'manual',
        requestedBy: 'dave@contoso.com',
        phase: 'awaiting-approval',
        plan: { summary: expect.stringContaining('drain node') },
        approval: { deadline: '2025-03-01T10:30:00Z' },
      },
    });
    expect((await getRun(deps(), req({ id: 'run-00000000000000000000000000000000' }))).status).toBe(404);
    expect((await getRun(deps(), req({ id: '../etc' }))).status).toBe(400);
  });

  it('approve raises the approval event with the approver, and audits it', async () => {
    const id = await started();
    awaitingApproval(id);
    const r = await decideRun(deps(), req({ id }, { comment: 'go' }, { 'x-ms-client-principal': principal('alice@contoso.com', ['Approver']) }), 'approve');
    expect(r).toMatchObject({ status: 202, body: { decision: 'approve', by: 'alice@contoso.com' } });
    expect(durable.instances.get(id)!.events).toEqual([{ name: 'approval', data: { decision: 'approve', by: 'alice@contoso.com', comment: 'go' } }]);
    expect((await auditRows(id)).find((x) => x.kind === 'approval')).toMatchObject({ actor: 'user:alice@contoso.com', decision: 'approve' });
  });

  it('reject works with the approver field in function-key mode', async () => {
    const id = await started();
    awaitingApproval(id);
    const r = await decideRun(deps(), req({ id }, { approver: 'bob@contoso.com', comment: 'not now' }), 'reject');
    expect(r.status).toBe(202);
    expect(durable.instances.get(id)!.events).toEqual([{ name: 'approval', data: { decision: 'reject', by: 'bob@contoso.com', comment: 'not now' } }]);
  });

  it('401 without an approver identity, 403 without the Approver role or for self-approval, 409 when not waiting: nothing raised', async () => {
    const id = await started();
    expect((await decideRun(deps(), req({ id }, { approver: 'alice@contoso.com' }), 'approve')).status).toBe(409);
    awaitingApproval(id);
    expect(await decideRun(deps(), req({ id }, {}), 'approve')).toMatchObject({ status: 401, body: { parameter: 'approver' } });
    expect((await decideRun(deps({ runbooksAuth: 'easy-auth' }), req({ id }, { approver: 'alice' }), 'approve')).status).toBe(401);
    expect((await decideRun(deps(), req({ id }, {}, { 'x-ms-client-principal': principal('mallory@contoso.com', ['Reader']) }), 'approve')).status).toBe(403);
    expect((await decideRun(deps(), req({ id }, { approver: 'dave@contoso.com' }), 'approve')).status).toBe(403);
    durable.instances.get(id)!.customStatus = { phase: 'acting' };
    expect((await decideRun(deps(), req({ id }, { approver: 'alice@contoso.com' }), 'approve')).status).toBe(409);
    expect(durable.instances.get(id)!.events).toEqual([]);
    expect((await auditRows(id)).filter((x) => x.kind === 'approval')).toEqual([]);
  });

  it('cancel raises the cancel event; an ended run gives 409', async () => {
    const id = await started();
    const r = await cancelRun(deps(), req({ id }, { approver: 'carol@contoso.com', reason: 'wrong node' }));
    expect(r.status).toBe(202);
    expect(durable.instances.get(id)!.events).toEqual([{ name: 'cancel', data: { by: 'carol@contoso.com', reason: 'wrong node' } }]);
    durable.setStatus(id, 'Completed');
    expect((await cancelRun(deps(), req({ id }, { approver: 'carol@contoso.com' }))).status).toBe(409);
  });

  it('the approval page (GET) changes nothing and escapes what it shows', async () => {
    const id = await started();
    awaitingApproval(id);
    const page = await approvalPage(deps(), req({ id }), 'approve');
    expect(page.status).toBe(200);
    expect(page.html).toContain('drain node aks-compute-1-vmss000001: evict 3 pods');
    expect(page.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.html).not.toContain('<script>alert(1)</script>');
    expect(page.html).toContain("method: 'POST', headers: { 'content-type': 'application/json' }");
    expect(durable.instances.get(id)!.events).toEqual([]);
  });
});
