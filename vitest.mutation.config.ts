// Vitest for mutation testing (scripts/mutation.mjs): only the fast, pure tests of the module
// being mutated (MUTATION_TESTS, comma-separated files); the Azurite global setup only for the
// modules scripts/mutation.mjs marks `azurite: true` (MUTATION_AZURITE=1).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: (process.env.MUTATION_TESTS ?? '').split(',').filter(Boolean),
    exclude: ['node_modules', 'dist', '.stryker-tmp'],
    testTimeout: 60_000,
    pool: 'forks',
    // Every mutant re-runs its files: fewer cases per fast-check property (test/windows/interval.test.ts);
    // test/backup/restore-protection-mutation.test.ts reuses the backup its first run took.
    env: { MUTATION_PROPERTY_RUNS: '60', MUTATION_REUSE_BACKUP: '1' },
    globalSetup: process.env.MUTATION_AZURITE === '1' ? ['test/support/global-setup.ts'] : [],
    hookTimeout: 120_000,
  },
});
