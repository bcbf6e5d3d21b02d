import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { tsImport } from 'tsx/esm/api';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
/** @type {typeof import('./tools/layers.ts')} */
const { checkImport } = await tsImport('./tools/layers.ts', import.meta.url);

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: { type: 'problem', schema: [], docs: { description: 'Imports respect tools/layers.ts' } },
  create(context) {
    const file = path.relative(ROOT, context.filename).split(path.sep).join('/');
    /** @param {any} source @param {boolean} typeOnly */
    const check = (source, typeOnly) => {
      const specifier =
        source?.type === 'Literal' && typeof source.value === 'string'
          ? source.value
          : source?.type === 'TemplateLiteral' && source.expressions.length === 0
            ? source.quasis[0].value.cooked
            : undefined;
      if (specifier === undefined) return;
      const { problem } = checkImport(file, { specifier, typeOnly });
      if (problem) context.report({ node: source, message: problem });
    };
    return {
      /** @param {any} node */
      ImportDeclaration: (node) => check(node.source, node.importKind === 'type'),
      /** @param {any} node */
      ExportNamedDeclaration: (node) => check(node.source, node.exportKind === 'type'),
      /** @param {any} node */
      ExportAllDeclaration: (node) => check(node.source, node.exportKind === 'type'),
      /** @param {any} node */
      ImportExpression: (node) => check(node.source, false),
      /** @param {any} node */
      TSImportType: (node) => check(node.argument?.literal ?? node.argument, true),
    };
  },
};

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
  // Layering, from the one table in tools/layers.ts (the layers test checks the same, plus stray
  // files, cycles and unused edges): every import of src, fixtures and specs, as the editor shows it.
  {
    files: ['src/**', 'fixtures/**', 'specs/**'],
    plugins: { drvcycle: { rules: { layers: layersRule } } },
    rules: { 'drvcycle/layers': 'error' },
  },
);
