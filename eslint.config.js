// ESLint (flat config) with typescript-eslint's type-aware rules. `npm run lint`.
// Why these rules: docs/development.md ("Linting and formatting").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'bin/**', 'scripts/**', '**/*.mjs', '**/*.cjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts', 'vitest.mutation.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      // A promise nobody awaits loses its error and races the function's return.
      '@typescript-eslint/no-floating-promises': 'error',
      // A switch over a union must name every member (or say `default`): a new kind cannot slip through.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // JSON from the wire is checked by zod or by hand where it enters; `any` from those libraries is not worth a rule each.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Ports are async by contract even when an implementation (a fake, a memory cache) needs no await.
      '@typescript-eslint/require-await': 'off',
      // The engine, orchestrations and triggers import each other one way only (README, "Architecture").
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // The engine never depends on the Functions framework (DESIGN.md, layout): the CLI and the tests use it as is.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@azure/functions', message: 'src/ is free of the Functions framework: take plain inputs; adapt in functions/.' },
            {
              name: 'durable-functions',
              message: 'src/ is free of Durable Functions: orchestration code goes in orchestrations/, client calls in functions/lib/.',
            },
          ],
          patterns: [{ group: ['@azure/functions/*', 'durable-functions/*'], message: 'src/ is free of the Functions framework and Durable Functions.' }],
        },
      ],
    },
  },
  {
    // The console's browser modules are served as they are (no build step, not in tsconfig): plain JS rules only.
    files: ['src/console/web/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/console/web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'localStorage',
          'sessionStorage',
          'navigator',
          'fetch',
          'URL',
          'URLSearchParams',
          'FormData',
          'Headers',
          'AbortController',
          'Event',
          'CustomEvent',
          'HTMLElement',
          'console',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'requestAnimationFrame',
          'Intl',
          'matchMedia',
          'ResizeObserver',
          'Blob',
          'structuredClone',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    // Tests and benchmarks: the cycle check and the strictest promise rules matter less than readable tests.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'import-x/no-cycle': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
