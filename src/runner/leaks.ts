/**
 * The leak suite: run N cycles, read the best memory signal the machine offers for the driver,
 * and decide with robust statistics. Signals, best first: Driver Verifier per-driver pool counters
 * and pool bytes for the driver's tags (Windows, from the collector's samplers), the lab's exact
 * pool trace, the driver host's private bytes.
 */
import {
  decideLeak,
  type LeakAnalysis,
  type LeakThresholds,
  type MemorySample,
} from '../core/leak-decision.ts';
import { WinePoolTrace } from '../core/wine-pool-trace.ts';
import type { CycleRecord, ServiceRef, SystemSample, Target } from '../target/types.ts';
import { classifyCycleFailure } from '../core/classify.ts';
import { makeVerdict, type Verdict } from '../core/verdict.ts';
import type { Machine } from '../machines/machine.ts';

export type SignalName = 'verifier-pool' | 'pool-tags' | 'wine-pool-trace' | 'host-private-bytes';

export interface MemorySignal {
  readonly name: SignalName;
  readonly unit: 'B';
  /** Exact signals count only the driver's own memory, so they must return to baseline. */
  readonly exact: boolean;
  readonly baseline: number | undefined;
  readonly series: MemorySample[];
}

export interface LeakRun {
  readonly verdict: Verdict;
  readonly records: CycleRecord[];
  readonly signal: MemorySignal | undefined;
  readonly analysis: LeakAnalysis | undefined;
  /** Why each better signal was not used. */
  readonly unavailable: Record<string, string>;
}

export interface LeakSuiteOptions {
  readonly cycles: number;
  /** The driver's pool tags, for the pool-tag signal. */
  readonly poolTags?: readonly string[];
  readonly thresholds: LeakThresholds;
  readonly startTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  readonly scenario?: string;
  readonly onProgress?: (done: number) => void;
}

/** The lab's pool trace for one image over the debug output of the run. */
export function poolTraceSignal(debugOutput: string, imagePath: string): MemorySignal {
  const trace = new WinePoolTrace(imagePath);
  trace.feedText(debugOutput);
  return {
    name: 'wine-pool-trace',
    unit: 'B',
    exact: true,
    baseline: 0,
    series: trace.series().map((s) => ({ cycle: s.cycle, value: s.outstandingBytes })),
  };
}

/** A Windows signal's series from the samples the batch took after every unload. */
export function seriesFromSamples(
  records: readonly CycleRecord[],
  baseline: SystemSample | undefined,
  signal: 'verifier-pool' | 'pool-tags',
  driverFile: string,
  tags: readonly string[],
): MemorySignal {
  const value = (sample: SystemSample | undefined): number | undefined => {
    if (!sample) return undefined;
    if (signal === 'verifier-pool') {
      const entry = sample.verifier?.find(
        (d) => d.driver.toLowerCase() === driverFile.toLowerCase(),
      );
      return entry ? entry.pagedBytes + entry.nonPagedBytes : undefined;
    }
    if (!sample.poolTags) return undefined;
    return tags.reduce(
      (sum, tag) =>
        sum +
        (sample.poolTags![tag]?.pagedBytes ?? 0) +
        (sample.poolTags![tag]?.nonPagedBytes ?? 0),
      0,
    );
  };
  const series = records.flatMap((r) => {
    const v = value(r.sample);
    return v === undefined ? [] : [{ cycle: r.cycle, value: v }];
  });
  return { name: signal, unit: 'B', exact: true, baseline: value(baseline) ?? 0, series };
}

export async function runLeakSuite(
  target: Target,
  machine: Machine,
  ref: ServiceRef,
  options: LeakSuiteOptions,
): Promise<LeakRun> {
  const scenario = options.scenario ?? 'leaks';
  const mark = machine.debugMark();
  const tags = options.poolTags ?? [];
  const driverFile = (ref.config?.binaryPath || ref.imagePath).split('\\').pop() ?? '';
  const availability = await target.samplers().catch(() => undefined);
  const windowsSignal = availability?.verifier.available
    ? 'verifier-pool'
    : availability?.poolTags.available && tags.length > 0
      ? 'pool-tags'
      : undefined;
  const request = { tags: [...tags], verifierDrivers: [driverFile] };
  const baseline = windowsSignal ? await target.sample(request) : undefined;
  const records: CycleRecord[] = [];
  for await (const record of target.runCycles(ref, {
    count: options.cycles,
    startTimeoutMs: options.startTimeoutMs,
    stopTimeoutMs: options.stopTimeoutMs,
    ...(windowsSignal ? { sampleEvery: 1, sample: request } : {}),
  })) {
    records.push(record);
    options.onProgress?.(records.length);
  }
  const debug = machine.debugOutput(mark);
  const failed = records.find((r) => r.outcome !== 'ok');
  const unavailable: Record<string, string> = windowsSignal
    ? {}
    : {
        'verifier-pool': availability?.verifier.reason ?? 'not offered by this target',
        'pool-tags':
          tags.length === 0
            ? 'no pool tags given (driverUnderTest.poolTags, DRIVER_POOL_TAGS)'
            : (availability?.poolTags.reason ?? 'not offered by this target'),
      };
  if (failed) {
    return {
      verdict: classifyCycleFailure({
        driver: ref.name,
        scenario,
        record: failed,
        debugOutput: debug,
      }),
      records,
      signal: undefined,
      analysis: undefined,
      unavailable,
    };
  }
  if (windowsSignal) {
    return decide(
      seriesFromSamples(records, baseline, windowsSignal, driverFile, tags),
      records,
      ref,
      scenario,
      options,
      unavailable,
    );
  }
  if (!machine.poolTrace) {
    unavailable['wine-pool-trace'] = 'the machine is not the Wine lab with trace+ntoskrnl';
    return {
      verdict: makeVerdict({
        kind: 'environment',
        driver: ref.name,
        scenario,
        detail: `no memory signal for the driver on ${machine.name}: ${Object.entries(unavailable)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ')}`,
        evidence: { unavailable },
      }),
      records,
      signal: undefined,
      analysis: undefined,
      unavailable,
    };
  }
  const signal = poolTraceSignal(debug, ref.config.binaryPath || ref.imagePath);
  if (signal.series.length < records.length) {
    return {
      verdict: makeVerdict({
        kind: 'environment',
        driver: ref.name,
        scenario,
        detail: `the pool trace shows ${signal.series.length} loads of ${ref.config.binaryPath} for ${records.length} cycles`,
        evidence: { unavailable },
      }),
      records,
      signal,
      analysis: undefined,
      unavailable,
    };
  }
  return decide(signal, records, ref, scenario, options, unavailable);
}

function decide(
  signal: MemorySignal,
  records: CycleRecord[],
  ref: ServiceRef,
  scenario: string,
  options: LeakSuiteOptions,
  unavailable: Record<string, string>,
): LeakRun {
  const analysis = decideLeak(signal.series, options.thresholds, {
    unit: signal.unit,
    exact: signal.exact,
    baseline: signal.baseline,
  });
  const evidence = {
    signal: signal.name,
    slopeBytesPerCycle: analysis.slopePerCycle,
    residualBytes: analysis.residual,
    samples: analysis.samplesUsed,
    thresholdBytesPerCycle: options.thresholds.perCycle,
    warmupCycles: options.thresholds.warmupCycles,
    handles: 'unavailable on this target',
    unavailable,
  };
  const kind =
    analysis.verdict === 'leak' ? 'leak' : analysis.verdict === 'clean' ? 'pass' : 'environment';
  return {
    verdict: makeVerdict({
      kind,
      driver: ref.name,
      scenario,
      detail: `${signal.name}: ${analysis.reason}`,
      evidence,
    }),
    records,
    signal,
    analysis,
    unavailable,
  };
}
