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
    globalSetup: process.env.MUTATION_AZURITE === '1' ? ['test/support/global-setup.ts'] : [],
    hookTimeout: 120_000,
  },
});
