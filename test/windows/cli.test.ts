// `aksops windows list|check` over examples/ops.yaml (its maintenance window, December freeze,
// UK bank holidays from the .ics next to it, business hours in Europe/London).
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

function io(): CliIo & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return { lines, errs, out: (l) => void lines.push(l), err: (l) => void errs.push(l), env: {}, readStdin: () => '', cwd: process.cwd() };
}
const run = async (...args: string[]) => {
  const o = io();
  const code = await main(['windows', ...args, '--config', 'examples/ops.yaml'], o);
  return { code, out: o.lines.map((l) => JSON.parse(l) as Record<string, unknown>), errs: o.errs };
};

describe('aksops windows', () => {
  it('check --help exists and says how to use it', async () => {
    const o = io();
    expect(await main(['windows', 'check', '--help'], o)).toBe(0);
    expect(o.lines.join('\n')).toMatch(/^Usage: aksops windows check/);
    expect(o.lines.join('\n')).toMatch(/--target <value>/);
  });

  it('inside the TimescaleDB upgrade window: remediation waits until 04:00 London, scale-down skipped', async () => {
    // Saturday 5 December 2026 02:30 London (GMT) = 02:30Z; the December freeze starts on the 15th.
    const { code, out } = await run('check', '--target', 'ms5-prod/timescaledb', '--at', '2026-12-05T02:30:00Z');
    expect(code).toBe(0);
    const by = Object.fromEntries(out.filter((o) => o['job']).map((o) => [o['job'], o]));
    expect(by['remediation']).toMatchObject({
      decision: 'wait',
      retryAt: '2026-12-05T04:00:00.000Z',
      reason: 'suppressed (maintenance tsdb-upgrade): waiting until 2026-12-05T04:00:00.000Z',
    });
    expect(by['backups']).toMatchObject({ decision: 'wait' });
    expect(out.at(-1)).toMatchObject({ businessHours: 'out of hours', nextStart: '2026-12-07T09:00:00.000Z' });
    const other = await run('check', '--target', 'ms5-prod/backend', '--at', '2026-12-05T02:30:00Z', '--job', 'remediation');
    expect(other.out[0]).toMatchObject({ decision: 'proceed' });
  });

  it('December freeze asks approval; Christmas Day (from the .ics) is out of hours', async () => {
    const { out } = await run('check', '--target', 'ms5-prod/backend', '--at', '2026-12-24T10:00:00Z', '--job', 'remediation');
    expect(out[0]).toMatchObject({ decision: 'approval', reason: 'freeze december-freeze: automated actions need an approval' });
    const xmas = await run('check', '--target', 'dev', '--at', '2026-12-25T10:00:00Z', '--job', 'rotation');
    expect(xmas.out[0]).toMatchObject({ decision: 'proceed' });
    expect(xmas.out.at(-1)).toMatchObject({ businessHours: 'out of hours', nextStart: '2026-12-29T09:00:00.000Z' }); // 28th is the Boxing Day substitute
  });

  it('list shows each interval with its next start, and usage errors name the fix', async () => {
    const { out } = await run('list', '--at', '2026-12-04T12:00:00Z');
    expect(out.find((o) => o['interval'] === 'tsdb-upgrade')).toMatchObject({ active: false, nextStart: '2026-12-05T02:00:00.000Z' });
    const bad = await run('check', '--target', 'ms5-prod/timescaledb', '--at', '2026-12-05 02:30');
    expect(bad.code).toBe(2);
    expect(bad.errs.join('')).toMatch(/--at "2026-12-05 02:30" is not an ISO time with an offset. Fix/);
  });
});
