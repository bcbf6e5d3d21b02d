import { expect, test } from '@playwright/test';
import {
  bugCheckName,
  describeBugCheck,
  parseDumpHeader,
} from '../../src/windows/nt/crash-dump.ts';
import {
  decodePerformanceInformation,
  decodePoolTagInformation,
  decodeTag,
  decodeVerifierInformation,
  encodeTag,
} from '../../src/windows/nt/nt-layouts.ts';

/** A SYSTEM_POOLTAG_INFORMATION buffer laid out as NtQuerySystemInformation(22) returns it on x64. */
function poolTagBuffer(
  entries: {
    tag: string;
    pagedAllocs: number;
    pagedFrees: number;
    pagedUsed: bigint;
    nonPagedAllocs: number;
    nonPagedFrees: number;
    nonPagedUsed: bigint;
  }[],
): Uint8Array {
  const bytes = new Uint8Array(8 + 40 * entries.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, entries.length, true);
  entries.forEach((e, i) => {
    const at = 8 + 40 * i;
    view.setUint32(at, encodeTag(e.tag), true);
    view.setUint32(at + 4, e.pagedAllocs, true);
    view.setUint32(at + 8, e.pagedFrees, true);
    view.setBigUint64(at + 16, e.pagedUsed, true);
    view.setUint32(at + 24, e.nonPagedAllocs, true);
    view.setUint32(at + 28, e.nonPagedFrees, true);
    view.setBigUint64(at + 32, e.nonPagedUsed, true);
  });
  return bytes;
}

test('pool tags decode as their four characters, in memory order', () => {
  expect(encodeTag('DcLs')).toBe(0x734c6344);
  expect(decodeTag(0x734c6344)).toBe('DcLs');
  expect(decodeTag(0x00000001)).toBe('....');
  expect(() => encodeTag('abc')).toThrow('A pool tag has 4 characters, got "abc".');
});

test('SYSTEM_POOLTAG_INFORMATION: count, then 40-byte entries', () => {
  const bytes = poolTagBuffer([
    {
      tag: 'DcLs',
      pagedAllocs: 0,
      pagedFrees: 0,
      pagedUsed: 0n,
      nonPagedAllocs: 300,
      nonPagedFrees: 0,
      nonPagedUsed: 76_800n,
    },
    {
      tag: 'Irp ',
      pagedAllocs: 5,
      pagedFrees: 4,
      pagedUsed: 280n,
      nonPagedAllocs: 1_000_000,
      nonPagedFrees: 999_990,
      nonPagedUsed: 2_800n,
    },
  ]);
  expect(decodePoolTagInformation(bytes)).toEqual([
    {
      tag: 'DcLs',
      pagedAllocs: 0,
      pagedFrees: 0,
      pagedUsed: 0,
      nonPagedAllocs: 300,
      nonPagedFrees: 0,
      nonPagedUsed: 76_800,
    },
    {
      tag: 'Irp ',
      pagedAllocs: 5,
      pagedFrees: 4,
      pagedUsed: 280,
      nonPagedAllocs: 1_000_000,
      nonPagedFrees: 999_990,
      nonPagedUsed: 2_800,
    },
  ]);
  expect(() => decodePoolTagInformation(bytes.slice(0, 40))).toThrow(
    /says 2 tags, but the buffer holds only 0/,
  );
});

test('PERFORMANCE_INFORMATION: page counts become bytes', () => {
  const bytes = new Uint8Array(104);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 104, true);
  view.setBigUint64(8, 100_000n, true); // CommitTotal (pages)
  view.setBigUint64(16, 2_000_000n, true); // CommitLimit
  view.setBigUint64(32, 4_000_000n, true); // PhysicalTotal
  view.setBigUint64(40, 3_000_000n, true); // PhysicalAvailable
  view.setBigUint64(56, 60_000n, true); // KernelTotal
  view.setBigUint64(64, 40_000n, true); // KernelPaged
  view.setBigUint64(72, 20_000n, true); // KernelNonpaged
  view.setBigUint64(80, 4096n, true); // PageSize
  view.setUint32(88, 52_000, true);
  view.setUint32(92, 180, true);
  view.setUint32(96, 2_400, true);
  expect(decodePerformanceInformation(bytes)).toEqual({
    commitTotalBytes: 409_600_000,
    commitLimitBytes: 8_192_000_000,
    physicalTotalBytes: 16_384_000_000,
    physicalAvailableBytes: 12_288_000_000,
    kernelTotalBytes: 245_760_000,
    kernelPagedBytes: 163_840_000,
    kernelNonpagedBytes: 81_920_000,
    pageSize: 4096,
    handleCount: 52_000,
    processCount: 180,
    threadCount: 2_400,
  });
  expect(() => decodePerformanceInformation(new Uint8Array(64))).toThrow(/needs 104 bytes/);
});

test('SYSTEM_VERIFIER_INFORMATION: entries chained by NextEntryOffset, names by pointer', () => {
  const base = 0x2_0000_0000n;
  const bytes = new Uint8Array(2 * 144 + 64);
  const view = new DataView(bytes.buffer);
  const names = ['leak_small.sys', 'clean.sys'];
  let nameAt = 288;
  names.forEach((name, i) => {
    const at = i * 144;
    view.setUint32(at, i === 0 ? 144 : 0, true);
    view.setUint16(at + 24, name.length * 2, true);
    view.setUint16(at + 26, name.length * 2 + 2, true);
    view.setBigUint64(at + 32, base + BigInt(nameAt), true);
    Buffer.from(name, 'utf16le').copy(bytes, nameAt);
    nameAt += name.length * 2 + 2;
    view.setUint32(at + 84, 12, true);
    view.setUint32(at + 88, 11, true);
    view.setUint32(at + 100, i === 0 ? 12 : 0, true);
    view.setBigUint64(at + 120, i === 0 ? 3072n : 0n, true);
    view.setBigUint64(at + 136, i === 0 ? 3072n : 4096n, true);
  });
  expect(decodeVerifierInformation(bytes, base)).toEqual([
    {
      driver: 'leak_small.sys',
      loads: 12,
      unloads: 11,
      currentPagedAllocations: 0,
      currentNonPagedAllocations: 12,
      pagedBytes: 0,
      nonPagedBytes: 3072,
      peakPagedBytes: 0,
      peakNonPagedBytes: 3072,
    },
    {
      driver: 'clean.sys',
      loads: 12,
      unloads: 11,
      currentPagedAllocations: 0,
      currentNonPagedAllocations: 0,
      pagedBytes: 0,
      nonPagedBytes: 0,
      peakPagedBytes: 0,
      peakNonPagedBytes: 4096,
    },
  ]);
  expect(() => decodeVerifierInformation(bytes.slice(0, 100), base)).toThrow(/runs past the/);
  // Parsing stays within the returned length, whatever else the buffer holds.
  expect(() => decodeVerifierInformation(bytes, base, { returnedLength: 100 })).toThrow(
    /runs past the 100 bytes returned/,
  );
});

test('before Windows 10 19H1 the Verifier entry is 128 bytes, every field after Level 16 earlier', () => {
  // Build the old layout from its published offsets: DriverName @8 (Buffer @16), Loads @68,
  // CurrentPagedPoolAllocations @80, PagedPoolUsageInBytes @96.
  const base = 0x20000n;
  const bytes = new Uint8Array(512);
  const view = new DataView(bytes.buffer);
  const name = 'old.sys';
  view.setUint32(0, 0, true);
  view.setUint16(8, name.length * 2, true);
  view.setUint16(10, name.length * 2 + 2, true);
  view.setBigUint64(16, base + 256n, true);
  Buffer.from(name, 'utf16le').copy(bytes, 256);
  view.setUint32(68, 5, true);
  view.setUint32(72, 4, true);
  view.setUint32(80, 2, true);
  view.setUint32(84, 3, true);
  view.setBigUint64(96, 512n, true);
  view.setBigUint64(104, 768n, true);
  expect(decodeVerifierInformation(bytes, base, { build: 17763 })).toEqual([
    {
      driver: 'old.sys',
      loads: 5,
      unloads: 4,
      currentPagedAllocations: 2,
      currentNonPagedAllocations: 3,
      pagedBytes: 512,
      nonPagedBytes: 768,
      peakPagedBytes: 0,
      peakNonPagedBytes: 0,
    },
  ]);
  // Read with the new layout, the same bytes name no driver: what the old decoder reported.
  expect(decodeVerifierInformation(bytes, base, { build: 18362 })[0]!.driver).toBe('');
});

test('a crash dump header gives the bugcheck code and its four parameters', () => {
  const bytes = new Uint8Array(0x2000);
  Buffer.from('PAGEDU64', 'latin1').copy(bytes, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(0x38, 0xc4, true);
  view.setBigUint64(0x40, 0x62n, true);
  view.setBigUint64(0x48, 0xfffff80012345678n, true);
  view.setBigUint64(0x50, 0xffffc00012340000n, true);
  view.setBigUint64(0x58, 0x3n, true);
  view.setUint32(0xf98, 2, true);
  const header = parseDumpHeader(bytes);
  expect(header).toMatchObject({
    bugCheckCode: 0xc4,
    bugCheckName: 'DRIVER_VERIFIER_DETECTED_VIOLATION',
    dumpType: 2,
  });
  expect(describeBugCheck(header)).toBe(
    'bugcheck 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION (0x62, 0xFFFFF80012345678, 0xFFFFC00012340000, 0x3)',
  );
  expect(bugCheckName(0x1234)).toBe('BUGCHECK_0x1234');
  expect(() => parseDumpHeader(new TextEncoder().encode('MDMP' + ' '.repeat(100)))).toThrow(
    'Not a 64-bit Windows crash dump: the header starts with "MDMP    ", not "PAGEDU64".',
  );
});
