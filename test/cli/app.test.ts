// The CLI commands that call the app, against the app's real handlers (test/support/app-host.ts)
// over Azurite and the fakes: audit (filters, table vs JSON, cursor), pause/resume, and
// backup create --wait with its progress lines on stderr.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { startConsoleWorld, type ConsoleWorld } from '../support/console-world.js';

let w: ConsoleWorld;
beforeAll(async () => {
  w = await startConsoleWorld({ auditRows: 120, auth: 'function-key' });
}, 120_000);
afterAll(async () => w?.stop());

function io(isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  const t: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { AKSOPS_URL: w.host.url, AKSOPS_USER: 'carol@contoso.com', AKSOPS_WAIT_INTERVAL_MS: '50' },
    readStdin: () => '',
    cwd: process.cwd(),
    isTTY,
  };
  return { t, out, err };
}

describe('aksops against the app', () => {
  it('audit: JSON when piped (with next), a table on a terminal, filters passed to the app, --cursor continues', async () => {
    const a = io();
    expect(await main(['audit', '--since', '7d', '--cluster', 'ms5-prod', '--namespace', 'shop', '--limit', '10'], a.t)).toBe(0);
    const page = JSON.parse(a.out.join('\n')) as { items: { target: string }[]; next: string };
    expect(page.items).toHaveLength(10);
    expect(page.items.every((i) => i.target.startsWith('ms5-prod/shop/'))).toBe(true);
    const b = io(true);
    expect(await main(['audit', '--since', '7d', '--cluster', 'ms5-prod', '--namespace', 'shop', '--limit', '10', '--cursor', page.next], b.t)).toBe(0);
    expect(b.out[0]!.split('\n')[0]).toMatch(/^AT\s+KIND\s+ACTOR\s+TARGET/);
    expect(b.out[0]!.split('\n')).toHaveLength(11);
    expect(b.err.join()).toMatch(/more rows: aksops audit \.\.\. --cursor /);
    const bad = io();
    expect(await main(['audit', '--since', 'whenever'], bad.t)).toBe(1);
    expect(bad.err.join()).toMatch(/HTTP 400: since: 'whenever' is not an ISO 8601 time/);
  });

  it('pause and resume: need a reason, record who, --status reads the switch', async () => {
    const none = io();
    expect(await main(['pause'], none.t)).toBe(2);
    expect(none.err.join()).toMatch(/--reason is required/);
    const p = io();
    expect(await main(['pause', '--reason', 'INC-9 storage migration', '-o', 'json'], p.t)).toBe(0);
    expect(JSON.parse(p.out.join('\n'))).toMatchObject({ paused: true, switch: { by: 'carol@contoso.com', reason: 'INC-9 storage migration' } });
    const s = io(true);
    expect(await main(['pause', '--status'], s.t)).toBe(0);
    expect(s.out.join('\n')).toMatch(/PAUSED\s+SOURCE[\s\S]*\ntrue\s+/);
    const r = io();
    expect(await main(['resume', '--reason', 'done'], r.t)).toBe(0);
    expect(JSON.parse(r.out.join('\n'))).toMatchObject({ paused: false });
  });

  it('backup create --wait: progress on stderr until the orchestration ends; exit 1 when it ended without a manifest', async () => {
    w.durable.onStart = (i) => {
      i.customStatus = { phase: 'objects', progress: { done: 1, total: 3 } };
      setTimeout(() => {
        i.customStatus = { phase: 'objects', progress: { done: 2, total: 3 } };
      }, 150);
      setTimeout(() => w.durable.setStatus(i.instanceId, 'Failed'), 400);
    };
    const c = io();
    expect(await main(['backup', 'create', '--cluster', 'ms5-prod', '--part', 'objects', '--wait'], c.t)).toBe(1);
    expect(JSON.parse(c.out.join('\n'))).toMatchObject({ result: 'started', input: { cluster: 'ms5-prod', parts: ['objects'] } });
    const lines = c.err.filter((l) => l.startsWith('backup '));
    expect(lines[0]).toMatch(/Running, phase objects 1\/3$/);
    expect(lines).toContainEqual(expect.stringMatching(/Running, phase objects 2\/3$/));
    expect(lines.at(-1)).toMatch(/Failed, phase objects 2\/3$/);
  });
});
