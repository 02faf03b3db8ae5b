// `npm run mutation [-- MODULE...]`: StrykerJS on the modules that decide what the robot may
// touch, one module at a time with only its fast tests (the machine is shared: concurrency 2),
// printing each module's mutation score. Not part of `npm test` (docs/testing.md).
import { Stryker } from '@stryker-mutator/core';

// module -> the fast tests that exercise it (unit and replay tests; nothing that starts servers).
export const MODULES = {
  'src/domain/guard.ts': ['test/unit/guard.test.ts', 'test/unit/guard-mutation.test.ts'],
  'src/domain/matchers.ts': ['test/unit/matchers.test.ts', 'test/unit/matchers-conformance.test.ts', 'test/unit/matchers-config.test.ts'],
  'src/domain/matchers-classic.ts': ['test/unit/matchers-conformance.test.ts'],
  'src/domain/matchers-utf8.ts': ['test/unit/matchers-conformance.test.ts'],
  'src/domain/go-text.ts': ['test/unit/matchers-conformance.test.ts', 'test/unit/go-text.test.ts'],
  'src/domain/template.ts': ['test/unit/matchers.test.ts', 'test/unit/template-mutation.test.ts'],
  'src/backup/retention.ts': ['test/backup/core.test.ts', 'test/backup/retention-mutation.test.ts'],
  'src/intake/decide.ts': ['test/unit/decide.test.ts', 'test/unit/matchers-config.test.ts', 'test/unit/decide-mutation.test.ts'],
  'src/scaling/decide.ts': ['test/scaling/decide.test.ts', 'test/scaling/decide-mutation.test.ts'],
  'src/budget/plan.ts': ['test/budget/domain.test.ts', 'test/budget/plan-mutation.test.ts'],
  'src/runbooks/policy.ts': ['test/unit/runbooks-catalogue.test.ts'],
  'src/backup/restore.ts': ['test/backup/restore.test.ts'],
  // src/domain/protection.ts: being created by the consolidation work; add it here with its
  // tests once it is on main.
};

const { existsSync } = await import('node:fs');
const wanted = process.argv.slice(2);
const modules = Object.keys(MODULES).filter((m) => wanted.length === 0 || wanted.some((w) => m.includes(w)));
if (modules.length === 0) {
  process.stderr.write(`mutation: no module matches ${wanted.join(' ')}. Modules: ${Object.keys(MODULES).join(', ')}\n`);
  process.exit(2);
}

const scores = [];
for (const mod of modules) {
  const tests = MODULES[mod].filter((t) => existsSync(t));
  process.env.MUTATION_TESTS = tests.join(',');
  process.stderr.write(`\nmutation: ${mod} with ${tests.join(', ')}\n`);
  const results = await new Stryker({
    testRunner: 'vitest',
    vitest: { configFile: 'vitest.mutation.config.ts', related: false },
    mutate: [mod],
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
