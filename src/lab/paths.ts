/** Where the embedded lab keeps its things. Everything can move with DRVCYCLE_LAB_DIR. */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WINDOWS_NODE_VERSION = '22.23.3';

export function labRoot(): string {
  return path.resolve(
    process.env.DRVCYCLE_LAB_DIR ?? path.join(os.homedir(), '.cache', 'drvcycle', 'lab'),
  );
}

export const labPaths = {
  runtimeDir: () => path.join(labRoot(), 'runtime'),
  windowsNode: () => path.join(labRoot(), 'runtime', `node-${WINDOWS_NODE_VERSION}`, 'node.exe'),
  basePrefix: () => path.join(labRoot(), 'base-prefix'),
  machinesDir: () => path.join(labRoot(), 'machines'),
  driverSources: () => path.join(PROJECT_ROOT, 'drivers', 'src'),
  driverBuild: () => path.join(PROJECT_ROOT, 'drivers', 'build'),
};

/** A Linux path as Wine sees it: the Z: drive maps to /. */
export function toWinePath(linuxPath: string): string {
  return `Z:${path.resolve(linuxPath).replaceAll('/', '\\')}`;
}

export function sampleDriver(name: string): string {
  return path.join(labPaths.driverBuild(), `${name}.sys`);
}
