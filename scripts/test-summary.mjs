// Prints the plain summary line "N passed, N failed[, N skipped]" from vitest's JSON report,
// so CI can read the result whatever the runner printed before it. An optional second argument is
// the mutation report (scripts/mutation.mjs MUTATION_REPORT): each module below its threshold,
// or a Stryker crash, counts as one failure, so the line stays the CI verdict.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/results.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`test-summary: cannot read ${file} (${e.code ?? e.message}); the test run did not produce a report`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// Suites that failed to load count as failures too, or a broken import would read as green.
const brokenFiles = (report.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed'));
for (const f of brokenFiles) console.error(`test-summary: ${f.name} failed outside any test: ${(f.message ?? '').split('\n')[0]}`);
let mutationFailures = 0;
if (process.argv[3] && existsSync(process.argv[3])) {
  const m = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  for (const mod of m.below ?? []) console.error(`test-summary: mutation score of ${mod} is below ${m.threshold} % (see the mutation output above)`);
  if (m.error) console.error(`test-summary: mutation testing failed: ${m.error}`);
  mutationFailures = (m.below ?? []).length + (m.error ? 1 : 0);
}
const failed = (report.numFailedTests ?? 0) + brokenFiles.length + mutationFailures;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (passed === 0) {
  console.error('test-summary: no test passed');
  process.exit(1);
}
process.exit(failed > 0 ? 1 : 0);
