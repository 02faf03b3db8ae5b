// aksops budgets status: from the config alone, and from the app's GET /api/budgets/{name}.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { BASE_YAML, BUDGET_YAML } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'budgets-cli-'));
const file = join(dir, 'ops.yaml');
writeFileSync(file, BASE_YAML + BUDGET_YAML);

function io(env: Record<string, string> = {}): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), env, readStdin: () => '', cwd: dir };
}

let server: Server;
let seen: Array<{ url: string; key: string | undefined }> = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', key: req.headers['x-functions-key'] as string | undefined });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name: 'dev-estate', last: { actualPercent: 81 }, active: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('aksops budgets status', () => {
  it('prints each budget with its current period and stages from the config', async () => {
    const o = io();
    expect(await main(['budgets', 'status', '--config', file, '--at', '2025-03-10T12:00:00Z'], o)).toBe(0);
    const v = JSON.parse(o.lines[0]!) as {
      name: string;
      mode: string;
      period: { key: string };
      stages: Array<{ name: string; state: string; actions: string[] }>;
    };
    expect(v).toMatchObject({ name: 'dev-estate', mode: 'enforce', period: { key: '2025-03-01' } });
    expect(v.stages.map((s) => [s.name, s.state])).toEqual([
      ['warn', 'pending'],
      ['slow-down', 'pending'],
      ['stop', 'pending'],
    ]);
    expect(v.stages[2]!.actions).toContain('stop clusters ms5-dev');
  });

  it('asks the app for the live state with the function key, never printing it', async () => {
    seen = [];
    const o = io({ AKSOPS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, AKSOPS_FUNCTION_KEY: 'sekrit-key' });
    expect(await main(['budgets', 'status', '--config', file, '--budget', 'dev-estate', '--at', '2025-03-10T12:00:00Z'], o)).toBe(0);
    expect(seen).toEqual([{ url: '/api/budgets/dev-estate?at=2025-03-10T12%3A00%3A00.000Z', key: 'sekrit-key' }]);
    expect(JSON.parse(o.lines[0]!)).toMatchObject({ last: { actualPercent: 81 } });
    expect([...o.lines, ...o.errors].join('\n')).not.toContain('sekrit-key');
  });

  it('refuses unknown budgets and bad times', async () => {
    const o = io();
    expect(await main(['budgets', 'status', '--config', file, '--budget', 'nope'], o)).toBe(1);
    expect(o.errors[0]).toContain('no budget named nope');
    expect(await main(['budgets', 'status', '--config', file, '--at', 'yesterday'], io())).toBe(2);
  });
});
