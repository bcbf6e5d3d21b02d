/** The Debian packages the lab needs: installed with apt-get when root, else the exact command. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { runProcess } from '../core/child-process.ts';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';

export const LAB_PACKAGES = [
  'wine',
  'wine64',
  'gcc-mingw-w64-x86-64',
  'binutils-mingw-w64-x86-64',
  'mingw-w64-x86-64-dev',
] as const;

export async function isInstalled(pkg: string): Promise<boolean> {
  const result = await runProcess('dpkg-query', ['-W', '-f=${Status}', pkg], {
    timeoutMs: 30_000,
    allowFailure: true,
  }).catch(() => undefined);
  return result?.code === 0 && result.stdout.includes('install ok installed');
}

/** dpkg's database: installing or removing a package rewrites it. */
export const DPKG_STATUS = '/var/lib/dpkg/status';

/** Where the dpkg database stood when every package was last found installed. */
function dpkgStamp(status: string): string | undefined {
  if (!existsSync(status)) return undefined;
  const { mtimeMs, size, ino } = statSync(status);
  return `${ino}:${size}:${mtimeMs}`;
}

/**
 * The packages missing, asked of dpkg only when its database changed since every package was last
 * found installed (`proofFile` keeps that state): a warm lab's start skips five dpkg-query runs.
 */
export async function missingPackagesSince(
  proofFile: string,
  check: (pkg: string) => Promise<boolean> = isInstalled,
  status: string = DPKG_STATUS,
): Promise<string[]> {
  const stamp = dpkgStamp(status);
  if (stamp && existsSync(proofFile) && readFileSync(proofFile, 'utf8') === stamp) return [];
  const missing = await missingPackages(check);
  if (missing.length === 0 && stamp) writeFileSync(proofFile, stamp);
  return missing;
}

export function installCommand(missing: readonly string[]): string {
  return `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
}

export async function missingPackages(
  check: (pkg: string) => Promise<boolean> = isInstalled,
): Promise<string[]> {
  const installed = await Promise.all(LAB_PACKAGES.map(check));
  return LAB_PACKAGES.filter((_, i) => !installed[i]);
}

export function assertCanInstall(
  missing: readonly string[],
  isRoot: boolean,
  hasAptGet: boolean,
): void {
  if (missing.length === 0) return;
  if (!hasAptGet) {
    throw new DrvcycleError(
      ErrorCodes.LAB_SETUP,
      `The embedded lab needs ${missing.join(', ')}, and this machine has no apt-get.`,
      {
        hint: 'The lab is supported on Debian and Ubuntu. On another system, install Wine 8+ (64-bit) and the mingw-w64 x86_64 cross compiler with its DDK headers, or use a Windows VM with the agent.',
      },
    );
  }
  if (!isRoot) {
    throw new DrvcycleError(
      ErrorCodes.LAB_SETUP,
      `The embedded lab needs packages that are not installed: ${missing.join(', ')}.`,
      {
        hint: `Install them as root, then run the command again:\n  sudo sh -c '${installCommand(missing)}'`,
      },
    );
  }
}
