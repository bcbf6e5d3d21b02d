/**
 * The Linux processes that belong to one Wine prefix (wineserver, services.exe, winedevice.exe,
 * the agent), found by the WINEPREFIX in their environment: what must be gone when a lab machine
 * is released.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function processesOfPrefix(prefix: string): number[] {
  const wanted = `WINEPREFIX=${path.resolve(prefix)}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (environ.includes(wanted) || environ.includes(`${wanted}/`)) pids.push(Number(entry));
    } catch {
      // gone already, or not ours to read
    }
  }
  return pids;
}

/** SIGKILLs whatever is left of the prefix and says which processes those were. */
export function killPrefixProcesses(prefix: string): number[] {
  const left = processesOfPrefix(prefix).filter((pid) => pid !== process.pid);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  return left;
}

/** A Wine process's image as Wine names it in argv[0] (`C:\windows\system32\…`); '' once gone. */
export function wineImageOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    return '';
  }
}

/** The prefix's driver hosts (winedevice.exe), by their Linux process ids. */
export function driverHostsOfPrefix(prefix: string): number[] {
  return processesOfPrefix(prefix).filter((pid) => /\\winedevice\.exe$/i.test(wineImageOf(pid)));
}
