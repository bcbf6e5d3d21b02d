/**
 * drvcycle's layering, checked: who may import whom, in the spirit of Playwright's
 * utils/check_deps.js and its DEPS.list. LAYERS below is the single source of truth; the first
 * test walks src, fixtures and specs on disk and checks every import against it, the second
 * proves the checker can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import ts from 'typescript';

/**
 * Who may import whom, bottom to top.
 *
 * - A key is a folder (every file under it, sub-folders included) or a single file (src/index.ts);
 *   a file belongs to the most specific key that contains it.
 * - `may`: what the layer may import besides itself. An entry names a key, or a folder whose keys
 *   all count ('src/windows' = native, scm, nt, pnp and events; 'src' = everything under src).
 * - `typesOnly`: what it may import with `import type` only (erased at run time, so nothing of it
 *   is loaded). `import { type A }` is NOT type-only: with verbatimModuleSyntax it still loads.
 * - `npm`: the npm packages it may import ('*' for any). Node built-ins are always allowed.
 * - bin, tests and bench are not checked.
 */
const LAYERS: Record<string, Layer> = {
  'src/core': { may: [], npm: [] },
  // The one place a Windows DLL is loaded (x64 only, once each): every binding goes through it.
  'src/windows/native': { may: ['src/core'], npm: ['koffi'] },
  'src/windows/scm': {
    may: ['src/core', 'src/windows/native', 'src/windows/pnp'],
    npm: ['koffi', 'p-retry'],
  },
  'src/windows/nt': {
    may: ['src/core', 'src/windows/native', 'src/windows/scm'],
    npm: ['koffi', 'p-retry'],
  },
  'src/windows/pnp': { may: ['src/core', 'src/windows/native'], npm: ['koffi'] },
  'src/windows/events': {
    may: ['src/core', 'src/windows/native', 'src/windows/scm', 'src/windows/nt'],
    npm: ['koffi', 'p-retry'],
  },
  'src/target': { may: ['src/core', 'src/windows'], npm: ['undici'] },
  'src/bundle': { may: ['src/core'], npm: ['esbuild', 'yazl', 'yauzl'] },
  'src/lab': { may: ['src/core', 'src/bundle'], npm: [] },
  'src/agent': { may: ['src/core', 'src/windows', 'src/target'], npm: [] },
  'src/machines': { may: ['src/core', 'src/target', 'src/lab'], npm: [] },
  'src/collector': {
    may: ['src/core', 'src/target', 'src/machines', 'src/windows/events'],
    npm: [],
  },
  'src/report': {
    may: ['src/core'],
    // The certification's shapes: settings, target facts, Verifier's settings.
    typesOnly: ['src/config', 'src/target', 'src/windows/nt'],
    npm: [
      'vega',
      'vega-lite',
      'systeminformation',
      '@playwright/test',
      'allure-js-commons',
      // reporters/allure-results.ts wraps its reporter.
      'allure-playwright',
    ],
  },
  'src/runner': { may: ['src/core', 'src/target', 'src/machines', 'src/collector'], npm: [] },
  'src/config': { may: ['src/core', 'src/machines'], typesOnly: ['src/windows/scm'], npm: [] },
  'src/cli': { may: ['src'], npm: '*' },
  fixtures: {
    may: [
      'src/core',
      'src/windows',
      'src/target',
      'src/lab',
      'src/agent',
      'src/machines',
      'src/collector',
      'src/report',
      'src/runner',
      'src/config',
    ],
    npm: ['@playwright/test', 'allure-js-commons'],
  },
  'src/index.ts': { may: ['src', 'fixtures'], npm: [] },
  specs: { may: ['src/index.ts'], npm: [] },
};

/** The folders walked on disk: every file in them must belong to a layer. */
const CHECKED_ROOTS = ['src', 'fixtures', 'specs'];

interface Layer {
  may: string[];
  typesOnly?: string[];
  npm: string[] | '*';
}

/** One import of a file: its specifier, as written, and whether it is `import type`. */
type Import = string | { specifier: string; typeOnly: boolean };

interface SourceFile {
  /** Relative to the project root, with forward slashes: 'src/core/errors.ts'. */
  path: string;
  imports: Import[];
}

const BUILTINS = new Set(builtinModules);

/** The layer a project path belongs to: the most specific key containing it, if any. */
function layerOf(file: string, layers: Record<string, Layer>): string | undefined {
  let best: string | undefined;
  for (const key of Object.keys(layers)) {
    if ((file === key || file.startsWith(`${key}/`)) && (!best || key.length > best.length)) {
      best = key;
    }
  }
  return best;
}

/** Whether an allow-list entry ('src/windows', 'src/index.ts', …) covers a layer key. */
const covers = (entry: string, layer: string) => layer === entry || layer.startsWith(`${entry}/`);

/** 'vega-lite/build/x' → 'vega-lite'; '@playwright/test/reporter' → '@playwright/test'. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

function describeAllowed(layer: Layer): string {
  const may = layer.may.length > 0 ? layer.may.join(', ') : 'nothing outside itself';
  return layer.typesOnly?.length ? `${may}; types only: ${layer.typesOnly.join(', ')}` : may;
}

/**
 * The layering rules, applied to a list of files and their imports (no disk): every offending
 * import, every file outside all layers, and every import cycle between layers, one message each.
 */
function checkLayers(files: SourceFile[], layers: Record<string, Layer> = LAYERS): string[] {
  const problems: string[] = [];
  /** Layer → layer → the first import that makes the edge, for the cycle messages. */
  const graph = new Map<string, Map<string, string>>();

  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const from = layerOf(file.path, layers);
    if (from === undefined) {
      problems.push(`${file.path} is in no layer (add its folder to LAYERS in layers.spec.ts)`);
      continue;
    }
    const rules = layers[from]!;
    for (const entry of file.imports) {
      const { specifier, typeOnly } =
        typeof entry === 'string' ? { specifier: entry, typeOnly: false } : entry;

      if (specifier.startsWith('node:') || BUILTINS.has(specifier)) continue;

      if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
        const pkg = packageName(specifier);
        if (rules.npm !== '*' && !rules.npm.includes(pkg)) {
          const npm = rules.npm.length > 0 ? rules.npm.join(', ') : 'none';
          problems.push(`${file.path} imports npm package ${pkg} (${from} may import npm: ${npm})`);
        }
        continue;
      }

      // An absolute path is outside every layer, and so never allowed.
      const target = specifier.startsWith('/')
        ? specifier
        : path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
      const to = layerOf(target, layers);
      if (to === from) continue;
      const allowed =
        to !== undefined &&
        (rules.may.some((e) => covers(e, to)) ||
          (typeOnly && (rules.typesOnly ?? []).some((e) => covers(e, to))));
      if (!allowed) {
        problems.push(
          `${file.path} imports ${target} (${from} may import: ${describeAllowed(rules)})`,
        );
      }
      if (to !== undefined) {
        const edges = graph.get(from) ?? new Map<string, string>();
        if (!edges.has(to)) edges.set(to, `${file.path} imports ${target}`);
        graph.set(from, edges);
      }
    }
  }

  return [...problems, ...findCycles(graph)];
}

/** The cycles of the layer graph, each once, as 'a → b → a' with the imports that close it. */
function findCycles(graph: Map<string, Map<string, string>>): string[] {
  const found = new Map<string, string>();
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];

  const visit = (node: string) => {
    state.set(node, 'active');
    stack.push(node);
    for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
      if (state.get(next) === 'active') {
        const cycle = stack.slice(stack.indexOf(next));
        // The same cycle found from another start is the same cycle: key it by its smallest node.
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        const key = rotated.join(' → ');
        if (!found.has(key)) {
          const steps = rotated.map((a, i) =>
            graph.get(a)!.get(rotated[(i + 1) % rotated.length]!),
          );
          found.set(
            key,
            `import cycle between folders: ${key} → ${rotated[0]} (${steps.join('; ')})`,
          );
        }
      } else if (state.get(next) === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };

  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return [...found.values()];
}

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

test('every import in src, fixtures and specs respects the layers, and no folders form a cycle', () => {
  const files = CHECKED_ROOTS.flatMap(walk).map((file) => ({
    path: file,
    imports: importsOf(file, readFileSync(path.join(ROOT, file), 'utf8')),
  }));
  for (const root of CHECKED_ROOTS) {
    expect(files.filter((f) => f.path.startsWith(`${root}/`)).length, root).toBeGreaterThan(0);
  }
  const problems = checkLayers(files);
  expect(problems, `layering violations:\n${problems.join('\n')}`).toEqual([]);
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
    'src/stray.ts is in no layer (add its folder to LAYERS in layers.spec.ts)',
    'import cycle between folders: src/core → src/lab → src/core (src/core/b.ts imports src/lab/l.ts; src/lab/l.ts imports src/core/a.ts)',
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
