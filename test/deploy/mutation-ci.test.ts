// CI's mutation step (issue #19): scripts/mutation.mjs --changed picks the safety modules a commit
// touched (a clone without the base commit runs none and says so), and scripts/test-summary.mjs
// counts a module below the threshold as a failure, so the last line stays the CI verdict.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const MUTATION = resolve('scripts/mutation.mjs');
const SUMMARY = resolve('scripts/test-summary.mjs');

function repo(): { dir: string; commit: (files: Record<string, string>, message: string) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mutation-ci-'));
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...a], { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  return {
    dir,
    commit(files, message) {
      for (const [p, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), text);
      }
      git('add', '-A');
      git('commit', '-q', '-m', message);
    },
  };
}
const run = (dir: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync('node', [MUTATION, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });

describe('mutation --changed', () => {
  it('selects exactly the safety modules the last commit changed, by their file (line ranges included)', () => {
    const r = repo();
    r.commit({ 'src/domain/guard.ts': 'a', 'src/runbooks/run.ts': 'a', 'README.md': 'a' }, 'base');
    r.commit({ 'src/domain/guard.ts': 'b', 'src/runbooks/run.ts': 'b', 'README.md': 'b' }, 'change');
    const out = run(r.dir, ['--changed', '--list']);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(
      'mutation: 2 safety module(s) changed since HEAD~1: src/domain/guard.ts, src/runbooks/run.ts\nsrc/domain/guard.ts\nsrc/runbooks/run.ts\n',
    );
  });

  it('a commit that touches no safety module runs none', () => {
    const r = repo();
    r.commit({ 'src/domain/guard.ts': 'a', 'README.md': 'a' }, 'base');
    r.commit({ 'README.md': 'b' }, 'docs');
    expect(run(r.dir, ['--changed', '--list']).stdout).toBe('mutation: 0 safety module(s) changed since HEAD~1\n');
  });

  it('a single-commit (or shallow) clone runs none, says why and how to fix it, and does not fail', () => {
    const r = repo();
    r.commit({ 'src/domain/guard.ts': 'a' }, 'only');
    const out = run(r.dir, ['--changed'], { MUTATION_REPORT: join(r.dir, 'out/mutation.json') });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(
      'mutation: HEAD~1 is not in this clone (shallow or single-commit): no module run. Fix: fetch more history, or set MUTATION_BASE to a commit this clone has\n',
    );
    expect(JSON.parse(readFileSync(join(r.dir, 'out/mutation.json'), 'utf8'))).toMatchObject({ base: 'HEAD~1', modules: [], below: [] });
  });

  it('MUTATION_BASE compares with an older commit', () => {
    const r = repo();
    r.commit({ 'src/budget/plan.ts': 'a', 'README.md': 'a' }, 'base');
    r.commit({ 'src/budget/plan.ts': 'b' }, 'plan');
    r.commit({ 'README.md': 'b' }, 'docs');
    expect(run(r.dir, ['--changed', '--list'], { MUTATION_BASE: 'HEAD~2' }).stdout).toContain('src/budget/plan.ts\n');
  });

  it('answers --help', () => {
    const out = run(process.cwd(), ['--help']);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^Usage: npm run mutation \[-- \[--changed\] \[MODULE\.\.\.\]\]/);
  });
});

describe('test-summary with a mutation report', () => {
  const files = () => {
    const dir = mkdtempSync(join(tmpdir(), 'summary-'));
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ numPassedTests: 12, numFailedTests: 0, testResults: [] }));
    return dir;
  };
  const summary = (dir: string, report?: object) => {
    if (report) writeFileSync(join(dir, 'mutation.json'), JSON.stringify(report));
    return spawnSync('node', [SUMMARY, join(dir, 'results.json'), join(dir, 'mutation.json')], { encoding: 'utf8' });
  };

  it('a module below the threshold is one failure in the last line, named on stderr, and fails the run', () => {
    const out = summary(files(), { threshold: 90, below: ['src/budget/plan.ts'], modules: [], notRun: [] });
    expect(out.stdout).toBe('12 passed, 1 failed\n');
    expect(out.stderr).toContain('mutation score of src/budget/plan.ts is below 90 %');
    expect(out.status).toBe(1);
  });

  it('a Stryker crash is a failure too; no report (mutation not run) changes nothing', () => {
    expect(summary(files(), { threshold: 90, below: [], error: 'Stryker failed: boom' }).stdout).toBe('12 passed, 1 failed\n');
    const none = summary(files());
    expect(none.stdout).toBe('12 passed, 0 failed\n');
    expect(none.status).toBe(0);
  });

  it('.ci/run runs the mutation step after the suite and prints the summary line last', () => {
    const ci = readFileSync('.ci/run', 'utf8');
    const mutation = ci.indexOf('node scripts/mutation.mjs --changed');
    const last = ci.indexOf('node scripts/test-summary.mjs test-results/results.json test-results/mutation.json');
    expect(mutation).toBeGreaterThan(ci.indexOf('npm test'));
    expect(last).toBeGreaterThan(mutation);
    expect(ci.slice(last).trim().split('\n').slice(1)).toEqual(['exit $status']);
  });
});
