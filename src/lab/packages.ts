/** The Debian packages the lab needs: installed with apt-get when root, else the exact command. */
import { execFileSync } from 'node:child_process';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';

export const LAB_PACKAGES = [
  'wine',
  'wine64',
  'gcc-mingw-w64-x86-64',
  'binutils-mingw-w64-x86-64',
  'mingw-w64-x86-64-dev',
] as const;

export function isInstalled(pkg: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).includes('install ok installed');
  } catch {
    return false;
  }
}

export function installCommand(missing: readonly string[]): string {
  return `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
}

export function missingPackages(check: (pkg: string) => boolean = isInstalled): string[] {
  return LAB_PACKAGES.filter((pkg) => !check(pkg));
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
