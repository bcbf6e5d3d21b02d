/**
 * Which operation of the I/O table leaks: after the leak spec finds a leak with the table on, the
 * driver is cycled again in short phases, one with no I/O and one per operation alone (a table of
 * that one operation: any subset of the table is a table), each measured on its own stretch of the
 * lab's pool trace. An operation whose phase grows past the threshold is blamed; a bare phase that
 * grows too means the load itself leaks. Lab only: the pool trace is what tells phases apart
 * without a sample per cycle (Windows' pool-tag and Verifier signals: not yet).
 */
import { decideLeak, type LeakThresholds } from '../core/leak-decision.ts';
import { describeOperation, withOperations, type IoTable } from '../core/io-table.ts';
import type { CycleOptions } from '../core/records.ts';
import { poolTraceSeries } from '../collector/memory-signals.ts';
import type { Machine } from '../machines/machine.ts';
import type { InstalledDriver, Target } from '../target/types.ts';
import { runCycleBatch } from './cycle-batch.ts';

/** Cycles per phase: enough for a slope past a short warm-up (the trace is exact: no noise). */
export const PHASE_CYCLES = 12;
const PHASE_WARMUP = 2;

export interface IoPhase {
  /** The operation run alone, or `none` for the bare phase (load and unload only). */
  readonly operation: string;
  readonly description: string;
  readonly slopeBytesPerCycle: number | null;
  readonly leaks: boolean;
  /** Why there is no slope (the phase's batch failed, too few samples). */
  readonly note?: string;
}

export interface IoAttribution {
  readonly phases: IoPhase[];
  /** The operations whose phase leaks. */
  readonly blamed: string[];
  /** The bare phase leaks: the load/unload itself, whatever the I/O. */
  readonly loadLeaks: boolean;
}

export async function attributeIoLeak(
  ctx: { target: Target; machine: Machine; driver: InstalledDriver },
  io: IoTable,
  options: Omit<CycleOptions, 'count' | 'io'>,
  thresholds: LeakThresholds,
): Promise<IoAttribution> {
  const phaseThresholds = {
    ...thresholds,
    warmupCycles: PHASE_WARMUP,
    minSamples: PHASE_CYCLES - PHASE_WARMUP,
  };
  const plans: { operation: string; description: string; table?: IoTable }[] = [
    { operation: 'none', description: 'load and unload, no I/O' },
    ...io.operations.map((op) => ({
      operation: op.name,
      description: describeOperation(op),
      table: { ...withOperations(io, [op.name]), everyCycles: 1 },
    })),
  ];
  const phases: IoPhase[] = [];
  for (const plan of plans) {
    const mark = ctx.machine.debugMark();
    const failed = await runCycleBatch(ctx.target, ctx.driver, {
      ...options,
      count: PHASE_CYCLES,
      ...(plan.table ? { io: plan.table } : {}),
    });
    if (failed) {
      phases.push({
        ...plan,
        slopeBytesPerCycle: null,
        leaks: false,
        note: `its batch failed at cycle ${failed.cycle} (${failed.outcome})`,
      });
      continue;
    }
    const series = poolTraceSeries(ctx.machine.debugOutput(mark), ctx.driver.binaryPath);
    const analysis = decideLeak(series, phaseThresholds, { unit: 'B', exact: true, baseline: 0 });
    phases.push({
      operation: plan.operation,
      description: plan.description,
      slopeBytesPerCycle: analysis.verdict === 'inconclusive' ? null : analysis.slopePerCycle,
      leaks: analysis.verdict === 'leak',
      ...(analysis.verdict === 'inconclusive' ? { note: analysis.reason } : {}),
    });
  }
  return {
    phases,
    blamed: phases.filter((p) => p.operation !== 'none' && p.leaks).map((p) => p.operation),
    loadLeaks: phases[0]?.leaks ?? false,
  };
}

/** `the operation alloc (IOCTL …) leaks 256 B per cycle run alone (get: 0 B, read: 0 B, no I/O: 0 B)`. */
export function describeAttribution(attribution: IoAttribution): string {
  const figure = (p: IoPhase) =>
    p.slopeBytesPerCycle === null ? `? (${p.note})` : `${Math.round(p.slopeBytesPerCycle)} B`;
  const others = attribution.phases
    .filter((p) => !attribution.blamed.includes(p.operation))
    .map((p) => `${p.operation === 'none' ? 'no I/O' : p.operation}: ${figure(p)}`)
    .join(', ');
  const blamed = attribution.phases.filter((p) => attribution.blamed.includes(p.operation));
  if (blamed.length === 0)
    return attribution.loadLeaks
      ? `the load/unload itself leaks, with no I/O (per phase: ${others})`
      : `no operation leaks when run alone (per phase: ${others})`;
  return `${blamed.map((p) => `the operation ${p.description} leaks ${figure(p)} per cycle run alone`).join('; ')} (${others})`;
}
