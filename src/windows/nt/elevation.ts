/**
 * Whether this process runs elevated (TOKEN_ELEVATION.TokenIsElevated): the SCM gives
 * SC_MANAGER_ALL_ACCESS, and so driver services, only to an elevated administrator. Wine ignores
 * access rights, so the lab never needs it.
 * https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-gettokeninformation
 */
import koffi from 'koffi';

const TOKEN_QUERY = 0x0008;
const TokenElevation = 20;

type Fn = (...args: unknown[]) => unknown;

export function isElevated(): boolean {
  const advapi32 = koffi.load('advapi32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const GetCurrentProcess = kernel32.func('void* __stdcall GetCurrentProcess()') as Fn;
  const OpenProcessToken = advapi32.func(
    'int __stdcall OpenProcessToken(void* process, uint32 access, _Out_ void** token)',
  ) as Fn;
  const GetTokenInformation = advapi32.func(
    'int __stdcall GetTokenInformation(void* token, int cls, _Out_ uint32* info, uint32 size, _Out_ uint32* returned)',
  ) as Fn;
  const CloseHandle = kernel32.func('int __stdcall CloseHandle(void* handle)') as Fn;
  const token = [null];
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, token)) return false;
  try {
    const elevation = [0];
    const returned = [0];
    if (!GetTokenInformation(token[0], TokenElevation, elevation, 4, returned)) return false;
    return elevation[0] !== 0;
  } finally {
    CloseHandle(token[0]);
  }
}

/** What to tell someone who started the agent unelevated on Windows. */
export function elevationProblem(elevated: boolean, onWine: boolean): string | undefined {
  if (elevated || onWine) return undefined;
  return 'The agent is not elevated: the Service Control Manager gives driver services only to an elevated administrator (OpenSCManager would fail with 5 ERROR_ACCESS_DENIED).';
}
