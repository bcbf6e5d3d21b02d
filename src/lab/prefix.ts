/** The base Wine prefix every lab machine is copied from: 64-bit, reporting Windows 10. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from '../core/child-process.ts';
import { wineEnv } from './wine-env.ts';
import { labPaths } from './lab-paths.ts';

const READY_MARK = '.drvcycle-base-ready';
/** Bump when the way the base prefix is made changes, so old ones are rebuilt. */
const BASE_FORMAT = '1';

/** The file that marks a finished base prefix: made again with the prefix. */
export function baseReadyMark(prefix = labPaths.basePrefix()): string {
  return path.join(prefix, READY_MARK);
}

/** Whether a base prefix was finished in the current format (its registry is checked apart). */
export function isBasePrefixReady(prefix = labPaths.basePrefix()): boolean {
  const mark = path.join(prefix, READY_MARK);
  return existsSync(mark) && readFileSync(mark, 'utf8').trim() === BASE_FORMAT;
}

/** The registry of the finished base prefix, as the lab left it: what every machine copies. */
const REGISTRY_MARK = '.drvcycle-base-registry';
const REGISTRY_FILES = ['system.reg', 'user.reg', 'userdef.reg'];

function registryFingerprint(prefix: string): string {
  const hash = createHash('sha256');
  for (const name of REGISTRY_FILES) {
    const file = path.join(prefix, name);
    hash.update(`${name}\0`);
    if (existsSync(file)) hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Whether the base prefix's registry was recorded (a lab made before the record existed: no). */
export function hasBaseRegistryRecord(prefix = labPaths.basePrefix()): boolean {
  return existsSync(path.join(prefix, REGISTRY_MARK));
}

/**
 * Records the base prefix's registry once provisioning has finished changing it (the relay
 * channel's RelayInclude is written after the prefix is made).
 */
export function recordBaseRegistry(prefix = labPaths.basePrefix()): void {
  writeFileSync(path.join(prefix, REGISTRY_MARK), registryFingerprint(prefix));
}

/**
 * Why the base prefix is no longer what the lab made: a Wine program run in it by hand saves its
 * registry on exit, and every machine copied from it would inherit that. Undefined: unchanged, or
 * never recorded (a lab made before the record existed).
 */
export function baseRegistryChange(prefix = labPaths.basePrefix()): string | undefined {
  if (!hasBaseRegistryRecord(prefix)) return undefined;
  return readFileSync(path.join(prefix, REGISTRY_MARK), 'utf8').trim() ===
    registryFingerprint(prefix)
    ? undefined
    : `its registry changed since the lab made it (a Wine program ran in ${prefix})`;
}

export async function ensureBasePrefix(logFile: string): Promise<'already-done' | string> {
  const prefix = labPaths.basePrefix();
  if (isBasePrefixReady(prefix) && baseRegistryChange(prefix) === undefined) return 'already-done';
  rmSync(prefix, { recursive: true, force: true });
  const env = wineEnv(prefix);
  const wine = { env, output: { logFile }, timeoutMs: 180_000 };
  try {
    await runProcess('wine', ['wineboot', '--init'], wine);
    await runProcess('wine', ['winecfg', '/v', 'win10'], wine);
    // A crashing driver host would otherwise start winedbg, which costs a second per crash
    // and can linger; Wine still prints the unhandled-exception line we need.
    await runProcess(
      'wine',
      [
        'reg',
        'delete',
        'HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion\\AeDebug',
        '/v',
        'Debugger',
        '/f',
      ],
      wine,
    );
  } finally {
    await runProcess('wineserver', ['-k'], { env, output: { logFile }, timeoutMs: 60_000 }).catch(
      () => undefined,
    );
  }
  await runProcess('wineserver', ['-w'], { env, output: { logFile }, timeoutMs: 60_000 }).catch(
    () => undefined,
  );
  writeFileSync(path.join(prefix, READY_MARK), BASE_FORMAT);
  return prefix;
}
