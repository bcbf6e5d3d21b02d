/**
 * The lab's agent comes from the agent bundle: built (the same zip `npx drvcycle agent-bundle`
 * writes), then unpacked from that zip, so every lab run runs, and tests, what a VM image gets.
 * Rebuilt only when its content changes (drvcycle's sources, koffi, the runtime). Each content
 * is unpacked into its own folder, named by its hash, and `current` names the one new machines
 * use: a rebuild (another checkout or a packed drvcycle sharing the lab) never pulls the files
 * from under a machine that is running.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  BUNDLE_FOLDER,
  type BundleInputs,
  bundleZipName,
  contentHash,
  sourcesStamp,
  stageAgentBundleFrom,
  zipFolder,
} from '../bundle/agent-bundle.ts';
import { unzipTo } from '../bundle/unzip.ts';
import { dependencyDir, PACKAGE_ROOT } from '../core/paths.ts';
import { labPaths, labRoot } from './lab-paths.ts';
import { windowsKoffiTarget } from './runtime.ts';

const bundlesDir = () => path.join(labPaths.runtimeDir(), 'agent-bundle');
const currentFile = () => path.join(bundlesDir(), 'current');
/** What `current` was built from: its hash, its sources and their stamp (see sourcesStamp). */
const sourcesFile = () => path.join(bundlesDir(), 'current.sources.json');

interface BuiltFrom {
  /**
   * The checkout it was built from: another checkout sharing the lab (a second clone, a git
   * worktree) has other sources, which the stamp of these would not show.
   */
  readonly packageRoot: string;
  readonly hash: string;
  readonly sources: string[];
  readonly stamp: string;
}

/** The current bundle, unpacked and zipped, from sources that have not changed since: nothing to do. */
function currentIsUpToDate(): boolean {
  if (!existsSync(currentFile()) || !existsSync(sourcesFile())) return false;
  const hash = readFileSync(currentFile(), 'utf8').trim();
  let built: BuiltFrom;
  try {
    built = JSON.parse(readFileSync(sourcesFile(), 'utf8')) as BuiltFrom;
  } catch {
    return false;
  }
  return (
    built.packageRoot === PACKAGE_ROOT &&
    built.hash === hash &&
    Array.isArray(built.sources) &&
    sourcesStamp(built.sources) === built.stamp &&
    existsSync(path.join(unpackedFor(hash), BUNDLE_FOLDER)) &&
    existsSync(labBundle.zip())
  );
}

function recordSources(hash: string, sources: string[], stamp: string | undefined): void {
  if (!stamp) return;
  const built: BuiltFrom = { packageRoot: PACKAGE_ROOT, hash, sources, stamp };
  writeFileSync(`${sourcesFile()}.tmp`, JSON.stringify(built));
  renameSync(`${sourcesFile()}.tmp`, sourcesFile());
}
const unpackedFor = (hash: string) => path.join(bundlesDir(), hash.slice(0, 16));

export const labBundle = {
  zip: () => path.join(labRoot(), bundleZipName()),
  /** The unpacked bundle new lab machines run their agent from. */
  dir: () => {
    const hash = existsSync(currentFile()) ? readFileSync(currentFile(), 'utf8').trim() : '';
    return path.join(unpackedFor(hash), BUNDLE_FOLDER);
  },
  agentScript: () => path.join(labBundle.dir(), 'agent', 'agent.js'),
};

/** What the bundle is made of on this machine: the lab's Windows runtime and koffi's win32 build. */
export function bundleInputs(): BundleInputs {
  return {
    nodeExe: labPaths.windowsNode(),
    koffiDir: dependencyDir('koffi'),
    koffiNative: windowsKoffiTarget(),
  };
}

export async function ensureLabAgentBundle(): Promise<'already-done' | string> {
  mkdirSync(bundlesDir(), { recursive: true });
  if (currentIsUpToDate()) return 'already-done';
  const staging = mkdtempSync(path.join(bundlesDir(), '.staging-'));
  try {
    const { folder, sources } = await stageAgentBundleFrom(bundleInputs(), staging);
    // Stamped before the hash is taken: a source changed meanwhile makes the next start build again.
    const stamp = sourcesStamp(sources);
    const hash = contentHash(folder);
    const unpacked = unpackedFor(hash);
    const current = existsSync(currentFile()) ? readFileSync(currentFile(), 'utf8').trim() : '';
    if (
      current === hash &&
      existsSync(path.join(unpacked, BUNDLE_FOLDER)) &&
      existsSync(labBundle.zip())
    ) {
      recordSources(hash, sources, stamp);
      return 'already-done';
    }
    const zip = `${labBundle.zip()}.${process.pid}.tmp`;
    await zipFolder(folder, zip);
    if (!existsSync(path.join(unpacked, BUNDLE_FOLDER))) {
      const unpacking = mkdtempSync(path.join(bundlesDir(), '.unpacking-'));
      await unzipTo(zip, unpacking);
      if (contentHash(path.join(unpacking, BUNDLE_FOLDER)) !== hash)
        throw new Error(`The agent bundle ${zip} does not unpack to what was put in it.`);
      rmSync(unpacked, { recursive: true, force: true });
      renameSync(unpacking, unpacked);
    }
    renameSync(zip, labBundle.zip());
    writeFileSync(`${currentFile()}.tmp`, hash);
    renameSync(`${currentFile()}.tmp`, currentFile());
    recordSources(hash, sources, stamp);
    pruneOldBundles(current, hash);
    return labBundle.zip();
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Keeps the current content and the one before it (a machine may still run it). */
function pruneOldBundles(previous: string, current: string): void {
  const keep = new Set([previous, current].filter(Boolean).map((h) => h.slice(0, 16)));
  for (const name of readdirSync(bundlesDir()))
    if (/^[0-9a-f]{16}$/.test(name) && !keep.has(name))
      rmSync(path.join(bundlesDir(), name), { recursive: true, force: true });
}
