// `aksops rules test` says, per rule, how each matcher entry was read (issue #20).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

function io(): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l), env: {}, readStdin: () => '', cwd: process.cwd() };
}

describe('aksops rules test explains the matchers', () => {
  it('prints each rule with every matcher as name, operator and value, before the decisions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksops-explain-'));
    writeFileSync(
      join(dir, 'ops.yaml'),
      `version: 1
clusters:
  - name: dev
    kubeContext: kind-dev
rules:
  - name: crashloop
    matchers: ['severity!=info,team=db', '"service.name"=~"(?i)check.*"']
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
`,
    );
    writeFileSync(
      join(dir, 'payload.json'),
      JSON.stringify({
        version: '4',
        status: 'firing',
        groupKey: 'g',
        receiver: 'r',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://am',
        alerts: [],
      }),
    );
    const t = io();
    expect(await main(['rules', 'test', '--config', join(dir, 'ops.yaml'), '--payload', join(dir, 'payload.json')], t)).toBe(0);
    expect(t.outLines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        rule: 'crashloop',
        matchers: [
          { entry: 'severity!=info,team=db', name: 'severity', op: '!=', value: 'info', parser: 'classic' },
          { entry: 'severity!=info,team=db', name: 'team', op: '=', value: 'db', parser: 'classic' },
          { entry: '"service.name"=~"(?i)check.*"', name: 'service.name', op: '=~', value: '(?i)check.*', parser: 'utf8' },
        ],
      },
    ]);
  });
});
