/** The load/unload loop that runs inside the target: one record per cycle, as it completes. */
import {
  DrvcycleError,
  ErrorCodes,
  ScmError,
  ScmTimeoutError,
  toWire,
  UnexpectedStateError,
} from '../core/errors.ts';
import type { CycleOptions, CycleRecord, SystemSample } from '../core/records.ts';
import { deviceInstanceIds, type DeviceSpec } from '../windows/pnp/devices.ts';
import { pnpStrategyFor } from '../windows/pnp/strategies.ts';
import { wineVersion } from '../windows/nt/wine.ts';
import type { DriverServices, ScmCallOptions } from '../windows/scm/driver-services.ts';
import type { PnpDriverServices } from '../windows/pnp/pnp-services.ts';
import { Win32 } from '../core/win32-codes.ts';
import { CallAbandonedError } from '../windows/scm/blocking-call-watch.ts';
import { stateName } from '../windows/scm/status.ts';
import type { IoTable } from '../core/io-table.ts';
import { openTableDevice, runIoTable, type DeviceCallWatch, type IoRunResult } from './io-run.ts';
import { drainDriverHost } from './host-barrier.ts';

export function validateCycleOptions(options: CycleOptions): CycleOptions {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new TypeError(
      `Expected \`count\` to be a positive whole number of cycles, got ${options.count}.`,
    );
  }
  if (
    options.sampleEvery !== undefined &&
    (!Number.isInteger(options.sampleEvery) || options.sampleEvery < 0)
  ) {
    throw new TypeError(
      `Expected \`sampleEvery\` to be a whole number of cycles (0: never), got ${options.sampleEvery}.`,
    );
  }
  for (const key of ['startTimeoutMs', 'stopTimeoutMs'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new TypeError(
        `Expected \`${key}\` to be a positive number of milliseconds, got ${value}.`,
      );
    }
  }
  return options;
}

/** Read between cycles: an AbortSignal, or a batch thread's shared flag. */
export interface Cancellation {
  readonly aborted: boolean;
}

export interface BatchHooks {
  /** Takes a system sample after an unload (every `sampleEvery` cycles). */
  readonly sampler?: () => SystemSample;
  readonly cancel?: Cancellation;
  /** Set for a PnP driver: its cycles go through its device. */
  readonly pnp?: DeviceSpec;
  /**
   * Told as each cycle enters its load, its I/O or its unload (with the load's time once loaded):
   * a batch thread's watchdog reads it.
   */
  readonly onPhase?: (
    cycle: number,
    phase: 'load' | 'io' | 'unload',
    startMs: number | null,
  ) => void;
  /** Runs the I/O table on the loaded driver (default: on its device, through src/windows/io). */
  readonly runIo?: (table: IoTable, cycle: number) => IoRunResult;
  /** Bounds the I/O table's open and close of the device (a batch thread's watchdog). */
  readonly deviceWatch?: DeviceCallWatch;
}

const ioOnDevice =
  (watch: DeviceCallWatch | undefined, hostBarrier: string | undefined) =>
  (table: IoTable, cycle: number): IoRunResult =>
    runIoTable(table, openTableDevice, {
      cycle,
      ...(table.fuzz?.seed !== undefined ? { seed: table.fuzz.seed } : {}),
      ...(watch ? { watch } : {}),
      ...(hostBarrier
        ? { afterClose: () => drainDriverHost(hostBarrier, table.openTimeoutMs) }
        : {}),
    });

export async function* runCycleLoop(
  services: PnpDriverServices,
  name: string,
  options: CycleOptions,
  hooks: BatchHooks = {},
): AsyncGenerator<CycleRecord> {
  const every = options.sampleEvery ?? 0;
  validateCycleOptions(options);
  // A batch is one operation: ownership is read once, at its start.
  services.requireOwned(name, 'cycle');
  const release = services.holdOpen(name);
  try {
    yield* cycleLoop(services, name, options, every, hooks);
  } finally {
    release();
  }
}

async function* cycleLoop(
  services: PnpDriverServices,
  name: string,
  options: CycleOptions,
  every: number,
  {
    sampler,
    cancel,
    pnp,
    onPhase,
    deviceWatch,
    runIo = ioOnDevice(deviceWatch, options.hostBarrier),
  }: BatchHooks,
): AsyncGenerator<CycleRecord> {
  // A PnP driver is loaded and unloaded through its device (src/windows/pnp/strategies.ts):
  // remove/re-add, or on Windows disable/enable, set up here before the first cycle.
  const strategy = pnp ? pnpStrategyFor(wineVersion() !== null, options.pnpStrategy) : undefined;
  const instanceId =
    pnp && strategy === 'disable-enable' ? await disabledDevice(services, name, pnp) : undefined;
  const startCall = (cycle: number) => ({
    timeoutMs: options.startTimeoutMs,
    cycle,
    ownershipChecked: true,
  });
  const stopCall = (cycle: number) => ({
    timeoutMs: options.stopTimeoutMs,
    cycle,
    ownershipChecked: true,
  });
  // A service's start is confirmed by the stop that follows it (see unconfirmedStart).
  const load = (cycle: number): Promise<Load> => {
    if (!pnp) return services.startService(name, startCall(cycle));
    return instanceId
      ? services.pnpSetEnabled(name, instanceId, true, startCall(cycle))
      : services.pnpStart(name, pnp, startCall(cycle));
  };
  const unload = (cycle: number) => {
    if (!pnp) return services.stop(name, stopCall(cycle));
    return instanceId
      ? services.pnpSetEnabled(name, instanceId, false, stopCall(cycle))
      : services.pnpStop(name, pnp.hardwareId, stopCall(cycle));
  };
  // A cancelled batch ends between cycles: the cycle under way finishes, the driver stays stopped.
  for (let cycle = 1; cycle <= options.count && !cancel?.aborted; cycle++) {
    let loaded: Load;
    try {
      onPhase?.(cycle, 'load', null);
      loaded = await load(cycle);
    } catch (error) {
      yield failed(services, name, cycle, 'start-failed', null, null, error);
      return;
    }
    // The I/O table, between the load and the unload (every k-th cycle).
    let io: IoRunResult | undefined;
    if (options.io && cycle % options.io.everyCycles === 0) {
      onPhase?.(cycle, 'io', loaded.elapsedMs);
      io = runIo(options.io, cycle);
    }
    if (io?.failure) {
      yield {
        cycle,
        outcome: 'io-failed',
        startMs: loaded.elapsedMs,
        stopMs: null,
        state: currentState(services, name),
        io: io.operations,
        ioFailure: io.failure,
      };
      // The record first: a stop that hangs now is the watchdog's to report, after it. The driver
      // is left stopped where it can be; its failure is the I/O call's.
      try {
        onPhase?.(cycle, 'unload', loaded.elapsedMs);
        await unload(cycle);
      } catch (error) {
        if (error instanceof CallAbandonedError) throw error;
      }
      return;
    }
    try {
      onPhase?.(cycle, 'unload', loaded.elapsedMs);
      const stopMs = (await unload(cycle)).elapsedMs;
      const sample = sampler && every > 0 && cycle % every === 0 ? sampler() : undefined;
      yield {
        cycle,
        outcome: 'ok',
        startMs: loaded.elapsedMs,
        stopMs,
        state: 'STOPPED',
        ...(sample ? { sample } : {}),
        ...(io ? { io: io.operations } : {}),
      };
    } catch (error) {
      const startError =
        !pnp && loaded.startedAt !== undefined
          ? await unconfirmedStart(services, name, loaded.startedAt, startCall(cycle), error)
          : undefined;
      yield startError
        ? failed(services, name, cycle, 'start-failed', null, null, startError)
        : failed(services, name, cycle, 'stop-failed', loaded.elapsedMs, null, error);
      return;
    }
  }
}

interface Load {
  readonly elapsedMs: number;
  /** Set for a service start whose state was not read back: its stop confirms it. */
  readonly startedAt?: number;
}

/**
 * A start is confirmed by the stop that follows it: ControlService(STOP) succeeds only on a
 * running service. When the stop fails because the service was not running (1062) or was still
 * starting (1061 retried to its end, or the stop's bound reached in START_PENDING), the start is
 * checked as a lone start would be, and its failure is the cycle's.
 */
async function unconfirmedStart(
  services: PnpDriverServices,
  name: string,
  startedAt: number,
  call: ScmCallOptions,
  stopError: unknown,
): Promise<unknown> {
  const notRunning =
    (stopError instanceof ScmError && stopError.win32Code === Win32.SERVICE_NOT_ACTIVE) ||
    ((stopError instanceof ScmError || stopError instanceof ScmTimeoutError) &&
      stopError.state === 'START_PENDING');
  if (!notRunning) return undefined;
  try {
    await services.confirmStarted(name, startedAt, call);
    return undefined;
  } catch (error) {
    return error;
  }
}

function currentState(services: Pick<DriverServices, 'query'>, name: string): string {
  try {
    return stateName(services.query(name).state);
  } catch {
    return 'UNKNOWN';
  }
}

/** A failed cycle's record, with the state the service is in now when the error does not say. */
export function failed(
  services: Pick<DriverServices, 'query'>,
  name: string,
  cycle: number,
  outcome: 'start-failed' | 'stop-failed',
  startMs: number | null,
  stopMs: number | null,
  error: unknown,
): CycleRecord {
  // A call the batch's owner already reported as overdue: the batch ends without another record.
  if (error instanceof CallAbandonedError) throw error;
  let state =
    error instanceof ScmError ||
    error instanceof ScmTimeoutError ||
    error instanceof UnexpectedStateError
      ? error.state
      : undefined;
  if (!state) {
    try {
      state = stateName(services.query(name).state);
    } catch {
      state = 'UNKNOWN';
    }
  }
  return { cycle, outcome, startMs, stopMs, state, error: toWire(error) };
}

/**
 * Disable/enable needs the device: added once (from the INF) and disabled, so each cycle
 * starts from an unloaded driver as with any other strategy. Its instance id is what the
 * Configuration Manager calls take.
 */
async function disabledDevice(
  services: PnpDriverServices,
  name: string,
  pnp: DeviceSpec,
): Promise<string> {
  if (deviceInstanceIds(pnp.hardwareId, name).length === 0)
    await services.pnpStart(name, pnp, { ownershipChecked: true });
  const [instanceId] = deviceInstanceIds(pnp.hardwareId, name);
  if (!instanceId)
    throw new DrvcycleError(
      ErrorCodes.PNP,
      `The device of "${name}" was added but cannot be found.`,
    );
  await services.pnpSetEnabled(name, instanceId, false, { ownershipChecked: true });
  return instanceId;
}
