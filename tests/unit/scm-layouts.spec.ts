import { expect, test } from '@playwright/test';
import {
  decodeEnumServiceStatusProcess,
  decodeQueryServiceConfig,
  decodeServiceDescription,
  decodeServiceStatusProcess,
} from '../../src/windows/scm/scm-layouts.ts';
import {
  controlsAcceptedNames,
  isPending,
  serviceTypeNames,
  stateName,
} from '../../src/windows/scm/status.ts';

/** Builds a buffer as the SCM lays it out: fixed part first, strings after, pointers absolute. */
class FakeScmBuffer {
  readonly base = 0x1_0000_2000n;
  readonly bytes = new Uint8Array(1024);
  private cursor: number;
  private readonly dv = new DataView(this.bytes.buffer);
  constructor(fixedSize: number) {
    this.cursor = fixedSize;
  }
  u32(offset: number, value: number) {
    this.dv.setUint32(offset, value, true);
  }
  ptr(offset: number, value: bigint) {
    this.dv.setBigUint64(offset, value, true);
  }
  /** Appends a UTF-16LE string (or a double-NUL list) and returns its absolute address. */
  wide(...items: string[]): bigint {
    const at = this.cursor;
    for (const item of items) {
      Buffer.from(`${item}\0`, 'utf16le').copy(this.bytes, this.cursor);
      this.cursor += (item.length + 1) * 2;
    }
    if (items.length > 1 || items.length === 0) this.cursor += 2;
    return this.base + BigInt(at);
  }
}

test('decodes SERVICE_STATUS_PROCESS (36 bytes)', () => {
  const b = new FakeScmBuffer(36);
  [1, 3, 5, 1053, 0, 2, 10_000, 4242, 0].forEach((v, i) => b.u32(i * 4, v));
  expect(decodeServiceStatusProcess(b.bytes)).toEqual({
    type: 1,
    state: 3,
    stateName: 'STOP_PENDING',
    controlsAccepted: 5,
    win32ExitCode: 1053,
    serviceSpecificExitCode: 0,
    checkPoint: 2,
    waitHint: 10_000,
    processId: 4242,
    serviceFlags: 0,
  });
});

test('refuses a status buffer that is too short', () => {
  expect(() => decodeServiceStatusProcess(new Uint8Array(20))).toThrow(/needs 36 bytes/);
});

test('decodes QUERY_SERVICE_CONFIGW with its embedded string pointers', () => {
  const b = new FakeScmBuffer(64);
  b.u32(0, 1);
  b.u32(4, 3);
  b.u32(8, 1);
  b.ptr(16, b.wide('C:\\drvcycle\\images\\ab12\\My Drïver.sys'));
  b.ptr(24, b.wide('drvcycle group'));
  b.u32(32, 7);
  b.ptr(40, b.wide('dep1', 'dep2'));
  b.ptr(48, b.wide('LocalSystem'));
  b.ptr(56, b.wide('dc_x (drvcycle:run=r1)'));
  expect(decodeQueryServiceConfig(b.bytes, b.base)).toEqual({
    type: 1,
    startType: 3,
    errorControl: 1,
    binaryPath: 'C:\\drvcycle\\images\\ab12\\My Drïver.sys',
    loadOrderGroup: 'drvcycle group',
    tagId: 7,
    dependencies: ['dep1', 'dep2'],
    startName: 'LocalSystem',
    displayName: 'dc_x (drvcycle:run=r1)',
  });
});

test('NULL string pointers decode as empty', () => {
  const b = new FakeScmBuffer(64);
  const config = decodeQueryServiceConfig(b.bytes, b.base);
  expect(config.binaryPath).toBe('');
  expect(config.dependencies).toEqual([]);
  expect(decodeServiceDescription(b.bytes, b.base)).toBe('');
});

test('a pointer outside the buffer is an error, not a read of foreign memory', () => {
  const b = new FakeScmBuffer(64);
  b.ptr(16, b.base + 4096n);
  expect(() => decodeQueryServiceConfig(b.bytes, b.base)).toThrow(/outside the buffer/);
});

test('decodes SERVICE_DESCRIPTIONW', () => {
  const b = new FakeScmBuffer(8);
  b.ptr(0, b.wide('Driver under test. drvcycle:run=abc'));
  expect(decodeServiceDescription(b.bytes, b.base)).toBe('Driver under test. drvcycle:run=abc');
});

test('decodes ENUM_SERVICE_STATUS_PROCESSW entries (56 bytes each)', () => {
  const b = new FakeScmBuffer(112);
  b.ptr(0, b.wide('dc_one'));
  b.ptr(8, b.wide('dc_one (drvcycle:run=r1)'));
  b.u32(16, 1);
  b.u32(20, 4);
  b.ptr(56, b.wide('Beep'));
  b.ptr(64, b.wide('Beep'));
  b.u32(72, 1);
  b.u32(76, 1);
  const services = decodeEnumServiceStatusProcess(b.bytes, b.base, 2);
  expect(services.map((s) => [s.name, s.displayName, s.status.stateName])).toEqual([
    ['dc_one', 'dc_one (drvcycle:run=r1)', 'RUNNING'],
    ['Beep', 'Beep', 'STOPPED'],
  ]);
});

test('state, type and control names', () => {
  expect(stateName(1)).toBe('STOPPED');
  expect(stateName(4)).toBe('RUNNING');
  expect(stateName(9)).toBe('UNKNOWN(9)');
  expect(isPending(2) && isPending(3)).toBe(true);
  expect(isPending(1) || isPending(4)).toBe(false);
  expect(serviceTypeNames(0x1)).toEqual(['KERNEL_DRIVER']);
  expect(serviceTypeNames(0x2)).toEqual(['FILE_SYSTEM_DRIVER']);
  expect(serviceTypeNames(0x400)).toEqual(['UNKNOWN(0x400)']);
  expect(controlsAcceptedNames(0x5)).toEqual(['STOP', 'SHUTDOWN']);
});
