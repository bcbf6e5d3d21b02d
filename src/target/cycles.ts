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
import type { DriverServices } from '../windows/scm/driver-services.ts';
import { stateName } from '../windows/scm/status.ts';

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

export async function* runCycles(
  services: DriverServices,
  name: string,
  options: CycleOptions,
  sampler?: () => SystemSample,
  signal?: AbortSignal,
  pnp?: DeviceSpec,
): AsyncGenerator<CycleRecord> {
  const every = options.sampleEvery ?? 0;
  validateCycleOptions(options);
  // A batch is one operation: ownership is read once, at its start.
  services.requireOwned(name, 'cycle');
  const release = services.holdOpen(name);
  try {
    yield* cycleLoop(services, name, options, every, sampler, signal, pnp);
  } finally {
    release();
  }
}

async function* cycleLoop(
  services: DriverServices,
  name: string,
  options: CycleOptions,
  every: number,
  sampler: (() => SystemSample) | undefined,
  signal: AbortSignal | undefined,
  pnp: DeviceSpec | undefined,
): AsyncGenerator<CycleRecord> {
  // A PnP driver is loaded and unloaded through its device (src/windows/pnp/strategies.ts):
  // remove/re-add, or on Windows disable/enable, set up here before the first cycle.
  const strategy = pnp ? pnpStrategyFor(wineVersion() !== null, options.pnpStrategy) : undefined;
  const instanceId =
    pnp && strategy === 'disable-enable' ? await disabledDevice(services, name, pnp) : undefined;
  const load = (cycle: number) => {
    const call = { timeoutMs: options.startTimeoutMs, cycle, ownershipChecked: true };
    if (!pnp) return services.start(name, call);
    return instanceId
      ? services.pnpSetEnabled(name, instanceId, true, call)
      : services.pnpStart(name, pnp, call);
  };
  const unload = (cycle: number) => {
    const call = { timeoutMs: options.stopTimeoutMs, cycle, ownershipChecked: true };
    if (!pnp) return services.stop(name, call);
    return instanceId
      ? services.pnpSetEnabled(name, instanceId, false, call)
      : services.pnpStop(name, pnp.hardwareId, call);
  };
  // A cancelled batch ends between cycles: the cycle under way finishes, the driver stays stopped.
  for (let cycle = 1; cycle <= options.count && !signal?.aborted; cycle++) {
    let startMs: number | null = null;
    try {
      startMs = (await load(cycle)).elapsedMs;
    } catch (error) {
      yield failed(services, name, cycle, 'start-failed', startMs, null, error);
      return;
    }
    try {
      const stopMs = (await unload(cycle)).elapsedMs;
      const sample = sampler && every > 0 && cycle % every === 0 ? sampler() : undefined;
      yield {
        cycle,
        outcome: 'ok',
        startMs,
        stopMs,
        state: 'STOPPED',
        ...(sample ? { sample } : {}),
      };
    } catch (error) {
      yield failed(services, name, cycle, 'stop-failed', startMs, null, error);
      return;
    }
  }
}

function failed(
  services: DriverServices,
  name: string,
  cycle: number,
  outcome: 'start-failed' | 'stop-failed',
  startMs: number | null,
  stopMs: number | null,
  error: unknown,
): CycleRecord {
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
  services: DriverServices,
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
