// Matchers entries as pasted from Alertmanager routes, through the real config loader and the
// rule matching the webhook uses (issue #20).
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { matchingRules } from '../../src/intake/decide.js';

const config = (matchers: string[]): string => `
version: 1
clusters:
  - name: dev
    kubeContext: kind-dev
rules:
  - name: crashloop
    matchers: ${JSON.stringify(matchers)}
    runbook: restart-pod
    params: { namespace: '{{ $labels.namespace }}', pod: '{{ $labels.pod }}' }
`;

function refusal(matchers: string[]): string {
  try {
    parseConfig(config(matchers), 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`).join('\n');
  }
  throw new Error('expected the config to be refused');
}

describe('matchers entries in ops.yaml', () => {
  it('reads severity!=info,team=db as two matchers, not as severity != "info,team=db"', () => {
    const cfg = parseConfig(config(['severity!=info,team=db']));
    expect(cfg.rules[0]!.matchers.map((m) => [m.name, m.op, m.value])).toEqual([
      ['severity', '!=', 'info'],
      ['team', '=', 'db'],
    ]);
    expect(matchingRules(cfg, { severity: 'critical', team: 'web' }, 'dev')).toHaveLength(0);
    expect(matchingRules(cfg, { severity: 'info', team: 'db' }, 'dev')).toHaveLength(0);
    expect(matchingRules(cfg, { severity: 'critical', team: 'db' }, 'dev').map((r) => r.name)).toEqual(['crashloop']);
  });

  it('reads a {...} set and a quoted UTF-8 label name', () => {
    const cfg = parseConfig(config(['{owner="team-A", "service.name"=~"check.*"}', 'alertname="X"']));
    expect(cfg.rules[0]!.matchers.map((m) => m.name)).toEqual(['owner', 'service.name', 'alertname']);
    expect(matchingRules(cfg, { owner: 'team-A', 'service.name': 'checkout', alertname: 'X' }, 'dev')).toHaveLength(1);
    expect(matchingRules(cfg, { owner: 'team-B', 'service.name': 'checkout', alertname: 'X' }, 'dev')).toHaveLength(0);
  });

  it('matches (?i), \\d and \\b as RE2 does', () => {
    const cfg = parseConfig(config(['severity=~"(?i)critical"', 'instance=~"web-\\d+"', 'pod=~"\\bapi\\b.*"']));
    expect(matchingRules(cfg, { severity: 'Critical', instance: 'web-12', pod: 'api-7d9f' }, 'dev')).toHaveLength(1);
    expect(matchingRules(cfg, { severity: 'Critical', instance: 'web-1x', pod: 'api-7d9f' }, 'dev')).toHaveLength(0);
  });

  it('refuses a rule whose entries hold no matcher, since it would match every alert', () => {
    expect(refusal(['{}'])).toBe(
      'rules[0].matchers: hold no matcher (only empty sets such as {}), so the rule would match every alert. Fix: add at least one matcher, e.g. alertname="KubePodCrashLooping"',
    );
  });

  it('names the entry and the reason when Alertmanager would refuse it, or when this project does', () => {
    expect(refusal(['alertname="X"', 'job="value'])).toMatch(
      /^rules\[0\]\.matchers\[1\]: "job="value": a double quote in the value is not closed or not escaped \(Alertmanager: matcher value contains unescaped double quote: "value\)/,
    );
    expect(refusal(['{foo=bar}}'])).toMatch(/^rules\[0\]\.matchers\[0\]: .*Alertmanager reads it as foo="bar}"\)\. This project refuses it\./);
  });
});
