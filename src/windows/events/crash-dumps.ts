/**
 * Crash dumps written since a moment, as events: C:\Windows\MEMORY.DMP and the minidumps in
 * C:\Windows\Minidump, each header decoded to its bugcheck code and parameters. A machine that
 * bugchecked writes one while it goes down; the agent reads it once the machine is back.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeBugCheck, parseDumpHeader } from '../nt/crash-dump.ts';
import { systemRoot } from '../scm/binary-path.ts';
import type { DecodedEvent } from './decode.ts';

/** DUMP_HEADER64 fills the first page: everything drvcycle reads lies in its first 4 KiB. */
const HEADER_BYTES = 0x1000;

async function dumpFiles(windowsDir: string): Promise<string[]> {
  const minidumps = path.join(windowsDir, 'Minidump');
  const names = await readdir(minidumps).catch(() => [] as string[]);
  return [
    path.join(windowsDir, 'MEMORY.DMP'),
    ...names.filter((n) => n.toLowerCase().endsWith('.dmp')).map((n) => path.join(minidumps, n)),
  ];
}

async function readHeader(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export async function readCrashDumps(
  since: Date,
  windowsDir = systemRoot(),
): Promise<DecodedEvent[]> {
  const events: DecodedEvent[] = [];
  for (const file of await dumpFiles(windowsDir)) {
    const info = await stat(file).catch(() => undefined);
    if (!info || info.mtime < since) continue;
    let line: string;
    try {
      line = `crash dump ${file}: ${describeBugCheck(parseDumpHeader(await readHeader(file)))}`;
    } catch (error) {
      line = `crash dump ${file}: header unreadable (${(error as Error).message})`;
    }
    events.push({
      time: info.mtime.toISOString(),
      source: 'crash dump',
      id: 0,
      line,
      trouble: true,
    });
  }
  return events;
}
