import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { readCrashDumps } from '../../src/windows/events/crash-dumps.ts';
import { scratchDir } from './scratch.ts';

/** A DUMP_HEADER64 as the published layout has it: "PAGE" "DU64", BugCheckCode@0x38, parameters@0x40. */
function dumpHeader(code: number, parameters: bigint[]): Uint8Array {
  const bytes = new Uint8Array(0x2000);
  bytes.set(new TextEncoder().encode('PAGEDU64'), 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(0x38, code, true);
  parameters.forEach((p, i) => view.setBigUint64(0x40 + 8 * i, p, true));
  view.setUint32(0xf98, 2, true);
  return bytes;
}

test('crash dumps written since the test began become trouble events with their bugcheck', async () => {
  const windows = scratchDir('drvcycle-windows-');
  mkdirSync(path.join(windows, 'Minidump'));
  const since = new Date(Date.now() - 60_000);
  writeFileSync(path.join(windows, 'MEMORY.DMP'), dumpHeader(0xc4, [0x62n, 0xffffn, 0x100n, 2n]));
  writeFileSync(path.join(windows, 'Minidump', 'old.dmp'), dumpHeader(0x50, [1n, 2n, 3n, 4n]));
  const old = new Date(since.getTime() - 3_600_000);
  utimesSync(path.join(windows, 'Minidump', 'old.dmp'), old, old);
  writeFileSync(path.join(windows, 'Minidump', 'broken.dmp'), new TextEncoder().encode('MDMP'));

  const events = await readCrashDumps(since, windows);
  expect(events.map((e) => e.line).sort()).toEqual([
    `crash dump ${path.join(windows, 'MEMORY.DMP')}: bugcheck 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION (0x62, 0xFFFF, 0x100, 0x2)`,
    `crash dump ${path.join(windows, 'Minidump', 'broken.dmp')}: header unreadable (Not a 64-bit Windows crash dump: the header starts with "MDMP", not "PAGEDU64".)`,
  ]);
  expect(events.every((e) => e.trouble && e.source === 'crash dump')).toBe(true);
});

test('no dump folder and no MEMORY.DMP: no events', async () => {
  const windows = scratchDir('drvcycle-windows-');
  expect(await readCrashDumps(new Date(0), windows)).toEqual([]);
});
