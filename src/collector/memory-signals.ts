/**
 * The memory signals a leak decision can rest on, in one place: what each one is, where it is
 * read, how it is chosen (best first) and its value. Driver Verifier's per-driver pool counters
 * and the pool bytes of the driver's tags come from the samples a batch takes after every unload
 * (Windows); the lab's exact pool trace comes from Wine's ntoskrnl in the debug output. A new
 * signal is an entry in MEMORY_SIGNALS, its reading here, and (for a sample signal) its sampler
 * in src/windows/nt/samplers.ts with its shape in src/core/records.ts.
 */
import type { Availability, SystemSample } from '../core/records.ts';
import { WinePoolTrace } from '../core/wine-pool-trace.ts';

export type WindowsSignal = 'verifier-pool' | 'pool-tags';
export type SignalName = WindowsSignal | 'wine-pool-trace';

export interface MemorySignal {
  readonly name: SignalName;
  /** A sample the batch takes after every unload, or the machine's debug output. */
  readonly source: 'sample' | 'debug-output';
  /** What it measures, for reports and messages. */
  readonly measures: string;
}

/** Every signal, best first: the order in which a leak decision picks one. */
export const MEMORY_SIGNALS: readonly MemorySignal[] = [
  {
    name: 'verifier-pool',
    source: 'sample',
    measures: 'the paged and non-paged pool bytes Driver Verifier counts for the driver',
  },
  {
    name: 'pool-tags',
    source: 'sample',
    measures: 'the pool bytes of the driver’s tags (SystemPoolTagInformation)',
  },
  {
    name: 'wine-pool-trace',
    source: 'debug-output',
    measures: 'the driver’s outstanding pool bytes from Wine’s ntoskrnl trace (exact)',
  },
];

/** Why the lab's trace is not there: every machine but the Wine lab with trace+ntoskrnl. */
export const POOL_TRACE_UNAVAILABLE = 'the machine is not the Wine lab with trace+ntoskrnl';

/** The Windows signal a target offers for the driver, or why none. */
export function chooseWindowsSignal(
  availability: Availability | undefined,
  tags: readonly string[],
): { signal: WindowsSignal } | { unavailable: Record<WindowsSignal, string> } {
  if (availability?.verifier.available) return { signal: 'verifier-pool' };
  if (availability?.poolTags.available && tags.length > 0) return { signal: 'pool-tags' };
  return {
    unavailable: {
      'verifier-pool': availability?.verifier.reason ?? 'not offered by this target',
      'pool-tags':
        tags.length === 0
          ? 'no pool tags given (driverUnderTest.poolTags, DRIVER_POOL_TAGS)'
          : (availability?.poolTags.reason ?? 'not offered by this target'),
    },
  };
}

/** A Windows signal's value in one sample: the driver's outstanding pool bytes. */
export function sampleValue(
  sample: SystemSample | undefined,
  signal: WindowsSignal,
  driverFile: string,
  tags: readonly string[],
): number | undefined {
  if (!sample) return undefined;
  if (signal === 'verifier-pool') {
    const entry = sample.verifier?.find((d) => d.driver.toLowerCase() === driverFile.toLowerCase());
    return entry ? entry.pagedBytes + entry.nonPagedBytes : undefined;
  }
  if (!sample.poolTags) return undefined;
  return tags.reduce(
    (sum, tag) =>
      sum + (sample.poolTags![tag]?.pagedBytes ?? 0) + (sample.poolTags![tag]?.nonPagedBytes ?? 0),
    0,
  );
}

/** The lab's pool trace for one image: outstanding bytes after each unload, from the debug output. */
export function poolTraceSeries(
  debugOutput: string,
  binaryPath: string,
): { cycle: number; value: number }[] {
  const trace = new WinePoolTrace(binaryPath);
  trace.feedText(debugOutput);
  return trace.series().map((s) => ({ cycle: s.cycle, value: s.outstandingBytes }));
}
