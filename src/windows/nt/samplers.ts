/**
 * Memory samplers read inside the Windows machine (by the agent, or a LocalTarget), each saying
 * whether the target offers it: pool bytes per tag (NtQuerySystemInformation class 22), kernel pool
 * totals and system counts (GetPerformanceInfo), Driver Verifier per-driver pool counters (class
 * 51), and the driver hosts' private bytes and handles (WUDFHost.exe on Windows, winedevice.exe
 * in the lab).
 */
import koffi from 'koffi';
import {
  decodePerformanceInformation,
  decodePoolTagInformation,
  decodeProcessInformation,
  decodeVerifierInformation,
  PERFORMANCE_INFORMATION_SIZE,
  STATUS_INFO_LENGTH_MISMATCH,
  type PerformanceInfo,
  VERIFIER_LAYOUT_BUILD,
  type PoolTagUsage,
  type VerifierDriverCounters,
  verifierEntrySize,
} from './nt-layouts.ts';
import { windowsLibrary } from '../native/library.ts';
import { debugPrivilegeState, type DebugPrivilegeState } from './privileges.ts';
import type {
  Availability,
  HostProcessSample,
  SampleRequest,
  SamplerName,
  SystemSample,
} from '../../core/records.ts';

export type { Availability, HostProcessSample, SampleRequest, SystemSample };

const SystemPoolTagInformation = 22;
const SystemVerifierInformation = 51;
const SystemProcessInformation = 5;
export const HOST_PROCESS_NAMES = ['wudfhost.exe', 'winedevice.exe'];

type Fn = (...args: unknown[]) => unknown;
let api: ReturnType<typeof bind> | undefined;

function bind() {
  const ntdll = windowsLibrary('ntdll.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  const f = (lib: typeof ntdll, proto: string) => lib.func(proto) as Fn;
  return {
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-rtlgetversion */
    RtlGetVersion: f(ntdll, 'int32 __stdcall RtlGetVersion(void* info)'),
    /** https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-ntquerysysteminformation */
    NtQuerySystemInformation: f(
      ntdll,
      'int32 __stdcall NtQuerySystemInformation(uint32 cls, void* buffer, uint32 length, _Out_ uint32* returned)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/psapi/nf-psapi-getperformanceinfo */
    K32GetPerformanceInfo: f(
      kernel32,
      'int __stdcall K32GetPerformanceInfo(void* info, uint32 cb)',
    ),
  };
}

function nt() {
  api ??= bind();
  return api;
}

/** NtQuerySystemInformation into a buffer grown until it fits (STATUS_INFO_LENGTH_MISMATCH). */
function querySystemInformation(
  cls: number,
): { bytes: Uint8Array; base: bigint; returned: number } | { status: number } {
  let size = 64 * 1024;
  for (let attempt = 0; attempt < 8; attempt++) {
    const address = koffi.alloc('uint8_t', size) as unknown as bigint;
    try {
      const returned = [0];
      const status = (nt().NtQuerySystemInformation(cls, address, size, returned) as number) >>> 0;
      if (status === 0)
        return {
          bytes: new Uint8Array(koffi.view(address as never, size)).slice(),
          base: address,
          returned: returned[0]!,
        };
      if (status !== STATUS_INFO_LENGTH_MISMATCH) return { status };
      size = Math.max(size * 2, returned[0]! + 4096);
    } finally {
      koffi.free(address as never);
    }
  }
  return { status: STATUS_INFO_LENGTH_MISMATCH };
}

/** What one sampler's read gave: its values, or why it has none (said in its availability). */
export type Reading<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** What NtQuerySystemInformation returned: a buffer (with its address and length), or a status. */
export type SystemInformation =
  { bytes: Uint8Array; base: bigint; returned: number } | { status: number };

const STATUS_ACCESS_DENIED = 0xc0000022;
const hex = (status: number) => `0x${status.toString(16).toUpperCase()}`;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Pool bytes per tag from class 22, or why not. Pure: tested on buffers laid out as Windows does. */
export function poolTagReading(result: SystemInformation): Reading<PoolTagUsage[]> {
  if ('status' in result)
    return {
      ok: false,
      reason: `NtQuerySystemInformation(SystemPoolTagInformation) returned ${hex(result.status)}`,
    };
  try {
    return { ok: true, value: decodePoolTagInformation(result.bytes) };
  } catch (error) {
    return {
      ok: false,
      reason: `SystemPoolTagInformation returned ${result.returned} bytes drvcycle cannot decode: ${message(error)}`,
    };
  }
}

/**
 * Driver Verifier's per-driver counters from class 51, or why not. A success with a returned
 * length of 0, or with one empty entry (NextEntryOffset 0, no name), means Verifier verifies no
 * driver: no entries. A buffer that cannot be decoded is a reason, never a thrown error: a batch's
 * other samplers go on. Pure: tested on buffers laid out as Windows does.
 */
export function verifierReading(
  result: SystemInformation,
  build: number,
  debugPrivilege?: DebugPrivilegeState,
): Reading<VerifierDriverCounters[]> {
  if ('status' in result)
    return {
      ok: false,
      reason:
        result.status === STATUS_ACCESS_DENIED
          ? `reading Driver Verifier counters needs SeDebugPrivilege enabled (NtQuerySystemInformation returned 0xC0000022 STATUS_ACCESS_DENIED)${debugPrivilege && !debugPrivilege.enabled ? `: ${debugPrivilege.reason}` : ''}`
          : `NtQuerySystemInformation(SystemVerifierInformation) returned ${hex(result.status)}`,
    };
  try {
    const drivers = decodeVerifierInformation(result.bytes, result.base, {
      returnedLength: result.returned,
      build,
    });
    return { ok: true, value: drivers.filter((d) => d.driver !== '') };
  } catch (error) {
    return {
      ok: false,
      reason: `SystemVerifierInformation returned ${result.returned} bytes drvcycle cannot decode with the ${verifierEntrySize(build)}-byte entries of Windows build ${build}: ${message(error)}`,
    };
  }
}

export function readPoolTags(): Reading<PoolTagUsage[]> {
  return poolTagReading(querySystemInformation(SystemPoolTagInformation));
}

export function readVerifier(): Reading<VerifierDriverCounters[]> {
  return verifierReading(
    querySystemInformation(SystemVerifierInformation),
    windowsBuild(),
    debugPrivilegeState(),
  );
}

let build: number | undefined;

/** The Windows build from RtlGetVersion (OSVERSIONINFOW.dwBuildNumber @12): not shimmed like GetVersionEx. */
export function windowsBuild(): number {
  if (build === undefined) {
    const info = Buffer.alloc(276);
    info.writeUInt32LE(276, 0);
    const status = (nt().RtlGetVersion(info) as number) >>> 0;
    build = status === 0 ? info.readUInt32LE(12) : VERIFIER_LAYOUT_BUILD;
  }
  return build;
}

export function readPerformance(): PerformanceInfo | null {
  const buffer = Buffer.alloc(PERFORMANCE_INFORMATION_SIZE);
  buffer.writeUInt32LE(PERFORMANCE_INFORMATION_SIZE, 0);
  return nt().K32GetPerformanceInfo(buffer, buffer.length)
    ? decodePerformanceInformation(buffer)
    : null;
}

/**
 * The driver hosts (WUDFHost.exe for UMDF drivers on Windows, winedevice.exe in the lab) from
 * SystemProcessInformation: names, handle counts and private bytes of every process, without
 * opening any (a LocalService WUDFHost.exe may refuse to be opened). Kernel drivers live in no
 * host process on Windows: for them this signal does not apply.
 */
export class HostProcessReader {
  private readonly names: readonly string[];

  constructor(names: readonly string[] = HOST_PROCESS_NAMES) {
    this.names = names;
  }

  read(): HostProcessSample[] {
    const result = querySystemInformation(SystemProcessInformation);
    if ('status' in result) return [];
    return decodeProcessInformation(result.bytes, result.base, result.returned)
      .filter((p) => this.names.includes(p.name.toLowerCase()))
      .map((p) => ({
        name: p.name,
        pid: p.pid,
        privateBytes: p.privateBytes,
        workingSetBytes: p.workingSetBytes,
        handles: p.handles > 0 ? p.handles : null,
      }));
  }
}

/** The reads behind the samplers: the real ones, or fakes in unit tests of the logic below. */
export interface SamplerReads {
  poolTags(): Reading<PoolTagUsage[]>;
  verifier(): Reading<VerifierDriverCounters[]>;
  performance(): PerformanceInfo | null;
  hosts(): HostProcessSample[];
}

export function windowsReads(hosts: HostProcessReader = new HostProcessReader()): SamplerReads {
  return {
    poolTags: readPoolTags,
    verifier: readVerifier,
    performance: readPerformance,
    hosts: () => hosts.read(),
  };
}

/** Runs one sampler's read; whatever it throws becomes its reason, never the whole sample's. */
function guarded<T>(what: string, read: () => Reading<T>): Reading<T> {
  try {
    return read();
  } catch (error) {
    return { ok: false, reason: `${what} failed: ${message(error)}` };
  }
}

/**
 * Probes each sampler once, so reports can say what the target offers and why not. A sampler that
 * fails, whatever the reason, is unavailable with that reason; the others are probed all the same.
 */
export function probeSamplers(isWine: boolean, reads: SamplerReads = windowsReads()): Availability {
  const tags = guarded('reading pool tags', () => reads.poolTags());
  const verifier = guarded('reading Driver Verifier counters', () => reads.verifier());
  const performance = guarded('GetPerformanceInfo', () => {
    const value = reads.performance();
    return value ? { ok: true, value } : { ok: false, reason: 'GetPerformanceInfo failed' };
  });
  const hosts = guarded('reading the driver host processes', () => ({
    ok: true,
    value: reads.hosts(),
  }));
  return {
    poolTags: tags.ok ? { available: true } : { available: false, reason: tags.reason },
    verifier: verifier.ok
      ? verifier.value.length > 0
        ? { available: true }
        : {
            available: false,
            reason:
              'Driver Verifier verifies no driver (verifier /standard /driver x.sys, then reboot)',
          }
      : { available: false, reason: verifier.reason },
    performance: performance.ok
      ? performance.value.kernelPagedBytes > 0 || !isWine
        ? { available: true }
        : {
            available: true,
            reason:
              'kernel pool totals read 0 here (Wine); handle, process and thread counts are real',
          }
      : { available: false, reason: performance.reason },
    hosts: hosts.ok
      ? {
          available: true,
          ...(isWine ? { reason: 'handle counts read 0 here (Wine): reported as null' } : {}),
        }
      : { available: false, reason: hosts.reason },
  };
}

/**
 * One sample of every available sampler. A sampler whose read fails in this sample (a buffer it
 * cannot decode, a status) is left out of it and named in `unavailable` with why; the rest of the
 * sample stands, and the batch goes on.
 */
export function takeSample(
  request: SampleRequest,
  availability: Availability,
  reads: SamplerReads,
): SystemSample {
  const sample: { -readonly [K in keyof SystemSample]: SystemSample[K] } = { t: Date.now() };
  const unavailable: Partial<Record<SamplerName, string>> = {};
  if (availability.poolTags.available && request.tags?.length) {
    const tags = guarded('reading pool tags', () => reads.poolTags());
    if (tags.ok) {
      sample.poolTags = {};
      for (const t of tags.value) {
        if (request.tags.includes(t.tag))
          sample.poolTags[t.tag] = {
            pagedBytes: t.pagedUsed,
            nonPagedBytes: t.nonPagedUsed,
            allocs: t.pagedAllocs + t.nonPagedAllocs,
            frees: t.pagedFrees + t.nonPagedFrees,
          };
      }
    } else unavailable.poolTags = tags.reason;
  }
  if (availability.verifier.available) {
    const verifier = guarded('reading Driver Verifier counters', () => reads.verifier());
    if (verifier.ok) {
      const wanted = request.verifierDrivers?.map((d) => d.toLowerCase());
      sample.verifier = wanted
        ? verifier.value.filter((d) => wanted.includes(d.driver.toLowerCase()))
        : verifier.value;
    } else unavailable.verifier = verifier.reason;
  }
  if (availability.performance.available) {
    const performance = guarded('GetPerformanceInfo', () => {
      const value = reads.performance();
      return value ? { ok: true, value } : { ok: false, reason: 'GetPerformanceInfo failed' };
    });
    if (performance.ok) sample.performance = performance.value;
    else unavailable.performance = performance.reason;
  }
  if (availability.hosts.available) {
    const hosts = guarded('reading the driver host processes', () => ({
      ok: true,
      value: reads.hosts(),
    }));
    if (hosts.ok) sample.hosts = hosts.value;
    else unavailable.hosts = hosts.reason;
  }
  if (Object.keys(unavailable).length > 0) sample.unavailable = unavailable;
  return sample;
}
