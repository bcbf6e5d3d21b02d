/** Builds the sample driver corpus (drivers/src/*.c) into drivers/build/*.sys with mingw-w64. */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { runProcess } from '../core/child-process.ts';
import { packagePaths } from '../core/paths.ts';

export const MINGW_GCC = 'x86_64-w64-mingw32-gcc';
const DDK_CANDIDATES = ['/usr/x86_64-w64-mingw32/include/ddk', '/usr/share/mingw-w64/include/ddk'];

export function ddkIncludeDir(): string {
  const found = DDK_CANDIDATES.find((dir) => existsSync(path.join(dir, 'ntddk.h')));
  if (!found) {
    throw new DrvcycleError(
      ErrorCodes.LAB_SETUP,
      `No mingw-w64 DDK headers found (looked in ${DDK_CANDIDATES.join(', ')}).`,
      { hint: 'Install the Debian package mingw-w64-x86-64-dev.' },
    );
  }
  return found;
}

export function compilerArgs(source: string, output: string, ddk: string): string[] {
  return [
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-shared',
    '-nostdlib',
    '-Wl,--subsystem,native',
    '-Wl,--entry,DriverEntry',
    `-I${ddk}`,
    '-o',
    output,
    source,
    '-lntoskrnl',
    '-lhal',
  ];
}

/** Rebuilds a driver when its output is missing or older than its source or the shared header. */
export async function buildSampleDrivers(logFile: string): Promise<'already-done' | string[]> {
  const sourceDir = packagePaths.driverSources();
  const outDir = packagePaths.driverBuild();
  mkdirSync(outDir, { recursive: true });
  // A driver is rebuilt when any shared header (common.h, pnp_common.h) is newer than it.
  const headerTime = Math.max(
    0,
    ...readdirSync(sourceDir)
      .filter((f) => f.endsWith('.h'))
      .map((f) => statSync(path.join(sourceDir, f)).mtimeMs),
  );
  const built: string[] = [];
  const ddk = ddkIncludeDir();
  for (const file of readdirSync(sourceDir)
    .filter((f) => f.endsWith('.c'))
    .sort()) {
    const source = path.join(sourceDir, file);
    const output = path.join(outDir, file.replace(/\.c$/, '.sys'));
    const fresh =
      existsSync(output) &&
      statSync(output).mtimeMs >= Math.max(statSync(source).mtimeMs, headerTime);
    if (fresh) continue;
    await runProcess(MINGW_GCC, compilerArgs(source, output, ddk), {
      output: { logFile },
      timeoutMs: 120_000,
    });
    built.push(path.basename(output));
  }
  return built.length === 0 ? 'already-done' : built;
}
