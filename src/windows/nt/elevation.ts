/**
 * Whether this process runs elevated (TOKEN_ELEVATION.TokenIsElevated): the SCM gives
 * SC_MANAGER_ALL_ACCESS, and so driver services, only to an elevated administrator. Wine ignores
 * access rights, so the lab never needs it.
 * https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-gettokeninformation
 */
import { processTokenApi, TOKEN_QUERY } from './privileges.ts';

const TokenElevation = 20;

export function isElevated(): boolean {
  const { GetCurrentProcess, OpenProcessToken, GetTokenInformation, CloseHandle } =
    processTokenApi();
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
