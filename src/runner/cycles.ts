/**
 * The load/unload cycle suite over any Target: runs a batch, hands every record on as it arrives,
 * and returns the first bad cycle (a machine that stops answering mid-batch fails the next one).
 * Turning that cycle into a verdict is verdict/classify.ts's job.
 */
import type { CycleOptions, CycleRecord, ServiceRef, Target } from '../target/types.ts';

export interface BatchOptions {
  /** Number of the batch's first cycle, so successive batches (the soak) count on. */
  readonly firstCycle?: number;
  readonly onRecord?: (record: CycleRecord) => void;
}

export async function runCycleBatch(
  target: Target,
  ref: ServiceRef,
  options: CycleOptions,
  batch: BatchOptions = {},
): Promise<CycleRecord | undefined> {
  const first = batch.firstCycle ?? 1;
  let last = first - 1;
  try {
    for await (const raw of target.runCycles(ref, options)) {
      const record = { ...raw, cycle: first + raw.cycle - 1 };
      last = record.cycle;
      batch.onRecord?.(record);
      if (record.outcome !== 'ok') return record;
    }
    return undefined;
  } catch (error) {
    const lost: CycleRecord = {
      cycle: last + 1,
      outcome: 'start-failed',
      startMs: null,
      stopMs: null,
      state: 'UNKNOWN',
      error: {
        type: 'DrvcycleError',
        code: 'DRVCYCLE_AGENT_UNREACHABLE',
        message: (error as Error).message,
      },
    };
    batch.onRecord?.(lost);
    return lost;
  }
}

export interface ProgressReport {
  readonly done: number;
  readonly total: number;
  readonly perSecond: number;
  readonly etaSeconds: number;
}

export function formatProgress(p: ProgressReport): string {
  const eta = Number.isFinite(p.etaSeconds) ? `${Math.ceil(p.etaSeconds)} s` : '?';
  return `cycle ${p.done}/${p.total} (${p.perSecond.toFixed(1)}/s, ETA ${eta})`;
}

/** A progress line every `everyMs` (not per cycle); without a total, just the count and rate. */
export function progressReporter(
  label: string,
  total: number | undefined,
  log: (line: string) => void,
  everyMs = 5_000,
): (done: number) => void {
  const started = performance.now();
  let last = started;
  return (done) => {
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    const perSecond = done / ((now - started) / 1000);
    log(
      `[${label}] ${total ? formatProgress({ done, total, perSecond, etaSeconds: (total - done) / perSecond }) : `cycle ${done} (${perSecond.toFixed(1)}/s)`}`,
    );
  };
}
