// Every command answers --help and -h with exit 0 and a usage line naming itself; the groups and
// the program too; --version prints package.json's version. Run in-process through main(), and
// once through bin/aksops.js for EPIPE (`aksops ... | head`) and usage errors.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const t: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, readStdin: () => '', cwd: process.cwd() };
  return { t, out, err };
}

const paths = COMMANDS.map((c) => c.path);
const groups = [...new Set(paths.filter((p) => p.includes(' ')).map((p) => p.split(' ')[0]!))];

describe('aksops --help', () => {
  it('lists the commands the HTTP API needs', () => {
    for (const p of [
      'audit',
      'pause',
      'resume',
      'scaling report',
      'backup create',
      'backup verify',
      'budgets approve',
      'secrets approve',
      'runbooks run',
      'secrets rotate',
    ])
      expect(paths).toContain(p);
  });

  it.each([...paths, ...groups])('%s --help and -h exit 0 with its usage line, and run nothing', async (path) => {
    for (const flag of ['--help', '-h']) {
      const { t, out, err } = io();
      expect(await main([...path.split(' '), flag], t)).toBe(0);
      expect(out.join('\n').split('\n')[0]).toMatch(new RegExp(`^Usage: aksops ${path} \\[options\\]`));
      expect(err).toEqual([]);
    }
  });

  it('the program help lists every group and single command', async () => {
    const { t, out } = io();
    expect(await main(['--help'], t)).toBe(0);
    const text = out.join('\n');
    for (const name of [...groups, 'audit', 'pause', 'resume', 'restore']) expect(text).toMatch(new RegExp(`\\n  ${name} `));
  });

  it('--version prints the version from package.json', async () => {
    const { t, out } = io();
    expect(await main(['--version'], t)).toBe(0);
    expect(out).toEqual([(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version]);
  });

  it('usage errors exit 2 and name the problem: unknown option, unknown command, no command', async () => {
    const a = io();
    expect(await main(['config', 'validate', '--nope'], a.t)).toBe(2);
    expect(a.err.join('\n')).toContain("unknown option '--nope'");
    const b = io();
    expect(await main(['backup', 'creat'], b.t)).toBe(2);
    expect(b.err.join('\n')).toMatch(/unknown command 'creat'[\s\S]*Did you mean create\?/);
    const c = io();
    expect(await main([], c.t)).toBe(2);
    expect(c.err.join('\n')).toContain('Usage: aksops');
  });

  it('options take their values from the module spec: a string flag without a value is an error', async () => {
    const { t, err } = io();
    expect(await main(['audit', '--since'], t)).toBe(2);
    expect(err.join('\n')).toContain("option '--since <value>' argument missing");
  });
});

describe('bin/aksops.js (needs npm run build)', () => {
  it('exits 0 without a stack trace when the reader of stdout goes away (| head)', () => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', 'node bin/aksops.js --help | head -1'], { encoding: 'utf8' });
    expect(r.stdout).toBe('Usage: aksops [options] [command]\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('exits 130 with one line on Ctrl-C (SIGINT) while waiting', async () => {
    const { spawn } = await import('node:child_process');
    const { createServer } = await import('node:http');
    // An app that never answers: the CLI waits in fetch until interrupted.
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const child = spawn(process.execPath, ['bin/aksops.js', 'pause', '--status', '--url', `http://127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((r) => server.once('connection', () => r()));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    server.closeAllConnections();
    server.close();
    expect(code).toBe(130);
    expect(stderr.trim()).toBe('aksops: interrupted');
  });
});
