/**
 * How many cycles does the leak verdict need for the smallest leaking sample (256 B per load)?
 * Runs 300 cycles of leak_small and of clean on one lab machine, then finds the first prefix of
 * each series for which the decision is a leak. Target: leak_small within 300 cycles, clean never.
 */
import { LabMachine } from '../src/machines/lab.ts';
import { sampleDriver } from '../src/core/paths.ts';
import { decideLeak, DEFAULT_BYTE_THRESHOLDS } from '../src/core/leak-decision.ts';
import { poolTraceSeries } from '../src/collector/memory-signals.ts';

const CYCLES = Number(process.env.BENCH_LEAK_CYCLES ?? 300);

export async function benchLeakDetection(): Promise<Record<string, unknown>[]> {
  const machine = await LabMachine.boot({ index: 90, runId: `bench-${Date.now().toString(36)}` });
  const target = machine.target();
  const rows: Record<string, unknown>[] = [];
  try {
    for (const name of ['leak_small', 'clean']) {
      const ref = await target.install({ file: sampleDriver(name) }, { name: `dc_bench_${name}` });
      const mark = machine.debugMark();
      const started = performance.now();
      for await (const record of target.runCycles(ref, { count: CYCLES }))
        if (record.outcome !== 'ok')
          throw new Error(`cycle ${record.cycle} of ${name} failed: ${JSON.stringify(record)}`);
      const seconds = (performance.now() - started) / 1000;
      const series = poolTraceSeries(machine.debugOutput(mark), ref.binaryPath);
      let detectedAt: number | null = null;
      for (let n = 1; n <= series.length && detectedAt === null; n++) {
        if (
          decideLeak(series.slice(0, n), DEFAULT_BYTE_THRESHOLDS, {
            unit: 'B',
            exact: true,
            baseline: 0,
          }).verdict === 'leak'
        )
          detectedAt = n;
      }
      const final = decideLeak(series, DEFAULT_BYTE_THRESHOLDS, {
        unit: 'B',
        exact: true,
        baseline: 0,
      });
      rows.push({
        driver: name,
        cycles: series.length,
        msPerCycle: +((seconds * 1000) / CYCLES).toFixed(1),
        leakVerdictAtCycle: detectedAt,
        slopeBytesPerCycle: final.slopePerCycle,
        verdict: final.verdict,
      });
      await target.uninstall(ref);
    }
  } finally {
    await machine.release();
  }
  return rows;
}
