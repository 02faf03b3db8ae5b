// Starts a real PostgreSQL (Debian package `postgresql`) on a free loopback port with its own
// cluster in a temporary folder, a superuser `admin` protected by a password (scram-sha-256 over
// TCP), every statement logged to <dir>/server.log (so tests can check that no secret reaches the
// server log), and stops it again. PostgreSQL refuses to run as root: as root the cluster belongs
// to the `postgres` user the package creates, and its commands run through runuser.
//
//   const pg = await startPostgres({ adminPassword: 'x' });
//   pg.host; pg.port; readFileSync(join(pg.dir, 'server.log')); await pg.stop();
//
// (Rebuilt for the rotation tests' interface after an accidental overwrite; backups use
// test/support/pg-cluster.ts.)
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';
import { postgresBin } from './pg-cluster.js';

const run = promisify(execFile);

export interface PostgresInstance {
  host: string;
  port: number;
  /** The server's folder: data in data/, the log in server.log. */
  dir: string;
  stop(): Promise<void>;
}

export async function startPostgres(opts: { adminPassword: string }): Promise<PostgresInstance> {
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'postgres-test-'));
  const data = join(dir, 'data');
  const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : undefined;
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, opts.adminPassword, { mode: 0o600 });
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  try {
    await as(join(bin, 'initdb'), ['-D', data, '-U', 'admin', '--no-sync', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`]);
  } finally {
    rmSync(pwfile, { force: true });
  }
  const port = await freePort();
  await as(join(bin, 'pg_ctl'), [
    '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c log_statement=all -c max_connections=200`,
    'start',
  ]);
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      // Keep the folder until the process is gone; the log is read before stop().
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
