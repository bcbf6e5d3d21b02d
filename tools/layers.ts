/**
 * drvcycle's layering: who may import whom, in the spirit of Playwright's utils/check_deps.js and
 * its DEPS.list. LAYERS is the single source: tests/unit/layers.spec.ts checks every import of
 * src, fixtures and specs on disk against it (with cycles, stray files and unused edges), and
 * eslint.config.js loads this module for the same per-import check in the editor. Tooling only:
 * nothing in the package imports it.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';

export interface Layer {
  may: string[];
  typesOnly?: string[];
  npm: string[] | '*';
}

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
 * - Every edge listed is used by some import: the layers test fails on one that no file uses.
 * - bin, tests, tools and bench are not checked.
 */
export const LAYERS: Record<string, Layer> = {
  'src/core': { may: [], npm: [] },
  // The one place a Windows DLL is loaded (x64 only, once each): every binding goes through it.
  'src/windows/native': { may: ['src/core'], npm: ['koffi'] },
  'src/windows/scm': { may: ['src/core', 'src/windows/native'], npm: ['koffi', 'p-retry'] },
  // PnP devices and their drivers' lifecycle, on the SCM's services and blocking calls.
  'src/windows/pnp': {
    may: ['src/core', 'src/windows/native', 'src/windows/scm'],
    npm: ['koffi'],
  },
  'src/windows/nt': { may: ['src/core', 'src/windows/native'], npm: ['koffi'] },
  // A driver's device from user mode: the I/O table's calls (CreateFileW, ntdll's I/O calls).
  'src/windows/io': { may: ['src/windows/native'], npm: [] },
  'src/windows/events': {
    may: ['src/core', 'src/windows/native', 'src/windows/scm', 'src/windows/nt'],
    npm: [],
  },
  'src/target': { may: ['src/core', 'src/windows'], npm: ['undici'] },
  'src/bundle': { may: ['src/core'], npm: ['esbuild', 'yazl', 'yauzl'] },
  // src/config: the lab's folder (DRVCYCLE_LAB_DIR, read in config only).
  'src/lab': { may: ['src/core', 'src/bundle', 'src/config'], npm: [] },
  'src/agent': { may: ['src/core', 'src/windows', 'src/target'], npm: [] },
  // The machine settings' shapes (config's), as types only.
  'src/machines': {
    may: ['src/core', 'src/target', 'src/lab'],
    typesOnly: ['src/config'],
    npm: [],
  },
  'src/collector': {
    may: ['src/core', 'src/windows/events'],
    typesOnly: ['src/target', 'src/machines'],
    npm: [],
  },
  'src/report': {
    // src/config: the reports folder's paths and the run lock's variable (drvcycle's environment).
    may: ['src/core', 'src/config'],
    // The certification's shapes: target facts, Verifier's settings.
    typesOnly: ['src/target', 'src/windows/nt'],
    npm: [
      'vega',
      'vega-lite',
      'systeminformation',
      '@playwright/test',
      // reporters/allure-results.ts wraps its reporter.
      'allure-playwright',
    ],
  },
  'src/families': {
    may: ['src/core', 'src/machines', 'src/collector'],
    typesOnly: ['src/target'],
    npm: [],
  },
  // Settings are plain data, their shapes included (the machine settings'): never the lab or a provider.
  'src/config': { may: ['src/core'], typesOnly: ['src/windows/scm'], npm: [] },
  'src/cli': { may: ['src'], npm: '*' },
  fixtures: {
    may: [
      'src/core',
      'src/windows',
      'src/lab',
      'src/machines',
      'src/collector',
      'src/report',
      'src/families',
      'src/config',
    ],
    typesOnly: ['src/target'],
    npm: ['@playwright/test', 'allure-js-commons'],
  },
  'src/index.ts': { may: ['src', 'fixtures'], npm: [] },
  specs: { may: ['src/index.ts'], npm: [] },
};

/** The folders walked on disk: every file in them must belong to a layer. */
export const CHECKED_ROOTS = ['src', 'fixtures', 'specs'];

/** One import of a file: its specifier, as written, and whether it is `import type`. */
export type Import = string | { specifier: string; typeOnly: boolean };

export interface SourceFile {
  /** Relative to the project root, with forward slashes: 'src/core/errors.ts'. */
  path: string;
  imports: Import[];
}

const BUILTINS = new Set(builtinModules);

/** The layer a project path belongs to: the most specific key containing it, if any. */
export function layerOf(file: string, layers: Record<string, Layer> = LAYERS): string | undefined {
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

/** What one import is, checked: its problem (if any), and the layer edge it makes (if any). */
export interface CheckedImport {
  problem?: string;
  /** The layer the import reaches, when it leaves the file's own layer for another one. */
  to?: string;
  /** The npm package it imports. */
  npm?: string;
  /** Its path in the project, for a relative import. */
  target?: string;
}

/**
 * One import of a project file against the rules. A file in no layer has no rules here (the
 * layers test reports the file itself).
 */
export function checkImport(
  file: string,
  entry: Import,
  layers: Record<string, Layer> = LAYERS,
): CheckedImport {
  const from = layerOf(file, layers);
  if (from === undefined) return {};
  const rules = layers[from]!;
  const { specifier, typeOnly } =
    typeof entry === 'string' ? { specifier: entry, typeOnly: false } : entry;

  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return {};

  if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
    const pkg = packageName(specifier);
    if (rules.npm !== '*' && !rules.npm.includes(pkg)) {
      const npm = rules.npm.length > 0 ? rules.npm.join(', ') : 'none';
      return {
        npm: pkg,
        problem: `${file} imports npm package ${pkg} (${from} may import npm: ${npm})`,
      };
    }
    return { npm: pkg };
  }

  // An absolute path is outside every layer, and so never allowed.
  const target = specifier.startsWith('/')
    ? specifier
    : path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  const to = layerOf(target, layers);
  if (to === from) return { target };
  const allowed =
    to !== undefined &&
    (rules.may.some((e) => covers(e, to)) ||
      (typeOnly && (rules.typesOnly ?? []).some((e) => covers(e, to))));
  return {
    target,
    ...(to !== undefined ? { to } : {}),
    ...(allowed
      ? {}
      : { problem: `${file} imports ${target} (${from} may import: ${describeAllowed(rules)})` }),
  };
}

/**
 * The layering rules, applied to a list of files and their imports (no disk): every offending
 * import, every file outside all layers, and every import cycle between layers, one message each.
 */
export function checkLayers(files: SourceFile[], layers: Record<string, Layer> = LAYERS): string[] {
  const problems: string[] = [];
  /** Layer → layer → the first import that makes the edge, for the cycle messages. */
  const graph = new Map<string, Map<string, string>>();

  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const from = layerOf(file.path, layers);
    if (from === undefined) {
      problems.push(`${file.path} is in no layer (add its folder to LAYERS in tools/layers.ts)`);
      continue;
    }
    for (const entry of file.imports) {
      const checked = checkImport(file.path, entry, layers);
      if (checked.problem) problems.push(checked.problem);
      if (checked.to !== undefined) {
        const edges = graph.get(from) ?? new Map<string, string>();
        if (!edges.has(checked.to)) edges.set(checked.to, `${file.path} imports ${checked.target}`);
        graph.set(from, edges);
      }
    }
  }

  return [...problems, ...findCycles(graph)];
}

/**
 * The allowed edges no import uses, one message each: a `may` or `typesOnly` entry that no file
 * of the layer imports from (with `import type` for a types-only one), an npm package none of its
 * files imports. Every edge kept is one the code needs.
 */
export function unusedEdges(files: SourceFile[], layers: Record<string, Layer> = LAYERS): string[] {
  const used = new Map<string, Set<string>>();
  const use = (from: string, what: string) => {
    const set = used.get(from) ?? new Set<string>();
    set.add(what);
    used.set(from, set);
  };
  for (const file of files) {
    const from = layerOf(file.path, layers);
    if (from === undefined) continue;
    for (const entry of file.imports) {
      const checked = checkImport(file.path, entry, layers);
      const typeOnly = typeof entry !== 'string' && entry.typeOnly;
      if (checked.npm !== undefined) use(from, `npm:${checked.npm}`);
      if (checked.to !== undefined) use(from, `${typeOnly ? 'type' : 'value'}:${checked.to}`);
    }
  }
  const unused: string[] = [];
  for (const [from, layer] of Object.entries(layers)) {
    const seen = [...(used.get(from) ?? [])];
    const reaches = (entry: string, kinds: string[]) =>
      seen.some((edge) => {
        const [kind, to] = [edge.slice(0, edge.indexOf(':')), edge.slice(edge.indexOf(':') + 1)];
        return kinds.includes(kind) && covers(entry, to);
      });
    for (const entry of layer.may) {
      if (!reaches(entry, ['value', 'type']))
        unused.push(`${from} may import ${entry}: no file does`);
      else if (!reaches(entry, ['value']))
        unused.push(
          `${from} may import ${entry}: its files import types only (move it to typesOnly)`,
        );
    }
    for (const entry of layer.typesOnly ?? [])
      if (!reaches(entry, ['type']))
        unused.push(`${from} may import types of ${entry}: no file does`);
    if (layer.npm !== '*')
      for (const pkg of layer.npm)
        if (!seen.includes(`npm:${pkg}`))
          unused.push(`${from} may import npm ${pkg}: no file does`);
  }
  return unused;
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
