import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { readSettings } from '../../src/config/settings.js';

const minimal = `
version: 1
clusters:
  - name: dev
    kubeContext: kind-dev
rules:
  - name: crashloop
    matchers: ['alertname="KubePodCrashLooping"']
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
`;

function problems(text: string): { path: string; line?: number; message: string }[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('operations config', () => {
  it('accepts the shipped example', () => {
    const cfg = parseConfig(readFileSync('examples/ops.yaml', 'utf8'));
    expect(cfg.rules[0]!.name).toBe('crashloop-restart');
    expect(cfg.rules[0]!.guard.cooldownSeconds).toBe(1800);
    expect(cfg.rules[0]!.verifyAfterSeconds).toBe(900);
    expect(cfg.rules[1]!.guard.cooldownSeconds).toBe(900);
    expect(cfg.protectedNamespaces.get('ms5-prod')).toEqual(new Set(['gatekeeper-system', 'calico-system', 'monitoring', 'cert-manager', 'timescaledb']));
  });

  it('defaults to dry-run and compiles matchers once', () => {
    const cfg = parseConfig(minimal);
    expect(cfg.rules[0]!.dryRun).toBe(true);
    expect(cfg.rules[0]!.matchers[0]!.op).toBe('=');
  });

  it('names path, line and fix for each problem', () => {
    const p = problems(`version: 1
clusters:
  - name: dev
    kubeContext: x
rules:
  - name: r
    matchers: ['alertname=="x"']
    runbook: restart-pods
`);
    const byPath = Object.fromEntries(p.map((x) => [x.path, x]));
    expect(byPath['rules[0].runbook']!.message).toMatch(/"restart-pods" is not a runbook. Fix: use one of restart-pod/);
    expect(byPath['rules[0].runbook']!.line).toBe(8);
    expect(byPath['rules[0].matchers[0]']!.message).toMatch(/Fix:/);
  });

  it('refuses unknown keys, bad durations, duplicate names, unknown clusters and a missing version', () => {
    expect(problems(minimal.replace('version: 1', 'version: 2'))[0]!.message).toMatch(/must be 1/);
    expect(problems(minimal + '    dryrun: false\n').some((x) => /unknown key "dryrun"/.test(x.message))).toBe(true);
    expect(problems(minimal + '    verifyAfter: soon\n')[0]!.message).toMatch(/not a duration/);
    expect(problems(minimal + '    clusters: [prod]\n')[0]!.message).toMatch(/"prod" is not a configured cluster/);
    const twice = minimal + minimal.split('rules:\n')[1]!;
    expect(problems(twice).some((x) => /used by two rules/.test(x.message))).toBe(true);
  });

  it('requires the runbook parameters and refuses unknown ones', () => {
    const p = problems(minimal.replace(", pod: '{{ $labels.pod }}'", ", container: '{{ $labels.container }}'"));
    expect(p.map((x) => x.message).join('\n')).toMatch(/lacks "pod"/);
    expect(p.map((x) => x.message).join('\n')).toMatch(/not a parameter of runbook restart-pod/);
  });

  it('requires alertLabels when several clusters are configured', () => {
    const p = problems(minimal.replace('clusters:\n', 'clusters:\n  - name: other\n    kubeContext: y\n'));
    expect(p.some((x) => x.path === 'clusters[0].alertLabels')).toBe(true);
  });

  it('reports YAML syntax errors with a line', () => {
    const p = problems('version: 1\nclusters: [\n');
    expect(p[0]!.line).toBeGreaterThan(0);
  });

  it('refuses a cluster with neither azure nor kubeContext', () => {
    const p = problems('version: 1\nclusters:\n  - name: dev\n');
    expect(p[0]!.message).toMatch(/neither "azure" nor "kubeContext"/);
  });
});

describe('app settings', () => {
  it('reads defaults and refuses bad values with the setting name', () => {
    const s = readSettings({});
    expect(s.opsConfigPath).toBe('ops.yaml');
    expect(s.paused).toBe(false);
    expect(s.webhookMaxBodyBytes).toBe(1048576);
    expect(readSettings({ OPS_PAUSED: 'TRUE' }).paused).toBe(true);
    expect(() => readSettings({ OPS_PAUSED: 'perhaps' })).toThrow(/OPS_PAUSED="perhaps" is not a boolean/);
    expect(() => readSettings({ WEBHOOK_MAX_BODY_BYTES: '-1' })).toThrow(/WEBHOOK_MAX_BODY_BYTES/);
  });
});
