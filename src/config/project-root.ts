// The project folder (where package.json "aks-estate-ops" is): code runs from src/ under vitest
// and from dist/src/ when built, so the depth differs; walk up instead of guessing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

export function projectInfo(): { root: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'aks-estate-ops') return (cached = { root: dir, version: pkg.version ?? 'unknown' });
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json of aks-estate-ops not found above this module');
    dir = up;
  }
}
