/**
 * The one cycle runner behind the cycles, soak and leak specs: it runs batches of load/unload
 * cycles inside the target, streams every record straight into the collector as it arrives
 * (nothing else keeps them), and turns the run into a verdict: the first bad cycle classified, a
 * leak decided on the best memory signal the machine offers, or a pass.
 */
import { scenarioOf, type FamilyId } from '../core/spec-families.ts';
import {
  classifyCycleFailure,
  labFlakeOf,
  verdictForCutShortBatch,
  type LabFlake,
} from '../core/classify.ts';
import type { Collector } from '../collector/collector.ts';
import { decideLeak, type LeakThresholds } from '../core/leak-decision.ts';
import type { CycleRecord, SampleRequest, SystemSample } from '../core/records.ts';
import type { TaggedSample } from '../core/pool-tag-growth.ts';
import { makeVerdict, type Verdict } from '../core/verdict.ts';
import type { Machine } from '../machines/machine.ts';
import type { InstalledDriver, Target } from '../target/types.ts';
import { runCycleBatch } from './cycle-batch.ts';
import { PoolTraceFollower } from '../collector/pool-trace-follower.ts';
import { exactLeakVerdict, type TraceSegment } from './exact-leak.ts';
import {
  chooseWindowsSignal,
  POOL_TRACE_UNAVAILABLE,
  sampleValue,
  type SignalName,
  type WindowsSignal,
} from '../collector/memory-signals.ts';
import { progressReporter } from './cycle-progress.ts';
import { drawSeed } from '../core/io-fuzz.ts';
import { ioTableEvidence, type IoTable } from '../core/io-table.ts';
import { pendingOpenOrClose } from './io-host-trace.ts';
import { attributeIoLeak, describeAttribution } from './io-phases.ts';
import { soakBatchSize } from './soak-pacing.ts';

export type CycleFamily = Extract<FamilyId, 'cycles' | 'soak' | 'leaks'>;

export interface CyclePlan {
  readonly family: CycleFamily;
  /** Cycles to run (cycles, leaks). */
  readonly count?: number;
  /** Or keep cycling for this long (soak). */
  readonly durationSeconds?: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** A memory sample after every k-th unload (0: only before and after the test). */
  readonly sampleEvery: number;
  /** The I/O table, run between each load and unload (the driver's, from the settings). */
  readonly io?: IoTable | undefined;
  /** Decide on leaks after the cycles (the leak spec). */
  readonly leak?: { readonly thresholds: LeakThresholds; readonly poolTags: readonly string[] };
}

export interface CycleRunContext {
  readonly target: Target;
  readonly machine: Machine;
  readonly driver: InstalledDriver;
  readonly collector: Collector;
  /** What the target samples after an unload (the driver's pool tags, its Verifier entry). */
  readonly sampleRequest: SampleRequest;
  readonly log?: (line: string) => void;
  /** Installs the driver again, on the machine as it is now (after a revert). */
  reinstall(): Promise<InstalledDriver>;
  /** The driver's image file on the runner's side: its symbols name a leak's call sites. */
  readonly imageFile?: string | undefined;
}

/** More lab faults than this in one test, and the lab itself is the verdict. */
const MAX_LAB_FLAKES = 5;

export async function runCyclePlan(ctx: CycleRunContext, plan: CyclePlan): Promise<Verdict> {
  const { target, machine, collector } = ctx;
  let driver = ctx.driver;
  const started = new Date();
  const onWine = (await target.info()).wineVersion !== null;
  const driverFile = driver.binaryPath.split('\\').pop() ?? '';
  const tags = plan.leak?.poolTags ?? [];
  const windows = plan.leak
    ? chooseWindowsSignal(await target.samplers().catch(() => undefined), tags)
    : undefined;
  const signal: WindowsSignal | undefined =
    windows && 'signal' in windows ? windows.signal : undefined;
  const unavailable: Record<string, string> =
    windows && 'unavailable' in windows ? { ...windows.unavailable } : {};
  /** Pool tags before the first load and in the latest sample: named by a Verifier bugcheck. */
  let baselineTags: SystemSample['poolTags'];
  let lastTagged: TaggedSample | undefined;
  if (signal) {
    const sample = await target.sample(ctx.sampleRequest);
    baselineTags = sample.poolTags;
    const baseline = sampleValue(sample, signal, driverFile, tags);
    if (baseline !== undefined) collector.memoryPoint(signal, 0, baseline);
  }
  const tracePool = plan.leak !== undefined && !signal && machine.poolTrace;

  // A segment is the part of the run on one machine: a lab fault sends the rest to a fresh one.
  // On the lab, its pool trace is followed as the cycles run (the exact leak verdict).
  const follow = (mark: number) =>
    tracePool ? new PoolTraceFollower(machine, mark, driver.binaryPath) : undefined;
  let segment = { mark: machine.debugMark(), firstCycle: 1, poolOffset: 0 };
  let follower = follow(segment.mark);
  const segments: TraceSegment[] = [];
  let traced = 0;
  /** The pool trace of the segment so far, as memory points continuing the earlier segments'. */
  const flushPoolTrace = () => {
    if (!follower) return;
    follower.read();
    const series = follower.trace.series();
    for (const point of series)
      collector.memoryPoint(
        'wine-pool-trace',
        segment.firstCycle - 1 + point.cycle,
        segment.poolOffset + point.outstandingBytes,
      );
    traced += series.length;
    segment.poolOffset += series.at(-1)?.outstandingBytes ?? 0;
    segments.push({ firstCycle: segment.firstCycle, trace: follower.trace });
  };
  /** The exact verdict is certain (a leak for good): the run stops, its last cycle this one. */
  let stoppedAfter: number | undefined;
  const stopAfter = (record: CycleRecord) => {
    if (!follower) return false;
    follower.unloaded(record.cycle - segment.firstCycle + 1);
    if (follower.trace.leakCycle === undefined) return false;
    stoppedAfter = record.cycle;
    return true;
  };
  /** Cycles run past the plan to tell a leak from a late free (at most one). */
  let confirmationCycles = 0;

  const progress = progressReporter(driver.name, plan.count, ctx.log ?? (() => {}));
  const onRecord = (record: CycleRecord) => {
    // A failed cycle is only recorded once it is known whether it was the driver or the lab.
    if (record.outcome !== 'ok') return;
    collector.cycle(record);
    for (const op of record.io ?? []) {
      const total = (ioTotals[op.name] ??= { calls: 0, bytes: 0 });
      total.calls += op.calls;
      total.bytes += op.bytes;
      ioMsByCycle.set(record.cycle, (ioMsByCycle.get(record.cycle) ?? 0) + op.totalMs);
    }
    if (record.sample?.poolTags)
      lastTagged = { cycle: record.cycle, poolTags: record.sample.poolTags };
    if (signal) {
      const value = sampleValue(record.sample, signal, driverFile, tags);
      if (value !== undefined) collector.memoryPoint(signal, record.cycle, value);
    }
    progress(record.cycle);
  };
  // A fuzzing table without a seed gets one here, so the verdict can name it.
  const io =
    plan.io?.fuzz && plan.io.fuzz.seed === undefined
      ? { ...plan.io, fuzz: { ...plan.io.fuzz, seed: drawSeed() } }
      : plan.io;
  const options = {
    startTimeoutMs: plan.startTimeoutMs,
    stopTimeoutMs: plan.stopTimeoutMs,
    sampleEvery: signal ? 1 : plan.sampleEvery,
    sample: ctx.sampleRequest,
    ...(io ? { io } : {}),
  };
  /** Each operation's calls and bytes over the cycles that completed: what reached the driver. */
  const ioTotals: Record<string, { calls: number; bytes: number }> = {};
  /** Each cycle's time in the table's calls (a pending open outlasted them). */
  const ioMsByCycle = new Map<number, number>();
  const ioEvidence = () => (io ? { io: { ...ioTableEvidence(io), totals: ioTotals } } : {});
  const soakStart = performance.now();
  const deadline =
    plan.durationSeconds !== undefined ? soakStart + plan.durationSeconds * 1000 : undefined;
  const flakes: LabFlake[] = [];
  /** The lab's fault in a failed cycle, read from the current segment's debug output (Wine only). */
  const labFlakeIn = (record: CycleRecord) =>
    onWine ? labFlakeOf(record, machine.debugOutput(segment.mark), driver.name) : undefined;
  let failed: CycleRecord | undefined;
  /** A cycle the target ran past a certain leak that failed: evidence beside the leak. */
  let failedAfterStop: CycleRecord | undefined;
  let cutShort: { asked: number; ran: number } | undefined;
  for (;;) {
    // A plan's cycles go in one batch (the target refuses a count it cannot run); after a lab
    // flake, the batch on the fresh machine runs what is left.
    const count =
      deadline !== undefined
        ? soakBatchSize(deadline - performance.now(), {
            elapsedMs: performance.now() - soakStart,
            cycles: collector.cycles,
          })
        : (plan.count ?? 0) + confirmationCycles - collector.cycles;
    const before = collector.cycles;
    failed = await runCycleBatch(
      target,
      driver,
      { ...options, count },
      { firstCycle: collector.cycles + 1, onRecord, stopAfter },
    );
    if (stoppedAfter !== undefined) {
      // The target ran on until it saw the stop: those cycles count, and a lab flake among them
      // changes nothing (the leak was already certain). Any other failure there (the driver's,
      // the agent dying) is reported beside the leak, never instead of it.
      if (failed && !labFlakeIn(failed)) failedAfterStop = failed;
      failed = undefined;
      stoppedAfter = Math.max(stoppedAfter, collector.cycles);
      break;
    }
    // A batch that ends short with no failed cycle was cancelled from outside: never a pass.
    if (!failed && collector.cycles - before < count) {
      cutShort = { asked: before + count, ran: collector.cycles };
      break;
    }
    if (failed) {
      const flake = labFlakeIn(failed);
      const repeated = flakes.at(-1)?.cycle === failed.cycle;
      if (!flake || repeated || flakes.length >= MAX_LAB_FLAKES) break;
      // The lab's fault, not the driver's: the same cycle again, on a fresh machine.
      flakes.push(flake);
      collector.write({ type: 'flake', ...flake });
      ctx.log?.(
        `[${driver.name}] lab flake at cycle ${flake.cycle} (${flake.why}): reverting the machine and re-running the cycle`,
      );
      flushPoolTrace();
      await machine.recover(`lab flake at cycle ${flake.cycle}: ${flake.why}`);
      driver = await ctx.reinstall();
      segment = { ...segment, mark: machine.debugMark(), firstCycle: collector.cycles + 1 };
      follower = follow(segment.mark);
      failed = undefined;
      continue;
    }
    // The last planned cycle left an allocation of its own: one more cycle tells a leak (it
    // stays) from a buffer the next load frees.
    if (follower && confirmationCycles === 0 && follower.trace.madeByLastCycle() > 0) {
      confirmationCycles = 1;
      continue;
    }
    if (deadline === undefined || performance.now() >= deadline) break;
  }

  const base = { driver: driver.name, scenario: scenarioOf(plan.family) };
  const flakeEvidence =
    flakes.length > 0 ? { labFlakes: flakes.length, flakes } : ({} as Record<string, unknown>);
  // Under Wine the device's open and close do not wait for the driver: one it left pending shows
  // in its host's trace instead (io-host-trace.ts).
  const leftPending =
    !failed && !cutShort && io && onWine && machine.poolTrace
      ? pendingOpenOrClose(machine.debugOutput(segment.mark), {
          ...base,
          driverFile,
          io,
          firstCycle: segment.firstCycle,
          ioMsByCycle,
        })
      : undefined;
  if (leftPending)
    return {
      ...leftPending,
      evidence: { ...ioEvidence(), ...leftPending.evidence, ...flakeEvidence },
    };
  /** A failed cycle classified: the lab's, the driver's or drvcycle's, with the machine's evidence. */
  const classify = async (record: CycleRecord) =>
    classifyCycleFailure({
      ...base,
      record,
      debugOutput: machine.debugOutput(segment.mark),
      machine: await machine.postMortem(started, segment.mark),
      poolTags: { baseline: baselineTags, last: lastTagged },
    });
  if (failed) {
    collector.cycle(failed);
    const labGaveUp = labFlakeIn(failed);
    if (labGaveUp)
      return makeVerdict({
        ...base,
        kind: 'environment',
        cycle: failed.cycle,
        phase: 'load',
        detail: `the lab failed again to start a driver host at cycle ${failed.cycle} after ${flakes.length} re-run${flakes.length === 1 ? '' : 's'} on a fresh machine (${labGaveUp.why}); nothing points at the driver`,
        evidence: { cause: 'lab-flake', ...flakeEvidence, flake: labGaveUp },
      });
    const verdict = await classify(failed);
    return flakes.length > 0 || io
      ? { ...verdict, evidence: { ...ioEvidence(), ...verdict.evidence, ...flakeEvidence } }
      : verdict;
  }
  if (cutShort) {
    const serviceAfter = await target.query(driver).then(
      (status) => `the service is ${status.stateName} now`,
      (error: unknown) =>
        `the service cannot be queried now: ${(error as { problem?: string }).problem ?? (error as Error).message}`,
    );
    const verdict = verdictForCutShortBatch({ ...base, ...cutShort, serviceAfter });
    return flakes.length > 0
      ? { ...verdict, evidence: { ...verdict.evidence, ...flakeEvidence } }
      : verdict;
  }
  const flakeNote =
    flakes.length > 0
      ? ` (${flakes.length} lab flake${flakes.length === 1 ? '' : 's'} re-run on a fresh machine: ${flakes.map((f) => `cycle ${f.cycle}`).join(', ')})`
      : '';
  if (!plan.leak) {
    const latency = collector.latency();
    return makeVerdict({
      ...base,
      kind: 'pass',
      detail: `${collector.cycles} cycles${io ? ` with the I/O table (${io.operations.length} operation${io.operations.length === 1 ? '' : 's'}${io.everyCycles > 1 ? ` every ${io.everyCycles} cycles` : ''}${io.fuzz ? `, fuzzed with seed ${io.fuzz.seed}` : ''})` : ''}${flakeNote}`,
      evidence: {
        ...ioEvidence(),
        cycles: collector.cycles,
        startMs: latency.start,
        stopMs: latency.stop,
        ...flakeEvidence,
      },
    });
  }

  let signalName: SignalName | undefined = signal;
  if (tracePool) {
    signalName = 'wine-pool-trace';
    flushPoolTrace();
    // Once a leak is certain the trace stops counting loads (the agent may have run on before the
    // batch was stopped), so fewer traced loads than cycles is then no gap in the trace: an
    // allocation lost with its host makes it certain at its own cycle, one before the stop.
    const leakCertain = follower?.trace.leakCycle !== undefined;
    if (traced < collector.cycles && !leakCertain)
      return makeVerdict({
        ...base,
        kind: 'environment',
        detail: `the pool trace shows ${traced} loads of ${driver.binaryPath} for ${collector.cycles} cycles`,
        evidence: { unavailable, ...flakeEvidence },
      });
  }
  if (!signalName) {
    unavailable['wine-pool-trace'] = POOL_TRACE_UNAVAILABLE;
    return makeVerdict({
      ...base,
      kind: 'environment',
      detail: `no memory signal for the driver on ${machine.name}: ${Object.entries(unavailable)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}`,
      evidence: { unavailable },
    });
  }
  let decided =
    signalName === 'wine-pool-trace'
      ? exactLeakVerdict({ ...ctx, driver }, segments, plan.leak.thresholds, {
          planned: plan.count ?? collector.cycles,
          ran: collector.cycles,
          stoppedAfter,
          confirmationCycles,
        })
      : decideOn({ ...ctx, driver }, signalName, plan.leak.thresholds, unavailable);
  if (failedAfterStop) {
    collector.cycle(failedAfterStop);
    const after = await classify(failedAfterStop);
    // Only a certain leak stands beside it; anything less, and the failure is the verdict.
    if (decided.kind !== 'leak') return after;
    decided = {
      ...decided,
      summary: `${decided.summary}; cycle ${failedAfterStop.cycle}, run past the stop, then failed: ${after.summary}`,
      evidence: {
        ...decided.evidence,
        failedAfterStop: { cycle: failedAfterStop.cycle, kind: after.kind, summary: after.summary },
      },
    };
  }
  // The machine that failed is not asked for more cycles: which operation leaks stays unnamed.
  if (io && !failedAfterStop && decided.kind === 'leak' && signalName === 'wine-pool-trace') {
    // Which operation: one short phase per operation alone, and one with no I/O.
    ctx.log?.(
      `[${driver.name}] leak with the I/O table on: running each operation alone to tell which leaks`,
    );
    const phaseOptions = { startTimeoutMs: plan.startTimeoutMs, stopTimeoutMs: plan.stopTimeoutMs };
    const attribution = await attributeIoLeak(
      { target, machine, driver },
      io,
      phaseOptions,
      plan.leak.thresholds,
    );
    decided = {
      ...decided,
      summary: `${decided.summary}; ${describeAttribution(attribution)}`,
      evidence: {
        ...decided.evidence,
        ioPhases: attribution.phases,
        leakingOperations: attribution.blamed,
      },
    };
  }
  const verdict = io ? { ...decided, evidence: { ...ioEvidence(), ...decided.evidence } } : decided;
  return flakes.length > 0
    ? {
        ...verdict,
        summary: `${verdict.summary}${flakeNote}`,
        evidence: { ...verdict.evidence, ...flakeEvidence },
      }
    : verdict;
}

function decideOn(
  ctx: CycleRunContext,
  signal: SignalName,
  thresholds: LeakThresholds,
  unavailable: Record<string, string>,
): Verdict {
  const points = ctx.collector.memorySeries(signal);
  // The Windows signals' baseline is the sample before the first load (cycle 0); the pool trace
  // counts only the driver's own bytes, so its baseline is 0.
  const baseline = points[0]?.cycle === 0 ? points[0].value : 0;
  const series = points.filter((p) => p.cycle > 0);
  const analysis = decideLeak(series, thresholds, { unit: 'B', exact: true, baseline });
  ctx.collector.chart({
    signal,
    title: `${ctx.driver.name}: ${signal} after each unload`,
    unit: 'B',
    fit: { slope: analysis.slopePerCycle, intercept: analysis.intercept },
    warmupCycles: thresholds.warmupCycles,
    analysis,
  });
  const kind =
    analysis.verdict === 'leak' ? 'leak' : analysis.verdict === 'clean' ? 'pass' : 'environment';
  return makeVerdict({
    kind,
    driver: ctx.driver.name,
    scenario: scenarioOf('leaks'),
    detail: `${signal}: ${analysis.reason}`,
    evidence: {
      signal,
      slopeBytesPerCycle: analysis.slopePerCycle,
      residualBytes: analysis.residual,
      samples: analysis.samplesUsed,
      thresholdBytesPerCycle: thresholds.perCycle,
      warmupCycles: thresholds.warmupCycles,
      handles: 'unavailable on this target',
      unavailable,
    },
  });
}
