/**
 * The load/unload cycle suite over any Target: runs the batch, keeps every record, reports
 * progress at an interval, and fails on the first bad cycle with its number, typed error and state.
 */
import { DrvcycleError, ErrorCodes } from '../errors.ts';
import type { CycleOptions, CycleRecord, ServiceRef, Target } from '../target/types.ts';
import { fromWireError } from '../target/wire-errors.ts';

export interface CycleRun {
  readonly records: CycleRecord[];
  readonly requested: number;
  readonly elapsedMs: number;
}

export class CycleFailure extends DrvcycleError {
  readonly record: CycleRecord;
  readonly run: CycleRun;
  /** The typed error as the target raised it (ScmError, ScmTimeoutError, …). */
  readonly failure: Error | undefined;

  constructor(record: CycleRecord, run: CycleRun) {
    const failure = record.error ? fromWireError(record.error) : undefined;
    const kind =
      record.error?.type === 'ScmTimeoutError'
        ? 'HANG'
        : record.outcome === 'start-failed'
          ? 'LOAD FAILURE'
          : 'UNLOAD FAILURE';
    const detail = failure?.message ?? 'no error detail';
    const state = detail.includes(record.state) ? '' : ` [service state ${record.state}]`;
    super(
      ErrorCodes.CYCLE_FAILED,
      `${kind} at cycle ${record.cycle} of ${run.requested}: ${detail}${state}`,
    );
    this.name = 'CycleFailure';
    this.record = record;
    this.run = run;
    this.failure = failure;
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

export async function runCycleSuite(
  target: Target,
  ref: ServiceRef,
  options: CycleOptions & { progressEveryMs?: number; onProgress?: (line: string) => void },
): Promise<CycleRun> {
  const started = performance.now();
  const records: CycleRecord[] = [];
  let lastReport = started;
  const every = options.progressEveryMs ?? 5_000;
  for await (const record of target.runCycles(ref, options)) {
    records.push(record);
    const now = performance.now();
    if (options.onProgress && now - lastReport >= every) {
      lastReport = now;
      const perSecond = records.length / ((now - started) / 1000);
      options.onProgress(
        formatProgress({
          done: records.length,
          total: options.count,
          perSecond,
          etaSeconds: (options.count - records.length) / perSecond,
        }),
      );
    }
  }
  const run: CycleRun = {
    records,
    requested: options.count,
    elapsedMs: performance.now() - started,
  };
  const bad = records.find((record) => record.outcome !== 'ok');
  if (bad) throw new CycleFailure(bad, run);
  if (records.length !== options.count) {
    throw new DrvcycleError(
      ErrorCodes.CYCLE_FAILED,
      `The target ran ${records.length} of ${options.count} cycles and reported no failure.`,
    );
  }
  return run;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function latencySummary(values: readonly (number | null)[]): {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
} {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    count: sorted.length,
  };
}

export function cyclesCsv(records: readonly CycleRecord[]): string {
  const rows = records.map((r) =>
    [
      r.cycle,
      r.outcome,
      r.startMs?.toFixed(2) ?? '',
      r.stopMs?.toFixed(2) ?? '',
      r.state,
      r.error?.win32Code ?? '',
    ].join(','),
  );
  return ['cycle,outcome,start_ms,stop_ms,state,win32_code', ...rows].join('\n') + '\n';
}
