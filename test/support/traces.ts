// Where the shared traces are: ../shared/data/traces next to the repo root (the layout of the main
// checkout), or next to one of its parents (a git worktree under e.g. /work/wt/<name>). Tests and
// benchmarks read them there and never copy them into the repo.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function findTracesDir(repoRoot: string): string {
  let dir = resolve(repoRoot);
  for (;;) {
    const candidate = resolve(dir, '../shared/data/traces');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return resolve(repoRoot, '../shared/data/traces');
    dir = dirname(dir);
  }
}

/** The traces folder for tests (run from the repo root, as vitest does). */
export const TRACES_DIR = findTracesDir(process.cwd());

export function tracePath(file: string): string {
  return join(TRACES_DIR, file);
}
