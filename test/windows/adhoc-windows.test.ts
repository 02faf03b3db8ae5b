// Ad-hoc maintenance windows (POST /api/windows, close, list) over the real control and audit
// tables in Azurite: identity and role checks, validation naming the field, audit of open and
// close, and the gate honouring the stored window until it ends or is closed.
import { describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { WindowStore } from '../../src/adapters/window-store.js';
import { readSettings } from '../../src/config/settings.js';
import { parseConfig } from '../../src/config/load.js';
import { closeWindow, listWindows, openWindow, type AdhocDeps } from '../../src/windows/adhoc.js';
import { evaluateGate, type AdhocWindow } from '../../src/windows/policy.js';

const { connectionString } = inject('azurite');
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const settings = readSettings({ AzureWebJobsStorage: connectionString, CONTROL_TABLE_NAME: `ctlwin${suffix}`, AUDIT_TABLE_NAME: `audwin${suffix}` });
const config = parseConfig(readFileSync('examples/ops.yaml', 'utf8'), 'ops.yaml');

function headers(h: Record<string, string> = {}) {
  return { get: (n: string) => h[n.toLowerCase()] ?? null };
}
const principal = (name: string, roles: string[]) => ({
  'x-ms-client-principal': Buffer.from(
    JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'preferred_username', val: name }, ...roles.map((r) => ({ typ: 'roles', val: r }))] }),
  ).toString('base64'),
});

describe('ad-hoc maintenance windows (Azurite)', () => {
  let clock = new Date('2026-12-05T10:00:00Z');
  const store = WindowStore.fromSettings(settings);
  const audit = AuditStore.fromSettings(settings);
  const deps = (mode: 'function-key' | 'easy-auth' = 'easy-auth'): AdhocDeps => ({
    config: () => config,
    auth: { runbooksAuth: mode, behindEasyAuth: mode === 'easy-auth' },
    store,
    audit: (r) => audit.write(r),
    now: () => clock,
  });

  it('opens for a scope with the Operator role, is audited, blocks the scope until it ends or is closed', async () => {
    const body = JSON.stringify({ cluster: 'ms5-prod', namespace: 'timescaledb', duration: '2h', reason: 'VACUUM FULL, CHG-1234' });
    expect((await openWindow(deps(), headers(principal('bob@contoso.com', [])), body)).status).toBe(403);
    expect((await openWindow(deps(), headers(), body)).status).toBe(401);
    const opened = await openWindow(deps(), headers(principal('alice@contoso.com', ['Operator'])), body);
    expect(opened.status).toBe(201);
    const w = opened.body['window'] as AdhocWindow;
    expect(w).toMatchObject({
      scope: { cluster: 'ms5-prod', namespace: 'timescaledb' },
      from: '2026-12-05T10:00:00.000Z',
      to: '2026-12-05T12:00:00.000Z',
      by: 'alice@contoso.com',
    });

    const stored = await store.list();
    const gate = (at: string) => evaluateGate(undefined, stored, { scope: { cluster: 'ms5-prod', namespace: 'timescaledb', job: 'remediation' }, at });
    expect(gate('2026-12-05T11:00:00Z')).toMatchObject({
      decision: 'wait',
      retryAt: '2026-12-05T12:00:00.000Z',
      reason: expect.stringContaining(`suppressed (maintenance adhoc-${w.id})`),
    });
    expect(gate('2026-12-05T12:00:00Z').decision).toBe('proceed');

    clock = new Date('2026-12-05T10:30:00Z');
    const closed = await closeWindow(deps(), headers(principal('alice@contoso.com', ['Operator'])), w.id, JSON.stringify({ reason: 'done early' }));
    expect(closed.body['window']).toMatchObject({ closedAt: '2026-12-05T10:30:00.000Z' });
    expect(
      evaluateGate(undefined, await store.list(), { scope: { cluster: 'ms5-prod', namespace: 'timescaledb', job: 'remediation' }, at: '2026-12-05T11:00:00Z' })
        .decision,
    ).toBe('proceed');
    expect((await listWindows(deps())).body['open']).toEqual([]);

    const { items } = await audit.query({ since: '2026-12-05T00:00:00Z', until: '2026-12-06T00:00:00Z' });
    expect(
      items
        .filter((r) => r.decision === 'window-open' || r.decision === 'window-close')
        .map((r) => [r.decision, r.actor])
        .sort(),
    ).toEqual([
      ['window-close', 'user:alice@contoso.com'],
      ['window-open', 'user:alice@contoso.com'],
    ]);
  });

  it('validation names the field and the fix', async () => {
    const h = headers(principal('alice@contoso.com', ['Operator']));
    expect(await openWindow(deps(), h, JSON.stringify({ cluster: 'nope', duration: '1h', reason: 'x' }))).toMatchObject({
      status: 400,
      body: { parameter: 'cluster' },
    });
    expect(await openWindow(deps(), h, JSON.stringify({ cluster: 'ms5-prod', duration: '3d', reason: 'x' }))).toMatchObject({
      status: 400,
      body: { parameter: 'duration', error: expect.stringMatching(/between 1m and 24h. Fix/) },
    });
    expect(await openWindow(deps(), h, JSON.stringify({ cluster: 'ms5-prod', duration: '1h' }))).toMatchObject({ status: 400, body: { parameter: 'reason' } });
    expect(await openWindow(deps(), h, JSON.stringify({ cluster: 'ms5-prod', duration: '1h', reason: 'x', url: 'http://evil' }))).toMatchObject({
      status: 400,
      body: { parameter: 'url' },
    });
    expect(await closeWindow(deps(), h, 'w-00000000', '{}')).toMatchObject({ status: 404 });
    // function-key mode: requestedBy names who (recorded, not proven).
    expect(
      (await openWindow(deps('function-key'), headers(), JSON.stringify({ cluster: 'dev', duration: '10m', reason: 'test', requestedBy: 'carol@contoso.com' })))
        .status,
    ).toBe(201);
  });
});
