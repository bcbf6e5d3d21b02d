/**
 * drvcycle's layering, checked: LAYERS in tools/layers.ts is the single source (eslint.config.js
 * loads it too). The first test walks src, fixtures and specs on disk and checks every import
 * against it, the second that every allowed edge is used, the third proves the checker can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import ts from 'typescript';
import {
  CHECKED_ROOTS,
  checkImport,
  checkLayers,
  unusedEdges,
  type Import,
  type Layer,
} from '../../tools/layers.ts';

/**
 * Every module specifier of a TypeScript file: import and export … from (`import type` too),
 * import x = require(…), require(…), import('…') with a literal string, and import('…') types.
 */
function importsOf(fileName: string, text: string): Import[] {
  const source = ts.createSourceFile(
    fileName,
    text,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TS,
  );
  const imports: Import[] = [];
  const literal = (node: ts.Node | undefined) =>
    node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
      ? node.text
      : undefined;
  const add = (specifier: string | undefined, typeOnly: boolean) => {
    if (specifier !== undefined) imports.push({ specifier, typeOnly });
  };

  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      add(
        literal(node.moduleSpecifier),
        node.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword,
      );
    } else if (ts.isExportDeclaration(node)) {
      add(literal(node.moduleSpecifier), node.isTypeOnly);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      add(literal(node.moduleReference.expression), node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(literal(node.argument.literal), true);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      add(literal(node.arguments[0]), false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return imports;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every TypeScript file under a folder of the project, recursively, nothing skipped. */
function walk(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return walk(relative);
    return /\.[cm]?tsx?$/.test(entry.name) ? [relative] : [];
  });
}

/** Every checked file of the project on disk, with its imports. */
function projectFiles() {
  const files = CHECKED_ROOTS.flatMap(walk).map((file) => ({
    path: file,
    imports: importsOf(file, readFileSync(path.join(ROOT, file), 'utf8')),
  }));
  for (const root of CHECKED_ROOTS) {
    expect(files.filter((f) => f.path.startsWith(`${root}/`)).length, root).toBeGreaterThan(0);
  }
  return files;
}

test('every import in src, fixtures and specs respects the layers, and no folders form a cycle', () => {
  const problems = checkLayers(projectFiles());
  expect(problems, `layering violations:\n${problems.join('\n')}`).toEqual([]);
});

test('every edge the layers allow is one some import uses', () => {
  const unused = unusedEdges(projectFiles());
  expect(
    unused,
    `allowed but unused (drop them from tools/layers.ts):\n${unused.join('\n')}`,
  ).toEqual([]);
});

test('the layer check reports forbidden imports, npm packages, stray files and cycles', () => {
  const layers: Record<string, Layer> = {
    'src/core': { may: [], npm: [] },
    'src/windows/scm': { may: ['src/core'], npm: ['koffi'] },
    'src/lab': { may: ['src/core', 'src/windows'], npm: [] },
    'src/config': { may: ['src/core'], typesOnly: ['src/windows/scm'], npm: [] },
    'src/index.ts': { may: ['src'], npm: [] },
    specs: { may: ['src/index.ts'], npm: [] },
  };
  const problems = checkLayers(
    [
      // Allowed: itself, lower layers, built-ins, listed packages, the public entry.
      { path: 'src/core/a.ts', imports: ['./b.ts', 'node:fs', 'path'] },
      { path: 'src/windows/scm/x.ts', imports: ['../../core/a.ts', 'koffi/indirect'] },
      { path: 'specs/ok.spec.ts', imports: ['../src/index.ts'] },
      { path: 'src/index.ts', imports: ['./lab/l.ts'] },
      { path: 'src/config/ok.ts', imports: [{ specifier: '../windows/scm/x.ts', typeOnly: true }] },
      // Forbidden.
      { path: 'src/core/b.ts', imports: ['../lab/l.ts', 'vega'] },
      { path: 'src/lab/l.ts', imports: ['../core/a.ts'] },
      { path: 'src/config/bad.ts', imports: ['../windows/scm/x.ts'] },
      { path: 'specs/bad.spec.ts', imports: ['../src/core/a.ts', '@playwright/test/reporter'] },
      { path: 'src/stray.ts', imports: [] },
    ],
    layers,
  );
  expect(problems).toEqual([
    'specs/bad.spec.ts imports src/core/a.ts (specs may import: src/index.ts)',
    'specs/bad.spec.ts imports npm package @playwright/test (specs may import npm: none)',
    'src/config/bad.ts imports src/windows/scm/x.ts (src/config may import: src/core; types only: src/windows/scm)',
    'src/core/b.ts imports src/lab/l.ts (src/core may import: nothing outside itself)',
    'src/core/b.ts imports npm package vega (src/core may import npm: none)',
    'src/stray.ts is in no layer (add its folder to LAYERS in tools/layers.ts)',
    'import cycle between folders: src/core → src/lab → src/core (src/core/b.ts imports src/lab/l.ts; src/lab/l.ts imports src/core/a.ts)',
  ]);

  // One import at a time, as the ESLint rule asks: the same message, nothing for an allowed one.
  expect(checkImport('src/config/bad.ts', '../windows/scm/x.ts', layers).problem).toBe(
    'src/config/bad.ts imports src/windows/scm/x.ts (src/config may import: src/core; types only: src/windows/scm)',
  );
  expect(
    checkImport('src/config/ok.ts', { specifier: '../windows/scm/x.ts', typeOnly: true }, layers)
      .problem,
  ).toBeUndefined();

  // Allowed edges no file uses, and a value edge used for types only, are each named.
  expect(
    unusedEdges(
      [
        { path: 'src/lab/l.ts', imports: [{ specifier: '../windows/scm/x.ts', typeOnly: true }] },
        { path: 'src/windows/scm/x.ts', imports: ['../../core/a.ts', 'koffi'] },
        { path: 'src/config/ok.ts', imports: ['../core/a.ts'] },
        { path: 'specs/ok.spec.ts', imports: ['../src/index.ts'] },
        { path: 'src/index.ts', imports: ['./lab/l.ts'] },
      ],
      layers,
    ),
  ).toEqual([
    'src/lab may import src/core: no file does',
    'src/lab may import src/windows: its files import types only (move it to typesOnly)',
    'src/config may import types of src/windows/scm: no file does',
  ]);

  // Longer cycles are reported once, whichever folder the search starts from.
  expect(
    checkLayers(
      [
        { path: 'c/1.ts', imports: ['../a/1.ts'] },
        { path: 'a/1.ts', imports: ['../b/1.ts'] },
        { path: 'b/1.ts', imports: ['../c/1.ts'] },
      ],
      { a: { may: ['b'], npm: [] }, b: { may: ['c'], npm: [] }, c: { may: ['a'], npm: [] } },
    ),
  ).toEqual([
    'import cycle between folders: a → b → c → a (a/1.ts imports b/1.ts; b/1.ts imports c/1.ts; c/1.ts imports a/1.ts)',
  ]);

  // The extraction sees every form of import, types included, and nothing in strings or comments.
  const source = [
    "import a from './a.ts';",
    "import type { B } from '../b.ts';",
    "import { type C } from './c.ts';",
    "export * from 'pkg-d';",
    "export type { E } from './e.ts';",
    "const f = await import('./f.ts');",
    'const g = await import(`./g.ts`);',
    "type H = import('./h.ts').H;",
    "import './side-effect.ts';",
    "// import z from './commented.ts';",
    'const s = "import y from \'./in-a-string.ts\'";',
    'const dynamic = await import(s);',
  ].join('\n');
  expect(importsOf('x.ts', source)).toEqual([
    { specifier: './a.ts', typeOnly: false },
    { specifier: '../b.ts', typeOnly: true },
    { specifier: './c.ts', typeOnly: false },
    { specifier: 'pkg-d', typeOnly: false },
    { specifier: './e.ts', typeOnly: true },
    { specifier: './f.ts', typeOnly: false },
    { specifier: './g.ts', typeOnly: false },
    { specifier: './h.ts', typeOnly: true },
    { specifier: './side-effect.ts', typeOnly: false },
  ]);
});
