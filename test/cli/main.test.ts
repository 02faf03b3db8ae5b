import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

function io(stdin = ''): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l), env: {}, readStdin: () => stdin, cwd: process.cwd() };
}

describe('aksops CLI', () => {
  it('validates the example config', async () => {
    const t = io();
    expect(await main(['config', 'validate', '--config', 'examples/ops.yaml'], t)).toBe(0);
    expect(t.outLines[0]).toMatch(/valid \(2 clusters, 8 rules, 3 notification targets/);
  });

  it('reports a missing config file with the fix', async () => {
    const t = io();
    expect(await main(['config', 'validate', '--config', 'nope.yaml'], t)).toBe(1);
    expect(t.errLines.join('\n')).toMatch(/cannot be read \(ENOENT\). Fix: set OPS_CONFIG_PATH/);
  });

  it('prints one JSON object per alert for rules test', async () => {
    const t = io();
    expect(await main(['rules', 'test', '--config', 'examples/ops.yaml', '--payload', 'test/fixtures/alertmanager/crashloop-group.json'], t)).toBe(0);
    const rows = t.outLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => 'fingerprint' in r);
    expect(rows).toHaveLength(6);
    for (const r of rows)
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['fingerprint', 'status', 'rule', 'runbook', 'target', 'decision', 'instanceId']));
    expect(rows.map((r) => r['decision'])).toEqual(['start', 'resolve', 'no-match', 'protected', 'invalid', 'no-match']);
  });

  it('reads the payload from stdin and names a broken field', async () => {
    const t = io('{"version":"4","status":"firing","alerts":[{"status":"burning"}]}');
    expect(await main(['rules', 'test', '--config', 'examples/ops.yaml', '--payload', '-'], t)).toBe(1);
    expect(t.errLines[0]).toMatch(/alerts\[0\]\.status: expected "firing" or "resolved"/);
  });

  it('answers usage errors with exit code 2', async () => {
    expect(await main(['rules', 'test'], io())).toBe(2);
    expect(await main(['frobnicate'], io())).toBe(2);
    expect(await main(['config', 'validate', '--bogus'], io())).toBe(2);
    expect(await main(['--help'], io())).toBe(0);
  });
});
