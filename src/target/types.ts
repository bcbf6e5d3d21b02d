/** "A Windows machine I can load drivers on": one interface, in-process or through the agent. */
import type { StaleCleanup, TimedStatus } from '../windows/scm/driver-services.ts';
import type { ServiceConfig } from '../windows/scm/layouts.ts';
import type { DriverType, ServiceStatus } from '../windows/scm/status.ts';
import type { WireError } from './wire-errors.ts';
import type { Availability, SampleRequest, SystemSample } from '../windows/nt/samplers.ts';
import type { EventLogRead } from '../windows/events/eventlog.ts';

export type { Availability, SampleRequest, SystemSample, EventLogRead };

export type { StaleCleanup, TimedStatus, ServiceConfig, ServiceStatus, DriverType };

export interface DriverSpec {
  /** The service name; also the name the driver is known by in the reports. */
  readonly name: string;
  /** The image path on the target (see Target.stageImage). */
  readonly imagePath: string;
  readonly type?: DriverType;
  readonly loadOrderGroup?: string | undefined;
}

export interface ServiceRef {
  readonly name: string;
  readonly imagePath: string;
  readonly runId: string;
  readonly config: ServiceConfig;
}

export interface OperationOptions {
  readonly timeoutMs?: number;
  /** Retry transient SCM states (1055, 1061, 1072). On by default; error-path specs turn it off. */
  readonly retry?: boolean;
}

export interface CycleOptions {
  readonly count: number;
  readonly startTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  /** Stop at the first failed cycle (default), or record it and go on. */
  readonly stopOnFailure?: boolean;
  /** Take a memory sample after every k-th unload (0 or unset: never). */
  readonly sampleEvery?: number;
  readonly sample?: SampleRequest;
}

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

export interface TargetInfo {
  readonly hostname: string;
  readonly os: string;
  readonly osVersion: string;
  readonly arch: string;
  /** Set when the target is the Wine lab. */
  readonly wineVersion: string | null;
  readonly agentVersion: string;
  readonly pid: number;
}

export interface Health {
  readonly ok: boolean;
  readonly uptimeMs: number;
  readonly scm: boolean;
}

export interface Target {
  info(): Promise<TargetInfo>;
  health(): Promise<Health>;
  /** Copies a driver image onto the target and returns its path there. */
  stageImage(fileName: string, bytes: Uint8Array): Promise<string>;
  installDriver(spec: DriverSpec): Promise<ServiceRef>;
  start(ref: ServiceRef, options?: OperationOptions): Promise<TimedStatus>;
  stop(ref: ServiceRef, options?: OperationOptions): Promise<TimedStatus>;
  query(ref: ServiceRef): Promise<ServiceStatus>;
  /** DeleteService alone: marks the service for deletion, running or not. */
  delete(ref: ServiceRef, options?: OperationOptions): Promise<void>;
  /** Stops if needed and deletes; tolerant of a service already stopped or gone. */
  remove(ref: ServiceRef, options?: OperationOptions): Promise<void>;
  /** Owned services of any run still on the target. */
  listOwned(): Promise<{ name: string; runId: string; state: string }[]>;
  cleanupStale(): Promise<StaleCleanup>;
  /** Which memory samplers the target offers, and why not. */
  samplers(): Promise<Availability>;
  /** A memory sample now (the baseline before the first load, the end state after the last). */
  sample(request: SampleRequest): Promise<SystemSample>;
  /** Event-log entries in the window, decoded; `available: false` with the reason where there is none. */
  events(since: Date, until?: Date): Promise<EventLogRead>;
  /** Runs load/unload cycles inside the target, one record per cycle as it completes. */
  runCycles(ref: ServiceRef, options: CycleOptions): AsyncIterable<CycleRecord>;
  close(): Promise<void>;
}
