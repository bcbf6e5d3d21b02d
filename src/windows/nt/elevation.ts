/**
 * Whether this process runs elevated (TOKEN_ELEVATION.TokenIsElevated): the SCM gives
 * SC_MANAGER_ALL_ACCESS, and so driver services, only to an elevated administrator. Wine ignores
 * access rights, so the lab never needs it.
 * https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-gettokeninformation
 */
import { windowsLibrary } from '../native/library.ts';

const TOKEN_QUERY = 0x0008;
const TokenElevation = 20;

type Fn = (...args: unknown[]) => unknown;
let bindings: ReturnType<typeof bind> | undefined;

function bind() {
  const advapi32 = windowsLibrary('advapi32.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  const fn = (lib: typeof advapi32, proto: string) => lib.func(proto) as Fn;
  return {
    GetCurrentProcess: fn(kernel32, 'void* __stdcall GetCurrentProcess()'),
    OpenProcessToken: fn(
      advapi32,
      'int __stdcall OpenProcessToken(void* process, uint32 access, _Out_ void** token)',
    ),
    GetTokenInformation: fn(
      advapi32,
      'int __stdcall GetTokenInformation(void* token, int cls, _Out_ uint32* info, uint32 size, _Out_ uint32* returned)',
    ),
    CloseHandle: fn(kernel32, 'int __stdcall CloseHandle(void* handle)'),
  };
}

export function isElevated(): boolean {
  bindings ??= bind();
  const { GetCurrentProcess, OpenProcessToken, GetTokenInformation, CloseHandle } = bindings;
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
