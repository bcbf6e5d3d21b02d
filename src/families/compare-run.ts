/**
 * The compare spec's run: the baseline and the candidate build of a driver, installed side by side
 * on one machine as two services, cycled in alternating blocks (baseline, candidate, baseline, …)
 * with the same settings, so the machine's drift and noise fall on both. Each block's latencies,
 * memory growth, debug output and event-log entries go to its build; compareBuilds decides. A
 * block the lab failed (a lab flake) is run again on a fresh machine; a candidate that fails a
 * cycle gets that cycle's verdict; a baseline that fails one leaves nothing to compare against.
 * With an I/O table, both builds run it between each load and unload (the same table and fuzz
 * seed), and its calls' latencies are compared too; an I/O failure is a failed cycle like any.
 */
import {
  compareBuilds,
  comparisonHeadline,
  type BuildMeasurements,
  type CompareSettings,
  type Comparison,
  type ErrorPathOutcome,
  type IoLatencies,
  type Measured,
} from '../core/build-compare.ts';
import { drawSeed } from '../core/io-fuzz.ts';
import { ioTableEvidence, type IoTable } from '../core/io-table.ts';
import { classifyCycleFailure, labFlakeOf, verdictForCutShortBatch } from '../core/classify.ts';
import type { CycleRecord, SampleRequest, SystemSample } from '../core/records.ts';
import { scenarioOf } from '../core/spec-families.ts';
import type { Point } from '../core/stats.ts';
import { makeVerdict, type Verdict } from '../core/verdict.ts';
import type { Collector } from '../collector/collector.ts';
import {
  chooseWindowsSignal,
  poolTraceSeries,
  POOL_TRACE_UNAVAILABLE,
  sampleValue,
  type WindowsSignal,
} from '../collector/memory-signals.ts';
import { driverEventCount, readableDebugOutput } from '../collector/window-events.ts';
import type { Machine } from '../machines/machine.ts';
import type { InstalledDriver, Target } from '../target/types.ts';
import { runCycleBatch } from './cycle-batch.ts';
import { caseKind, DRIVER_ERROR_PATHS } from './error-paths.ts';
import { runErrorPathCase, type ErrorPathRunContext } from './error-path-run.ts';

export type Build = 'baseline' | 'candidate';
const BUILDS: readonly Build[] = ['baseline', 'candidate'];

export interface CompareRunContext {
  readonly target: Target;
  readonly machine: Machine;
  /** The candidate's collector: its cycles and memory points (the test's metrics and latency chart). */
  readonly collector: Collector;
  readonly log?: (line: string) => void;
  /** Installs both builds, stopped, on the machine as it is now (again after a revert). */
  installBoth(): Promise<Record<Build, InstalledDriver>>;
  /** Runs the driver's error-path cases against one build, with nothing else installed. */
  errorPaths?: (build: Build) => Promise<ErrorPathOutcome[]>;
}

export interface ComparePlan {
  readonly settings: CompareSettings;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** The builds' file names (what the verdict and the report call them). */
  readonly files: Record<Build, string>;
  readonly poolTags: readonly string[];
  /** The driver's I/O table, run on both builds between each load and unload. */
  readonly io?: IoTable | undefined;
}

export interface CompareRunResult {
  readonly verdict: Verdict;
  readonly comparison?: Comparison;
  /** Each build's latencies past the warm-up, for the side-by-side chart. */
  readonly latencies: Record<Build, { startMs: number[]; stopMs: number[] }>;
}

/** More lab faults than this in one comparison, and the lab itself is the verdict. */
const MAX_LAB_FLAKES = 5;

/** What one build gathers, block by block. */
interface Gathered {
  cycles: number;
  readonly startMs: number[];
  readonly stopMs: number[];
  readonly latencyBlocks: number[];
  readonly leak: Point[];
  leakOffset: number;
  leakProblem?: string;
  readonly hostPerCycle: number[];
  readonly debugPerCycle: number[];
  readonly eventsPerCycle: number[];
  eventsProblem?: string;
  readonly io: { callMs: number[]; blocks: number[]; byOperation: Record<string, number[]> };
}

const gathered = (): Gathered => ({
  cycles: 0,
  startMs: [],
  stopMs: [],
  latencyBlocks: [],
  leak: [],
  leakOffset: 0,
  hostPerCycle: [],
  debugPerCycle: [],
  eventsPerCycle: [],
  io: { callMs: [], blocks: [], byOperation: {} },
});

/** Each operation's time per call in each cycle past the warm-up, appended as one block. */
function gatherIo(g: Gathered, records: readonly CycleRecord[], warmupCycles: number): void {
  const before = g.io.callMs.length;
  for (const r of records) {
    if (r.cycle <= warmupCycles || !r.io) continue;
    for (const op of r.io) {
      if (op.calls === 0) continue;
      const perCall = op.totalMs / op.calls;
      g.io.callMs.push(perCall);
      (g.io.byOperation[op.name] ??= []).push(perCall);
    }
  }
  g.io.blocks.push(g.io.callMs.length - before);
}

/** The host memory a sample shows: the driver hosts' private bytes, else the kernel's pool. */
function hostBytes(sample: SystemSample | undefined): number | undefined {
  if (sample?.hosts && sample.hosts.length > 0)
    return sample.hosts.reduce((sum, h) => sum + h.privateBytes, 0);
  const kernel = sample?.performance
    ? sample.performance.kernelPagedBytes + sample.performance.kernelNonpagedBytes
    : 0;
  return kernel > 0 ? kernel : undefined;
}

export async function runComparison(
  ctx: CompareRunContext,
  plan: ComparePlan,
): Promise<CompareRunResult> {
  const { target, machine, collector } = ctx;
  const s = plan.settings;
  const scenario = scenarioOf('compare');
  const onWine = (await target.info()).wineVersion !== null;
  // One fuzz seed for both builds (drawn here when the table gives none): the same calls on each.
  const io =
    plan.io?.fuzz && plan.io.fuzz.seed === undefined
      ? { ...plan.io, fuzz: { ...plan.io.fuzz, seed: drawSeed() } }
      : plan.io;
  const ioEvidence = io ? { io: ioTableEvidence(io) } : {};

  // Error paths first: each case needs a machine with none of drvcycle's other services on it.
  const errorPaths: Record<Build, Measured<readonly ErrorPathOutcome[]>> = {
    baseline: { unavailable: 'not run (compare.errorPaths is off)' },
    candidate: { unavailable: 'not run (compare.errorPaths is off)' },
  };
  if (s.errorPaths && ctx.errorPaths)
    for (const build of BUILDS)
      errorPaths[build] = {
        values: await ctx.errorPaths(build),
        source: "the error-path catalog's cases that load the driver",
      };

  let drivers = await ctx.installBoth();
  const request: SampleRequest = {
    tags: plan.poolTags,
    verifierDrivers: BUILDS.map((b) => plan.files[b]),
  };
  const availability = await target.samplers().catch(() => undefined);
  const windows = chooseWindowsSignal(availability, plan.poolTags);
  const signal: WindowsSignal | undefined = 'signal' in windows ? windows.signal : undefined;
  const leakUnavailable =
    !signal && !machine.poolTrace
      ? Object.entries({
          ...('unavailable' in windows ? windows.unavailable : {}),
          'wine-pool-trace': POOL_TRACE_UNAVAILABLE,
        })
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ')
      : undefined;
  const leakSource = signal ?? 'wine-pool-trace';
  const sampling =
    availability !== undefined &&
    (availability.hosts.available || availability.performance.available || signal !== undefined);
  let hostProblem: string | undefined = sampling
    ? undefined
    : `no driver-host or kernel-pool sampler on ${machine.name}: ${availability ? `hosts: ${availability.hosts.reason ?? 'unavailable'}; performance: ${availability.performance.reason ?? 'unavailable'}` : 'the target offers no samplers'}`;
  let hostSource = '';

  const builds: Record<Build, Gathered> = { baseline: gathered(), candidate: gathered() };
  const flakes: { cycle: number; build: Build; why: string }[] = [];
  let turn: Build = 'baseline';
  const latencies = () => ({
    baseline: { startMs: builds.baseline.startMs, stopMs: builds.baseline.stopMs },
    candidate: { startMs: builds.candidate.startMs, stopMs: builds.candidate.stopMs },
  });

  while (builds.baseline.cycles < s.cycles || builds.candidate.cycles < s.cycles) {
    const build: Build =
      builds[turn].cycles < s.cycles ? turn : turn === 'baseline' ? 'candidate' : 'baseline';
    const g = builds[build];
    const driver = drivers[build];
    const count = Math.min(s.blockSize, s.cycles - g.cycles);
    const mark = machine.debugMark();
    const since = new Date();
    const before = sampling ? await target.sample(request).catch(() => undefined) : undefined;
    const records: CycleRecord[] = [];
    const failed = await runCycleBatch(
      target,
      driver,
      {
        count,
        startTimeoutMs: plan.startTimeoutMs,
        stopTimeoutMs: plan.stopTimeoutMs,
        sampleEvery: signal ? 1 : 0,
        sample: request,
        ...(io ? { io } : {}),
      },
      { firstCycle: g.cycles + 1, onRecord: (r) => r.outcome === 'ok' && records.push(r) },
    );
    const debug = machine.debugOutput(mark);
    if (failed) {
      const flake = onWine ? labFlakeOf(failed, debug, driver.name) : undefined;
      if (flake && flakes.length < MAX_LAB_FLAKES) {
        // The lab's fault, not a build's: the whole block again, on a fresh machine.
        flakes.push({ cycle: flake.cycle, build, why: flake.why });
        ctx.log?.(
          `[compare] lab flake in the ${build}'s block at cycle ${flake.cycle} (${flake.why}): reverting the machine and running the block again`,
        );
        await machine.recover(`lab flake at cycle ${flake.cycle} of the ${build}: ${flake.why}`);
        drivers = await ctx.installBoth();
        continue;
      }
      for (const r of records) if (build === 'candidate') collector.cycle(r);
      if (build === 'candidate') collector.cycle(failed);
      const classified = classifyCycleFailure({
        driver: driver.name,
        scenario,
        record: failed,
        debugOutput: debug,
        machine: await machine.postMortem(since, mark),
      });
      const evidence = {
        ...ioEvidence,
        ...classified.evidence,
        build,
        baseline: plan.files.baseline,
        candidate: plan.files.candidate,
        labFlakes: flakes,
      };
      if (build === 'candidate')
        return { verdict: { ...classified, evidence }, latencies: latencies() };
      return {
        verdict: makeVerdict({
          kind: 'environment',
          driver: drivers.candidate.name,
          scenario,
          detail: `the baseline build ${plan.files.baseline} failed, so there is nothing to compare ${plan.files.candidate} against (${classified.summary}); nothing is said about the candidate`,
          evidence: { ...evidence, cause: 'baseline-failed', baselineVerdict: classified },
        }),
        latencies: latencies(),
      };
    }
    if (records.length < count) {
      const serviceAfter = await target.query(driver).then(
        (status) => `the service is ${status.stateName} now`,
        (error: Error) => `the service cannot be queried now: ${error.message}`,
      );
      return {
        verdict: verdictForCutShortBatch({
          driver: drivers.candidate.name,
          scenario,
          asked: g.cycles + count,
          ran: g.cycles + records.length,
          serviceAfter,
        }),
        latencies: latencies(),
      };
    }

    // The block is whole: its figures go to its build.
    const latenciesBefore = g.startMs.length;
    for (const r of records) {
      if (build === 'candidate') collector.cycle(r);
      if (r.cycle > s.warmupCycles && r.startMs !== null && r.stopMs !== null) {
        g.startMs.push(r.startMs);
        g.stopMs.push(r.stopMs);
      }
    }
    g.latencyBlocks.push(g.startMs.length - latenciesBefore);
    if (io) gatherIo(g, records, s.warmupCycles);
    const after = sampling ? await target.sample(request).catch(() => undefined) : undefined;
    gatherLeak(g, build, records, debug, driver, before);
    const host = [hostBytes(before), hostBytes(after)];
    if (host[0] !== undefined && host[1] !== undefined) {
      g.hostPerCycle.push((host[1] - host[0]) / count);
      hostSource = before?.hosts?.length
        ? 'driver host private bytes (before and after each block)'
        : 'kernel paged + non-paged pool (before and after each block)';
    } else if (sampling)
      hostProblem ??= `${machine.name} gave no driver-host or kernel-pool bytes in its samples`;
    g.debugPerCycle.push(readableDebugOutput(debug).length / count);
    const events = await driverEventCount(target, since, new Date(), {
      service: driver.name,
      imageFile: plan.files[build],
    });
    if ('count' in events) g.eventsPerCycle.push(events.count / count);
    else g.eventsProblem ??= events.unavailable;
    g.cycles += count;
    ctx.log?.(`[compare] ${build} ${g.cycles}/${s.cycles} cycles`);
    turn = build === 'baseline' ? 'candidate' : 'baseline';
  }

  function gatherLeak(
    g: Gathered,
    build: Build,
    records: readonly CycleRecord[],
    debug: string,
    driver: InstalledDriver,
    before: SystemSample | undefined,
  ) {
    if (leakUnavailable || g.leakProblem) return;
    const first = records[0]!.cycle;
    let block: { cycle: number; value: number }[];
    if (signal) {
      const start = sampleValue(before, signal, plan.files[build], plan.poolTags);
      const values = records.map((r) =>
        sampleValue(r.sample, signal, plan.files[build], plan.poolTags),
      );
      if (start === undefined || values.some((v) => v === undefined)) {
        g.leakProblem = `${signal} had no value for ${plan.files[build]} in every sample of a block`;
        return;
      }
      block = values.map((v, i) => ({ cycle: i + 1, value: v! - start }));
    } else {
      block = poolTraceSeries(debug, driver.binaryPath);
      if (block.length < records.length) {
        g.leakProblem = `the pool trace shows ${block.length} loads of ${driver.binaryPath} for a block of ${records.length} cycles`;
        return;
      }
    }
    for (const p of block.slice(0, records.length)) {
      const cycle = first - 1 + p.cycle;
      const value = g.leakOffset + p.value;
      if (cycle > s.warmupCycles) g.leak.push({ x: cycle, y: value });
      if (build === 'candidate') collector.memoryPoint(leakSource, cycle, value);
    }
    g.leakOffset += block[records.length - 1]?.value ?? 0;
  }

  const measured = (build: Build): BuildMeasurements => {
    const g = builds[build];
    const perBlock = (values: number[], problem: string | undefined, source: string) =>
      problem !== undefined ? { unavailable: problem } : { values, source };
    return {
      startMs: g.startMs,
      stopMs: g.stopMs,
      latencyBlocks: g.latencyBlocks,
      leak: leakUnavailable
        ? { unavailable: `no memory signal: ${leakUnavailable}` }
        : g.leakProblem
          ? { unavailable: g.leakProblem }
          : { values: g.leak, source: leakSource },
      hostMemory: perBlock(g.hostPerCycle, hostProblem, hostSource),
      debugLines:
        machine.poolTrace || g.debugPerCycle.some((v) => v > 0)
          ? {
              values: g.debugPerCycle,
              source: 'debug output: DbgPrint, errors and crashes, per cycle of each block',
            }
          : { unavailable: `no debug output captured on ${machine.name}` },
      eventLog: perBlock(
        g.eventsPerCycle,
        g.eventsProblem,
        'event-log entries about the driver, per cycle of each block',
      ),
      errorPaths: errorPaths[build],
      ...(io && io.everyCycles > s.blockSize
        ? {
            io: {
              unavailable: `the I/O table runs every ${io.everyCycles} cycles, counted within each block of ${s.blockSize}: it never ran (set compare.blockSize ≥ ${io.everyCycles})`,
            },
          }
        : io
          ? {
              io: {
                values: g.io as IoLatencies,
                source: `the I/O table's calls (${io.operations.length} operation${io.operations.length === 1 ? '' : 's'}${io.fuzz ? `, fuzzed with seed ${io.fuzz.seed}` : ''}): each operation's time per call in each cycle`,
              },
            }
          : {}),
    };
  };
  const comparison = compareBuilds({
    baselineName: plan.files.baseline,
    candidateName: plan.files.candidate,
    baseline: measured('baseline'),
    candidate: measured('candidate'),
    settings: s,
  });
  const flakeNote =
    flakes.length > 0
      ? ` (${flakes.length} lab flake${flakes.length === 1 ? '' : 's'} re-run on a fresh machine)`
      : '';
  const verdict = makeVerdict({
    kind: comparison.verdict === 'regressed' ? 'regression' : 'pass',
    driver: drivers.candidate.name,
    scenario,
    detail: `${comparisonHeadline(comparison)}${flakeNote}`,
    evidence: {
      ...ioEvidence,
      comparison,
      ...(flakes.length > 0 ? { labFlakes: flakes.length, flakes } : {}),
    },
  });
  return { verdict, comparison, latencies: latencies() };
}

/**
 * The driver's error-path cases that load it (the catalog's legacy cases with needsLoad), run
 * against one build's image: whether each passed, and its verdict's summary.
 */
export async function errorPathOutcomes(
  ctx: Omit<ErrorPathRunContext, 'imageUnderTest'>,
  image: Uint8Array,
): Promise<ErrorPathOutcome[]> {
  const outcomes: ErrorPathOutcome[] = [];
  for (const errorCase of COMPARED_ERROR_PATHS) {
    const { verdict } = await runErrorPathCase({ ...ctx, imageUnderTest: image }, errorCase);
    outcomes.push({
      caseId: errorCase.id,
      title: errorCase.title,
      passed: verdict.kind === 'pass',
      summary: verdict.summary,
    });
  }
  return outcomes;
}

/** The cases whose outcome depends on how the driver itself loads and unloads. */
export const COMPARED_ERROR_PATHS = DRIVER_ERROR_PATHS.filter(
  (c) => c.needsLoad === true && caseKind(c) === 'legacy',
);
