/**
 * "A Windows machine I can load drivers on": one interface, in-process (LocalTarget) or through
 * the agent (RemoteTarget). A driver's whole life goes through it: install (stage the image and
 * create the owned service), start, stop, cycles, uninstall.
 */
import type { VerifierSettingsRead } from '../windows/nt/verifier-settings.ts';
import type { CycleOptions, CycleRecord } from '../core/records.ts';
import type { Availability, SampleRequest, SystemSample } from '../core/records.ts';
import type { EventLogRead } from '../windows/events/eventlog.ts';
import type { StaleCleanup, TimedStatus } from '../windows/scm/driver-services.ts';
import type { ServiceConfig } from '../windows/scm/scm-layouts.ts';
import type { DriverType, ServiceStatus } from '../windows/scm/status.ts';

/**
 * The image to install: a file on the runner's machine, bytes with the file name to give them,
 * or a file already on the target (inside the agent's allowed folders).
 */
export type DriverImage =
  | { readonly file: string }
  | { readonly bytes: Uint8Array; readonly fileName: string }
  | { readonly binaryPath: string };

export interface InstallOptions {
  /** The service name; also the name the driver is known by in the reports. */
  readonly name: string;
  readonly type?: DriverType | undefined;
  /** The load-order group (drivers in one group share a host process in the lab). */
  readonly group?: string | undefined;
  /** Retry transient SCM states; on by default, error-path cases turn it off. */
  readonly retry?: boolean;
  /**
   * A Plug and Play driver: installed on a root-enumerated device (hardware id
   * `root\<name>`) from the INF drvcycle writes, loaded by adding the device and unloaded by
   * removing it (then stopping the service).
   */
  readonly pnp?: boolean;
  /**
   * The driver team's INF (its bytes as written, or its text): a PnP driver installed from it
   * (its first model line's root-enumerated hardware id, its service), as written when its service
   * section leaves drvcycle's marker alone, else with the marker written into that section.
   */
  readonly inf?: string | Uint8Array;
  /** The package's catalog, the .cat the INF's [Version] CatalogFile names (staged beside it). */
  readonly catalog?: Uint8Array;
}

/** A driver service drvcycle created: the one shape every later call takes. */
export interface InstalledDriver {
  /** The service name. */
  readonly name: string;
  /** The image's path on the target, as the SCM has it. */
  readonly binaryPath: string;
  readonly type: DriverType;
  readonly group: string | undefined;
  /** The run whose ownership marker the service carries (the runner's). */
  readonly runId: string;
  readonly config: ServiceConfig;
  /** Set for a PnP driver: its device's hardware id, and how the runner wants it cycled. */
  readonly pnp?:
    | {
        readonly hardwareId: string;
        readonly strategy?: 'remove-readd' | 'disable-enable' | undefined;
      }
    | undefined;
}

/** Options of one start, stop or delete. */
export interface CallOptions {
  readonly timeoutMs?: number;
  /** Retry transient SCM states (1055, 1061, 1072). On by default; error-path cases turn it off. */
  readonly retry?: boolean;
}

export interface OwnedService {
  readonly name: string;
  readonly runId: string;
  readonly state: string;
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
  /** Where the target stages driver images it is sent. */
  readonly stagingDir: string;
  /**
   * Whether the agent enabled SeDebugPrivilege at start (Driver Verifier's counters need it),
   * why not, and which samplers that leaves unavailable. Absent where nothing tried (a runner's
   * own LocalTarget).
   */
  readonly debugPrivilege?: {
    readonly enabled: boolean;
    readonly reason?: string;
    readonly unavailable: readonly string[];
  };
}

export interface Health {
  readonly ok: boolean;
  readonly uptimeMs: number;
  readonly scm: boolean;
}

/** A driver by its service name: what calls need when the caller holds no InstalledDriver. */
export type DriverRef = Pick<InstalledDriver, 'name'>;

export interface Target {
  /** The run this target works for: services it creates carry its marker. */
  readonly runId: string;
  info(): Promise<TargetInfo>;
  health(): Promise<Health>;
  /** Stages the image on the target and creates the driver's service, owned by this run. */
  install(image: DriverImage, options: InstallOptions): Promise<InstalledDriver>;
  start(driver: DriverRef, options?: CallOptions): Promise<TimedStatus>;
  stop(driver: DriverRef, options?: CallOptions): Promise<TimedStatus>;
  query(driver: DriverRef): Promise<ServiceStatus>;
  /** DeleteService alone: marks the service for deletion, running or not. */
  markForDelete(driver: DriverRef, options?: CallOptions): Promise<void>;
  /** Stops the service when it runs, then deletes it; nothing to do when it is already gone. */
  uninstall(driver: DriverRef, options?: CallOptions): Promise<void>;
  /** drvcycle-owned services of any run still on the target. */
  listOwned(): Promise<OwnedService[]>;
  /** Uninstalls owned services of other runs (left by crashed runners); never foreign ones. */
  cleanupStale(): Promise<StaleCleanup>;
  /** Which memory samplers the target offers, and why not. */
  samplers(): Promise<Availability>;
  /** A memory sample now (the baseline before the first load, the end state after the last). */
  sample(request: SampleRequest): Promise<SystemSample>;
  /** `verifier /querysettings` on the target (Windows only; Wine has no Driver Verifier). */
  verifierSettings(): Promise<VerifierSettingsRead>;
  /** Event-log entries in the window, decoded; `available: false` with the reason where there is none. */
  events(since: Date, until?: Date): Promise<EventLogRead>;
  /**
   * Runs load/unload cycles inside the target, one record per cycle as it completes. One batch
   * per driver at a time; it stops between cycles when cancelled or when its client goes away.
   */
  runCycles(driver: DriverRef, options: CycleOptions): AsyncIterable<CycleRecord>;
  /** Ends the driver's batch after the cycle under way and waits for it; whether one ran. */
  cancelCycles(driver: DriverRef): Promise<boolean>;
  close(): Promise<void>;
}

/** The file name an image gets on the target. */
export function imageFileName(image: DriverImage): string {
  if ('fileName' in image) return image.fileName;
  const path = 'file' in image ? image.file : image.binaryPath;
  return path.split(/[\\/]/).pop() || 'driver.sys';
}
