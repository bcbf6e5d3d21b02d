/**
 * Function names from the sample drivers as the lab builds them (after lab-setup: a fresh clone has
 * no drivers/build while the unit tests run), unstripped and stripped with mingw's strip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { readImageSymbols } from '../../src/core/pe-symbols.ts';
import { sampleDriver } from '../../src/core/paths.ts';

const built = (name: string) => sampleDriver(name);

test('an unstripped mingw image names its functions from the COFF symbols', () => {
  const symbols = readImageSymbols(readFileSync(built('device_legacy')));
  const names = symbols.symbols.filter((s) => s.source === 'coff').map((s) => s.name);
  expect(names).toEqual(
    expect.arrayContaining(['DriverEntry', 'DeviceUnload', 'DeviceCreateClose']),
  );
  const entry = symbols.symbols.find((s) => s.name === 'DriverEntry')!;
  // A return address inside DriverEntry, and its first byte.
  expect(symbols.functionAt(entry.rva + 0x1c)).toBe('DriverEntry');
  expect(symbols.functionAt(entry.rva)).toBe('DriverEntry');
  const unload = symbols.symbols.find((s) => s.name === 'DeviceUnload')!;
  expect(symbols.functionAt(unload.rva + 4)).toBe('DeviceUnload');
  // Outside every code section: no name.
  expect(symbols.functionAt(0x10)).toBeUndefined();
});

test('leak_small’s allocation site is in DriverEntry', () => {
  const symbols = readImageSymbols(readFileSync(built('leak_small')));
  const entry = symbols.symbols.find((s) => s.name === 'DriverEntry')!;
  expect(symbols.functionAt(entry.rva + 0x1c)).toBe('DriverEntry');
});

test('a stripped image names only its exports (the entry point), and no label or thunk', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pe-symbols-'));
  const stripped = path.join(dir, 'device_legacy.sys');
  execFileSync('x86_64-w64-mingw32-strip', ['-o', stripped, built('device_legacy')]);
  const symbols = readImageSymbols(readFileSync(stripped));
  expect(symbols.symbols.map((s) => [s.name, s.source])).toEqual([['DriverEntry', 'export']]);
  const full = readImageSymbols(readFileSync(built('device_legacy')));
  const unload = full.symbols.find((s) => s.name === 'DeviceUnload')!;
  // DeviceUnload lies below DriverEntry: with the COFF symbols gone, nothing names it.
  expect(symbols.functionAt(unload.rva + 4)).toBeUndefined();
});
