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
} from '../metrics/leak-decision.ts';
import { WinePoolTrace } from '../metrics/wine-pool-trace.ts';
import type { CycleRecord, ServiceRef, Target } from '../target/types.ts';
import { classifyCycleFailure } from '../verdict/classify.ts';
import { makeVerdict, type Verdict } from '../verdict/verdict.ts';
import type { Machine } from '../vm/machine.ts';

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

export function windowsSignalsUnavailable(): Record<string, string> {
  return {
    'verifier-pool':
      "Driver Verifier counters are read by the collector's Windows sampler, which this target does not offer",
    'pool-tags':
      'pool-tag sampling (NtQuerySystemInformation class 22) is not offered by this target',
  };
}

export async function runLeakSuite(
  target: Target,
  machine: Machine,
  ref: ServiceRef,
  options: LeakSuiteOptions,
): Promise<LeakRun> {
  const scenario = options.scenario ?? 'leaks';
  const mark = machine.debugMark();
  const records: CycleRecord[] = [];
  for await (const record of target.runCycles(ref, {
    count: options.cycles,
    startTimeoutMs: options.startTimeoutMs,
    stopTimeoutMs: options.stopTimeoutMs,
  })) {
    records.push(record);
    options.onProgress?.(records.length);
  }
  const debug = machine.debugOutput(mark);
  const failed = records.find((r) => r.outcome !== 'ok');
  const unavailable = windowsSignalsUnavailable();
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
