/**
 * Decoders for the SCM's output buffers (x64 layouts, see DESIGN.md §3). Pure functions over
 * bytes, so they are unit-tested on Linux. Embedded string pointers are absolute addresses; the
 * buffer's own base address turns them back into offsets.
 */
import { dataView } from '../../core/bytes.ts';
import { stateName, type ServiceStatus } from './status.ts';

export const SERVICE_STATUS_PROCESS_SIZE = 36;
export const QUERY_SERVICE_CONFIG_SIZE = 64;
export const ENUM_SERVICE_STATUS_PROCESS_SIZE = 56;

export interface ServiceConfig {
  readonly type: number;
  readonly startType: number;
  readonly errorControl: number;
  readonly binaryPath: string;
  readonly loadOrderGroup: string;
  readonly tagId: number;
  readonly dependencies: string[];
  readonly startName: string;
  readonly displayName: string;
}

export interface EnumeratedService {
  readonly name: string;
  readonly displayName: string;
  readonly status: ServiceStatus;
}

export function decodeServiceStatusProcess(bytes: Uint8Array, offset = 0): ServiceStatus {
  if (bytes.byteLength < offset + SERVICE_STATUS_PROCESS_SIZE) {
    throw new RangeError(
      `SERVICE_STATUS_PROCESS needs 36 bytes at offset ${offset}, buffer has ${bytes.byteLength}`,
    );
  }
  const dv = dataView(bytes);
  const u32 = (at: number) => dv.getUint32(offset + at, true);
  const state = u32(4);
  return {
    type: u32(0),
    state,
    stateName: stateName(state),
    controlsAccepted: u32(8),
    win32ExitCode: u32(12),
    serviceSpecificExitCode: u32(16),
    checkPoint: u32(20),
    waitHint: u32(24),
    processId: u32(28),
    serviceFlags: u32(32),
  };
}

/** Reads a NUL-terminated UTF-16LE string at an absolute address that points into `bytes`. */
export function readWideStringAt(bytes: Uint8Array, base: bigint, address: bigint): string {
  if (address === 0n) return '';
  const start = Number(address - base);
  if (start < 0 || start >= bytes.byteLength) {
    throw new RangeError(`string pointer 0x${address.toString(16)} lies outside the buffer`);
  }
  let end = start;
  while (end + 1 < bytes.byteLength && (bytes[end] !== 0 || bytes[end + 1] !== 0)) end += 2;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf16le');
}

/** A double-NUL-terminated list of UTF-16LE strings (lpDependencies). */
export function readWideMultiStringAt(bytes: Uint8Array, base: bigint, address: bigint): string[] {
  const items: string[] = [];
  if (address === 0n) return items;
  let cursor = address;
  for (;;) {
    const item = readWideStringAt(bytes, base, cursor);
    if (item === '') return items;
    items.push(item);
    cursor += BigInt((item.length + 1) * 2);
  }
}

function pointerAt(bytes: Uint8Array, offset: number): bigint {
  return dataView(bytes).getBigUint64(offset, true);
}

export function decodeQueryServiceConfig(bytes: Uint8Array, base: bigint): ServiceConfig {
  if (bytes.byteLength < QUERY_SERVICE_CONFIG_SIZE) {
    throw new RangeError(`QUERY_SERVICE_CONFIGW needs 64 bytes, buffer has ${bytes.byteLength}`);
  }
  const dv = dataView(bytes);
  const str = (at: number) => readWideStringAt(bytes, base, pointerAt(bytes, at));
  return {
    type: dv.getUint32(0, true),
    startType: dv.getUint32(4, true),
    errorControl: dv.getUint32(8, true),
    binaryPath: str(16),
    loadOrderGroup: str(24),
    tagId: dv.getUint32(32, true),
    dependencies: readWideMultiStringAt(bytes, base, pointerAt(bytes, 40)),
    startName: str(48),
    displayName: str(56),
  };
}

/** SERVICE_DESCRIPTIONW: a single LPWSTR at offset 0 (NULL when the service has none). */
export function decodeServiceDescription(bytes: Uint8Array, base: bigint): string {
  return readWideStringAt(bytes, base, pointerAt(bytes, 0));
}

export function decodeEnumServiceStatusProcess(
  bytes: Uint8Array,
  base: bigint,
  count: number,
): EnumeratedService[] {
  const services: EnumeratedService[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * ENUM_SERVICE_STATUS_PROCESS_SIZE;
    services.push({
      name: readWideStringAt(bytes, base, pointerAt(bytes, at)),
      displayName: readWideStringAt(bytes, base, pointerAt(bytes, at + 8)),
      status: decodeServiceStatusProcess(bytes, at + 16),
    });
  }
  return services;
}
