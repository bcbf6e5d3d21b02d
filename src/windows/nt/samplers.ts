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
} from './layouts.ts';
import { windowsLibrary } from '../library.ts';
import type {
  Availability,
  HostProcessSample,
  SampleRequest,
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

export function readPoolTags(): PoolTagUsage[] | { status: number } {
  const result = querySystemInformation(SystemPoolTagInformation);
  return 'status' in result ? result : decodePoolTagInformation(result.bytes);
}

export function readVerifier(): VerifierDriverCounters[] | { status: number } {
  const result = querySystemInformation(SystemVerifierInformation);
  if ('status' in result) return result;
  // An empty first entry (NextEntryOffset 0, no name) means Verifier verifies no driver.
  return decodeVerifierInformation(result.bytes, result.base, {
    returnedLength: result.returned,
    build: windowsBuild(),
  }).filter((d) => d.driver !== '');
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

const STATUS_ACCESS_DENIED = 0xc0000022;
const hex = (status: number) => `0x${status.toString(16).toUpperCase()}`;

/** Probes each sampler once, so reports can say what the target offers and why not. */
export function probeSamplers(isWine: boolean): Availability {
  const tags = readPoolTags();
  const verifier = readVerifier();
  const performance = readPerformance();
  return {
    poolTags: Array.isArray(tags)
      ? { available: true }
      : {
          available: false,
          reason: `NtQuerySystemInformation(SystemPoolTagInformation) returned ${hex(tags.status)}`,
        },
    verifier: Array.isArray(verifier)
      ? verifier.length > 0
        ? { available: true }
        : {
            available: false,
            reason:
              'Driver Verifier verifies no driver (verifier /standard /driver x.sys, then reboot)',
          }
      : {
          available: false,
          reason:
            verifier.status === STATUS_ACCESS_DENIED
              ? 'reading Driver Verifier counters needs SeDebugPrivilege (NtQuerySystemInformation returned 0xC0000022): run the agent elevated'
              : `NtQuerySystemInformation(SystemVerifierInformation) returned ${hex(verifier.status)}`,
        },
    performance: performance
      ? performance.kernelPagedBytes > 0 || !isWine
        ? { available: true }
        : {
            available: true,
            reason:
              'kernel pool totals read 0 here (Wine); handle, process and thread counts are real',
          }
      : { available: false, reason: 'GetPerformanceInfo failed' },
    hosts: {
      available: true,
      ...(isWine ? { reason: 'handle counts read 0 here (Wine): reported as null' } : {}),
    },
  };
}

export function takeSample(
  request: SampleRequest,
  availability: Availability,
  hosts: HostProcessReader,
): SystemSample {
  const sample: { -readonly [K in keyof SystemSample]: SystemSample[K] } = { t: Date.now() };
  if (availability.poolTags.available && request.tags?.length) {
    const tags = readPoolTags();
    if (Array.isArray(tags)) {
      sample.poolTags = {};
      for (const t of tags) {
        if (request.tags.includes(t.tag))
          sample.poolTags[t.tag] = {
            pagedBytes: t.pagedUsed,
            nonPagedBytes: t.nonPagedUsed,
            allocs: t.pagedAllocs + t.nonPagedAllocs,
            frees: t.pagedFrees + t.nonPagedFrees,
          };
      }
    }
  }
  if (availability.verifier.available) {
    const verifier = readVerifier();
    if (Array.isArray(verifier)) {
      const wanted = request.verifierDrivers?.map((d) => d.toLowerCase());
      sample.verifier = wanted
        ? verifier.filter((d) => wanted.includes(d.driver.toLowerCase()))
        : verifier;
    }
  }
  if (availability.performance.available) sample.performance = readPerformance() ?? undefined;
  if (availability.hosts.available) sample.hosts = hosts.read();
  return sample;
}
