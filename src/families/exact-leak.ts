/**
 * The leak verdict on the lab's exact pool trace: `leak@N` for the first cycle N whose allocation
 * outlived the next cycle's unload (core/wine-pool-trace.ts says precisely when), with every
 * allocation still alive after the last unload listed by call site, named by the image's symbols.
 * The slope over the series is still computed and drawn, for the chart and the evidence.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decideLeak, type LeakThresholds } from '../core/leak-decision.ts';
import { readImageSymbols, type ImageSymbols } from '../core/pe-symbols.ts';
import { describeLeak, LeakLedger, leakListMarkdown } from '../core/pool-leaks.ts';
import { scenarioOf } from '../core/spec-families.ts';
import { makeVerdict, type Verdict } from '../core/verdict.ts';
import type { WinePoolTrace } from '../core/wine-pool-trace.ts';
import type { CycleRunContext } from './cycle-plan.ts';

/** The trace of one machine of the run: its cycles are numbered from `firstCycle`. */
export interface TraceSegment {
  readonly firstCycle: number;
  readonly trace: WinePoolTrace;
}

export interface RunLength {
  readonly planned: number;
  readonly ran: number;
  /**
   * The run stopped after this cycle, its last: the verdict was certain (fail fast), and the
   * target had run on to here before it saw the stop.
   */
  readonly stoppedAfter: number | undefined;
  /** Cycles run past the plan to confirm what the last one left. */
  readonly confirmationCycles: number;
}

/** The driver image's symbols, or none when the runner cannot read it. */
function symbolsOf(imageFile: string | undefined): ImageSymbols | undefined {
  if (!imageFile) return undefined;
  try {
    return readImageSymbols(readFileSync(imageFile));
  } catch {
    return undefined;
  }
}

/** The run's allocations left alive, over all its machines, numbered as the run counts cycles. */
function leftAlive(segments: readonly TraceSegment[]): {
  ledger: LeakLedger;
  leakCycle: number | undefined;
  certainAfter: number | undefined;
} {
  const ledger = new LeakLedger();
  let leakCycle: number | undefined;
  let certainAfter: number | undefined;
  for (const { firstCycle, trace } of segments) {
    if (trace.leakCycle !== undefined && leakCycle === undefined) {
      leakCycle = firstCycle - 1 + trace.leakCycle;
      const at = trace.certainAfterCycle;
      certainAfter = at === undefined ? undefined : firstCycle - 1 + at;
    }
    ledger.merge(trace.leftAllocated(), firstCycle - 1);
  }
  return { ledger, leakCycle, certainAfter };
}

export function exactLeakVerdict(
  ctx: CycleRunContext,
  segments: readonly TraceSegment[],
  thresholds: LeakThresholds,
  run: RunLength,
): Verdict {
  const { ledger, leakCycle, certainAfter } = leftAlive(segments);
  const driverFile = path.win32.basename(ctx.driver.binaryPath).toLowerCase();
  const symbols = symbolsOf(ctx.imageFile);
  const callSites = ledger.callSites((site) =>
    site.image === driverFile ? symbols?.functionAt(site.offset) : undefined,
  );
  const { listed, omitted } = ledger.allocations();
  const points = ctx.collector.memorySeries('wine-pool-trace').filter((p) => p.cycle > 0);
  // The slope is drawn and kept as evidence only: over every point (the exact trace counts the
  // driver's own bytes, so no warm-up hides caches), from two points on.
  const analysis = decideLeak(
    points,
    { ...thresholds, warmupCycles: 0, minSamples: 2 },
    { unit: 'B', exact: true, baseline: 0 },
  );
  const bytesAlive = callSites.reduce((sum, g) => sum + g.bytes, 0);
  ctx.collector.chart({
    signal: 'wine-pool-trace',
    title:
      leakCycle !== undefined
        ? `${ctx.driver.name}: leak at cycle ${leakCycle}, ${bytesAlive} B alive after the last unload`
        : `${ctx.driver.name}: wine-pool-trace after each unload`,
    unit: 'B',
    fit: Number.isFinite(analysis.slopePerCycle)
      ? { slope: analysis.slopePerCycle, intercept: analysis.intercept }
      : undefined,
    warmupCycles: 0,
    analysis: { exact: { leakCycle, callSites, allocations: listed, omitted }, slope: analysis },
    leakList:
      ledger.count > 0
        ? leakListMarkdown({
            driver: ctx.driver.name,
            leakCycle,
            callSites,
            allocations: listed,
            omitted,
          })
        : undefined,
  });
  const inLeakCycle =
    leakCycle === undefined ? [] : callSites.filter((g) => g.perCycle[leakCycle] !== undefined);
  const evidence = {
    signal: 'wine-pool-trace',
    decision: 'exact',
    leakCycle,
    allocationsAlive: ledger.count,
    bytesAlive,
    callSites,
    allocations: listed,
    omittedAllocations: omitted,
    cyclesPlanned: run.planned,
    cyclesRun: run.ran,
    loadsTraced: segments.reduce((sum, s) => sum + s.trace.cycles, 0),
    // The target ran a few cycles on before it saw the stop: their loads are left out.
    ...(segments.some((s) => s.trace.loadsPastLeak > 0)
      ? { loadsPastStop: segments.reduce((sum, s) => sum + s.trace.loadsPastLeak, 0) }
      : {}),
    ...(run.stoppedAfter !== undefined
      ? {
          stoppedEarly: `after cycle ${run.stoppedAfter} of ${run.planned}: the leak at cycle ${leakCycle} was certain${certainAfter !== undefined ? ` from cycle ${certainAfter}'s end in the pool trace` : ''}`,
        }
      : {}),
    ...(run.confirmationCycles > 0 ? { confirmationCycles: run.confirmationCycles } : {}),
    slopeBytesPerCycle: Number.isFinite(analysis.slopePerCycle) ? analysis.slopePerCycle : null,
    residualBytes: points.at(-1)?.value ?? 0,
    samples: points.length,
    handles: 'unavailable on this target',
  };
  const base = { driver: ctx.driver.name, scenario: scenarioOf('leaks') };
  if (leakCycle !== undefined) {
    const made = inLeakCycle.reduce((sum, g) => sum + (g.perCycle[leakCycle] ?? 0), 0);
    return makeVerdict({
      ...base,
      kind: 'leak',
      cycle: leakCycle,
      detail: describeLeak(inLeakCycle.length > 0 ? inLeakCycle : callSites, made || ledger.count),
      evidence,
    });
  }
  const late =
    ledger.count > 0
      ? `; ${ledger.count} allocation${ledger.count === 1 ? '' : 's'} still allocated after the last unload, none of them through a further cycle (a buffer the next load frees is not a leak)`
      : '';
  return makeVerdict({
    ...base,
    kind: 'pass',
    detail: `wine-pool-trace: no allocation of the driver outlived the next cycle's unload in ${run.ran} cycles${late}`,
    evidence,
  });
}
