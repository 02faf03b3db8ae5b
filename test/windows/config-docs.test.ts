// docs/configuration.md documents every key of the `windows` and `paging` sections (walked from
// the zod schemas, so a new key without a row fails here).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { windowsSchema } from '../../src/config/windows-schema.js';
import { pagingSchema } from '../../src/config/paging-schema.js';
import { parseConfig } from '../../src/config/load.js';

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType };
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

export function keyPaths(s: z.ZodType, prefix: string): string[] {
  const d = defOf(s);
  switch (d.type) {
    case 'object':
      return Object.entries(d.shape!).flatMap(([k, v]) => [`${prefix}.${k}`, ...keyPaths(v, `${prefix}.${k}`)]);
    case 'array':
      return keyPaths(d.element!, `${prefix}[]`);
    case 'default':
    case 'optional':
      return keyPaths(d.innerType!, prefix);
    case 'pipe':
      return keyPaths(d.in!, prefix);
    case 'union':
      return [...new Set(d.options!.flatMap((o) => keyPaths(o, prefix)))];
    default:
      return [];
  }
}

describe('docs/configuration.md: windows and paging', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  it('has a row for every key', () => {
    const keys = [...keyPaths(windowsSchema, 'windows'), ...keyPaths(pagingSchema, 'paging')];
    expect(keys.length).toBeGreaterThan(30);
    expect(keys.filter((k) => !doc.includes(`| \`${k}\``))).toEqual([]);
  });
  it('examples/ops.yaml is valid and uses windows, business hours and a paging receiver', () => {
    const cfg = parseConfig(readFileSync('examples/ops.yaml', 'utf8'), 'examples/ops.yaml');
    expect(cfg.source.windows?.policies.some((p) => p.kind === 'maintenance')).toBe(true);
    expect(cfg.source.windows?.businessHours).toBeDefined();
    expect(cfg.source.paging?.receivers.length).toBeGreaterThan(0);
  });
  it('a bad interval names its path and the fix', () => {
    const text = readFileSync('examples/ops.yaml', 'utf8').replace('weekdays: [saturday]', "weekdays: ['saturday:sunday']");
    expect(() => parseConfig(text, 'ops.yaml')).toThrow(/windows\.timeIntervals\[0\]\.time_intervals\[0\].*start day is after the end day.*Fix/s);
  });
});
