// `npm run mutation [-- MODULE...]`: StrykerJS on the modules that decide what the robot may
// touch, one module at a time with only its fast tests (the machine is shared: concurrency 2),
// printing each module's mutation score. Not part of `npm test` (docs/testing.md).

// module -> the fast tests that exercise it (unit and replay tests; nothing that starts servers
// except where a module cannot be reached otherwise: `azurite: true` adds the suite's Azurite
// global setup, started once per Stryker worker). New tests go in the per-feature folders.
export const MODULES = {
  'src/domain/protection.ts': ['test/domain/protection.test.ts', 'test/domain/protection-mutation.test.ts'],
  'src/domain/guard.ts': ['test/domain/guard.test.ts', 'test/domain/guard-mutation.test.ts'],
  'src/domain/matchers.ts': ['test/domain/matchers.test.ts', 'test/domain/matchers-conformance.test.ts', 'test/domain/matchers-config.test.ts'],
  'src/domain/matchers-classic.ts': ['test/domain/matchers-conformance.test.ts', 'test/domain/matchers-parsers-mutation.test.ts'],
  'src/domain/matchers-utf8.ts': ['test/domain/matchers-conformance.test.ts', 'test/domain/matchers-parsers-mutation.test.ts'],
  'src/domain/go-text.ts': ['test/domain/matchers-conformance.test.ts'],
  'src/domain/template.ts': ['test/domain/matchers.test.ts', 'test/domain/template-mutation.test.ts'],
  'src/backup/retention.ts': ['test/backup/core.test.ts', 'test/backup/retention-mutation.test.ts'],
  // The restore's protection and refusal checks (typeOf .. the cluster-RBAC refusal) and restoreStep.
  'src/backup/restore.ts': {
    tests: ['test/backup/restore-protection-mutation.test.ts', 'test/backup/restore-plan-mutation.test.ts'],
    azurite: true,
    mutate: ['src/backup/restore.ts:36-105', 'src/backup/restore.ts:201-246'],
  },
  // Over in-memory doubles of the steps it calls (the steps have their own Azurite-backed tests).
  'src/backup/restore-runner.ts': ['test/backup/restore-runner.test.ts'],
  'src/intake/decide.ts': ['test/intake/decide.test.ts', 'test/domain/matchers-config.test.ts', 'test/intake/decide-mutation.test.ts'],
  'src/scaling/decide.ts': ['test/scaling/decide.test.ts', 'test/scaling/decide-mutation.test.ts', 'test/scaling/decide-mutation-2.test.ts'],
  'src/budget/plan.ts': ['test/budget/domain.test.ts', 'test/budget/plan-mutation.test.ts', 'test/budget/plan-mutation-2.test.ts'],
  'src/runbooks/policy.ts': ['test/runbooks/catalogue.test.ts', 'test/runbooks/policy-mutation.test.ts'],
  // The plan and refusal parts: protectedNamespace, planRunbook, runRunbook's checks before acting.
  'src/runbooks/run.ts': { tests: ['test/runbooks/plan-refusal-mutation.test.ts'], mutate: ['src/runbooks/run.ts:58-60', 'src/runbooks/run.ts:86-131'] },
  'src/windows/interval.ts': ['test/windows/interval.test.ts', 'test/windows/interval-mutation.test.ts', 'test/windows/evaluation-mutation.test.ts'],
  'src/windows/policy.ts': ['test/windows/evaluation-mutation.test.ts', 'test/windows/interval.test.ts', 'test/windows/policy-mutation.test.ts'],
  'src/windows/gate-activity.ts': ['test/windows/evaluation-mutation.test.ts'],
};

/** A module's tests, whether they need Azurite, and what is mutated (default: the whole file). */
export function testsOf(mod) {
  const m = MODULES[mod];
  const o = Array.isArray(m) ? { tests: m } : m;
  return { tests: o.tests, azurite: o.azurite === true, mutate: o.mutate ?? [mod] };
}

const { existsSync, mkdirSync, writeFileSync } = await import('node:fs');
const { execFileSync } = await import('node:child_process');
const { dirname } = await import('node:path');

const HELP = `Usage: npm run mutation [-- [--changed] [MODULE...]]

Runs StrykerJS on the safety modules, one at a time with only their fast tests, and prints each
module's score. MODULE: any part of a module path (guard.ts, budget/plan). No MODULE: all of them.

  --changed   only the modules changed since MUTATION_BASE (default HEAD~1: for a merge commit,
              everything the merge brought). A clone without that commit (shallow, single commit)
              runs none and says so.
  --list      print the modules that would run, and run none.

Environment: MUTATION_CONCURRENCY (default 2), MUTATION_THRESHOLD (a percentage: exit 1 when a
module scores below it), MUTATION_BUDGET_SECONDS (start no further module after this long; the
modules left out are listed), MUTATION_REPORT (write the scores as JSON to this file).`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const onlyChanged = args.includes('--changed');
const listOnly = args.includes('--list');
const wanted = args.filter((a) => a !== '--changed' && a !== '--list');
let modules = Object.keys(MODULES).filter((m) => wanted.length === 0 || wanted.some((w) => m.includes(w)));
if (modules.length === 0) {
  process.stderr.write(`mutation: no module matches ${wanted.join(' ')}. Modules: ${Object.keys(MODULES).join(', ')}\n`);
  process.exit(2);
}

/** Files changed between `base` and HEAD, or null when `base` is not in this clone. */
function changedSince(base) {
  const git = (...a) => execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    git('rev-parse', '--quiet', '--verify', `${base}^{commit}`);
  } catch {
    return null;
  }
  return git('diff', '--name-only', base, 'HEAD').split('\n').filter(Boolean);
}

const report = { base: null, modules: [], notRun: [], threshold: Number(process.env.MUTATION_THRESHOLD ?? 0), below: [] };
function writeReport() {
  const file = process.env.MUTATION_REPORT;
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

if (onlyChanged) {
  const base = process.env.MUTATION_BASE || 'HEAD~1';
  const changed = changedSince(base);
  report.base = base;
  if (changed === null) {
    process.stdout.write(
      `mutation: ${base} is not in this clone (shallow or single-commit): no module run. Fix: fetch more history, or set MUTATION_BASE to a commit this clone has\n`,
    );
    writeReport();
    process.exit(0);
  }
  const files = new Set(changed);
  modules = modules.filter((m) => testsOf(m).mutate.some((spec) => files.has(spec.replace(/:[\d:-]+$/, ''))));
  process.stdout.write(`mutation: ${modules.length} safety module(s) changed since ${base}${modules.length ? `: ${modules.join(', ')}` : ''}\n`);
}

if (listOnly) {
  if (modules.length > 0) process.stdout.write(`${modules.join('\n')}\n`);
  process.exit(0);
}

/** One Stryker run; a crash is reported (MUTATION_REPORT) and fails the command. */
async function runStryker(mutate) {
  // Loaded here, not at the top: --help, --list and an unchanged CI run stay fast.
  const { Stryker } = await import('@stryker-mutator/core');
  try {
    return await new Stryker({
      testRunner: 'vitest',
      vitest: { configFile: 'vitest.mutation.config.ts', related: false },
      mutate,
      concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
      coverageAnalysis: 'perTest',
      reporters: ['clear-text'],
      clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: false, reportMutants: true },
      ignorePatterns: ['dist', 'test-results', 'reports', 'coverage', 'docs', 'bicep', '.ci'],
      tempDirName: '.stryker-tmp',
      timeoutMS: 10_000,
      logLevel: 'warn',
    }).runMutationTest();
  } catch (e) {
    report.error = `Stryker failed: ${e.message}`;
    writeReport();
    throw e;
  }
}

const budgetMs = Number(process.env.MUTATION_BUDGET_SECONDS ?? 0) * 1000;
const started = Date.now();
const scores = report.modules;
for (const mod of modules) {
  if (budgetMs > 0 && Date.now() - started > budgetMs) {
    report.notRun.push(mod);
    continue;
  }
  const { tests: listed, azurite, mutate } = testsOf(mod);
  const tests = listed.filter((t) => existsSync(t));
  process.env.MUTATION_TESTS = tests.join(',');
  process.env.MUTATION_AZURITE = azurite ? '1' : '';
  process.stderr.write(`\nmutation: ${mod} with ${tests.join(', ')}\n`);
  const t0 = Date.now();
  const results = await runStryker(mutate);
  const count = (...s) => results.filter((r) => s.includes(r.status)).length;
  const detected = count('Killed', 'Timeout');
  const undetected = count('Survived', 'NoCoverage');
  const score = detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected);
  const seconds = Math.round((Date.now() - t0) / 1000);
  scores.push({ mod, score: Number(score.toFixed(1)), detected, undetected, seconds });
  process.stderr.write(`mutation: ${mod}: ${score.toFixed(1)} % (${detected} killed, ${undetected} survived, ${seconds} s)\n`);
}
if (scores.length > 0) process.stdout.write('\nmodule                                   score    killed  survived  seconds\n');
for (const s of scores)
  process.stdout.write(
    `${s.mod.padEnd(40)} ${s.score.toFixed(1).padStart(5)} %  ${String(s.detected).padStart(6)}  ${String(s.undetected).padStart(8)}  ${String(s.seconds).padStart(7)}\n`,
  );
if (report.notRun.length > 0) process.stdout.write(`mutation: not run within MUTATION_BUDGET_SECONDS=${budgetMs / 1000}: ${report.notRun.join(', ')}\n`);
report.below = scores.filter((s) => s.score < report.threshold).map((s) => s.mod);
writeReport();
if (report.below.length > 0) {
  process.stdout.write(
    `mutation: below the ${report.threshold} % threshold: ${scores
      .filter((s) => report.below.includes(s.mod))
      .map((s) => `${s.mod} ${s.score.toFixed(1)} %`)
      .join(', ')}. Fix: add tests that fail on the survivors listed above, or list an equivalent mutant in docs/testing.md\n`,
  );
  process.exit(1);
}
