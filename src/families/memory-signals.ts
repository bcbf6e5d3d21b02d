/**
 * The memory signals a leak decision can rest on, best first: Driver Verifier's per-driver pool
 * counters and the pool bytes of the driver's tags (Windows, from samples the batch takes after
 * every unload), and the lab's exact pool trace (Wine's ntoskrnl, from the debug output).
 */
import type { Availability, SystemSample } from '../core/records.ts';
import { WinePoolTrace } from '../core/wine-pool-trace.ts';

export type WindowsSignal = 'verifier-pool' | 'pool-tags';
export type SignalName = WindowsSignal | 'wine-pool-trace';

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
