// Real pg_dump / pg_restore (Debian package postgresql) against a real PostgreSQL, run through the
// Kubernetes exec API as the real client speaks it (client-node Exec over WebSocket, v5 and v4
// channel protocols) into the strict fake API server, which runs the command locally; the dump
// streams into Azurite and back into pg_restore for a fresh database. Compared: row counts and
// checksums of every table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { CLUSTER, createWorld, type World } from './world.js';
import { backupDatabase, pgDumpCommand, restoreDatabase } from '../../src/backup/postgres.js';
import { planBackup } from '../../src/backup/engine.js';
import { writeManifest } from '../../src/backup/manifest-write.js';
import { paths } from '../../src/backup/manifest.js';
import { verifyBackup } from '../../src/backup/catalog.js';
import { execStream } from '../../src/adapters/kube-exec.js';
import { configureExec, execHistory } from '../fakes/kube-exec.js';
import type { DatabaseBackupConfig } from '../../src/config/backup-schema.js';

const PASSWORD = 'pg-Sup3r-secret-7f1c';
let pg: PgCluster;
let w: World;

const TABLES = ['sensors', 'readings', 'jobs'];

async function fingerprint(db: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const count = await pg.psql(`SELECT count(*) FROM ${t}`, db);
    const sum = await pg.psql(`SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM ${t} x`, db);
    out[t] = `${count}:${sum}`;
  }
  out['indexes'] = await pg.psql(`SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'`, db);
  return out;
}

beforeAll(async () => {
  pg = await startPgCluster({ password: PASSWORD });
  await pg.psql('CREATE DATABASE ms5');
  await pg.psql(
    `
    CREATE TABLE sensors (id serial PRIMARY KEY, name text NOT NULL UNIQUE, site text, installed timestamptz DEFAULT now());
    CREATE TABLE readings (sensor_id int REFERENCES sensors(id), at timestamptz NOT NULL, value double precision, payload jsonb, PRIMARY KEY (sensor_id, at));
    CREATE INDEX readings_at ON readings (at DESC);
    CREATE TABLE jobs (id bigserial PRIMARY KEY, state text CHECK (state IN ('queued','done')), result bytea);
    INSERT INTO sensors (name, site) SELECT 'sensor-' || g, 'line-' || (g % 7) FROM generate_series(1, 200) g;
    INSERT INTO readings SELECT (g % 200) + 1, timestamptz '2025-01-01' + g * interval '1 second', sin(g) * 100, jsonb_build_object('q', g % 3, 'note', repeat('x', g % 50))
      FROM generate_series(1, 120000) g;
    INSERT INTO jobs (state, result) SELECT CASE WHEN g % 2 = 0 THEN 'done' ELSE 'queued' END, decode(md5(g::text), 'hex') FROM generate_series(1, 5000) g;
  `,
    'ms5',
  );
  w = await createWorld({
    tag: 'pg',
    clusterBackup: {
      databases: [
        {
          name: 'timescaledb',
          namespace: 'db',
          podSelector: 'app=timescaledb,role=primary',
          container: 'postgres',
          database: 'ms5',
          host: '127.0.0.1',
          port: pg.port,
          passwordEnv: 'POSTGRES_PASSWORD',
          expectedSize: '50Mi',
        },
      ],
    },
  });
  // The database pod: Running, the postgres container; its env holds the password (here the
  // local process's env: the fake runs the command locally).
  w.kube.seedPod({
    namespace: 'db',
    name: 'timescaledb-0',
    labels: { app: 'timescaledb', role: 'primary' },
    spec: {
      containers: [
        { name: 'metrics', image: 'exporter:1' },
        { name: 'postgres', image: 'timescale/timescaledb:2.14.2-pg15' },
      ],
    },
  });
  w.kube.seedPod({
    namespace: 'db',
    name: 'timescaledb-1',
    labels: { app: 'timescaledb', role: 'replica' },
    spec: { containers: [{ name: 'postgres', image: 'x' }] },
  });
  configureExec(w.kube.registry, {
    env: { POSTGRES_PASSWORD: PASSWORD, PATH: `${pg.bin}:${process.env['PATH'] ?? ''}` },
  });
}, 180_000);

afterAll(async () => {
  await w?.stop();
  await pg?.stop();
});

async function backupAndRestore(id: string, target: string, protocols?: string[]) {
  await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['databases'] });
  const summary = await backupDatabase(w.env, { backupId: id, cluster: CLUSTER, database: 'timescaledb' }, protocols ? { protocols } : {});
  await writeManifest(w.env, {
    backupId: id,
    cluster: CLUSTER,
    parts: [summary.part],
    failed: [],
    warnings: [],
    trigger: 'cli',
    requestedBy: 'test',
    startedAt: 'x',
    finishedAt: 'y',
  });
  await pg.psql(`CREATE DATABASE ${target}`);
  const restored = await restoreDatabase(
    w.env,
    { restoreId: 'r', cluster: CLUSTER, sourceCluster: CLUSTER, backupId: id, database: 'timescaledb', target, dryRun: false },
    protocols ? { protocols } : {},
  );
  return { summary, restored };
}

describe('PostgreSQL through the exec API', () => {
  it('dumps with pg_dump -Fc into a block blob and restores it into a fresh database, identical (v5 protocol)', async () => {
    const { summary, restored } = await backupAndRestore('20250101T020000Z-nightly', 'ms5_restore_v5');
    expect(summary.items).toBe(1);
    expect(await fingerprint('ms5_restore_v5')).toEqual(await fingerprint('ms5'));
    const dump = await w.blobs.readBuffer(w.backups.containers.databases, paths.database(CLUSTER, '20250101T020000Z-nightly', 'timescaledb'));
    expect(dump.subarray(0, 5).toString('ascii')).toBe('PGDMP'); // the custom-format magic
    expect(createHash('sha256').update(dump).digest('hex')).toBe(restored.sha256);
    expect(dump.length).toBe(summary.bytes);
    const execs = execHistory(w.kube.registry);
    // The dump, the extension lookup (psql), the restore.
    expect(
      execs.map((e) => [
        e.pod,
        e.container,
        e.protocol,
        e.exitCode,
        e.command.join(' ').includes('pg_restore "$@"') ? 'pg_restore' : e.command.at(-1) === 'ms5' ? 'pg_dump' : 'psql',
      ]),
    ).toEqual([
      ['timescaledb-0', 'postgres', 'v5.channel.k8s.io', 0, 'pg_dump'],
      ['timescaledb-0', 'postgres', 'v5.channel.k8s.io', 0, 'psql'],
      ['timescaledb-0', 'postgres', 'v5.channel.k8s.io', 0, 'pg_restore'],
    ]);
    expect(execs[2]!.stdinBytes).toBe(dump.length);
    // The password never left the "pod": not in the command, the request log or the manifest.
    const seen =
      JSON.stringify(
        [w.kube.requests, execs, await w.blobs.readBuffer(w.backups.containers.objects, paths.manifest(CLUSTER, '20250101T020000Z-nightly'))].map(String),
      ) + JSON.stringify(w.kube.requests);
    expect(seen.includes(PASSWORD)).toBe(false);
    expect((await verifyBackup(w.env, CLUSTER, '20250101T020000Z-nightly')).ok).toBe(true);
  });

  it('works the same over the v4 channel protocol (no stdin half-close: pg_restore reads exactly the dump size)', async () => {
    const before = execHistory(w.kube.registry).length;
    await backupAndRestore('20250101T030000Z-nightly', 'ms5_restore_v4', ['v4.channel.k8s.io']);
    expect(await fingerprint('ms5_restore_v4')).toEqual(await fingerprint('ms5'));
    expect(
      execHistory(w.kube.registry)
        .slice(before)
        .map((e) => [e.protocol, e.exitCode]),
    ).toEqual([
      ['v4.channel.k8s.io', 0],
      ['v4.channel.k8s.io', 0],
      ['v4.channel.k8s.io', 0],
    ]);
  });

  it('does not commit a dump when pg_dump fails, and reports its error', async () => {
    const broken: DatabaseBackupConfig = { ...w.backups.clusters[0]!.databases[0]!, database: 'no_such_db', name: 'broken' };
    w.backups.clusters[0]!.databases.push(broken);
    try {
      await planBackup(w.env, { backupId: '20250101T040000Z-nightly', cluster: CLUSTER, parts: ['databases'] });
      await expect(backupDatabase(w.env, { backupId: '20250101T040000Z-nightly', cluster: CLUSTER, database: 'broken' })).rejects.toThrow(
        /pg_dump of no_such_db in db\/timescaledb-0 failed \(exit 1\): .*database "no_such_db" does not exist/,
      );
      expect(await w.blobs.exists(w.backups.containers.databases, paths.database(CLUSTER, '20250101T040000Z-nightly', 'broken'))).toBe(false);
    } finally {
      w.backups.clusters[0]!.databases.pop();
    }
  });

  it('builds the commands without the password (it is read from the container env)', () => {
    const db = w.backups.clusters[0]!.databases[0]!;
    expect(pgDumpCommand(db)).toEqual([
      'sh',
      '-c',
      'PGPASSWORD="$POSTGRES_PASSWORD" exec pg_dump "$@"',
      'pg_dump',
      '-Fc',
      '--no-password',
      '-U',
      'postgres',
      '-h',
      '127.0.0.1',
      '-p',
      String(pg.port),
      '-d',
      'ms5',
    ]);
    expect(pgDumpCommand({ ...db, passwordEnv: undefined, host: undefined, port: undefined })).toEqual([
      'pg_dump',
      '-Fc',
      '--no-password',
      '-U',
      'postgres',
      '-d',
      'ms5',
    ]);
  });
});

describe('exec streaming', () => {
  it('applies back-pressure: a reader that stops holds the command back instead of buffering its output', async () => {
    const { kubeConfig } = await w.env.kube(CLUSTER);
    const h = await execStream(kubeConfig, 'db', 'timescaledb-0', 'postgres', ['sh', '-c', 'head -c 268435456 /dev/zero'], { stdoutBuffer: 1024 * 1024 });
    const rec = execHistory(w.kube.registry).at(-1)!;
    // Read nothing for a while: the command must stall far below its 256 MiB.
    await new Promise((r) => setTimeout(r, 1500));
    expect(rec.stdoutBytes).toBeLessThan(64 * 1024 * 1024);
    let total = 0;
    for await (const c of h.stdout) total += (c as Buffer).length;
    expect(total).toBe(268435456);
    expect((await h.done).exitCode).toBe(0);
  });

  it('reports the exit code and stderr of a failing command, and refuses what the API server refuses', async () => {
    const { kubeConfig } = await w.env.kube(CLUSTER);
    const h = await execStream(kubeConfig, 'db', 'timescaledb-0', 'postgres', ['sh', '-c', 'echo out; echo boom >&2; exit 3']);
    let out = '';
    for await (const c of h.stdout) out += String(c);
    const r = await h.done;
    expect([out, r.exitCode, r.stderr, r.status.reason]).toEqual(['out\n', 3, 'boom\n', 'NonZeroExitCode']);
    await expect(execStream(kubeConfig, 'db', 'nope', 'postgres', ['true'])).rejects.toThrow();
    await expect(execStream(kubeConfig, 'db', 'timescaledb-0', 'sidecar', ['true'])).rejects.toThrow();
    const refused = w.kube.requests
      .filter((q) => q.path.endsWith('/exec'))
      .slice(-2)
      .map((q) => q.status);
    expect(refused).toEqual([404, 400]);
  });
});
