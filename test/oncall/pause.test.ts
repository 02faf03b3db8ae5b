// The global pause switch (ControlStore, isPaused) and GET/POST /api/pause, against the real Azurite.
import { HttpRequest, InvocationContext } from '@azure/functions';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { ControlStore, TransientStoreError, isPaused } from '../../src/adapters/control-store.js';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { createPauseHandlers } from '../../functions/control.js';

const { connectionString } = inject('azurite');
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function settingsFor(name: string, paused = false): Settings {
  return readSettings({
    WEBSITE_AUTH_ENABLED: 'True',
    AzureWebJobsStorage: connectionString,
    CONTROL_TABLE_NAME: `ctl${name}${suffix}`,
    AUDIT_TABLE_NAME: `aud${name}${suffix}`,
    OPS_PAUSED: paused ? 'true' : 'false',
  });
}

function ctx(): InvocationContext {
  return new InvocationContext({ functionName: 'pause', logHandler: () => {} });
}

function post(body: unknown, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'http://localhost:7071/api/pause',
    headers: { 'content-type': 'application/json', ...headers },
    body: { string: typeof body === 'string' ? body : JSON.stringify(body) },
  });
}

const getReq = () => new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/pause' });

function handlersFor(settings: Settings, at = '2024-08-01T09:00:00.000Z') {
  return createPauseHandlers({
    settings: () => settings,
    control: (s) => ControlStore.fromSettings(s),
    audit: (s) => AuditStore.fromSettings(s),
    now: () => new Date(at),
  });
}

describe('ControlStore and isPaused', () => {
  it('is not paused before anything is set', async () => {
    const s = settingsFor('a');
    const store = ControlStore.fromSettings(s);
    expect(await store.getPause()).toBeNull();
    expect(await isPaused(s, store)).toEqual({ paused: false, source: null, reason: null });
  });

  it('switch on, then off', async () => {
    const s = settingsFor('b');
    const store = ControlStore.fromSettings(s);
    await store.setPause({ paused: true, reason: 'maintenance INC-1', by: 'alice@contoso.com', at: '2024-08-01T09:00:00Z' });
    expect(await store.getPause()).toEqual({ paused: true, reason: 'maintenance INC-1', by: 'alice@contoso.com', at: '2024-08-01T09:00:00Z' });
    expect(await isPaused(s, store)).toEqual({
      paused: true,
      source: 'switch',
      reason: 'maintenance INC-1',
      by: 'alice@contoso.com',
      at: '2024-08-01T09:00:00Z',
    });
    await store.setPause({ paused: false, reason: 'done', by: 'bob@contoso.com', at: '2024-08-01T10:00:00Z' });
    expect(await isPaused(s, store)).toEqual({ paused: false, source: null, reason: null });
  });

  it('the app setting OPS_PAUSED pauses whatever the switch says', async () => {
    const s = settingsFor('c', true);
    const store = ControlStore.fromSettings(s);
    await store.setPause({ paused: false, reason: 'resume', by: 'bob', at: '2024-08-01T10:00:00Z' });
    expect(await isPaused(s, store)).toEqual({ paused: true, source: 'setting', reason: 'app setting OPS_PAUSED is true' });
  });

  it('redacts secrets in the reason', async () => {
    const store = ControlStore.fromSettings(settingsFor('d'));
    const stored = await store.setPause({ paused: true, reason: 'rotating, old password=hunter2', by: 'alice', at: '2024-08-01T09:00:00Z' });
    expect(stored.reason).toBe('rotating, old password=[REDACTED]');
    expect((await store.getPause())!.reason).not.toContain('hunter2');
  });

  it('cannot tell -> TransientStoreError (callers must not act)', async () => {
    const srv = createNetServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const cs = connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1`);
    const s = readSettings({ AzureWebJobsStorage: cs, CONTROL_TABLE_NAME: 'ctldown' });
    const store = ControlStore.fromSettings(s, { retry: { maxRetries: 0 } });
    await expect(isPaused(s, store)).rejects.toBeInstanceOf(TransientStoreError);
    // the setting alone answers without touching storage
    await expect(isPaused({ ...s, paused: true }, store)).resolves.toMatchObject({ paused: true, source: 'setting' });
  });
});

describe('GET/POST /api/pause', () => {
  it('POST pauses with the Easy Auth principal, writes a control audit record; GET shows it', async () => {
    const s = settingsFor('e');
    const h = handlersFor(s);
    const res = await h.setPause(
      post(
        { paused: true, reason: 'bad deploy, investigating', by: 'ignored' },
        {
          'x-ms-client-principal': Buffer.from(
            JSON.stringify({
              auth_typ: 'aad',
              claims: [
                { typ: 'preferred_username', val: 'alice@contoso.com' },
                { typ: 'roles', val: 'Operator' },
              ],
            }),
          ).toString('base64'),
        },
      ),
      ctx(),
    );
    expect(res.status).toBe(200);
    expect(res.jsonBody).toMatchObject({
      paused: true,
      source: 'switch',
      reason: 'bad deploy, investigating',
      by: 'alice@contoso.com',
      setting: false,
      switch: { paused: true, by: 'alice@contoso.com', at: '2024-08-01T09:00:00.000Z' },
    });

    const got = await h.getPause(getReq(), ctx());
    expect(got.status).toBe(200);
    expect(got.jsonBody).toMatchObject({ paused: true, source: 'switch', by: 'alice@contoso.com' });

    const audit = await AuditStore.fromSettings(s).query({ since: '2024-08-01', until: '2024-08-02' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      kind: 'control',
      actor: 'user:alice@contoso.com',
      proof: 'easy-auth',
      decision: 'pause',
      at: '2024-08-01T09:00:00.000Z',
      result: 'automation paused (switch)',
    });
    expect(audit.items[0]!.detail).toContain('bad deploy, investigating');
  });

  it('POST resumes with `by` from the body when there is no principal header', async () => {
    const s = settingsFor('f');
    await handlersFor(s, '2024-08-01T09:00:00.000Z').setPause(post({ paused: true, reason: 'x', by: 'bob' }), ctx());
    const res = await handlersFor(s, '2024-08-01T09:05:00.000Z').setPause(post({ paused: false, reason: 'all clear', by: 'bob@contoso.com' }), ctx());
    expect(res.status).toBe(200);
    expect(res.jsonBody).toMatchObject({ paused: false, source: null, switch: { paused: false, by: 'bob@contoso.com' } });
    const audit = await AuditStore.fromSettings(s).query({ since: '2024-08-01', until: '2024-08-02' });
    expect(audit.items.map((i) => [i.decision, i.actor])).toEqual([
      ['resume', 'user:bob@contoso.com'],
      ['pause', 'user:bob'],
    ]);
  });

  it('with OPS_PAUSED=true, resuming the switch still reports paused by the setting', async () => {
    const s = settingsFor('g', true);
    const res = await handlersFor(s).setPause(post({ paused: false, reason: 'try', by: 'carol' }), ctx());
    expect(res.status).toBe(200);
    expect(res.jsonBody).toMatchObject({ paused: true, source: 'setting', setting: true, switch: { paused: false } });
    expect((res.jsonBody as { note?: string }).note).toMatch(/OPS_PAUSED=true/);
    const got = await handlersFor(s).getPause(getReq(), ctx());
    expect(got.jsonBody).toMatchObject({ paused: true, source: 'setting' });
  });

  it.each([
    ['not json', 'body', /not valid JSON/],
    [[1, 2], 'body', /must be a JSON object/],
    [{ reason: 'x', by: 'a' }, 'paused', /must be true or false.*got nothing/],
    [{ paused: 'true', reason: 'x', by: 'a' }, 'paused', /must be true or false/],
    [{ paused: true, by: 'a' }, 'reason', /required/],
    [{ paused: true, reason: '   ', by: 'a' }, 'reason', /required/],
    [{ paused: true, reason: 'x' }, 'by', /required when the request carries no Easy Auth principal/, 401],
  ])('4xx for %j naming %s', async (body, parameter, message, status = 400) => {
    const s = settingsFor('h');
    const res = await handlersFor(s).setPause(post(body), ctx());
    expect(res.status).toBe(status);
    expect(res.jsonBody).toMatchObject({ parameter });
    expect((res.jsonBody as { error: string }).error).toMatch(message);
    // nothing was stored
    expect(await ControlStore.fromSettings(s).getPause()).toBeNull();
  });

  it('503 when storage is unreachable', async () => {
    const srv = createNetServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const cs = connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1`);
    const s = readSettings({ AzureWebJobsStorage: cs, CONTROL_TABLE_NAME: 'ctldown2' });
    const h = createPauseHandlers({
      settings: () => s,
      control: (x) => ControlStore.fromSettings(x, { retry: { maxRetries: 0 } }),
      audit: (x) => AuditStore.fromSettings(x, { retry: { maxRetries: 0 } }),
    });
    expect((await h.getPause(getReq(), ctx())).status).toBe(503);
    expect((await h.setPause(post({ paused: true, reason: 'x', by: 'a' }), ctx())).status).toBe(503);
  });
});
