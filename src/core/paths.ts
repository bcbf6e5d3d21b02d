/**
 * Where drvcycle's own package is: its drivers, its agent entry, its Allure configuration. The
 * reports folder's files are in src/config/report-paths.ts (they depend on DRVCYCLE_REPORTS_DIR).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** drvcycle's package folder: a checkout, or node_modules/drvcycle in a driver team's project. */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'drvcycle')
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`No drvcycle package.json above ${from}.`);
  }
}

/**
 * The folder of an npm package drvcycle depends on, wherever npm put it. Resolved from the
 * package's entry (many packages' "exports" hide their package.json), then up to its manifest.
 */
export function dependencyDir(name: string): string {
  const resolve = createRequire(pathToFileURL(path.join(PACKAGE_ROOT, 'package.json'))).resolve;
  let entry: string;
  try {
    entry = resolve(name);
  } catch {
    entry = fileURLToPath(import.meta.resolve(name));
  }
  for (let dir = path.dirname(entry); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name)
      return dir;
  }
  throw new Error(`No package.json of ${name} above ${entry}.`);
}

export const packagePaths = {
  /** The command line, also what the lab's Windows Node runs as the agent. */
  cli: () => path.join(PACKAGE_ROOT, 'bin', 'drvcycle.js'),
  allureConfig: () => path.join(PACKAGE_ROOT, 'allurerc.mjs'),
  driverSources: () => path.join(PACKAGE_ROOT, 'drivers', 'src'),
  driverBuild: () => path.join(PACKAGE_ROOT, 'drivers', 'build'),
  /** The I/O samples' tables (drivers/io/<driver>.json). */
  driverIoTables: () => path.join(PACKAGE_ROOT, 'drivers', 'io'),
};

/** A sample driver's I/O table: drivers/io/<name>.json (`io_pending_read.cancel` for a variant). */
export function sampleIoTable(name: string): string {
  return path.join(packagePaths.driverIoTables(), `${name}.json`);
}

/** A sample driver from drvcycle's corpus (built by the lab set-up). */
export function sampleDriver(name: string): string {
  return path.join(packagePaths.driverBuild(), `${name}.sys`);
}
