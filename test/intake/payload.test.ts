import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PayloadError, parseWebhookJson, validateWebhook } from '../../src/intake/payload.js';

const good = JSON.parse(readFileSync('test/fixtures/alertmanager/crashloop-group.json', 'utf8')) as Record<string, unknown>;

function fieldOf(body: unknown): string {
  try {
    validateWebhook(body);
  } catch (e) {
    expect(e).toBeInstanceOf(PayloadError);
    return (e as PayloadError).field;
  }
  throw new Error('expected a PayloadError');
}

describe('Alertmanager payload validation', () => {
  it('accepts a real payload and tolerates unknown fields', () => {
    const p = validateWebhook({ ...good, newField: { nested: true }, alerts: (good['alerts'] as object[]).map((a) => ({ ...a, extra: 1 })) });
    expect(p.alerts).toHaveLength(6);
    expect(p.alerts[0]!.labels['pod']).toBe('api-7d9f8b6c5-x2x4q');
  });

  it('names the field at fault', () => {
    const alerts = good['alerts'] as Record<string, unknown>[];
    expect(fieldOf({ ...good, version: '3' })).toBe('version');
    expect(fieldOf({ ...good, alerts: 'x' })).toBe('alerts');
    expect(fieldOf({ ...good, alerts: [{ ...alerts[0], status: 'pending' }] })).toBe('alerts[0].status');
    expect(fieldOf({ ...good, alerts: [alerts[0], { ...alerts[0], labels: { pod: 5 } }] })).toBe('alerts[1].labels.pod');
    expect(fieldOf({ ...good, alerts: [{ ...alerts[0], startsAt: 'yesterday' }] })).toBe('alerts[0].startsAt');
    expect(fieldOf({ ...good, alerts: [{ ...alerts[0], fingerprint: 'zz;drop' }] })).toBe('alerts[0].fingerprint');
    expect(fieldOf([])).toBe('(body)');
  });

  it('never lets hostile keys reach a prototype', () => {
    const text = JSON.stringify(good).replace('"alertname":"KubePodCrashLooping"', '"__proto__":{"polluted":"yes"},"alertname":"KubePodCrashLooping"');
    expect(() => parseWebhookJson(text)).toThrow(PayloadError);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const p = validateWebhook({ ...good, alerts: [{ ...(good['alerts'] as object[])[0], labels: { constructor: 'x', alertname: 'A' } }] });
    expect(Object.getPrototypeOf(p.alerts[0]!.labels)).toBeNull();
  });

  it('explains broken JSON', () => {
    expect(() => parseWebhookJson('{"version": "4",')).toThrow(/is not valid JSON/);
  });
});

describe('timestamps', () => {
  it('accepts what Go marshals and refuses impossible dates that Date.parse would roll over', () => {
    const a = (good['alerts'] as Record<string, unknown>[])[0]!;
    for (const ok of ['2026-11-22T02:58:31.201Z', '2026-11-22T02:58:31.201234567+01:00', '2028-02-29T00:00:00Z', '0001-01-01T00:00:00Z']) {
      expect(() => validateWebhook({ ...good, alerts: [{ ...a, startsAt: ok }] }), ok).not.toThrow();
    }
    for (const bad of ['2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-04-31T00:00:00Z', '2026-11-22T24:00:00Z', '2026-11-22']) {
      expect(fieldOf({ ...good, alerts: [{ ...a, startsAt: bad }] }), bad).toBe('alerts[0].startsAt');
    }
  });
});
