// `npm run mutation [-- MODULE...]`: StrykerJS on the modules that decide what the robot may
// touch, one module at a time with only its fast tests (the machine is shared: concurrency 2),
// printing each module's mutation score. Not part of `npm test` (docs/testing.md).
import { Stryker } from '@stryker-mutator/core';

// module -> the fast tests that exercise it (unit and replay tests; nothing that starts servers
// except where a module cannot be reached otherwise: `azurite: true` adds the suite's Azurite
// global setup, started once per Stryker worker). New tests go in the per-feature folders.
export const MODULES = {
  'src/domain/protection.ts': ['test/unit/protection.test.ts', 'test/domain/protection-mutation.test.ts'],
  'src/domain/guard.ts': ['test/unit/guard.test.ts', 'test/unit/guard-mutation.test.ts'],
  'src/domain/matchers.ts': ['test/unit/matchers.test.ts', 'test/unit/matchers-conformance.test.ts', 'test/unit/matchers-config.test.ts'],
  'src/domain/matchers-classic.ts': ['test/unit/matchers-conformance.test.ts', 'test/domain/matchers-parsers-mutation.test.ts'],
  'src/domain/matchers-utf8.ts': ['test/unit/matchers-conformance.test.ts', 'test/domain/matchers-parsers-mutation.test.ts'],
  'src/domain/go-text.ts': ['test/unit/matchers-conformance.test.ts', 'test/unit/go-text.test.ts'],
  'src/domain/template.ts': ['test/unit/matchers.test.ts', 'test/unit/template-mutation.test.ts'],
  'src/backup/retention.ts': ['test/backup/core.test.ts', 'test/backup/retention-mutation.test.ts'],
  // The restore's protection and refusal checks (typeOf .. the cluster-RBAC refusal) and restoreStep.
  'src/backup/restore.ts': { tests: ['test/backup/restore-protection-mutation.test.ts'], azurite: true, mutate: ['src/backup/restore.ts:37-89', 'src/backup/restore.ts:161-201'] },
  'src/backup/restore-runner.ts': { tests: ['test/backup/restore-protection-mutation.test.ts'], azurite: true },
  'src/intake/decide.ts': ['test/unit/decide.test.ts', 'test/unit/matchers-config.test.ts', 'test/unit/decide-mutation.test.ts'],
  'src/scaling/decide.ts': ['test/scaling/decide.test.ts', 'test/scaling/decide-mutation.test.ts', 'test/scaling/decide-mutation-2.test.ts'],
  'src/budget/plan.ts': ['test/budget/domain.test.ts', 'test/budget/plan-mutation.test.ts', 'test/budget/plan-mutation-2.test.ts'],
  'src/runbooks/policy.ts': ['test/unit/runbooks-catalogue.test.ts', 'test/runbooks/policy-mutation.test.ts'],
  // The plan and refusal parts: protectedNamespace, planRunbook, runRunbook's checks before acting.
  'src/runbooks/run.ts': { tests: ['test/runbooks/plan-refusal-mutation.test.ts'], mutate: ['src/runbooks/run.ts:58-60', 'src/runbooks/run.ts:85-113'] },
  'src/windows/interval.ts': ['test/windows/interval.test.ts', 'test/windows/interval-mutation.test.ts', 'test/windows/evaluation-mutation.test.ts'],
  'src/windows/policy.ts': ['test/windows/interval.test.ts', 'test/windows/evaluation-mutation.test.ts'],
  'src/windows/gate-activity.ts': ['test/windows/simulated-week.test.ts', 'test/windows/evaluation-mutation.test.ts'],
};

/** A module's tests, whether they need Azurite, and what is mutated (default: the whole file). */
export function testsOf(mod) {
  const m = MODULES[mod];
  const o = Array.isArray(m) ? { tests: m } : m;
  return { tests: o.tests, azurite: o.azurite === true, mutate: o.mutate ?? [mod] };
}

const { existsSync } = await import('node:fs');
const wanted = process.argv.slice(2);
const modules = Object.keys(MODULES).filter((m) => wanted.length === 0 || wanted.some((w) => m.includes(w)));
if (modules.length === 0) {
  process.stderr.write(`mutation: no module matches ${wanted.join(' ')}. Modules: ${Object.keys(MODULES).join(', ')}\n`);
  process.exit(2);
}

const scores = [];
for (const mod of modules) {
  const { tests: listed, azurite, mutate } = testsOf(mod);
  const tests = listed.filter((t) => existsSync(t));
  process.env.MUTATION_TESTS = tests.join(',');
  process.env.MUTATION_AZURITE = azurite ? '1' : '';
  process.stderr.write(`\nmutation: ${mod} with ${tests.join(', ')}\n`);
  const results = await new Stryker({
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
  const count = (...s) => results.filter((r) => s.includes(r.status)).length;
  const detected = count('Killed', 'Timeout');
  const undetected = count('Survived', 'NoCoverage');
  const score = detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected);
  scores.push({ mod, score, detected, undetected });
  process.stderr.write(`mutation: ${mod}: ${score.toFixed(1)} % (${detected} killed, ${undetected} survived)\n`);
}
process.stdout.write('\nmodule                                   score    killed  survived\n');
for (const s of scores) process.stdout.write(`${s.mod.padEnd(40)} ${s.score.toFixed(1).padStart(5)} %  ${String(s.detected).padStart(6)}  ${String(s.undetected).padStart(8)}\n`);
// MUTATION_THRESHOLD (a percentage): exit 1 when any module scores below it (CI uses it).
const threshold = Number(process.env.MUTATION_THRESHOLD ?? 0);
const low = scores.filter((s) => s.score < threshold);
if (low.length > 0) {
  process.stdout.write(`mutation: below the ${threshold} % threshold: ${low.map((s) => `${s.mod} ${s.score.toFixed(1)} %`).join(', ')}. Fix: add tests that fail on the survivors listed above, or list an equivalent mutant in docs/testing.md\n`);
  process.exit(1);
}
