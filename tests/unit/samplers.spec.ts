/**
 * Driver Verifier's counters (SystemVerifierInformation, class 51) read from buffers laid out as
 * Windows returns them, and the samplers' logic: a sampler that cannot read or decode is
 * unavailable with its reason, and never takes the rest of a sample (or a batch) with it.
 * Offsets below come from phnt's ntexapi.h (github.com/winsiderss/phnt, commit 7e097448):
 * SYSTEM_VERIFIER_INFORMATION (19H1 on) and SYSTEM_VERIFIER_INFORMATION_LEGACY (pre-19H1), not
 * from drvcycle's decoder.
 */
import { expect, test } from '@playwright/test';
import type { Availability, PerformanceInfo } from '../../src/core/records.ts';
import { decodeVerifierInformation } from '../../src/windows/nt/nt-layouts.ts';
import {
  probeSamplers,
  takeSample,
  verifierReading,
  type SamplerReads,
} from '../../src/windows/nt/samplers.ts';

/** phnt's field offsets: the 19H1 entry has RuleClasses[2], TriageContext, AreAll… after Level. */
const LAYOUTS = {
  '19h1': { size: 144, DriverName: 24, Loads: 84, Unloads: 88, CurrentPaged: 96, PagedUsage: 112 },
  legacy: { size: 128, DriverName: 8, Loads: 68, Unloads: 72, CurrentPaged: 80, PagedUsage: 96 },
} as const;

interface Entry {
  name: string;
  loads: number;
  unloads: number;
  currentPaged: number;
  currentNonPaged: number;
  pagedBytes: bigint;
  nonPagedBytes: bigint;
}

/**
 * A class-51 buffer: entries chained by NextEntryOffset (0 in the last), each DriverName's Buffer
 * pointing at its text after the entries, as the kernel returns them. Returns the bytes, the
 * buffer's address and the length the call would return.
 */
function verifierBuffer(layout: keyof typeof LAYOUTS, entries: Entry[]) {
  const l = LAYOUTS[layout];
  const base = 0x1_2340_0000n;
  const bytes = new Uint8Array(64 * 1024);
  const view = new DataView(bytes.buffer);
  let nameAt = entries.length * l.size;
  entries.forEach((e, i) => {
    const at = i * l.size;
    view.setUint32(at, i < entries.length - 1 ? l.size : 0, true);
    view.setUint32(at + 4, 0x209bb, true); // Level: the standard flags
    view.setUint16(at + l.DriverName, e.name.length * 2, true);
    view.setUint16(at + l.DriverName + 2, e.name.length * 2 + 2, true);
    view.setBigUint64(at + l.DriverName + 8, base + BigInt(nameAt), true);
    Buffer.from(e.name, 'utf16le').copy(bytes, nameAt);
    nameAt += e.name.length * 2 + 2;
    view.setUint32(at + l.Loads, e.loads, true);
    view.setUint32(at + l.Unloads, e.unloads, true);
    view.setUint32(at + l.CurrentPaged, e.currentPaged, true);
    view.setUint32(at + l.CurrentPaged + 4, e.currentNonPaged, true);
    view.setBigUint64(at + l.PagedUsage, e.pagedBytes, true);
    view.setBigUint64(at + l.PagedUsage + 8, e.nonPagedBytes, true);
  });
  return { bytes, base, returned: nameAt };
}

const LEAKY: Entry = {
  name: 'leak_small.sys',
  loads: 12,
  unloads: 11,
  currentPaged: 0,
  currentNonPaged: 12,
  pagedBytes: 0n,
  nonPagedBytes: 3072n,
};
const CLEAN: Entry = {
  name: 'clean.sys',
  loads: 3,
  unloads: 3,
  currentPaged: 1,
  currentNonPaged: 0,
  pagedBytes: 64n,
  nonPagedBytes: 0n,
};
const counters = (e: Entry) => ({
  driver: e.name,
  loads: e.loads,
  unloads: e.unloads,
  currentPagedAllocations: e.currentPaged,
  currentNonPagedAllocations: e.currentNonPaged,
  pagedBytes: Number(e.pagedBytes),
  nonPagedBytes: Number(e.nonPagedBytes),
  peakPagedBytes: 0,
  peakNonPagedBytes: 0,
});

test('SystemVerifierInformation succeeding with a returned length of 0 is no entries, not an error', () => {
  // What Windows returns with no driver verified: STATUS_SUCCESS and ReturnLength 0, the buffer
  // untouched (here: zeros, so an entry read from it would be a nameless one).
  const bytes = new Uint8Array(64 * 1024);
  expect(decodeVerifierInformation(bytes, 0x1000n, { returnedLength: 0, build: 19045 })).toEqual(
    [],
  );
  expect(decodeVerifierInformation(bytes, 0x1000n, { returnedLength: 0, build: 17763 })).toEqual(
    [],
  );
  expect(verifierReading({ bytes, base: 0x1000n, returned: 0 }, 19045)).toEqual({
    ok: true,
    value: [],
  });
});

for (const [layout, build] of [
  ['19h1', 19045],
  ['legacy', 17763],
] as const) {
  test(`SystemVerifierInformation, ${layout} layout (build ${build}): one entry and two`, () => {
    const one = verifierBuffer(layout, [LEAKY]);
    expect(verifierReading(one, build)).toEqual({ ok: true, value: [counters(LEAKY)] });
    const two = verifierBuffer(layout, [LEAKY, CLEAN]);
    expect(verifierReading(two, build)).toEqual({
      ok: true,
      value: [counters(LEAKY), counters(CLEAN)],
    });
  });

  test(`SystemVerifierInformation, ${layout} layout: a truncated buffer is a reason, not a throw`, () => {
    const two = verifierBuffer(layout, [LEAKY, CLEAN]);
    // The second entry cut in half: the decoder refuses to read past what the call returned ...
    const cut = LAYOUTS[layout].size + LAYOUTS[layout].size / 2;
    expect(() =>
      decodeVerifierInformation(two.bytes, two.base, { returnedLength: cut, build }),
    ).toThrow(/runs past the/);
    // ... and the sampler turns that into why it has no value.
    const reading = verifierReading({ ...two, returned: cut }, build);
    expect(reading.ok).toBe(false);
    expect(!reading.ok && reading.reason).toBe(
      `SystemVerifierInformation returned ${cut} bytes drvcycle cannot decode with the ${LAYOUTS[layout].size}-byte entries of Windows build ${build}: SYSTEM_VERIFIER_INFORMATION entry at ${LAYOUTS[layout].size} (${LAYOUTS[layout].size} bytes) runs past the ${cut} bytes returned`,
    );
  });
}

test('access denied names SeDebugPrivilege, and why it is not enabled when that is known', () => {
  expect(verifierReading({ status: 0xc0000022 }, 19045)).toEqual({
    ok: false,
    reason:
      'reading Driver Verifier counters needs SeDebugPrivilege enabled (NtQuerySystemInformation returned 0xC0000022 STATUS_ACCESS_DENIED)',
  });
  const reading = verifierReading({ status: 0xc0000022 }, 19045, {
    privilege: 'SeDebugPrivilege',
    enabled: false,
    reason: 'SeDebugPrivilege is not enabled: this account does not hold it.',
    unavailable: ['verifier'],
  });
  expect(!reading.ok && reading.reason).toMatch(/: SeDebugPrivilege is not enabled: this account/);
  expect(verifierReading({ status: 0xc0000003 }, 19045)).toEqual({
    ok: false,
    reason: 'NtQuerySystemInformation(SystemVerifierInformation) returned 0xC0000003',
  });
});

const PERFORMANCE: PerformanceInfo = {
  commitTotalBytes: 1,
  commitLimitBytes: 2,
  physicalTotalBytes: 3,
  physicalAvailableBytes: 4,
  kernelTotalBytes: 5,
  kernelPagedBytes: 6,
  kernelNonpagedBytes: 7,
  pageSize: 4096,
  handleCount: 8,
  processCount: 9,
  threadCount: 10,
};
const HOST = {
  name: 'WUDFHost.exe',
  pid: 42,
  privateBytes: 4096,
  workingSetBytes: 8192,
  handles: 7,
};

/** Fake reads: the Verifier's from a class-51 buffer through the real decoding logic. */
function fakeReads(verifier: () => ReturnType<SamplerReads['verifier']>): SamplerReads {
  return {
    poolTags: () => ({
      ok: false,
      reason: 'NtQuerySystemInformation(SystemPoolTagInformation) returned 0xC0000003',
    }),
    verifier,
    performance: () => PERFORMANCE,
    hosts: () => [HOST],
  };
}

test('probe: a machine without Verifier settings has every other sampler; a throwing read is a reason', () => {
  const empty = { bytes: new Uint8Array(4096), base: 0x1000n, returned: 0 };
  const availability = probeSamplers(
    false,
    fakeReads(() => verifierReading(empty, 19045)),
  );
  expect(availability).toEqual({
    poolTags: {
      available: false,
      reason: 'NtQuerySystemInformation(SystemPoolTagInformation) returned 0xC0000003',
    },
    verifier: {
      available: false,
      reason: 'Driver Verifier verifies no driver (verifier /standard /driver x.sys, then reboot)',
    },
    performance: { available: true },
    hosts: { available: true },
  });
  const throwing = probeSamplers(
    false,
    fakeReads(() => {
      throw new RangeError('Offset is outside the bounds of the DataView');
    }),
  );
  expect(throwing.verifier).toEqual({
    available: false,
    reason: 'reading Driver Verifier counters failed: Offset is outside the bounds of the DataView',
  });
  expect(throwing.performance).toEqual({ available: true });
  expect(throwing.hosts).toEqual({ available: true });
});

test('sample: a Verifier read that cannot be decoded leaves the rest of the sample intact', () => {
  const available: Availability = {
    poolTags: { available: false },
    verifier: { available: true },
    performance: { available: true },
    hosts: { available: true },
  };
  const two = verifierBuffer('19h1', [LEAKY, CLEAN]);
  const good = takeSample(
    { verifierDrivers: ['LEAK_SMALL.SYS'] },
    available,
    fakeReads(() => verifierReading(two, 19045)),
  );
  expect(good).toMatchObject({
    verifier: [counters(LEAKY)],
    performance: PERFORMANCE,
    hosts: [HOST],
  });
  expect(good.unavailable).toBeUndefined();

  // The same Verifier now returns a length that cuts an entry: no verifier values, and why.
  const cut = takeSample(
    {},
    available,
    fakeReads(() => verifierReading({ ...two, returned: 200 }, 19045)),
  );
  expect(cut.verifier).toBeUndefined();
  expect(cut.performance).toEqual(PERFORMANCE);
  expect(cut.hosts).toEqual([HOST]);
  expect(cut.unavailable?.verifier).toMatch(
    /^SystemVerifierInformation returned 200 bytes drvcycle cannot decode/,
  );

  // A read that throws outright (a decoder bug, a binding failure) is caught the same way.
  const thrown = takeSample(
    {},
    available,
    fakeReads(() => {
      throw new RangeError('boom');
    }),
  );
  expect(thrown).toMatchObject({
    performance: PERFORMANCE,
    hosts: [HOST],
    unavailable: { verifier: 'reading Driver Verifier counters failed: boom' },
  });
});
