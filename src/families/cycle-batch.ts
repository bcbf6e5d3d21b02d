/**
 * One batch of cycles over any Target: every record is handed on as it arrives, and the first bad
 * cycle is returned (a machine that stops answering mid-batch fails the next cycle).
 */
import { toWire } from '../core/errors.ts';
import type { CycleOptions, CycleRecord } from '../core/records.ts';
import type { DriverRef, InstalledDriver, Target } from '../target/types.ts';

export interface BatchOptions {
  /** Number of the batch's first cycle, so successive batches (the soak) count on. */
  readonly firstCycle?: number;
  readonly onRecord?: (record: CycleRecord) => void;
  /**
   * Asked after each good cycle until it answers true: the verdict is already certain, so the
   * batch is cancelled. The cycles the target ran before it saw the cancel still come (each to
   * `onRecord`, a failed one returned): what ran is counted.
   */
  readonly stopAfter?: (record: CycleRecord) => boolean;
}

export async function runCycleBatch(
  target: Target,
  driver: DriverRef,
  options: CycleOptions,
  batch: BatchOptions = {},
): Promise<CycleRecord | undefined> {
  const first = batch.firstCycle ?? 1;
  let last = first - 1;
  try {
    // A PnP driver (installed with `pnp`) is cycled through its device.
    const pnp = 'pnp' in driver ? (driver as InstalledDriver).pnp : undefined;
    const batchOptions: CycleOptions = pnp
      ? { ...options, pnp: true, ...(pnp.strategy ? { pnpStrategy: pnp.strategy } : {}) }
      : options;
    let cancelled: Promise<boolean> | undefined;
    try {
      for await (const raw of target.runCycles(driver, batchOptions)) {
        const record = { ...raw, cycle: first + raw.cycle - 1 };
        last = record.cycle;
        batch.onRecord?.(record);
        if (record.outcome !== 'ok') return record;
        // Awaited only once the stream has ended: the target ends the batch when it is read out.
        if (!cancelled && batch.stopAfter?.(record))
          cancelled = target.cancelCycles(driver).catch(() => false);
      }
    } finally {
      await cancelled;
    }
    return undefined;
  } catch (error) {
    // The batch itself failed (the agent refused it, went silent, or the connection broke): the
    // next cycle is the one that did not happen, with the typed error for the verdict to weigh.
    const lost: CycleRecord = {
      cycle: last + 1,
      outcome: 'start-failed',
      startMs: null,
      stopMs: null,
      state: 'UNKNOWN',
      error: toWire(error),
    };
    batch.onRecord?.(lost);
    return lost;
  }
}
