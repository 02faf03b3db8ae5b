// Vitest for mutation testing (scripts/mutation.mjs): only the fast, pure tests of the module
// being mutated (MUTATION_TESTS, comma-separated files), no Azurite global setup.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: (process.env.MUTATION_TESTS ?? '').split(',').filter(Boolean),
    exclude: ['node_modules', 'dist', '.stryker-tmp'],
    testTimeout: 20_000,
    pool: 'forks',
  },
});
