import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'reports/', 'test-results/', 'drivers/build/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      // Playwright fixtures with no dependencies are written `async ({}, use) => …`.
      'no-empty-pattern': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // Layering, for quick feedback in the editor. The full rules (every folder, npm packages,
  // dynamic imports, cycles) live in tests/unit/layers.spec.ts; keep the two in step.
  {
    // The bottom layer: errors, records, verdicts, statistics, paths. src/core is flat, so any
    // import that leaves the folder starts with '../'.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!node:|\\./)',
              message:
                'src/core imports nothing outside src/core: only ./ siblings and node: built-ins.',
            },
          ],
        },
      ],
    },
  },
  {
    // The Windows bindings know nothing of the layers above them, the test runner or reports.
    files: ['src/windows/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./){2,}(target|agent|machines|lab|runner|collector|report|config|cli|fixtures)(/|$)|^(\\.\\./){2,}index\\.ts$',
              message:
                'src/windows/** may import only src/core and src/windows/** (see tests/unit/layers.spec.ts).',
            },
            {
              group: ['@playwright/*', 'allure-*'],
              message: 'src/windows/** must not depend on the test runner or reports.',
            },
          ],
        },
      ],
    },
  },
  {
    // Specs are written as a driver team would write them: against the public API only.
    files: ['specs/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/(?!index\\.ts$)|^(\\.\\./)+fixtures(/|$)',
              message: "Specs import only the public entry, '../src/index.ts'.",
            },
            {
              group: ['@playwright/*', 'allure-*'],
              message: "Specs take test and expect from the public entry, '../src/index.ts'.",
            },
          ],
        },
      ],
    },
  },
);
