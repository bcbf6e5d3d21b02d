import { expect, test } from '@playwright/test';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import { DrvcycleError, ErrorCodes } from '../../src/core/errors.ts';
import { poolTagGrowth } from '../../src/core/pool-tag-growth.ts';
import type { Availability, CycleRecord } from '../../src/core/records.ts';
import { toWire } from '../../src/core/errors.ts';
import { decodePoolTagInformation, SYSTEM_POOLTAG_SIZE } from '../../src/windows/nt/nt-layouts.ts';
import { takeSample } from '../../src/windows/nt/samplers.ts';

interface TagCounts {
  tag: string;
  pagedAllocs?: number;
  pagedFrees?: number;
  pagedUsed?: number;
  nonPagedAllocs: number;
  nonPagedFrees: number;
  nonPagedUsed: number;
}

/** SYSTEM_POOLTAG_INFORMATION as NtQuerySystemInformation(22) fills it (40-byte entries at 8). */
function poolTagBuffer(tags: TagCounts[]): Uint8Array {
  const bytes = new Uint8Array(8 + tags.length * SYSTEM_POOLTAG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, tags.length, true);
  tags.forEach((t, i) => {
    const at = 8 + i * SYSTEM_POOLTAG_SIZE;
    bytes.set(new TextEncoder().encode(t.tag), at);
    view.setUint32(at + 4, t.pagedAllocs ?? 0, true);
    view.setUint32(at + 8, t.pagedFrees ?? 0, true);
    view.setBigUint64(at + 16, BigInt(t.pagedUsed ?? 0), true);
    view.setUint32(at + 24, t.nonPagedAllocs, true);
    view.setUint32(at + 28, t.nonPagedFrees, true);
    view.setBigUint64(at + 32, BigInt(t.nonPagedUsed), true);
  });
  return bytes;
}

const available: Availability = {
  poolTags: { available: true },
  performance: { available: false },
  verifier: { available: false },
  hosts: { available: false },
};

/** The sample the agent takes from such a buffer, keeping the driver's tags. */
const sampleOf = (tags: TagCounts[]) =>
  takeSample({ tags: ['DcLs', 'DcCl'] }, available, {
    poolTags: () => ({ ok: true, value: decodePoolTagInformation(poolTagBuffer(tags)) }),
    verifier: () => ({ ok: false, reason: 'off' }),
    performance: () => null,
    hosts: () => [],
  }).poolTags!;

const baseline = sampleOf([
  { tag: 'DcLs', nonPagedAllocs: 0, nonPagedFrees: 0, nonPagedUsed: 0 },
  { tag: 'DcCl', nonPagedAllocs: 40, nonPagedFrees: 40, nonPagedUsed: 0 },
]);
// After 6 cycles: leak_small's tag holds 6 × 256 B; clean's came back to 0.
const last = sampleOf([
  { tag: 'DcLs', nonPagedAllocs: 6, nonPagedFrees: 0, nonPagedUsed: 1536 },
  { tag: 'DcCl', nonPagedAllocs: 46, nonPagedFrees: 46, nonPagedUsed: 0 },
  { tag: 'Irp ', nonPagedAllocs: 900, nonPagedFrees: 800, nonPagedUsed: 40000 },
]);

test('the tags that grew since the baseline, from the sampler’s view of SYSTEM_POOLTAG entries', () => {
  expect(poolTagGrowth(baseline, last)).toEqual([{ tag: 'DcLs', bytes: 1536, allocations: 6 }]);
  // A tag the baseline did not have counts from zero.
  expect(poolTagGrowth(undefined, last)).toEqual([{ tag: 'DcLs', bytes: 1536, allocations: 6 }]);
  expect(poolTagGrowth(last, last)).toEqual([]);
});

test('a Verifier bugcheck 0xC4/0x62 names the tags that grew by the last sample before it', () => {
  const record: CycleRecord = {
    cycle: 7,
    outcome: 'stop-failed',
    startMs: 40,
    stopMs: null,
    state: 'UNKNOWN',
    error: toWire(new DrvcycleError(ErrorCodes.AGENT_UNREACHABLE, 'The agent stopped answering.')),
  };
  const dump =
    'crash dump: crash dump C:\\Windows\\MEMORY.DMP: bugcheck 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION (0x62, 0xFFFFE00001B75978, 0xFFFFE00001BD56B0, 0x7)';
  const verdict = classifyCycleFailure({
    driver: 'dc_leak_small',
    scenario: 'leaks',
    record,
    machine: { lost: true, crashEvidence: [dump] },
    poolTags: { baseline, last: { cycle: 6, poolTags: last } },
  });
  expect(verdict.summary).toBe(
    'LEAK in unload at cycle 7: Driver Verifier stopped the machine as the driver unloaded with 7 pool allocations not freed (bugcheck 0xC4, parameter 1 0x62); pool tags grown since the baseline by cycle 6: DcLs +1536 B (+6 allocations)',
  );
  expect(verdict.evidence).toMatchObject({
    leakedAllocations: 7,
    grownPoolTags: [{ tag: 'DcLs', bytes: 1536, allocations: 6 }],
    poolTagSampleCycle: 6,
  });
  // No sample before the crash: the count alone, as before.
  const bare = classifyCycleFailure({
    driver: 'dc_leak_small',
    scenario: 'leaks',
    record,
    machine: { lost: true, crashEvidence: [dump] },
    poolTags: { baseline, last: undefined },
  });
  expect(bare.summary).toMatch(/parameter 1 0x62\)$/);
  expect(bare.evidence.grownPoolTags).toBeUndefined();
});
