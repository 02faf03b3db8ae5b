// A real PostgreSQL server (Debian package `postgresql`, installed by .ci/run) for tests: its own
// cluster in a temporary folder on a free port, started and stopped by the test, never the system
// service. PostgreSQL refuses to run as root: when the tests run as root the cluster belongs to
// the `postgres` user (created by the package) and its commands run through runuser.
//
//   const pg = await startPgCluster({ password: 'pw' });   // scram-sha-256 over TCP, trust on the socket
//   // options: superuser (default postgres), settings (extra -c name=value, e.g. log_statement: 'ddl')
//   await pg.psql('CREATE DATABASE ms5');
//   ...
//   await pg.stop();
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';

const run = promisify(execFile);

export interface PgCluster {
  port: number;
  host: string;
  /** Directory of the server binaries (pg_dump, pg_restore, psql). */
  bin: string;
  user: string;
  password: string | undefined;
  /** Runs SQL with psql as the superuser; returns stdout (unaligned, tuples only). */
  psql(sql: string, database?: string): Promise<string>;
  /** The server log so far (what log_statement and friends wrote). */
  log(): string;
  stop(): Promise<void>;
}

export interface PgClusterOptions {
  /** Superuser password; TCP logins then need scram-sha-256. */
  password?: string;
  /** Superuser name (default postgres). */
  superuser?: string;
  /** Extra server settings, passed as -c name=value. */
  settings?: Record<string, string>;
}

/** The newest installed server's bin directory, or an error saying how to install it. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed. Fix: apt-get install postgresql (.ci/run installs it)');
  return join(root, versions[0]!, 'bin');
}

export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  const superuser = options.superuser ?? 'postgres';
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'aksops-pg-'));
  const data = join(dir, 'data');
  const owner = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : undefined;
  const group = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) : undefined;
  if (owner !== undefined) chownSync(dir, owner, group!);
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  const args = ['-D', data, '-U', superuser, '--no-sync', '--auth-local=trust', `--auth-host=${options.password ? 'scram-sha-256' : 'trust'}`];
  if (options.password) {
    const pw = join(dir, 'pw');
    writeFileSync(pw, options.password);
    if (owner !== undefined) chownSync(pw, owner, group!);
    args.push(`--pwfile=${pw}`);
  }
  await as(join(bin, 'initdb'), args);
  rmSync(join(dir, 'pw'), { force: true });
  const port = await freePort();
  const host = '127.0.0.1';
  const extra = Object.entries(options.settings ?? {})
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('');
  await as(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=${host} -c fsync=off -c synchronous_commit=off -c full_page_writes=off${extra}`,
    'start',
  ]);
  const psql = async (sql: string, database = 'postgres') => {
    const { stdout } = await as(join(bin, 'psql'), [
      '-X',
      '-q',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      dir,
      '-p',
      String(port),
      '-U',
      superuser,
      '-d',
      database,
      '-c',
      sql,
    ]);
    return stdout.trim();
  };
  let stopped = false;
  return {
    port,
    host,
    bin,
    user: superuser,
    password: options.password,
    psql,
    log: () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : ''),
    async stop() {
      if (stopped) return;
      stopped = true;
      await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
