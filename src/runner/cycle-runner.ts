/**
 * The one cycle runner behind the cycles, soak and leak specs: it runs batches of load/unload
 * cycles inside the target, streams every record straight into the collector as it arrives
 * (nothing else keeps them), and turns the run into a verdict: the first bad cycle classified, a
 * leak decided on the best memory signal the machine offers, or a pass.
 */
import { classifyCycleFailure } from '../core/classify.ts';
import type { Collector } from '../collector/collector.ts';
import { decideLeak, type LeakThresholds } from '../core/leak-decision.ts';
import type { CycleRecord, SampleRequest } from '../core/records.ts';
import { makeVerdict, type Verdict } from '../core/verdict.ts';
import type { Machine } from '../machines/machine.ts';
import type { InstalledDriver, Target } from '../target/types.ts';
import { runCycleBatch } from './batch.ts';
import {
  chooseWindowsSignal,
  poolTraceSeries,
  sampleValue,
  type SignalName,
  type WindowsSignal,
} from './memory-signals.ts';
import { progressReporter } from './progress.ts';

export type CycleFamily = 'cycles' | 'soak' | 'leaks';

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
}

/** The soak runs batches of this many cycles until its time is up. */
const SOAK_BATCH = 100;

export async function runCyclePlan(ctx: CycleRunContext, plan: CyclePlan): Promise<Verdict> {
  const { target, machine, driver, collector } = ctx;
  const started = new Date();
  const mark = machine.debugMark();
  const driverFile = driver.binaryPath.split('\\').pop() ?? '';
  const tags = plan.leak?.poolTags ?? [];
  const windows = plan.leak
    ? chooseWindowsSignal(await target.samplers().catch(() => undefined), tags)
    : undefined;
  const signal: WindowsSignal | undefined =
    windows && 'signal' in windows ? windows.signal : undefined;
  const unavailable: Record<string, string> =
    windows && 'unavailable' in windows ? { ...windows.unavailable } : {};
  if (signal) {
    const baseline = sampleValue(await target.sample(ctx.sampleRequest), signal, driverFile, tags);
    if (baseline !== undefined) collector.memoryPoint(signal, 0, baseline);
  }

  const progress = progressReporter(driver.name, plan.count, ctx.log ?? (() => {}));
  const onRecord = (record: CycleRecord) => {
    collector.cycle(record);
    if (signal) {
      const value = sampleValue(record.sample, signal, driverFile, tags);
      if (value !== undefined) collector.memoryPoint(signal, record.cycle, value);
    }
    progress(record.cycle);
  };
  const options = {
    startTimeoutMs: plan.startTimeoutMs,
    stopTimeoutMs: plan.stopTimeoutMs,
    sampleEvery: signal ? 1 : plan.sampleEvery,
    sample: ctx.sampleRequest,
  };
  const deadline =
    plan.durationSeconds !== undefined
      ? performance.now() + plan.durationSeconds * 1000
      : undefined;
  let failed: CycleRecord | undefined;
  do {
    const count = deadline !== undefined ? SOAK_BATCH : (plan.count ?? 0);
    failed = await runCycleBatch(
      target,
      driver,
      { ...options, count },
      {
        firstCycle: collector.cycles + 1,
        onRecord,
      },
    );
  } while (!failed && deadline !== undefined && performance.now() < deadline);

  const base = { driver: driver.name, scenario: plan.family };
  if (failed)
    return classifyCycleFailure({
      ...base,
      record: failed,
      debugOutput: machine.debugOutput(mark),
      machine: await machine.postMortem(started, mark),
    });
  if (!plan.leak) {
    const latency = collector.latency();
    return makeVerdict({
      ...base,
      kind: 'pass',
      detail: `${collector.cycles} cycles`,
      evidence: { cycles: collector.cycles, startMs: latency.start, stopMs: latency.stop },
    });
  }

  let signalName: SignalName | undefined = signal;
  if (!signalName && machine.poolTrace) {
    signalName = 'wine-pool-trace';
    const series = poolTraceSeries(machine.debugOutput(mark), driver.binaryPath);
    for (const point of series) collector.memoryPoint(signalName, point.cycle, point.value);
    if (series.length < collector.cycles)
      return makeVerdict({
        ...base,
        kind: 'environment',
        detail: `the pool trace shows ${series.length} loads of ${driver.binaryPath} for ${collector.cycles} cycles`,
        evidence: { unavailable },
      });
  }
  if (!signalName) {
    unavailable['wine-pool-trace'] = 'the machine is not the Wine lab with trace+ntoskrnl';
    return makeVerdict({
      ...base,
      kind: 'environment',
      detail: `no memory signal for the driver on ${machine.name}: ${Object.entries(unavailable)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}`,
      evidence: { unavailable },
    });
  }
  return decideOn(ctx, signalName, plan.leak.thresholds, unavailable);
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
    scenario: 'leaks',
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
