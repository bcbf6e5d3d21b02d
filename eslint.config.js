import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'reports/', 'test-results/', 'drivers/build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      // Playwright fixtures with no dependencies are written `async ({}, use) => …`.
      'no-empty-pattern': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Layering: the SCM layer knows nothing of Playwright, HTTP, the agent or reports.
    files: ['src/scm/**', 'src/target/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@playwright/*', 'allure-*'],
              message: 'src/scm and src/target must not depend on the test runner or reports.',
            },
            {
              group: ['**/agent/**', '**/lab/**', '**/vm/**', '**/fixtures/**'],
              message: 'Imports go one way: spec → fixture → target → scm.',
            },
          ],
        },
      ],
    },
  },
);
