// TimescaleDB-aware dump and restore against a real PostgreSQL. TimescaleDB is not packaged for
// this Debian, so the extension is stood in for: a pg_extension row (what the detection query and
// pg_dump read: pg_dump then writes CREATE EXTENSION IF NOT EXISTS timescaledb) and, in the target
// database, timescaledb_pre_restore()/timescaledb_post_restore() functions that log the order they
// ran in and how many rows the restored table had at that moment. Real pg_dump, psql and
// pg_restore run through the exec API (the fake runs them locally).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { CLUSTER, createWorld, type World } from './world.js';
import { backupDatabase, pgRestoreCommand, restoreDatabase } from '../../src/backup/postgres.js';
import { planBackup } from '../../src/backup/engine.js';
import { readManifest, writeManifest } from '../../src/backup/manifest-write.js';
import { configureExec } from '../fakes/kube-exec.js';

const PASSWORD = 'ts-Sup3r-secret-5d2e';
let pg: PgCluster;
let w: World;

/** What a TimescaleDB installation looks like to pg_extension readers. */
const FAKE_EXTENSION = `INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
  VALUES (99001, 'timescaledb', (SELECT oid FROM pg_roles WHERE rolname = current_user), 'public'::regnamespace, false, '2.14.2')`;

const LOGGING_FUNCTIONS = ['pre', 'post']
  .map(
    (step) => `
  CREATE FUNCTION timescaledb_${step}_restore() RETURNS bool LANGUAGE plpgsql AS $$
  DECLARE n bigint := -1;
  BEGIN
    IF to_regclass('public.conditions') IS NOT NULL THEN EXECUTE 'SELECT count(*) FROM public.conditions' INTO n; END IF;
    INSERT INTO restore_log (step, conditions) VALUES ('${step}', n);
    RETURN true;
  END $$;`,
  )
  .join('\n');

beforeAll(async () => {
  pg = await startPgCluster({ password: PASSWORD });
  await pg.psql('CREATE DATABASE metrics');
  await pg.psql('CREATE DATABASE plain');
  await pg.psql(
    `${FAKE_EXTENSION};
    CREATE TABLE conditions (time timestamptz NOT NULL, device text, temperature double precision);
    INSERT INTO conditions SELECT timestamptz '2025-01-01' + g * interval '1 minute', 'dev-' || (g % 5), g % 40 FROM generate_series(1, 3000) g;`,
    'metrics',
  );
  await pg.psql('CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2);', 'plain');
  const db = {
    namespace: 'db',
    podSelector: 'app=timescaledb',
    container: 'postgres',
    host: '127.0.0.1',
    port: pg.port,
    passwordEnv: 'POSTGRES_PASSWORD',
    expectedSize: '10Mi',
  };
  w = await createWorld({
    tag: 'tsdb',
    clusterBackup: {
      databases: [
        { name: 'metrics', database: 'metrics', ...db },
        { name: 'plain', database: 'plain', ...db },
      ],
    },
  });
  w.kube.seedPod({
    namespace: 'db',
    name: 'timescaledb-0',
    labels: { app: 'timescaledb' },
    spec: { containers: [{ name: 'postgres', image: 'timescale/timescaledb:2.14.2-pg15' }] },
  });
  configureExec(w.kube.registry, { env: { POSTGRES_PASSWORD: PASSWORD, PATH: `${pg.bin}:${process.env['PATH'] ?? ''}` } });
}, 180_000);

afterAll(async () => {
  await w?.stop();
  await pg?.stop();
});

describe('TimescaleDB-aware dump and restore', () => {
  it('detects the extension, records its version, and restores between timescaledb_pre_restore() and timescaledb_post_restore()', async () => {
    const id = '20250101T020000Z-nightly';
    await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['databases'] });
    const parts = [
      await backupDatabase(w.env, { backupId: id, cluster: CLUSTER, database: 'metrics' }),
      await backupDatabase(w.env, { backupId: id, cluster: CLUSTER, database: 'plain' }),
    ];
    await writeManifest(w.env, {
      backupId: id,
      cluster: CLUSTER,
      parts: parts.map((p) => p.part),
      failed: [],
      warnings: [],
      trigger: 'cli',
      requestedBy: 'test',
      startedAt: 'x',
      finishedAt: 'y',
    });
    const m = (await readManifest(w.env, CLUSTER, id))!;
    expect(m.items.filter((i) => i.type === 'database').map((i) => [i.database, i.extensions])).toEqual([
      ['metrics', { timescaledb: '2.14.2' }],
      ['plain', undefined],
    ]);

    await pg.psql('CREATE DATABASE metrics_restore');
    await pg.psql(`${FAKE_EXTENSION}; CREATE TABLE restore_log (seq serial, step text, conditions bigint); ${LOGGING_FUNCTIONS}`, 'metrics_restore');
    const r = await restoreDatabase(w.env, {
      restoreId: 'r',
      cluster: CLUSTER,
      sourceCluster: CLUSTER,
      backupId: id,
      database: 'metrics',
      target: 'metrics_restore',
      dryRun: false,
    });
    expect(r.timescaledb).toBe('2.14.2');
    // pre ran before pg_restore (no table yet), post after it (all rows there).
    expect(await pg.psql("SELECT step || ':' || conditions FROM restore_log ORDER BY seq", 'metrics_restore')).toBe('pre:-1\npost:3000');
    const sum = "SELECT count(*) || ':' || md5(string_agg(c::text, ',' ORDER BY c::text)) FROM conditions c";
    expect(await pg.psql(sum, 'metrics_restore')).toBe(await pg.psql(sum, 'metrics'));

    // A plain dump restores with plain pg_restore: no TimescaleDB function is called.
    await pg.psql('CREATE DATABASE plain_restore');
    const p = await restoreDatabase(w.env, {
      restoreId: 'r',
      cluster: CLUSTER,
      sourceCluster: CLUSTER,
      backupId: id,
      database: 'plain',
      target: 'plain_restore',
      dryRun: false,
    });
    expect(p.timescaledb).toBeUndefined();
    expect(await pg.psql("SELECT string_agg(x::text, ',' ORDER BY x) FROM t", 'plain_restore')).toBe('1,2');
  });

  it('runs timescaledb_post_restore() also when pg_restore fails, and reports the failure', async () => {
    const id = '20250101T020000Z-nightly';
    await pg.psql('CREATE DATABASE metrics_conflict');
    // The table already exists: pg_restore --exit-on-error stops at CREATE TABLE.
    await pg.psql(
      `${FAKE_EXTENSION}; CREATE TABLE restore_log (seq serial, step text, conditions bigint); ${LOGGING_FUNCTIONS}; CREATE TABLE conditions (x int);`,
      'metrics_conflict',
    );
    await expect(
      restoreDatabase(w.env, {
        restoreId: 'r',
        cluster: CLUSTER,
        sourceCluster: CLUSTER,
        backupId: id,
        database: 'metrics',
        target: 'metrics_conflict',
        dryRun: false,
      }),
    ).rejects.toThrow(/pg_restore into metrics_conflict in db\/timescaledb-0 failed \(exit 1\): .*already exists/);
    expect(await pg.psql("SELECT string_agg(step, ',' ORDER BY seq) FROM restore_log", 'metrics_conflict')).toBe('pre,post');
  });

  it('quotes every connection value for the shell', () => {
    const db = { ...w.backups.clusters[0]!.databases[0]!, user: "o'brien" };
    const script = pgRestoreCommand(db, 'metrics', 10, true)[2]!;
    expect(script).toContain(`'o'\\''brien'`);
    expect(script.split('\n').map((l) => l.replace(/ .*/, ''))).toEqual(['PGPASSWORD="$POSTGRES_PASSWORD"', 'head', 'PGPASSWORD="$POSTGRES_PASSWORD"', 'exit']);
  });
});
