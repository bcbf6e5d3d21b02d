/**
 * Enabling SeDebugPrivilege at agent start, with fakes of the Win32 calls (named as fakes) that
 * return what Windows returns: success; AdjustTokenPrivileges returning TRUE with
 * ERROR_NOT_ALL_ASSIGNED (an account whose token lacks the privilege); OpenProcessToken failing.
 */
import { expect, test } from '@playwright/test';
import { debugPrivilegeLine } from '../../src/agent/agent-command.ts';
import {
  encodeTokenPrivileges,
  enableDebugPrivilege,
  SE_PRIVILEGE_ENABLED,
  TOKEN_ADJUST_PRIVILEGES,
  TOKEN_QUERY,
  type PrivilegeCalls,
} from '../../src/windows/nt/privileges.ts';

/** SeDebugPrivilege's LUID on Windows: { LowPart 20, HighPart 0 } (SE_DEBUG_PRIVILEGE). */
const DEBUG_LUID = { lowPart: 20, highPart: 0 };

/** A fake token and fake advapi32 calls; records what was asked of them. */
function fakeCalls(adjust: { result: boolean; lastError: number }, openError?: number) {
  const log: string[] = [];
  const calls: PrivilegeCalls<string> = {
    openProcessToken(access) {
      log.push(`open 0x${access.toString(16)}`);
      return openError === undefined ? { token: 'fake-token' } : { error: openError };
    },
    lookupPrivilegeValue(name) {
      log.push(`lookup ${name}`);
      return { luid: DEBUG_LUID };
    },
    adjustTokenPrivileges(token, state) {
      log.push(`adjust ${token} ${Buffer.from(state).toString('hex')}`);
      return adjust;
    },
    closeHandle(token) {
      log.push(`close ${token}`);
    },
  };
  return { calls, log };
}

test('TOKEN_PRIVILEGES with one privilege: count, LUID (low, high), attributes in 16 bytes', () => {
  const bytes = encodeTokenPrivileges({ lowPart: 20, highPart: -1 }, SE_PRIVILEGE_ENABLED);
  expect(Buffer.from(bytes).toString('hex')).toBe(
    '01000000' + '14000000' + 'ffffffff' + '02000000',
  );
});

test('an elevated administrator: enabled, the token asked for ADJUST_PRIVILEGES|QUERY and closed', () => {
  const { calls, log } = fakeCalls({ result: true, lastError: 0 });
  expect(enableDebugPrivilege(calls)).toEqual({
    privilege: 'SeDebugPrivilege',
    enabled: true,
    unavailable: [],
  });
  expect(TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY).toBe(0x28);
  expect(log).toEqual([
    'open 0x28',
    'lookup SeDebugPrivilege',
    'adjust fake-token 01000000140000000000000002000000',
    'close fake-token',
  ]);
});

test('AdjustTokenPrivileges TRUE with ERROR_NOT_ALL_ASSIGNED is not enabled: the Verifier counters are unavailable', () => {
  const { calls, log } = fakeCalls({ result: true, lastError: 1300 });
  const state = enableDebugPrivilege(calls);
  expect(state).toEqual({
    privilege: 'SeDebugPrivilege',
    enabled: false,
    reason:
      "SeDebugPrivilege is not enabled: this account's token does not hold it (AdjustTokenPrivileges: 1300 ERROR_NOT_ALL_ASSIGNED); run the agent as SYSTEM (a scheduled task) or as an administrator, elevated. Driver Verifier per-driver pool counters (the verifier-pool signal) are unavailable.",
    unavailable: ['verifier'],
  });
  expect(log.at(-1)).toBe('close fake-token');
  expect(debugPrivilegeLine(state)).toBe(`WARNING: ${state.reason}`);
});

test('OpenProcessToken failing: not enabled, with its error, and no handle to close', () => {
  const { calls, log } = fakeCalls({ result: true, lastError: 0 }, 5);
  expect(enableDebugPrivilege(calls)).toMatchObject({
    enabled: false,
    reason: expect.stringMatching(
      /^SeDebugPrivilege is not enabled: OpenProcessToken failed with 5 ERROR_ACCESS_DENIED\./,
    ),
    unavailable: ['verifier'],
  });
  expect(log).toEqual(['open 0x28']);
});

test('AdjustTokenPrivileges returning FALSE: not enabled, with its last error', () => {
  const { calls } = fakeCalls({ result: false, lastError: 6 });
  expect(enableDebugPrivilege(calls).reason).toMatch(
    /^SeDebugPrivilege is not enabled: AdjustTokenPrivileges failed with 6 ERROR_INVALID_HANDLE\./,
  );
  expect(
    debugPrivilegeLine({ privilege: 'SeDebugPrivilege', enabled: true, unavailable: [] }),
  ).toBe('SeDebugPrivilege enabled (Driver Verifier counters readable)');
});
