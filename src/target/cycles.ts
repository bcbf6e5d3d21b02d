/** The load/unload loop that runs inside the target: one record per cycle, as it completes. */
import { ScmError, ScmTimeoutError, toWire, UnexpectedStateError } from '../core/errors.ts';
import type { CycleOptions, CycleRecord, SystemSample } from '../core/records.ts';
import type { DeviceSpec } from '../windows/pnp/devices.ts';
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
  // A PnP driver is loaded by adding its device and unloaded by removing it (then its service
  // is stopped): the lab's way, which Wine 8 supports (src/windows/pnp/devices.ts).
  const load = (cycle: number) => {
    const call = { timeoutMs: options.startTimeoutMs, cycle, ownershipChecked: true };
    return pnp ? services.pnpStart(name, pnp, call) : services.start(name, call);
  };
  const unload = (cycle: number) => {
    const call = { timeoutMs: options.stopTimeoutMs, cycle, ownershipChecked: true };
    return pnp ? services.pnpStop(name, pnp.hardwareId, call) : services.stop(name, call);
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
