/**
 * Driver services as drvcycle manages them: created with an ownership marker, changed, stopped
 * and deleted only when owned, transient states retried, pending states waited out within bounds.
 */
import {
  ForeignServiceError,
  ScmError,
  ScmTimeoutError,
  UnexpectedStateError,
} from '../../core/errors.ts';
import type { ServiceConfig } from './scm-layouts.ts';
import {
  describeOwnership,
  isStale,
  ownedDescription,
  ownedDisplayName,
  readOwnership,
  type Ownership,
} from './ownership.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.ts';
import type { ServiceManager } from './service-manager.ts';
import {
  driverTypeCode,
  ServiceState,
  stateName,
  type DriverType,
  type ServiceStatus,
} from './status.ts';
import { realClock, waitWhilePending, type Clock } from './wait.ts';
import { CallAbandonedError, type BoundOperation, type CallWatch } from './blocking-call-watch.ts';
import { Win32 } from '../../core/win32-codes.ts';
import { isHostKeeper } from '../../core/host-keeper.ts';

export interface DriverServiceSpec {
  readonly name: string;
  /** The image's path on this machine. */
  readonly binaryPath: string;
  readonly type?: DriverType | undefined;
  readonly group?: string | undefined;
  /** The run whose marker the service gets. */
  readonly runId: string;
}

export interface ScmCallOptions {
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly cycle?: number;
  /** The caller checked ownership for this whole operation (a batch checks once, at its start). */
  readonly ownershipChecked?: boolean;
}

export interface TimedStatus {
  readonly status: ServiceStatus;
  readonly elapsedMs: number;
}

export interface StaleCleanup {
  readonly removed: string[];
  /** Owned services that could not be removed (still running a hung unload, say), with why. */
  readonly failed: { name: string; error: string }[];
}

export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

export class DriverServices {
  protected readonly scm: ServiceManager;
  protected readonly clock: Clock;

  /**
   * Whether the PnP manager unloads a driver with its last device (Windows). Wine keeps the image
   * until the service is stopped, so there drvcycle stops it after the removal.
   */
  protected readonly unloadsWithLastDevice: boolean;
  /** Set where blocking calls run inline (a batch thread): another thread bounds them. */
  private readonly watch: CallWatch | undefined;

  constructor(
    scm: ServiceManager,
    clock: Clock = realClock,
    options: { readonly unloadsWithLastDevice?: boolean; readonly watch?: CallWatch } = {},
  ) {
    this.scm = scm;
    this.clock = clock;
    this.unloadsWithLastDevice = options.unloadsWithLastDevice ?? true;
    this.watch = options.watch;
  }

  /** Creates the service; refuses when a service of that name exists and is not drvcycle's. */
  async install(spec: DriverServiceSpec, options: ScmCallOptions = {}): Promise<ServiceConfig> {
    if (this.scm.exists(spec.name)) {
      const ownership = this.ownershipOf(spec.name);
      if (!ownership.owned)
        throw new ForeignServiceError({
          service: spec.name,
          action: 'create over',
          seen: `an existing service with ${describeOwnership(ownership)}`,
        });
    }
    await withRetry(
      () =>
        this.scm.createService({
          name: spec.name,
          displayName: ownedDisplayName(spec.name, spec.runId),
          binaryPath: spec.binaryPath,
          type: driverTypeCode(spec.type ?? 'kernel'),
          loadOrderGroup: spec.group,
        }),
      options.retry ?? DEFAULT_RETRY,
    );
    this.scm.setDescription(spec.name, ownedDescription(spec.runId, new Date()));
    return this.scm.queryConfig(spec.name);
  }

  async start(name: string, options: ScmCallOptions = {}): Promise<TimedStatus> {
    const { startedAt } = await this.startService(name, options);
    const status = await this.confirmStarted(name, startedAt, options);
    return { status, elapsedMs: this.clock.now() - startedAt };
  }

  /**
   * StartService alone, bounded, its state not read back. For a driver, StartService returns once
   * DriverEntry has returned STATUS_SUCCESS, so the service runs; a batch lets its next stop
   * confirm it (a stop control is accepted only by a running service) and calls confirmStarted
   * only when that stop says otherwise.
   */
  async startService(
    name: string,
    options: ScmCallOptions = {},
  ): Promise<{ startedAt: number; elapsedMs: number }> {
    if (!options.ownershipChecked) this.requireOwned(name, 'start');
    const boundMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const startedAt = this.clock.now();
    await this.boundCall('StartService', name, boundMs, startedAt, options, () =>
      this.scm.start(name),
    );
    return { startedAt, elapsedMs: this.clock.now() - startedAt };
  }

  /** Waits out START_PENDING within the start's bound (from `startedAt`) and requires RUNNING. */
  async confirmStarted(
    name: string,
    startedAt: number,
    options: ScmCallOptions = {},
  ): Promise<ServiceStatus> {
    const status = await waitWhilePending(
      () => this.scm.queryStatus(name),
      {
        operation: 'StartService',
        service: name,
        startedAt,
        boundMs: options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS,
        cycle: options.cycle,
      },
      this.clock,
    );
    if (status.state !== ServiceState.RUNNING)
      throw new UnexpectedStateError({
        operation: 'StartService',
        service: name,
        expected: 'RUNNING',
        state: stateName(status.state),
        cycle: options.cycle,
      });
    return status;
  }

  async stop(name: string, options: ScmCallOptions = {}): Promise<TimedStatus> {
    if (!options.ownershipChecked) this.requireOwned(name, 'stop');
    const boundMs = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const startedAt = this.clock.now();
    let reported: ServiceStatus | undefined;
    try {
      await this.boundCall('ControlService', name, boundMs, startedAt, options, async () => {
        reported = await this.scm.stop(name);
      });
    } catch (error) {
      // The SCM gave up waiting for DriverUnload (1053) but the driver is still unloading: keep
      // waiting within our own bound, so a hang is reported as a hang with its state.
      if (!(
        error instanceof ScmError &&
        error.win32Code === Win32.SERVICE_REQUEST_TIMEOUT &&
        error.state === 'STOP_PENDING'
      ))
        throw error;
    }
    // ControlService's own status says STOPPED for a driver whose unload is done: no query needed.
    const status =
      reported?.state === ServiceState.STOPPED
        ? reported
        : await waitWhilePending(
            () => this.scm.queryStatus(name),
            {
              operation: 'ControlService',
              service: name,
              startedAt,
              boundMs,
              cycle: options.cycle,
            },
            this.clock,
          );
    if (status.state !== ServiceState.STOPPED)
      throw new UnexpectedStateError({
        operation: 'ControlService',
        service: name,
        expected: 'STOPPED',
        state: stateName(status.state),
        cycle: options.cycle,
      });
    return { status, elapsedMs: this.clock.now() - startedAt };
  }

  /** One handle for a batch of calls on the service (see ServiceManager.holdOpen). */
  holdOpen(name: string): () => void {
    return this.scm.holdOpen(name);
  }

  query(name: string): ServiceStatus {
    return this.scm.queryStatus(name);
  }

  config(name: string): ServiceConfig {
    return this.scm.queryConfig(name);
  }

  ownershipOf(name: string): Ownership {
    const config = this.scm.queryConfig(name);
    return readOwnership({
      displayName: config.displayName,
      description: this.scm.queryDescription(name),
    });
  }

  /** Marks the owned service for deletion. Stopping first is the caller's decision. */
  async markForDelete(name: string, options: ScmCallOptions = {}): Promise<void> {
    this.requireOwned(name, 'delete');
    await withRetry(() => this.scm.delete(name), options.retry ?? DEFAULT_RETRY);
  }

  /** Stops (when running) and deletes the owned service; tolerates "already stopped/gone". */
  async uninstall(name: string, options: ScmCallOptions = {}): Promise<void> {
    if (!this.scm.exists(name)) return;
    this.requireOwned(name, 'delete');
    const state = this.scm.queryStatus(name).state;
    if (state !== ServiceState.STOPPED) {
      try {
        await this.stop(name, options);
      } catch (error) {
        if (!(error instanceof ScmError && error.win32Code === Win32.SERVICE_NOT_ACTIVE))
          throw error;
      }
    }
    try {
      await this.markForDelete(name, options);
    } catch (error) {
      if (!(
        error instanceof ScmError &&
        (error.win32Code === Win32.SERVICE_MARKED_FOR_DELETE ||
          error.win32Code === Win32.SERVICE_DOES_NOT_EXIST)
      ))
        throw error;
    }
  }

  listOwned(): { name: string; runId: string; state: string }[] {
    const owned: { name: string; runId: string; state: string }[] = [];
    for (const service of this.scm.listDrivers()) {
      const ownership = readOwnership({ displayName: service.displayName, description: '' });
      if (ownership.owned)
        owned.push({ name: service.name, runId: ownership.runId, state: service.status.stateName });
    }
    return owned;
  }

  /** Uninstalls services that other runs created and left behind; never touches foreign ones. */
  async cleanupStale(
    currentRunId: string,
    options: ScmCallOptions = {},
    remove: (name: string, timeoutMs: number) => Promise<void> = (name, timeoutMs) =>
      this.uninstall(name, { timeoutMs }),
  ): Promise<StaleCleanup> {
    const result: StaleCleanup = { removed: [], failed: [] };
    for (const service of this.listOwned()) {
      if (!isStale({ owned: true, runId: service.runId }, currentRunId)) continue;
      // The lab machine's own keeper, from the run that booted it: a warm machine keeps it.
      if (isHostKeeper(service.name)) continue;
      try {
        await remove(service.name, options.timeoutMs ?? 10_000);
        result.removed.push(service.name);
      } catch (error) {
        result.failed.push({
          name: service.name,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return result;
  }

  /**
   * Refuses to touch a service without drvcycle's marker. Read from the service itself every
   * time, never remembered: a service deleted and recreated by someone else is theirs.
   */
  requireOwned(name: string, action: string): void {
    const ownership = this.ownershipOf(name);
    if (!ownership.owned)
      throw new ForeignServiceError({ service: name, action, seen: describeOwnership(ownership) });
  }

  /** Runs a blocking SCM call with retries, giving up (with the state it sees) at the bound. */
  protected async boundCall(
    operation: BoundOperation,
    name: string,
    boundMs: number,
    startedAt: number,
    options: ScmCallOptions,
    call: () => Promise<void>,
  ): Promise<void> {
    const watched = this.watch;
    if (watched)
      watched.begin({
        operation,
        service: name,
        boundMs,
        startedAtEpochMs: Date.now() - (this.clock.now() - startedAt),
        cycle: options.cycle,
      });
    // Inline on a batch thread no timer of ours can fire: the watching thread bounds the call.
    let timer: NodeJS.Timeout | undefined;
    const expired = watched
      ? undefined
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            let state = 'UNKNOWN';
            try {
              state = stateName(this.scm.queryStatus(name).state);
            } catch {
              // the query itself failing is reported as UNKNOWN
            }
            reject(
              new ScmTimeoutError({
                operation,
                service: name,
                state,
                elapsedMs: this.clock.now() - startedAt,
                boundMs,
                cycle: options.cycle,
              }),
            );
          }, boundMs);
        });
    const calls = withRetry(call, options.retry ?? DEFAULT_RETRY).catch((error: unknown) => {
      throw error instanceof ScmError && options.cycle !== undefined
        ? error.atCycle(options.cycle)
        : error;
    });
    try {
      await (expired ? Promise.race([calls, expired]) : calls);
    } finally {
      clearTimeout(timer);
      // eslint-disable-next-line no-unsafe-finally -- the watchdog reported this call: its outcome is moot
      if (watched && !watched.end()) throw new CallAbandonedError(operation, name);
    }
  }
}
