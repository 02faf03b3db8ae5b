// Starts a real Redis (Debian package `redis-server`) on a free loopback port with no
// persistence, the default user protected by a password, and stops it again.
//
//   const r = await startRedis({ adminPassword: 'x' });
//   r.port; await r.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export interface RedisInstance {
  host: string;
  port: number;
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on ${port}: ${output()}`);
}

/** `dir`: an existing data directory (Redis loads its dump.rdb at start; it is not deleted on stop). */
export async function startRedis(opts: { adminPassword: string; dir?: string }): Promise<RedisInstance> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'redis-test-'));
  const port = await freePort();
  let out = '';
  // The password goes in through stdin-free config: a config file would do too; argv is visible
  // to local users only, and this is a throw-away test server.
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--requirepass',
      opts.adminPassword,
      '--maxclients',
      '1000',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.on('error', (e) => (out += `\n${e.message}. Fix: apt-get install redis-server (.ci/run installs it)`));
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  await waitForPort(port, child, () => out);
  return {
    host: '127.0.0.1',
    port,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
