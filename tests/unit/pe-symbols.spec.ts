import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { readImageSymbols } from '../../src/core/pe-symbols.ts';

test('bytes that are no PE image have no symbols', () => {
  const symbols = readImageSymbols(new TextEncoder().encode('not an image'));
  expect(symbols.symbols).toEqual([]);
  expect(symbols.functionAt(0x1000)).toBeUndefined();
});

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

test('a mingw image names its functions from its COFF symbols (device_legacy.sys as the lab built it)', () => {
  const symbols = readImageSymbols(fixture('device_legacy.sys'));
  expect(symbols.symbols.map((s) => [s.name, s.rva, s.source])).toEqual([
    ['DeviceUnload', 0x1000, 'coff'],
    ['DeviceCreateClose', 0x1050, 'coff'],
    ['DriverEntry', 0x1080, 'coff'],
    ['DbgPrint', 0x11d0, 'coff'],
  ]);
  expect(symbols.functionAt(0x1080)).toBe('DriverEntry');
  expect(symbols.functionAt(0x10c4)).toBe('DriverEntry');
  expect(symbols.functionAt(0x1004)).toBe('DeviceUnload');
  expect(symbols.functionAt(0x1060)).toBe('DeviceCreateClose');
  // Past the code section, or in a data section: no name.
  expect(symbols.functionAt(0x10)).toBeUndefined();
});

test('the same image stripped names only its export, DriverEntry', () => {
  const symbols = readImageSymbols(fixture('device_legacy.stripped.sys'));
  expect(symbols.symbols.map((s) => [s.name, s.rva, s.source])).toEqual([
    ['DriverEntry', 0x1080, 'export'],
  ]);
  expect(symbols.functionAt(0x10c4)).toBe('DriverEntry');
  // DeviceUnload lies below the one symbol left: the offset alone is shown.
  expect(symbols.functionAt(0x1004)).toBeUndefined();
});
