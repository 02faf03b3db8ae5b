// Rotation against real servers (Debian packages `postgresql` and `redis-server`), with
// consumers that keep querying through the whole cycle (test/rotation/app-fleet.ts): pods read
// the credential from the Kubernetes Secret when they start and open a new connection for every
// query, so any moment at which a running consumer's credential does not work shows up as a
// failed query. The orchestration, activities, Key Vault and Kubernetes are as in production
// (real orchestrator through the replay harness, real SecretClient, real client-node, fakes).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { createPostgresAdmin, scramVerifier } from '../../src/adapters/postgres-admin.js';
import { createRedisAdmin, passwordHashes } from '../../src/adapters/redis-admin.js';
import type { Providers } from '../../src/rotation/strategies.js';
import type { RotationOutput } from '../../src/rotation/contracts.js';
import { TAG } from '../../src/rotation/model.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startRedis, type RedisInstance } from '../support/redis.js';
import { AppFleet } from './app-fleet.js';
import { allValues, leakNeedles, makeWorld, producedTexts, type World } from './world.js';
import type { ReplayHarness } from '../support/replay-harness.js';

const suffix = Math.random().toString(36).slice(2, 7);
let settings: Settings;
const ADMIN_PW = `admin-${randomBytes(12).toString('hex')}`;
const P0 = `initial-${randomBytes(12).toString('hex')}`;
const providers: Providers = {
  postgres: (server, user, password) => createPostgresAdmin(server, user, password),
  redis: (server, user, password) => createRedisAdmin(server, user, password),
  storage: () => {
    throw new Error('no storage here');
  },
};

beforeAll(() => {
  settings = readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, AUDIT_TABLE_NAME: `real${suffix}` });
});

async function expectNoLeak(w: World, harnesses: ReplayHarness[], extra: Array<{ source: string; text: string }>, names: string[]) {
  const needles = leakNeedles(allValues(w, names));
  for (const { source, text } of [...(await producedTexts(w, harnesses)), ...extra]) {
    for (const n of needles) expect(text.includes(n), `a secret value appears in ${source}`).toBe(false);
  }
}

describe('postgres-alternating-users against a real PostgreSQL, with a client querying throughout', () => {
  let server: PgCluster;
  beforeAll(async () => {
    server = await startPgCluster({ password: ADMIN_PW, superuser: 'admin', settings: { max_connections: '200', log_statement: 'ddl' } });
    const c = new pg.Client({ host: server.host, port: server.port, user: 'admin', password: ADMIN_PW, database: 'postgres' });
    await c.connect();
    await c.query(`CREATE ROLE app_a LOGIN PASSWORD '${scramVerifier(P0)}'`);
    await c.query(`CREATE ROLE "app_b" LOGIN PASSWORD '${randomBytes(16).toString('hex')}'`);
    await c.query('CREATE TABLE orders (id int primary key)');
    await c.query('INSERT INTO orders SELECT generate_series(1, 10)');
    await c.query('GRANT SELECT ON orders TO app_a, app_b');
    await c.end();
  }, 120_000);
  afterAll(async () => server?.stop());

  const yaml = (ctx: string) => `
version: 1
clusters: [{ name: prod, kubeContext: ${ctx} }]
rotation:
  rolloutTimeout: 2h
  pollInterval: 15s
  secrets:
    - name: orders-db
      strategy: postgres-alternating-users
      cluster: prod
      validityDays: 30
      postgres: { host: 127.0.0.1, port: ${server.port}, database: postgres, roles: [app_a, app_b], adminUser: admin, adminSecret: pg-admin, sslmode: disable }
      targets: [shop/orders-db/PGUSER=username, shop/orders-db/PGPASSWORD=password]
      consumers: [shop/Deployment/orders]
`;

  async function setup(): Promise<{ w: World; fleet: AppFleet }> {
    // Each test starts from app_a active with P0 (an earlier test may have rotated the roles).
    const c = new pg.Client({ host: server.host, port: server.port, user: 'admin', password: ADMIN_PW, database: 'postgres' });
    await c.connect();
    await c.query(`ALTER ROLE app_a PASSWORD '${scramVerifier(P0)}'`); // verifier: the statement log never sees P0
    await c.end();
    const w = await makeWorld({
      settings,
      rotationYaml: yaml,
      providers,
      seed: ({ kv, kube }) => {
        kv.seed('pg-admin', ADMIN_PW);
        kv.seed('orders-db', JSON.stringify({ username: 'app_a', password: P0 }), {
          contentType: 'application/json',
          expiresOn: new Date(Date.now() + 3 * 86400_000),
        });
        kube.seedDeployment({ namespace: 'shop', name: 'orders', replicas: 2 });
        kube.seed('secrets', {
          metadata: { name: 'orders-db', namespace: 'shop' },
          data: { PGUSER: Buffer.from('app_a').toString('base64'), PGPASSWORD: Buffer.from(P0).toString('base64') },
        });
      },
    });
    const fleet = new AppFleet(w.kube.kubeConfig(), 'shop', 'orders-db', ['PGUSER', 'PGPASSWORD'], async (creds) => {
      const c = new pg.Client({
        host: server.host,
        port: server.port,
        database: 'postgres',
        user: creds['PGUSER'],
        password: creds['PGPASSWORD'],
        connectionTimeoutMillis: 5000,
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const r = await c.query<{ n: string }>('SELECT count(*) AS n FROM orders');
        if (r.rows[0]?.n !== '10') throw new Error(`unexpected count ${r.rows[0]?.n}`);
      } finally {
        await c.end().catch(() => undefined);
      }
    });
    await fleet.startGeneration();
    fleet.attach(w.sim, 'orders');
    fleet.start();
    while (fleet.ok < 6) await new Promise((r) => setTimeout(r, 10));
    return { w, fleet };
  }

  it('switches to the other role with zero failed queries, twice (a full alternation), and leaks nothing', async () => {
    const { w, fleet } = await setup();
    const harnesses: ReplayHarness[] = [];
    try {
      for (const [i, expected] of ['app_b', 'app_a'].entries()) {
        const before = fleet.ok;
        // Two rotations a day apart (distinct orchestration times, hence distinct restartedAt).
        const h = w.harness(await w.input('orders-db'), { startTime: new Date(Date.now() + i * 86400_000).toISOString() });
        harnesses.push(h);
        const result = await h.run();
        expect(result.status).toBe('completed');
        expect((result.output as RotationOutput).outcome).toBe('rotated');
        expect(fleet.ok - before, 'queries ran during the rotation').toBeGreaterThan(3);
        const latest = w.kv.latest('orders-db')!;
        expect(JSON.parse(latest.value).username).toBe(expected);
        expect(latest.tags[TAG.credential]).toBe(expected);
        expect(
          fleet.alive().map((p) => `${p.name}:${p.creds['PGUSER']}`),
          JSON.stringify(w.sim.rollouts),
        ).toEqual(fleet.alive().map((p) => `${p.name}:${expected}`));
      }
      const soFar = fleet.ok;
      while (fleet.ok < soFar + 6) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await fleet.stop();
    }
    expect(fleet.failures).toEqual([]);
    expect(fleet.failed).toBe(0);
    // The previously active role (app_b after the second cycle) still works until the next cycle.
    const versions = w.kv.versions('orders-db');
    const previous = versions.find((v) => v.tags[TAG.stage] === 'previous')!;
    const prevCred = JSON.parse(previous.value) as { username: string; password: string };
    expect(prevCred.username).toBe('app_b');
    await createPostgresAdmin({ host: server.host, port: server.port, database: 'postgres', sslmode: 'disable' }, 'admin', ADMIN_PW).testLogin(
      prevCred.username,
      prevCred.password,
    );
    // The server's statement log has the ALTER ROLE statements, with SCRAM verifiers, never a password.
    const serverLog = server.log();
    expect(serverLog).toMatch(/ALTER ROLE app_b PASSWORD 'SCRAM-SHA-256\$4096:/);
    await expectNoLeak(
      w,
      harnesses,
      [
        { source: 'postgres server log', text: serverLog },
        { source: 'fleet failures', text: fleet.failures.join('\n') },
      ],
      ['orders-db', 'pg-admin'],
    );
    await w.stop();
  }, 180_000);

  it('rolls back a failed rollout with zero failed queries: consumers end on the old role, which never stopped working', async () => {
    const { w, fleet } = await setup();
    w.sim.behave('shop', 'orders', 'stuck');
    const onRollout = w.sim.onRollout!;
    w.sim.onRollout = (e) => {
      onRollout(e);
      if (e.phase === 'stuck') w.sim.behave('shop', 'orders', 'complete');
    };
    let h: ReplayHarness;
    try {
      h = w.harness(await w.input('orders-db'));
      const result = await h.run();
      expect((result.output as RotationOutput).outcome).toBe('rolled-back');
      const soFar = fleet.ok;
      while (fleet.ok < soFar + 6) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await fleet.stop();
    }
    expect(fleet.failures).toEqual([]);
    const latest = w.kv.latest('orders-db')!;
    expect(JSON.parse(latest.value)).toEqual({ username: 'app_a', password: P0 });
    expect(latest.tags).toMatchObject({ [TAG.stage]: 'current', [TAG.op]: 'rollback' });
    expect(fleet.alive().every((p) => p.creds['PGUSER'] === 'app_a' && p.creds['PGPASSWORD'] === P0)).toBe(true);
    await expectNoLeak(w, [h!], [{ source: 'fleet failures', text: fleet.failures.join('\n') }], ['orders-db', 'pg-admin']);
    await w.stop();
  }, 180_000);
});

describe('redis-acl against a real Redis, with a client connected throughout', () => {
  let server: RedisInstance;
  beforeAll(async () => {
    server = await startRedis({ adminPassword: ADMIN_PW });
    const c = createClient({ socket: { host: server.host, port: server.port }, password: ADMIN_PW });
    c.on('error', () => undefined);
    await c.connect();
    await c.sendCommand(['ACL', 'SETUSER', 'app', 'on', `>${P0}`, '~*', '+@all']);
    await c.set('greeting', 'hello');
    c.destroy();
  }, 60_000);
  afterAll(async () => server?.stop());

  it('adds the new password, rolls consumers, verifies, then removes the old one: no failed command, the long-lived connection keeps working', async () => {
    const yaml = (ctx: string) => `
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
`;
    const w = await makeWorld({
      settings,
      rotationYaml: yaml,
      providers,
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
    const fleet = new AppFleet(w.kube.kubeConfig(), 'shop', 'cache', ['REDIS_USER', 'REDIS_PASSWORD'], async (creds) => {
      const c = createClient({
        socket: { host: server.host, port: server.port, reconnectStrategy: false },
        username: creds['REDIS_USER'],
        password: creds['REDIS_PASSWORD'],
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
        if ((await c.get('greeting')) !== 'hello') throw new Error('unexpected value');
      } finally {
        try {
          c.destroy();
        } catch {
          /* closed */
        }
      }
    });
    // A connection opened before the rotation and used throughout (a worker's long-lived client).
    const longLived = createClient({ socket: { host: server.host, port: server.port, reconnectStrategy: false }, username: 'app', password: P0 });
    longLived.on('error', () => undefined);
    await longLived.connect();
    let longOk = 0;
    const longErrors: string[] = [];
    let pinging = true;
    const pinger = (async () => {
      while (pinging) {
        try {
          if ((await longLived.get('greeting')) === 'hello') longOk++;
        } catch (e) {
          longErrors.push((e as Error).message);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await fleet.startGeneration();
    fleet.attach(w.sim, 'worker');
    fleet.start();
    while (fleet.ok < 6) await new Promise((r) => setTimeout(r, 10));
    const h = w.harness(await w.input('cache-app'));
    let result;
    try {
      const before = fleet.ok;
      result = await h.run();
      expect(fleet.ok - before).toBeGreaterThan(3);
      const soFar = fleet.ok;
      while (fleet.ok < soFar + 6) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await fleet.stop();
      pinging = false;
      await pinger;
    }
    expect((result.output as RotationOutput).reason).toBeUndefined();
    expect(result.output as RotationOutput).toMatchObject({ outcome: 'rotated' });
    expect(fleet.failures).toEqual([]);
    expect(longErrors).toEqual([]);
    expect(longOk).toBeGreaterThan(10);
    const next = JSON.parse(w.kv.latest('cache-app')!.value) as { username: string; password: string };
    expect(next.password).not.toBe(P0);
    // After promote the user holds exactly one password, the new one; the old one no longer logs in.
    const admin = createClient({ socket: { host: server.host, port: server.port }, password: ADMIN_PW });
    admin.on('error', () => undefined);
    await admin.connect();
    const hashes = passwordHashes(await admin.sendCommand(['ACL', 'GETUSER', 'app']));
    expect(hashes).toHaveLength(1);
    admin.destroy();
    const adm = createRedisAdmin({ host: server.host, port: server.port, tls: false }, 'default', ADMIN_PW);
    await adm.testLogin('app', next.password);
    await expect(adm.testLogin('app', P0)).rejects.toThrow(/WRONGPASS|invalid username-password/);
    longLived.destroy();
    await expectNoLeak(w, [h], [{ source: 'fleet failures', text: fleet.failures.join('\n') }], ['cache-app', 'redis-admin']);
    await w.stop();
  }, 180_000);
});
