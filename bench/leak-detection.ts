/**
 * How many cycles does a leak verdict need? The same lab trace, decided two ways: the slope
 * (Theil–Sen after 5 warm-up cycles, 20 samples: the Windows signals' method) over each prefix
 * of the series, and the lab's exact verdict, fed cycle by cycle as the runner feeds it (certain
 * once the next cycle has unloaded). Targets: leak_small named at cycle 1 and certain within 2
 * cycles; leak_every5 at cycle 5; clean never.
 */
import { LabMachine } from '../src/machines/lab.ts';
import { sampleDriver } from '../src/core/paths.ts';
import { decideLeak, DEFAULT_BYTE_THRESHOLDS } from '../src/core/leak-decision.ts';
import { WinePoolTrace } from '../src/core/wine-pool-trace.ts';

const CYCLES = Number(process.env.BENCH_LEAK_CYCLES ?? 100);

/** The exact verdict fed as the runner feeds it: each cycle's lines, then its unload. */
export function exactVerdictCycles(
  debugOutput: string,
  binaryPath: string,
): { leakCycle: number | undefined; certainAfter: number | undefined } {
  const trace = new WinePoolTrace(binaryPath);
  const image = binaryPath.split('\\').pop()!.toLowerCase();
  let certainAfter: number | undefined;
  const close = () => {
    if (trace.cycles === 0 || certainAfter !== undefined) return;
    trace.unloadDone(trace.cycles);
    if (trace.leakCycle !== undefined) certainAfter = trace.cycles;
  };
  for (const line of debugOutput.split('\n')) {
    if (line.includes(':load_driver loading driver') && line.toLowerCase().includes(image)) close();
    trace.feed(line);
  }
  close();
  return { leakCycle: trace.leakCycle, certainAfter };
}

/** The first number of cycles after which the slope decision says leak, or null. */
function slopeVerdictCycles(series: { cycle: number; value: number }[]): number | null {
  for (let n = 1; n <= series.length; n++)
    if (
      decideLeak(series.slice(0, n), DEFAULT_BYTE_THRESHOLDS, {
        unit: 'B',
        exact: true,
        baseline: 0,
      }).verdict === 'leak'
    )
      return n;
  return null;
}

export async function benchLeakDetection(): Promise<Record<string, unknown>[]> {
  const machine = await LabMachine.boot({ index: 90, runId: `bench-${Date.now().toString(36)}` });
  const target = machine.target();
  const rows: Record<string, unknown>[] = [];
  try {
    const group = await machine.driverHost(undefined);
    for (const name of ['leak_small', 'leak_every5', 'clean']) {
      const ref = await target.install(
        { file: sampleDriver(name) },
        { name: `dc_bench_${name}`, group },
      );
      const mark = machine.debugMark();
      for await (const record of target.runCycles(ref, { count: CYCLES }))
        if (record.outcome !== 'ok')
          throw new Error(`cycle ${record.cycle} of ${name} failed: ${JSON.stringify(record)}`);
      const output = machine.debugOutput(mark);
      const trace = new WinePoolTrace(ref.binaryPath);
      trace.feedText(output);
      const series = trace.series().map((s) => ({ cycle: s.cycle, value: s.outstandingBytes }));
      const exact = exactVerdictCycles(output, ref.binaryPath);
      rows.push({
        driver: name,
        cycles: series.length,
        slopeVerdictAfter: slopeVerdictCycles(series),
        exactLeakAt: exact.leakCycle ?? null,
        exactVerdictAfter: exact.certainAfter ?? null,
      });
      await target.uninstall(ref);
    }
  } finally {
    await machine.release();
  }
  return rows;
}
