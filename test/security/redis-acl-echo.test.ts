// Attack (#12 item 5): Redis (7.0.15 here) echoes the argument of a failed
// `ACL SETUSER <user> <password` in its error. A second delivery of `rotationPromote` (Durable
// activities are at-least-once) retires a password that is already gone, and the error, with the
// old password in it, came back as a warning: into the orchestration's output and the audit.
// Every provider path now goes through one scrubber that knows the values in play (JSON
// credentials field by field), applied to errors, warnings and details alike.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { createRedisAdmin } from '../../src/adapters/redis-admin.js';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { promote, verify } from '../../src/rotation/activities.js';
import type { Providers } from '../../src/rotation/strategies.js';
import { scrub } from '../../src/rotation/model.js';
import type { RotationOutput } from '../../src/rotation/contracts.js';
import { startRedis, type RedisInstance } from '../support/redis.js';
import { allValues, leakNeedles, makeWorld, producedTexts } from '../rotation/world.js';

const ADMIN_PW = `admin-${randomBytes(12).toString('hex')}`;
const P0 = `initial-${randomBytes(12).toString('hex')}`;
let server: RedisInstance;
let settings: Settings;
const providers: Providers = {
  postgres: () => {
    throw new Error('no postgres here');
  },
  redis: (s, user, password) => createRedisAdmin(s, user, password),
  storage: () => {
    throw new Error('no storage here');
  },
};

beforeAll(async () => {
  settings = readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, AUDIT_TABLE_NAME: `echo${randomBytes(3).toString('hex')}` });
  server = await startRedis({ adminPassword: ADMIN_PW });
  const c = createClient({ socket: { host: server.host, port: server.port }, password: ADMIN_PW });
  c.on('error', () => undefined);
  await c.connect();
  await c.sendCommand(['ACL', 'SETUSER', 'app', 'on', `>${P0}`, '~*', '+@all']);
  c.destroy();
}, 60_000);
afterAll(async () => server?.stop());

describe('attack: Redis echoes the password of a failed ACL SETUSER', () => {
  it('the scrubber redacts each string field of a JSON credential, not only the whole value', () => {
    const value = JSON.stringify({ username: 'app', password: 'pw-0123456789abcdef' });
    expect(scrub("ERR Error in ACL SETUSER modifier '<pw-0123456789abcdef': no such password", [value])).not.toContain('pw-0123456789abcdef');
  });

  it('a second delivery of promote returns no password in its warnings, and the leak scan covers them', async () => {
    const w = await makeWorld({
      settings,
      providers,
      rotationYaml: (ctx) => `
version: 1
clusters: [{ name: prod, kubeContext: ${ctx} }]
rotation:
  rolloutTimeout: 2h
  secrets:
    - name: cache-app
      strategy: redis-acl
      cluster: prod
      redis: { host: 127.0.0.1, port: ${server.port}, user: app, adminUser: default, adminSecret: redis-admin, tls: false }
      targets: [shop/cache/REDIS_USER=username, shop/cache/REDIS_PASSWORD=password]
      consumers: [shop/Deployment/worker]
`,
      seed: ({ kv, kube }) => {
        kv.seed('redis-admin', ADMIN_PW);
        kv.seed('cache-app', JSON.stringify({ username: 'app', password: P0 }), { contentType: 'application/json' });
        kube.seedDeployment({ namespace: 'shop', name: 'worker', replicas: 2 });
        kube.seed('secrets', {
          metadata: { name: 'cache', namespace: 'shop' },
          data: { REDIS_USER: Buffer.from('app').toString('base64'), REDIS_PASSWORD: Buffer.from(P0).toString('base64') },
        });
      },
    });
    try {
      const input = await w.input('cache-app');
      const h = w.harness(input);
      const r = await h.run();
      expect((r.output as RotationOutput).outcome).toBe('rotated');
      const next = (await w.vault.latest('cache-app'))!;
      // The same activity delivered again (at-least-once): the old password is already gone.
      const again = await promote(w.env, { instanceId: input.instanceId, secretName: 'cache-app', version: next.version, fromVersion: input.fromVersion });
      expect(again.warnings.join('\n')).toMatch(/retiring the old credential failed/);
      // Verify against the retired version: its failed login is reported, never its password.
      const stale = await verify(w.env, {
        instanceId: input.instanceId,
        secretName: 'cache-app',
        version: input.fromVersion,
        fromVersion: input.fromVersion,
      } as never).catch((e: Error) => ({ detail: e.message }));
      const needles = leakNeedles(allValues(w, ['cache-app', 'redis-admin']));
      const texts = [
        ...(await producedTexts(w, [h])),
        { source: 'promote (second delivery)', text: JSON.stringify(again) },
        { source: 'verify (stale version)', text: JSON.stringify(stale) },
      ];
      for (const { source, text } of texts) for (const n of needles) expect(text.includes(n), `a secret value appears in ${source}`).toBe(false);
      expect(JSON.stringify(again)).toContain('[REDACTED]');
    } finally {
      await w.stop();
    }
  }, 120_000);
});
