/**
 * SeDebugPrivilege, enabled at agent start. NtQuerySystemInformation(SystemVerifierInformation)
 * needs it *enabled* in the caller's token: an elevated administrator's token holds it disabled
 * (SYSTEM's holds it enabled), so running the agent elevated is not enough. Enabling is
 * OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY),
 * LookupPrivilegeValueW(NULL, "SeDebugPrivilege"), AdjustTokenPrivileges; the last returns TRUE
 * when the token does not hold the privilege at all, with GetLastError() = ERROR_NOT_ALL_ASSIGNED
 * (1300), so its last error is read whatever it returns.
 * https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-adjusttokenprivileges
 *
 * The decision is pure (enableDebugPrivilege over PrivilegeCalls): unit-tested with fakes that
 * return what Windows returns.
 */
import { describeWin32Error } from '../../core/win32-codes.ts';
import type { SamplerName } from '../../core/records.ts';
import { windowsLibrary } from '../native/library.ts';

export const SE_DEBUG_NAME = 'SeDebugPrivilege';
export const TOKEN_ADJUST_PRIVILEGES = 0x0020;
export const TOKEN_QUERY = 0x0008;
export const SE_PRIVILEGE_ENABLED = 0x00000002;
export const ERROR_NOT_ALL_ASSIGNED = 1300;
/** TOKEN_PRIVILEGES with one LUID_AND_ATTRIBUTES (x64): PrivilegeCount @0, Luid @4, Attributes @12. */
export const TOKEN_PRIVILEGES_SIZE = 16;

/** The samplers that read nothing without SeDebugPrivilege enabled. */
export const NEEDS_DEBUG_PRIVILEGE: readonly SamplerName[] = ['verifier'];

export interface DebugPrivilegeState {
  readonly privilege: typeof SE_DEBUG_NAME;
  readonly enabled: boolean;
  /** Why it is not enabled, and what that leaves unread. */
  readonly reason?: string;
  /** The samplers left unavailable (empty when enabled). */
  readonly unavailable: readonly SamplerName[];
}

/** A locally unique identifier (LUID): LowPart (DWORD), HighPart (LONG). */
export interface Luid {
  readonly lowPart: number;
  readonly highPart: number;
}

/** The Win32 calls, as their results: the real ones below, fakes in unit tests. */
export interface PrivilegeCalls<Token = unknown> {
  /** OpenProcessToken(GetCurrentProcess(), access): the token, or GetLastError() when it fails. */
  openProcessToken(access: number): { token: Token } | { error: number };
  /** LookupPrivilegeValueW(NULL, name): the LUID, or GetLastError() when it fails. */
  lookupPrivilegeValue(name: string): { luid: Luid } | { error: number };
  /** AdjustTokenPrivileges(token, FALSE, state, …): its BOOL and GetLastError() read right after. */
  adjustTokenPrivileges(token: Token, state: Uint8Array): { result: boolean; lastError: number };
  closeHandle(token: Token): void;
}

/** TOKEN_PRIVILEGES { 1, { luid, attributes } } as AdjustTokenPrivileges reads it. */
export function encodeTokenPrivileges(luid: Luid, attributes: number): Uint8Array {
  const bytes = new Uint8Array(TOKEN_PRIVILEGES_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 1, true);
  view.setUint32(4, luid.lowPart >>> 0, true);
  view.setInt32(8, luid.highPart | 0, true);
  view.setUint32(12, attributes >>> 0, true);
  return bytes;
}

/** A Win32 error as its code and name: "1300 ERROR_NOT_ALL_ASSIGNED". */
const win32 = (code: number) => `${code >>> 0} ${describeWin32Error(code).name}`;

const LEFT_UNREAD =
  'Driver Verifier per-driver pool counters (the verifier-pool signal) are unavailable';

function notEnabled(why: string): DebugPrivilegeState {
  return {
    privilege: SE_DEBUG_NAME,
    enabled: false,
    reason: `${SE_DEBUG_NAME} is not enabled: ${why}. ${LEFT_UNREAD}.`,
    unavailable: NEEDS_DEBUG_PRIVILEGE,
  };
}

/** Enables SeDebugPrivilege in this process's token, and says whether it is enabled and why not. */
export function enableDebugPrivilege<Token>(calls: PrivilegeCalls<Token>): DebugPrivilegeState {
  const opened = calls.openProcessToken(TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY);
  if ('error' in opened) return notEnabled(`OpenProcessToken failed with ${win32(opened.error)}`);
  try {
    const looked = calls.lookupPrivilegeValue(SE_DEBUG_NAME);
    if ('error' in looked)
      return notEnabled(`LookupPrivilegeValueW failed with ${win32(looked.error)}`);
    const adjusted = calls.adjustTokenPrivileges(
      opened.token,
      encodeTokenPrivileges(looked.luid, SE_PRIVILEGE_ENABLED),
    );
    if (!adjusted.result)
      return notEnabled(`AdjustTokenPrivileges failed with ${win32(adjusted.lastError)}`);
    if (adjusted.lastError === ERROR_NOT_ALL_ASSIGNED)
      return notEnabled(
        `this account's token does not hold it (AdjustTokenPrivileges: ${win32(ERROR_NOT_ALL_ASSIGNED)}); run the agent as SYSTEM (a scheduled task) or as an administrator, elevated`,
      );
    if (adjusted.lastError !== 0)
      return notEnabled(`AdjustTokenPrivileges returned TRUE with ${win32(adjusted.lastError)}`);
    return { privilege: SE_DEBUG_NAME, enabled: true, unavailable: [] };
  } finally {
    calls.closeHandle(opened.token);
  }
}

type Fn = (...args: unknown[]) => unknown;
let bindings: ReturnType<typeof bind> | undefined;

function bind() {
  const advapi32 = windowsLibrary('advapi32.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  const fn = (lib: typeof advapi32, proto: string) => lib.func(proto) as Fn;
  return {
    GetLastError: fn(kernel32, 'uint32 __stdcall GetLastError()'),
    GetCurrentProcess: fn(kernel32, 'void* __stdcall GetCurrentProcess()'),
    CloseHandle: fn(kernel32, 'int __stdcall CloseHandle(void* handle)'),
    /** https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-openprocesstoken */
    OpenProcessToken: fn(
      advapi32,
      'int __stdcall OpenProcessToken(void* process, uint32 access, _Out_ void** token)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-gettokeninformation */
    GetTokenInformation: fn(
      advapi32,
      'int __stdcall GetTokenInformation(void* token, int cls, _Out_ uint32* info, uint32 size, _Out_ uint32* returned)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-lookupprivilegevaluew */
    LookupPrivilegeValueW: fn(
      advapi32,
      'int __stdcall LookupPrivilegeValueW(str16 system, str16 name, _Out_ uint8_t* luid)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-adjusttokenprivileges */
    AdjustTokenPrivileges: fn(
      advapi32,
      'int __stdcall AdjustTokenPrivileges(void* token, int disableAll, const uint8_t* state, uint32 length, void* previous, void* returned)',
    ),
  };
}

/** The process-token functions of advapi32 and kernel32, bound on first use (elevation.ts too). */
export function processTokenApi(): ReturnType<typeof bind> {
  bindings ??= bind();
  return bindings;
}

/** The real calls (advapi32, kernel32), bound on first use. */
export function windowsPrivilegeCalls(): PrivilegeCalls {
  const api = processTokenApi();
  return {
    openProcessToken(access) {
      const token: unknown[] = [null];
      if (!api.OpenProcessToken(api.GetCurrentProcess(), access, token))
        return { error: api.GetLastError() as number };
      return { token: token[0] };
    },
    lookupPrivilegeValue(name) {
      const luid = Buffer.alloc(8);
      if (!api.LookupPrivilegeValueW(null, name, luid))
        return { error: api.GetLastError() as number };
      return { luid: { lowPart: luid.readUInt32LE(0), highPart: luid.readInt32LE(4) } };
    },
    adjustTokenPrivileges(token, state) {
      const result = api.AdjustTokenPrivileges(token, 0, state, state.byteLength, null, null);
      return { result: result !== 0, lastError: api.GetLastError() as number };
    },
    closeHandle(token) {
      api.CloseHandle(token);
    },
  };
}

let state: DebugPrivilegeState | undefined;

/** Enables SeDebugPrivilege for this process (once), and remembers what happened. */
export function enableDebugPrivilegeOnce(
  calls: () => PrivilegeCalls = windowsPrivilegeCalls,
): DebugPrivilegeState {
  state ??= enableDebugPrivilege(calls());
  return state;
}

/** What enabling SeDebugPrivilege gave in this process, or undefined when nothing tried. */
export function debugPrivilegeState(): DebugPrivilegeState | undefined {
  return state;
}
