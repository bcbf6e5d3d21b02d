/**
 * The records that travel between layers: what one load/unload cycle produced, and the memory
 * samples a target takes. Plain data (JSON over the agent's wire), shared by the target, the
 * collector, the runner and the verdict logic.
 */
import type { WireError } from './errors.ts';

export type CycleOutcome = 'ok' | 'start-failed' | 'stop-failed';

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
