/**
 * Decoders for the NT and psapi buffers the samplers read (x64 layouts, DESIGN.md §3). Pure:
 * unit-tested on buffers laid out like Windows lays them out.
 */
import { dataView } from '../../core/bytes.ts';
import type { PerformanceInfo, VerifierDriverCounters } from '../../core/records.ts';

export type { PerformanceInfo, VerifierDriverCounters };
export interface PoolTagUsage {
  readonly tag: string;
  readonly pagedAllocs: number;
  readonly pagedFrees: number;
  readonly pagedUsed: number;
  readonly nonPagedAllocs: number;
  readonly nonPagedFrees: number;
  readonly nonPagedUsed: number;
}

export const SYSTEM_POOLTAG_SIZE = 40;
export const PERFORMANCE_INFORMATION_SIZE = 104;

/** Pool tags are four characters stored as a little-endian ULONG: bytes in memory order. */
export function decodeTag(value: number): string {
  let text = '';
  for (let i = 0; i < 4; i++) {
    const c = (value >>> (8 * i)) & 0xff;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return text;
}

export function encodeTag(tag: string): number {
  if (tag.length !== 4) throw new TypeError(`A pool tag has 4 characters, got "${tag}".`);
  return (
    (tag.charCodeAt(0) |
      (tag.charCodeAt(1) << 8) |
      (tag.charCodeAt(2) << 16) |
      (tag.charCodeAt(3) << 24)) >>>
    0
  );
}

/** SYSTEM_POOLTAG_INFORMATION { ULONG Count; SYSTEM_POOLTAG TagInfo[Count] (at 8) }. */
export function decodePoolTagInformation(bytes: Uint8Array): PoolTagUsage[] {
  const view = dataView(bytes);
  const count = view.getUint32(0, true);
  if (8 + count * SYSTEM_POOLTAG_SIZE > bytes.byteLength) {
    throw new RangeError(
      `SYSTEM_POOLTAG_INFORMATION says ${count} tags, but the buffer holds only ${Math.floor((bytes.byteLength - 8) / SYSTEM_POOLTAG_SIZE)}`,
    );
  }
  const tags: PoolTagUsage[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * SYSTEM_POOLTAG_SIZE;
    tags.push({
      tag: decodeTag(view.getUint32(at, true)),
      pagedAllocs: view.getUint32(at + 4, true),
      pagedFrees: view.getUint32(at + 8, true),
      pagedUsed: Number(view.getBigUint64(at + 16, true)),
      nonPagedAllocs: view.getUint32(at + 24, true),
      nonPagedFrees: view.getUint32(at + 28, true),
      nonPagedUsed: Number(view.getBigUint64(at + 32, true)),
    });
  }
  return tags;
}

/** PERFORMANCE_INFORMATION: memory fields are SIZE_T page counts, turned into bytes here. */
export function decodePerformanceInformation(bytes: Uint8Array): PerformanceInfo {
  if (bytes.byteLength < PERFORMANCE_INFORMATION_SIZE)
    throw new RangeError(`PERFORMANCE_INFORMATION needs 104 bytes, got ${bytes.byteLength}`);
  const view = dataView(bytes);
  const pageSize = Number(view.getBigUint64(80, true));
  const pages = (at: number) => Number(view.getBigUint64(at, true)) * pageSize;
  return {
    commitTotalBytes: pages(8),
    commitLimitBytes: pages(16),
    physicalTotalBytes: pages(32),
    physicalAvailableBytes: pages(40),
    kernelTotalBytes: pages(56),
    kernelPagedBytes: pages(64),
    kernelNonpagedBytes: pages(72),
    pageSize,
    handleCount: view.getUint32(88, true),
    processCount: view.getUint32(92, true),
    threadCount: view.getUint32(96, true),
  };
}

export const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
export const STATUS_INVALID_INFO_CLASS = 0xc0000003;

/**
 * SYSTEM_VERIFIER_INFORMATION entries (class 51), chained by NextEntryOffset, in two layouts:
 * from Windows 10 19H1 (build 18362) on, 144 bytes (RuleClasses[2] and TriageContext added at 8):
 * DriverName (UNICODE_STRING) @24, Loads @84, Unloads @88, CurrentPaged/NonPagedPoolAllocations
 * @96/@100, Paged/NonPagedPoolUsageInBytes @112/@120, peaks @128/@136; before it, 128 bytes with
 * every field after Level 16 bytes earlier (DriverName @8, Loads @68, CurrentPaged… @80,
 * PagedPoolUsageInBytes @96). Parsing stays within the length the call returned. The call can
 * succeed with a returned length of 0 when Verifier verifies no driver (the WRK passes
 * MmGetVerifierInformation's length straight through; ReactOS's verifier tool reads it as "no
 * entries"): that is no entries here too, never an error.
 */
export const VERIFIER_LAYOUT_BUILD = 18362;

export function verifierEntrySize(build: number): 128 | 144 {
  return build >= VERIFIER_LAYOUT_BUILD ? 144 : 128;
}

export function decodeVerifierInformation(
  buffer: Uint8Array,
  base: bigint,
  options: { returnedLength?: number; build?: number } = {},
): VerifierDriverCounters[] {
  const bytes = buffer.subarray(
    0,
    Math.min(buffer.byteLength, options.returnedLength ?? buffer.byteLength),
  );
  if (bytes.byteLength === 0) return [];
  const entrySize = verifierEntrySize(options.build ?? VERIFIER_LAYOUT_BUILD);
  const shift = 144 - entrySize;
  const view = dataView(bytes);
  const drivers: VerifierDriverCounters[] = [];
  let at = 0;
  for (;;) {
    if (at + entrySize > bytes.byteLength)
      throw new RangeError(
        `SYSTEM_VERIFIER_INFORMATION entry at ${at} (${entrySize} bytes) runs past the ${bytes.byteLength} bytes returned`,
      );
    const nameLength = view.getUint16(at + 24 - shift, true);
    const namePointer = view.getBigUint64(at + 32 - shift, true);
    const nameAt = Number(namePointer - base);
    const driver =
      namePointer === 0n || nameAt < 0 || nameAt + nameLength > bytes.byteLength
        ? ''
        : Buffer.from(bytes.buffer, bytes.byteOffset + nameAt, nameLength).toString('utf16le');
    const u32 = (offset: number) => view.getUint32(at + offset - shift, true);
    const size = (offset: number) => Number(view.getBigUint64(at + offset - shift, true));
    drivers.push({
      driver,
      loads: u32(84),
      unloads: u32(88),
      currentPagedAllocations: u32(96),
      currentNonPagedAllocations: u32(100),
      pagedBytes: size(112),
      nonPagedBytes: size(120),
      peakPagedBytes: size(128),
      peakNonPagedBytes: size(136),
    });
    const next = view.getUint32(at, true);
    if (next === 0) return drivers;
    at += next;
  }
}

/** One process of SystemProcessInformation (class 5), the fields drvcycle reads. */
export interface ProcessEntry {
  readonly name: string;
  readonly pid: number;
  readonly handles: number;
  readonly workingSetBytes: number;
  readonly privateBytes: number;
}

/**
 * SYSTEM_PROCESS_INFORMATION entries (x64, chained by NextEntryOffset): ImageName
 * (UNICODE_STRING) @56 (Buffer @64), UniqueProcessId @80, HandleCount @96, WorkingSetSize @144,
 * PrivatePageCount @200 (bytes, despite its name). Names, handle counts and private bytes of every
 * process, without opening any. Parsing stays within the returned length.
 */
export function decodeProcessInformation(
  buffer: Uint8Array,
  base: bigint,
  returnedLength = buffer.byteLength,
): ProcessEntry[] {
  const bytes = buffer.subarray(0, Math.min(buffer.byteLength, returnedLength));
  const view = dataView(bytes);
  const processes: ProcessEntry[] = [];
  for (let at = 0; ;) {
    if (at + SYSTEM_PROCESS_INFORMATION_SIZE > bytes.byteLength)
      throw new RangeError(
        `SYSTEM_PROCESS_INFORMATION entry at ${at} runs past the ${bytes.byteLength} bytes returned`,
      );
    const nameLength = view.getUint16(at + 56, true);
    const namePointer = view.getBigUint64(at + 64, true);
    const nameAt = Number(namePointer - base);
    processes.push({
      name:
        namePointer === 0n || nameAt < 0 || nameAt + nameLength > bytes.byteLength
          ? ''
          : Buffer.from(bytes.buffer, bytes.byteOffset + nameAt, nameLength).toString('utf16le'),
      pid: Number(view.getBigUint64(at + 80, true)),
      handles: view.getUint32(at + 96, true),
      workingSetBytes: Number(view.getBigUint64(at + 144, true)),
      privateBytes: Number(view.getBigUint64(at + 200, true)),
    });
    const next = view.getUint32(at, true);
    if (next === 0) return processes;
    at += next;
  }
}

/** sizeof(SYSTEM_PROCESS_INFORMATION) on x64, without the thread array that follows it. */
export const SYSTEM_PROCESS_INFORMATION_SIZE = 256;
