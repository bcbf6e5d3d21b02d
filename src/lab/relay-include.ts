/**
 * Wine's relay channel, narrowed to the pool calls: with `RelayInclude` set in the prefix,
 * `WINEDEBUG=+relay` prints a `Call ntoskrnl.exe.ExAllocatePoolWithTag(type,size,tag) ret=…` line
 * for every pool call a driver makes, which carries the pool tag and the caller's return address
 * that the `trace+ntoskrnl` lines lack (see core/wine-pool-trace.ts). Wine reads the value when
 * each process starts, so it is set once in the base prefix that every lab machine copies.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from '../core/child-process.ts';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { labPaths } from './lab-paths.ts';
import { wineEnv } from './wine-env.ts';

export const POOL_RELAY_FUNCTIONS = [
  'ntoskrnl.exe.ExAllocatePoolWithTag',
  'ntoskrnl.exe.ExAllocatePool',
  'ntoskrnl.exe.ExFreePoolWithTag',
  'ntoskrnl.exe.ExFreePool',
].join(';');

const RELAY_KEY = 'HKCU\\Software\\Wine\\Debug';

/** Whether the prefix's user registry (user.reg) holds RelayInclude = the pool calls. */
export function hasPoolRelayInclude(userReg: string): boolean {
  const section = /^\[Software\\\\Wine\\\\Debug\][^\n]*\n((?:(?!\[)[^\n]*\n?)*)/m.exec(userReg);
  if (!section) return false;
  const value = /^"RelayInclude"="([^"\n]*)"/m.exec(section[1]!);
  return value?.[1] === POOL_RELAY_FUNCTIONS;
}

/** Sets the value in the base prefix unless it is there (labs provisioned before it get it). */
export async function ensurePoolRelayInclude(logFile: string): Promise<'already-done' | string> {
  const prefix = labPaths.basePrefix();
  const userReg = path.join(prefix, 'user.reg');
  if (hasPoolRelayInclude(readFileSync(userReg, 'utf8'))) return 'already-done';
  const env = wineEnv(prefix);
  try {
    await runProcess(
      'wine',
      [
        'reg',
        'add',
        RELAY_KEY,
        '/v',
        'RelayInclude',
        '/t',
        'REG_SZ',
        '/d',
        POOL_RELAY_FUNCTIONS,
        '/f',
      ],
      { env, output: { logFile }, timeoutMs: 120_000 },
    );
  } finally {
    await runProcess('wineserver', ['-k'], { env, output: { logFile }, timeoutMs: 60_000 }).catch(
      () => undefined,
    );
  }
  // wineserver writes the registry files when it exits.
  await runProcess('wineserver', ['-w'], { env, output: { logFile }, timeoutMs: 60_000 }).catch(
    () => undefined,
  );
  if (!hasPoolRelayInclude(readFileSync(userReg, 'utf8')))
    throw new DrvcycleError(
      ErrorCodes.LAB_SETUP,
      `wine reg add did not store RelayInclude under ${RELAY_KEY} in ${userReg}.`,
      {
        hint: `Look at ${logFile}; if the base prefix is damaged, delete the lab folder (DRVCYCLE_LAB_DIR, default ~/.cache/drvcycle/lab) and run \`npx drvcycle provision\` again.`,
      },
    );
  return `RelayInclude in ${userReg}`;
}
