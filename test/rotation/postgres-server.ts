// A real PostgreSQL for the rotation tests (Debian package `postgresql`), started in a temporary
// folder on a free port, with the statement log on for DDL (log_statement=ddl) so the tests can
// check that ALTER ROLE statements carry SCRAM verifiers, never passwords. (The general helpers in
// test/support/ belong to other jobs; this one keeps the server log for that check.)
// PostgreSQL refuses to run as root: then the cluster belongs to the `postgres` user and commands
// run through runuser. Superuser `admin` with a password; scram-sha-256 for every TCP login.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/net.js';

/** The newest installed server's bin directory. */
function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed. Fix: apt-get install postgresql (.ci/run installs it)');
  return join(base, versions[0]!, 'bin');
}

export interface RotationPostgres {
  host: string;
  port: number;
  adminUser: string;
  /** The server's log (statements of log_statement=ddl included). */
  log(): string;
  stop(): Promise<void>;
}

export async function startRotationPostgres(opts: { adminPassword: string }): Promise<RotationPostgres> {
  const bin = postgresBin();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'pg-rotation-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${opts.adminPassword}\n`, { mode: 0o600 });
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]) => execFileSync(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { encoding: 'utf8', stdio: 'pipe', cwd: dir });
  run(join(bin, 'initdb'), ['-D', data, '-U', 'admin', '--pwfile', pwfile, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  rmSync(pwfile, { force: true });
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c log_statement=ddl`;
  const logFile = join(dir, 'server.log');
  run(join(bin, 'pg_ctl'), ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    adminUser: 'admin',
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
