/**
 * A driver service's binary path (its ImagePath value, QueryServiceConfig's lpBinaryPathName) as
 * the SCM returns it, as a file path. Windows keeps the forms the
 * installer wrote: `\??\C:\…` (an NT path), `\SystemRoot\System32\drivers\x.sys` (what SetupAPI
 * writes for an INF's ServiceBinary), `System32\drivers\x.sys` (relative to the Windows folder,
 * as the kernel loads it) and `%SystemRoot%\…` (REG_EXPAND_SZ, not expanded by
 * QueryServiceConfig). Wine writes the full path.
 */
import path from 'node:path';

/** The Windows folder of this machine (Wine sets SystemRoot too). */
export const systemRoot = (): string => process.env.SystemRoot ?? 'C:\\Windows';

export function binaryPathOnDisk(binaryPath: string, windowsFolder = systemRoot()): string {
  const raw = binaryPath.trim().replace(/^"|"$/g, '');
  if (/^\\\?\?\\/.test(raw)) return raw.slice(4);
  if (/^\\SystemRoot\\/i.test(raw))
    return path.win32.join(windowsFolder, raw.slice('\\SystemRoot\\'.length));
  if (/^%SystemRoot%\\/i.test(raw))
    return path.win32.join(windowsFolder, raw.slice('%SystemRoot%\\'.length));
  if (/^%windir%\\/i.test(raw))
    return path.win32.join(windowsFolder, raw.slice('%windir%\\'.length));
  if (!/^[A-Za-z]:\\|^\\\\/.test(raw)) return path.win32.join(windowsFolder, raw);
  return raw;
}
