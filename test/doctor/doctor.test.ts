// `aksops doctor` against the strict fake API server (SelfSubjectAccessReview evaluated against
// its policy) and a real Alertmanager: every declared permission checked, a removed one named
// with its AKS data action and the fix, an unreachable cluster and Alertmanager named.
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/cli/doctor.js';
import { runDoctorChecks, type DoctorDeps, type DoctorRow } from '../../src/doctor/checks.js';
import { appPolicy } from '../../src/permissions/kubernetes.js';
import { aksDataAction } from '../../src/permissions/generate.js';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { ALERTMANAGER_BIN, freePort, startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import type { CliIo } from '../../src/cli/io.js';

function cliIo() {
  const outLines: string[] = [];
  const errLines: string[] = [];
  const io: CliIo = { out: (l) => outLines.push(l), err: (l) => errLines.push(l), env: {}, readStdin: () => '', cwd: process.cwd() };
  return { io, outLines, errLines };
}

const AM_CONFIG = 'route:\n  receiver: none\nreceivers:\n  - name: none\n';
let full: FakeKubeApiServer;
let lacking: FakeKubeApiServer;
let am: RunningAlertmanager | undefined;
const withoutEviction = appPolicy().filter((r) => !(r.group === '' && r.resource === 'pods/eviction'));

beforeAll(async () => {
  full = await startFakeKubeApiServer({ token: 'doctor-token' });
  lacking = await startFakeKubeApiServer({ token: 'doctor-token', policy: withoutEviction });
  if (ALERTMANAGER_BIN) am = await startAlertmanager(AM_CONFIG);
}, 30_000);
afterAll(async () => {
  await Promise.all([full.stop(), lacking.stop(), am?.stop()]);
});

async function deadKubeConfig(): Promise<KubeConfig> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'dead', server: `http://127.0.0.1:${await freePort()}` }],
    users: [{ name: 'u', token: 'doctor-token' }],
    contexts: [{ name: 'dead', cluster: 'dead', user: 'u' }],
    currentContext: 'dead',
  });
  return kc;
}

function deps(over: Partial<DoctorDeps> = {}): DoctorDeps {
  const servers: Record<string, FakeKubeApiServer> = { prod: full, stage: lacking };
  return {
    clusters: [{ name: 'prod' }, { name: 'stage' }] as DoctorDeps['clusters'],
    kubeConfigFor: async (c) => (c.name === 'dead' ? deadKubeConfig() : servers[c.name]!.kubeConfig('doctor-token')),
    ...(am ? { alertmanagerUrl: am.url } : {}),
    ...over,
  };
}
const byCheck = (rows: DoctorRow[]) => new Map(rows.map((r) => [r.check, r]));
const declared = appPolicy().reduce((n, r) => n + r.verbs.length, 0);

describe('doctor checks', () => {
  it('checks every declared permission on every cluster and names the missing one with the fix', async () => {
    const rows = await runDoctorChecks(deps());
    const m = byCheck(rows);
    expect(rows.filter((r) => r.check.startsWith('prod: ') && r.check !== 'prod: reachable')).toHaveLength(declared);
    expect(rows.filter((r) => r.check.startsWith('prod: ')).every((r) => r.status === 'ok')).toBe(true);
    expect(m.get('stage: create core/pods/eviction')).toMatchObject({
      status: 'fail',
      detail: `not allowed (${aksDataAction('', 'pods/eviction', 'create')})`,
      fix: expect.stringContaining('role-definitions.bicep'),
    });
    expect(rows.filter((r) => r.status === 'fail').map((r) => r.check)).toEqual(['stage: create core/pods/eviction']);
    const reviews = full.requests.filter((q) => q.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect(reviews).toHaveLength(declared);
    expect(reviews.every((q) => q.status === 201)).toBe(true);
  });

  it('names an unreachable cluster and an unreachable Alertmanager', async () => {
    const rows = await runDoctorChecks(
      deps({ clusters: [{ name: 'dead' }] as DoctorDeps['clusters'], alertmanagerUrl: `http://127.0.0.1:${await freePort()}` }),
    );
    expect(rows.map((r) => [r.check, r.status])).toEqual([
      ['dead: reachable', 'fail'],
      ['alertmanager', 'fail'],
    ]);
    expect(rows[0]!.fix).toMatch(/network path/);
    expect(rows[1]!.fix).toMatch(/alertmanager\.url/);
  });

  it.runIf(ALERTMANAGER_BIN)('reports a real Alertmanager ready', async () => {
    const rows = await runDoctorChecks(deps({ clusters: [] }));
    expect(rows).toEqual([{ check: 'alertmanager', status: 'ok', detail: `${am!.url} ready` }]);
  });

  it('names a storage failure without its credential', async () => {
    const rows = await runDoctorChecks(
      deps({
        clusters: [],
        storage: async () => {
          throw new Error('connect ECONNREFUSED AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0');
        },
      }),
    );
    const s = byCheck(rows).get('storage')!;
    expect(s.status).toBe('fail');
    expect(JSON.stringify(s)).not.toContain('c2VjcmV0c2VjcmV0c2VjcmV0');
  });
});

describe('aksops doctor', () => {
  it('prints a table and exits 1 when a check failed; --json gives the rows', async () => {
    const t = cliIo();
    expect(await runDoctor([], t.io, deps({ clusters: [{ name: 'stage' }] as DoctorDeps['clusters'] }))).toBe(1);
    expect(t.outLines[0]).toMatch(/^CHECK\s+STATUS\s+DETAIL\s+FIX/i);
    expect(t.outLines.at(-1)).toBe(`doctor: 1 of ${declared + 1 + (am ? 1 : 0)} checks failed`);
    const j = cliIo();
    expect(await runDoctor(['--json'], j.io, deps({ clusters: [{ name: 'prod' }] as DoctorDeps['clusters'] }))).toBe(0);
    const out = JSON.parse(j.outLines.join('\n')) as { ok: boolean; failed: number; rows: DoctorRow[] };
    expect(out).toMatchObject({ ok: true, failed: 0 });
    expect(out.rows).toHaveLength(declared + 1 + (am ? 1 : 0));
  });

  it('answers --help through the CLI', async () => {
    const { main } = await import('../../src/cli/main.js');
    const t = cliIo();
    expect(await main(['doctor', '--help'], t.io)).toBe(0);
    expect(t.outLines.join('\n')).toMatch(/SelfSubjectAccessReview[\s\S]*--json/);
  });
});

describe('GET /api/doctor', () => {
  it('answers the rows: 503 when a check failed, 200 when all passed', async () => {
    const { createDoctorHandler } = await import('../../functions/doctor.js');
    const { HttpRequest, InvocationContext } = await import('@azure/functions');
    const req = new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/doctor' });
    const ctx = new InvocationContext({ functionName: 'doctor', logHandler: () => {} });
    const bad = await createDoctorHandler(async () => deps({ clusters: [{ name: 'stage' }] as DoctorDeps['clusters'] }))(req, ctx);
    expect(bad.status).toBe(503);
    expect((bad.jsonBody as { rows: DoctorRow[] }).rows.filter((r) => r.status === 'fail').map((r) => r.check)).toEqual(['stage: create core/pods/eviction']);
    const good = await createDoctorHandler(async () => deps({ clusters: [{ name: 'prod' }] as DoctorDeps['clusters'] }))(req, ctx);
    expect(good.status).toBe(200);
    const noConfig = await createDoctorHandler(async () => {
      throw new Error('/app/ops.yaml: cannot be read (ENOENT)');
    })(req, ctx);
    expect(noConfig).toMatchObject({ status: 503, jsonBody: { error: expect.stringMatching(/ENOENT.*GET \/api\/health/) } });
  });
});
