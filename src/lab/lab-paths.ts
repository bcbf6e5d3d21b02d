/** Where the embedded lab keeps its things. Everything can move with DRVCYCLE_LAB_DIR. */
import path from 'node:path';
import { labDir } from '../config/environment.ts';

export const WINDOWS_NODE_VERSION = '22.23.3';

/** The lab's folder: DRVCYCLE_LAB_DIR, or ~/.cache/drvcycle/lab (src/config/environment.ts). */
export const labRoot = (): string => labDir();

export const labPaths = {
  runtimeDir: () => path.join(labRoot(), 'runtime'),
  windowsNode: () => path.join(labRoot(), 'runtime', `node-${WINDOWS_NODE_VERSION}`, 'node.exe'),
  basePrefix: () => path.join(labRoot(), 'base-prefix'),
  machinesDir: () => path.join(labRoot(), 'machines'),
};

/** A Linux path as Wine sees it: the Z: drive maps to /. */
export function toWinePath(linuxPath: string): string {
  return `Z:${path.resolve(linuxPath).replaceAll('/', '\\')}`;
}
