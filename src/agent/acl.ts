/**
 * Owner-only folders and files on Windows: the staging root and the token file are readable and
 * writable by Administrators and SYSTEM only, inherited rights removed, so no other account can
 * plant a link in staging or read the token, and Administrators own them. Wine has no ACLs: the
 * lab skips it.
 */
import { runProcess } from '../core/child-process.ts';
import { ErrorCodes } from '../core/errors.ts';

/** Administrators (S-1-5-32-544) and SYSTEM (S-1-5-18), full control, nothing inherited. */
export function icaclsArgs(target: string, folder: boolean): string[] {
  const inherit = folder ? '(OI)(CI)' : '';
  return [
    target,
    '/inheritance:r',
    '/grant:r',
    `*S-1-5-32-544:${inherit}F`,
    '/grant:r',
    `*S-1-5-18:${inherit}F`,
  ];
}

/** Administrators become the owner: an owner can always change the rights (WRITE_DAC). */
export function icaclsOwnerArgs(target: string): string[] {
  return [target, '/setowner', '*S-1-5-32-544'];
}

export async function restrictToAdministrators(target: string, folder: boolean): Promise<void> {
  for (const args of [icaclsOwnerArgs(target), icaclsArgs(target, folder)])
    await runProcess('icacls', args, {
      timeoutMs: 60_000,
      errorCode: ErrorCodes.CONFIG,
      hint: `drvcycle could not restrict ${target} to Administrators and SYSTEM: check that the agent runs elevated and that the path is on NTFS.`,
    });
}
