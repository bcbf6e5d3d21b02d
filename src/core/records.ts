/**
 * The records that travel between layers: what one load/unload cycle produced, and the memory
 * samples a target takes. Plain data (JSON over the agent's wire), shared by the target, the
 * collector, the runner and the verdict logic.
 */
import type { WireError } from './errors.ts';
import type { IoTable } from './io-table.ts';

/** `io-failed`: a call of the I/O table hung, crashed the driver or ended with a status not expected. */
export type CycleOutcome = 'ok' | 'start-failed' | 'stop-failed' | 'io-failed';

/** One operation of the I/O table in one cycle: its calls, how the last ended, their bytes and time. */
export interface IoOperationRecord {
  readonly name: string;
  readonly calls: number;
  readonly ntstatus: number | null;
  readonly win32: number | null;
  readonly bytes: number;
  readonly totalMs: number;
  readonly maxMs: number;
}

/** The call of the I/O table that failed its cycle, with what it was sent and what it got. */
export interface IoFailure {
  readonly kind: 'hang' | 'unexpected-status' | 'open-failed';
  /** The operation's name (`open` when the device would not open). */
  readonly operation: string;
  /** The control code, for an IOCTL. */
  readonly code?: number;
  /** `alloc (IOCTL 0x00222004 (…))`: the operation as a verdict names it. */
  readonly description: string;
  /** Which of its calls this cycle (1 = the first; `repeat` and fuzz make more). */
  readonly call: number;
  readonly ntstatus?: number;
  readonly win32?: number;
  /** What the operation expects, as a verdict says it. */
  readonly expected?: string;
  readonly elapsedMs: number;
  readonly boundMs?: number;
  /** The buffers it was called with. */
  readonly request?: {
    readonly inputLength: number;
    readonly outputLength: number;
    readonly nullInput?: boolean;
    readonly nullOutput?: boolean;
    readonly misaligned?: boolean;
    /** The fuzz case (`short input`, `random bytes #3`, …) and the seed it was drawn with. */
    readonly fuzz?: string;
    readonly seed?: number;
    readonly inputHex?: string;
  };
  /** A hang: whether the call ended once cancelled past its bound (its cancel routine works) or not. */
  /** `returned-late`: the call itself returned, done, only past the bound (no cancel was possible). */
  /** `never-returned`: the call had not returned to its caller at its bound; the watchdog gave up on the thread. */
  readonly afterCancel?: 'ended' | 'still-pending' | 'returned-late' | 'never-returned';
  /** How long after the cancel it ended: at once (its cancel routine) or later (it was still working). */
  readonly afterCancelMs?: number;
  /**
   * An open or close the lab saw left pending in the driver host's trace (Wine does not make the
   * caller wait for it): the lines that show it. `elapsedMs` is then the table's calls' time, which
   * it outlasted.
   */
  readonly hostTrace?: readonly string[];
}

export interface CycleRecord {
  readonly cycle: number;
  readonly outcome: CycleOutcome;
  readonly startMs: number | null;
  readonly stopMs: number | null;
  /** The service state after the cycle (STOPPED when it went well). */
  readonly state: string;
  readonly error?: WireError;
  /** The memory sample taken after this cycle's unload (see CycleOptions.sampleEvery). */
  readonly sample?: SystemSample;
  /** The I/O table's operations this cycle, when it ran (see CycleOptions.io). */
  readonly io?: readonly IoOperationRecord[];
  /** Set with outcome `io-failed`: the call that failed. */
  readonly ioFailure?: IoFailure;
  /** Set when closing the device then hung too (after the failed call): the batch ended in it. */
  readonly ioCloseHang?: IoFailure;
}

/** How a target runs a batch of cycles; it stops at the first failed cycle. */
export interface CycleOptions {
  readonly count: number;
  readonly startTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  /** Take a memory sample after every k-th unload (0 or unset: never). */
  readonly sampleEvery?: number;
  readonly sample?: SampleRequest;
  /** A PnP driver: a cycle adds its device, then removes it and stops the service. */
  readonly pnp?: boolean;
  /**
   * How a PnP driver is cycled: `remove-readd` (the lab's way, and Windows') or `disable-enable`
   * (Windows only, as HLK does). Unset: disable-enable on Windows, remove-readd on the lab.
   */
  readonly pnpStrategy?: 'remove-readd' | 'disable-enable';
  /**
   * The I/O table, run between each load and unload (every `everyCycles`-th cycle): the device is
   * opened after the load, the calls made in order, the device closed before the unload.
   */
  readonly io?: IoTable;
  /**
   * The lab's shared driver host: its keeper's device (`\\.\drvcycle_host…`), called after the
   * table's close so the unload never overtakes the close under Wine (target/host-barrier.ts).
   */
  readonly hostBarrier?: string;
}

export interface PerformanceInfo {
  readonly commitTotalBytes: number;
  readonly commitLimitBytes: number;
  readonly physicalTotalBytes: number;
  readonly physicalAvailableBytes: number;
  readonly kernelTotalBytes: number;
  readonly kernelPagedBytes: number;
  readonly kernelNonpagedBytes: number;
  readonly pageSize: number;
  readonly handleCount: number;
  readonly processCount: number;
  readonly threadCount: number;
}

export interface VerifierDriverCounters {
  readonly driver: string;
  readonly loads: number;
  readonly unloads: number;
  readonly currentPagedAllocations: number;
  readonly currentNonPagedAllocations: number;
  readonly pagedBytes: number;
  readonly nonPagedBytes: number;
  readonly peakPagedBytes: number;
  readonly peakNonPagedBytes: number;
}

export type SamplerName = 'poolTags' | 'performance' | 'verifier' | 'hosts';
export type Availability = Record<SamplerName, { available: boolean; reason?: string }>;

export interface HostProcessSample {
  readonly name: string;
  readonly pid: number;
  readonly privateBytes: number;
  readonly workingSetBytes: number;
  readonly handles: number | null;
}

export interface SystemSample {
  readonly t: number;
  readonly poolTags?: Record<
    string,
    { pagedBytes: number; nonPagedBytes: number; allocs: number; frees: number }
  >;
  readonly performance?: PerformanceInfo;
  readonly verifier?: VerifierDriverCounters[];
  readonly hosts?: HostProcessSample[];
  /** Samplers that are available but whose read failed in this sample, with why. */
  readonly unavailable?: Partial<Record<SamplerName, string>>;
}

export interface SampleRequest {
  /** Pool tags to report (all tags are read; only these are kept). Empty: none. */
  readonly tags?: readonly string[];
  /** Driver image names (e.g. mydriver.sys) whose Verifier counters to keep. */
  readonly verifierDrivers?: readonly string[];
}
