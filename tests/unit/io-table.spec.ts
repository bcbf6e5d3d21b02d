/**
 * The I/O table: the issue's shape works as written, every field is checked with a message that
 * names the field and the fix, a subset of the operations is a table, and a call's status is held
 * against what its operation expects. Also DRIVER_IO / driverUnderTest.io / a manifest line's io.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { peImage } from './pe-fixtures.ts';
import { ConfigError } from '../../src/core/errors.ts';
import {
  describeExpect,
  describeIoctl,
  describeOperation,
  describeStatus,
  hexBytes,
  parseIoTable,
  statusExpected,
  STATUS_CANCELLED,
  withOperations,
} from '../../src/core/io-table.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { parseManifest } from '../../src/config/manifest.ts';
import { readIoTable } from '../../src/config/io-settings.ts';
import { packagePaths } from '../../src/core/paths.ts';
import { scratchDir } from './scratch.ts';

const ISSUE_TABLE = {
  device: '\\\\.\\Name',
  operations: [
    { name: 'get', ioctl: '0x222000', outputSize: 4 },
    { name: 'alloc', ioctl: '0x222004', inputHex: '00ff' },
  ],
};

function refusal(table: unknown): string {
  try {
    parseIoTable(table, 'io.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    return `${e.problem} | ${e.hint}`;
  }
  throw new Error('Expected the table to be refused.');
}

test("the issue's table parses as written, defaults filled in", () => {
  // JSON's "\\\\.\\Name" is the string \\.\Name.
  const parsed = parseIoTable(JSON.parse(JSON.stringify(ISSUE_TABLE)), 'io.json');
  expect(parsed).toEqual({
    device: '\\\\.\\Name',
    everyCycles: 1,
    openTimeoutMs: 5000,
    operations: [
      {
        kind: 'ioctl',
        name: 'get',
        ioctl: 0x222000,
        inputHex: '',
        inputSize: 0,
        outputSize: 4,
        expect: ['success'],
        timeoutMs: 5000,
        repeat: 1,
      },
      {
        kind: 'ioctl',
        name: 'alloc',
        ioctl: 0x222004,
        inputHex: '00ff',
        inputSize: 2,
        outputSize: 0,
        expect: ['success'],
        timeoutMs: 5000,
        repeat: 1,
      },
    ],
  });
  // The checked table is plain JSON and a table as written: it parses to itself (the agent
  // checks it again; a reproduction saves a subset of it).
  expect(parseIoTable(JSON.parse(JSON.stringify(parsed)), 'wire')).toEqual(parsed);
});

test('reads, writes, a device interface, expected statuses, cancels, repeats and fuzz', () => {
  const table = parseIoTable(
    {
      deviceInterface: '6a0f1e2d-0000-4c3b-9a1d-00aa00bb00cc',
      everyCycles: 5,
      openTimeoutMs: 250,
      fuzz: { seed: 42 },
      operations: [
        { name: 'read', read: 16, cancelAfterMs: 50, timeoutMs: 2000 },
        { name: 'write', write: '01 02 03', expect: ['success', 'STATUS_BUFFER_TOO_SMALL'] },
        { name: 'bad', ioctl: 2236419, inputSize: 8, expect: 'ERROR_INVALID_PARAMETER', repeat: 3 },
        { name: 'hexstatus', ioctl: '0x22200C', expect: ['0xC000000D', 87, 'any'] },
      ],
    },
    'io.json',
  );
  expect(table.deviceInterface).toBe('{6A0F1E2D-0000-4C3B-9A1D-00AA00BB00CC}');
  expect(table.everyCycles).toBe(5);
  expect(table.openTimeoutMs).toBe(250);
  expect(table.fuzz).toEqual({ seed: 42, randomCalls: 4 });
  const [read, write, bad, hex] = table.operations;
  expect(read).toMatchObject({ kind: 'read', read: 16, cancelAfterMs: 50 });
  expect(read!.expect).toEqual([{ ntstatus: STATUS_CANCELLED }]);
  expect(write).toMatchObject({ kind: 'write', write: '010203' });
  expect(write!.expect).toEqual(['success', { ntstatus: 0xc0000023 }]);
  expect(bad).toMatchObject({ ioctl: 0x222003, inputSize: 8, inputHex: '', repeat: 3 });
  expect(bad!.expect).toEqual([{ win32: 87 }]);
  expect(hex!.expect).toEqual([{ ntstatus: 0xc000000d }, { win32: 87 }, 'any']);
  expect(parseIoTable(JSON.parse(JSON.stringify(table)), 'again')).toEqual(table);
  expect(() =>
    parseIoTable({ device: '\\\\.\\A', operations: [{ kind: 'read', name: 'a', ioctl: 1 }] }, 'x'),
  ).toThrow('x operations[0] (a): "kind" "read" is not its call (ioctl).');
});

test('every bad field is refused with what it takes', () => {
  expect(refusal([])).toContain('io.json is not a JSON object.');
  expect(refusal({ operations: [{ name: 'a', read: 1 }] })).toContain(
    'io.json: the table names no device. | Give one: "device"',
  );
  expect(
    refusal({ device: '\\\\.\\A', deviceInterface: '{x}', operations: [{ name: 'a', read: 1 }] }),
  ).toContain('both a device and a deviceInterface');
  expect(refusal({ device: 'C:\\x', operations: [{ name: 'a', read: 1 }] })).toBe(
    'io.json: "device" "C:\\\\x" is not a Win32 device path. | Write it as CreateFileW takes it: \\\\.\\MyDevice (in JSON "\\\\\\\\.\\\\MyDevice"), the name after \\DosDevices\\ or \\??\\ in your driver.',
  );
  expect(refusal({ deviceInterface: 'nope', operations: [{ name: 'a', read: 1 }] })).toContain(
    '"deviceInterface" "nope" is not a GUID',
  );
  expect(refusal({ device: '\\\\.\\A', operations: [] })).toContain(
    '"operations" must be a non-empty list',
  );
  expect(refusal({ device: '\\\\.\\A', operatons: [] })).toContain(
    'io.json has unknown field operatons. | It takes: device, deviceInterface, everyCycles, openTimeoutMs, operations, fuzz.',
  );
  const op = (o: object) => refusal({ device: '\\\\.\\A', operations: [o] });
  expect(op({ ioctl: '0x1' })).toBe(
    'io.json operations[0]: "name" is missing. | Name each operation with 1-64 letters, digits, "_", "." or "-": verdicts name it.',
  );
  expect(op({ name: 'a b', ioctl: '0x1' })).toContain('"name" "a b" is not allowed');
  expect(op({ name: 'a' })).toContain(
    'io.json operations[0] (a) says no call: an operation is one "ioctl", "read" or "write".',
  );
  expect(op({ name: 'a', ioctl: 1, read: 2 })).toContain('says ioctl and read');
  expect(op({ name: 'a', ioctl: 'CTL_CODE(1)' })).toContain(
    '"ioctl" "CTL_CODE(1)" is not a control code. | Give the IOCTL as CTL_CODE computes it, in hex',
  );
  expect(op({ name: 'a', ioctl: '0x100000000' })).toContain('is not a control code');
  expect(op({ name: 'a', ioctl: 1, inputHex: '0g' })).toContain(
    '"inputHex" "0g" is not bytes in hex',
  );
  expect(op({ name: 'a', ioctl: 1, inputHex: 'abc' })).toContain('is not bytes in hex');
  expect(op({ name: 'a', ioctl: 1, inputHex: 'aabb', inputSize: 1 })).toContain(
    '"inputSize" (1) is shorter than "inputHex" (2 bytes)',
  );
  expect(op({ name: 'a', read: 1, inputHex: '00' })).toContain(
    'io.json operations[0] (a) has unknown field inputHex. | It takes: kind, name, expect, timeoutMs, cancelAfterMs, repeat, read.',
  );
  expect(op({ name: 'a', read: -1 })).toContain(
    '"read" -1 is not allowed. | Give a whole number of bytes from 0 to 1048576.',
  );
  expect(op({ name: 'a', read: 1, expect: 'STATUS_NOPE' })).toContain(
    '"expect" "STATUS_NOPE" is not a status drvcycle knows',
  );
  expect(op({ name: 'a', read: 1, expect: [] })).toContain('"expect" is an empty list');
  expect(op({ name: 'a', read: 1, cancelAfterMs: 5000 })).toContain(
    '"cancelAfterMs" (5000) is not below its "timeoutMs" (5000)',
  );
  expect(
    refusal({
      device: '\\\\.\\A',
      operations: [
        { name: 'a', read: 1 },
        { name: 'a', read: 2 },
      ],
    }),
  ).toContain('two operations are named "a"');
  expect(
    refusal({ device: '\\\\.\\A', everyCycles: 0, operations: [{ name: 'a', read: 1 }] }),
  ).toContain('"everyCycles" 0 is not allowed');
  expect(
    refusal({ device: '\\\\.\\A', openTimeoutMs: 0, operations: [{ name: 'a', read: 1 }] }),
  ).toBe(
    'io.json: "openTimeoutMs" 0 is not allowed. | Give a whole number of milliseconds from 1 to 600000.',
  );
  expect(
    refusal({ device: '\\\\.\\A', fuzz: { seed: 2 ** 32 }, operations: [{ name: 'a', read: 1 }] }),
  ).toContain('io.json fuzz: "seed" 4294967296 is not allowed');
});

test('a subset of the operations, in the table order, is a table', () => {
  const table = parseIoTable(
    {
      device: '\\\\.\\A',
      operations: [
        { name: 'a', read: 1 },
        { name: 'b', read: 2 },
        { name: 'c', read: 3 },
      ],
    },
    'io.json',
  );
  const subset = withOperations(table, ['c', 'a']);
  expect(subset.operations.map((op) => op.name)).toEqual(['a', 'c']);
  expect(parseIoTable(JSON.parse(JSON.stringify(subset)), 'repro.json')).toEqual(subset);
  expect(() => withOperations(table, ['z'])).toThrow('The I/O table has no operation "z".');
  expect(() => withOperations(table, [])).toThrow('An I/O table needs at least one operation.');
});

test('control codes, operations, statuses and expectations read as a verdict names them', () => {
  expect(describeIoctl(0x222000)).toBe(
    '0x00222000 (device 0x22, function 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)',
  );
  expect(describeIoctl(0x22e00b)).toBe(
    '0x0022E00B (device 0x22, function 0x802, METHOD_NEITHER, FILE_READ_ACCESS|FILE_WRITE_ACCESS)',
  );
  const table = parseIoTable(
    {
      device: '\\\\.\\A',
      operations: [
        { name: 'alloc', ioctl: '0x222004' },
        { name: 'r', read: 16 },
        { name: 'w', write: 'aa' },
      ],
    },
    'x',
  );
  expect(table.operations.map(describeOperation)).toEqual([
    'alloc (IOCTL 0x00222004 (device 0x22, function 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS))',
    'r (ReadFile 16 bytes)',
    'w (WriteFile 1 bytes)',
  ]);
  expect(describeStatus({ ntstatus: 0xc000000d, win32: 87 })).toBe(
    '0xC000000D STATUS_INVALID_PARAMETER (Win32 87 ERROR_INVALID_PARAMETER)',
  );
  expect(describeStatus({ ntstatus: null, win32: 1 })).toBe(
    'Win32 1 ERROR_INVALID_FUNCTION (NTSTATUS not read)',
  );
  expect(describeExpect(['success', { ntstatus: 0xc0000023 }, { win32: 87 }])).toBe(
    'success or 0xC0000023 STATUS_BUFFER_TOO_SMALL or Win32 87 ERROR_INVALID_PARAMETER',
  );
  expect(hexBytes('00ff', 4)).toEqual(new Uint8Array([0, 255, 0, 0]));
});

test("a call's status against its expectations", () => {
  const ok = { ntstatus: 0, win32: 0 };
  const invalid = { ntstatus: 0xc000000d, win32: 87 };
  expect(statusExpected(ok, ['success'])).toBe(true);
  expect(statusExpected(invalid, ['success'])).toBe(false);
  // A warning status is not a success; an informational one is.
  expect(statusExpected({ ntstatus: 0x80000005, win32: 234 }, ['success'])).toBe(false);
  expect(statusExpected({ ntstatus: 0x103, win32: 997 }, ['success'])).toBe(false);
  expect(statusExpected({ ntstatus: null, win32: 0 }, ['success'])).toBe(true);
  expect(statusExpected(invalid, [{ ntstatus: 0xc000000d }])).toBe(true);
  expect(statusExpected(invalid, [{ win32: 87 }])).toBe(true);
  expect(statusExpected({ ntstatus: null, win32: 87 }, [{ ntstatus: 0xc000000d }])).toBe(false);
  expect(statusExpected(invalid, ['any'])).toBe(true);
  expect(statusExpected(invalid, ['success', { win32: 87 }])).toBe(true);
});

test('DRIVER_IO beats driverUnderTest.io, which takes a file or the table; a manifest line takes io', () => {
  const dir = scratchDir('drvcycle-io-');
  const image = path.join(dir, 'd.sys');
  writeFileSync(image, peImage());
  const file = path.join(dir, 'io.json');
  writeFileSync(file, JSON.stringify(ISSUE_TABLE));
  const other = path.join(dir, 'other.json');
  writeFileSync(
    other,
    JSON.stringify({ device: '\\\\.\\Other', operations: [{ name: 'r', read: 1 }] }),
  );

  const inline = resolveSettings({ driverUnderTest: { imagePath: image, io: ISSUE_TABLE } }, {});
  expect(inline.driver.io?.device).toBe('\\\\.\\Name');
  const fromFile = resolveSettings({ driverUnderTest: { imagePath: image, io: file } }, {});
  expect(fromFile.driver.io?.operations.map((op) => op.name)).toEqual(['get', 'alloc']);
  const env = resolveSettings(
    { driverUnderTest: { imagePath: image, io: file } },
    { DRIVER_IO: other },
  );
  expect(env.driver.io?.device).toBe('\\\\.\\Other');
  expect(resolveSettings({ driverUnderTest: { imagePath: image } }, {}).driver.io).toBeUndefined();

  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, '{"device": "\\\\.\\X", operations: []}');
  expect(() =>
    resolveSettings({ driverUnderTest: { imagePath: image } }, { DRIVER_IO: bad }),
  ).toThrow(`DRIVER_IO=${bad}: ${bad} is not JSON`);
  const missing = path.join(dir, 'missing.json');
  expect(() =>
    resolveSettings({ driverUnderTest: { imagePath: image } }, { DRIVER_IO: missing }),
  ).toThrow(`DRIVER_IO=${missing}: ${missing} cannot be read (ENOENT).`);
  expect(() =>
    resolveSettings({ driverUnderTest: { imagePath: image, io: { operations: [] } } }, {}),
  ).toThrow('driverUnderTest.io: the table names no device.');

  const [line] = parseManifest(
    '{"image": "d.sys", "io": "io.json"}\n',
    path.join(dir, 'drivers.jsonl'),
  );
  expect(line!.io).toBe(file);
  const fromManifest = resolveSettings(
    { profile: 'nightly', driverUnderTest: line },
    { DRIVER_IO: other },
  );
  expect(fromManifest.driver.io?.device).toBe('\\\\.\\Name');
});

test("the I/O samples' tables (drivers/io) are valid tables for their drivers' devices", () => {
  const folder = packagePaths.driverIoTables();
  const devices: Record<string, { device?: string; deviceInterface?: string }> = {
    'io_clean.json': { device: '\\\\.\\DcIoClean' },
    'io_leak_ioctl.json': { device: '\\\\.\\DcIoLeak' },
    'io_crash_short.json': { device: '\\\\.\\DcIoCrash' },
    'io_pending_read.json': { device: '\\\\.\\DcIoPend' },
    'io_pending_read.cancel.json': { device: '\\\\.\\DcIoPend' },
    'io_hang_create.json': { device: '\\\\.\\DcIoHangCreate' },
    'io_slow_close.json': { device: '\\\\.\\DcIoSlowClose' },
    // pnp_io.c's interface class (IoRegisterDeviceInterface).
    'pnp_io.json': { deviceInterface: '{5C0F3A52-7D1E-4B8C-9E2A-1D3C5B7A9F01}' },
  };
  expect(readdirSync(folder).sort()).toEqual(Object.keys(devices).sort());
  for (const [file, device] of Object.entries(devices))
    expect(readIoTable(path.join(folder, file), file)).toMatchObject(device);
});
