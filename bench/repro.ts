/**
 * How long does `drvcycle repro` need to bring back a 1-in-500 failure? flaky_entry (DriverEntry
 * fails ~1 load in 500) is reproduced REPEATS times on one lab machine through repro's own loop
 * (fresh-start attempts of the cycles plan until the failure), and, side by side on the same
 * machine, the clean sample runs one plain cycle plan: repro's cost per cycle over the plain
 * one's is its overhead; the time to a failure itself is random (geometric, mean 500 cycles).
 *   npx tsx bench/repro.ts [repeats=3]
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Collector } from '../src/collector/collector.ts';
import { sampleDriver } from '../src/core/paths.ts';
import { median } from '../src/core/stats.ts';
import { installDriverUnderTest } from '../src/families/driver-under-test.ts';
import { reproduce, type ReproPlan } from '../src/families/repro-run.ts';
import { runCyclePlan } from '../src/families/cycle-plan.ts';
import { LabMachine } from '../src/machines/lab.ts';

const PLAN = {
  startTimeoutMs: 30_000,
  stopTimeoutMs: 30_000,
  sampleEvery: 10,
};

export async function benchRepro(repeats = 3): Promise<Record<string, number | string>> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-bench-repro-'));
  const bootStarted = performance.now();
  const machine = await LabMachine.boot({ index: 91, runId: `bench-${Date.now().toString(36)}` });
  const bootSeconds = (performance.now() - bootStarted) / 1000;
  const target = machine.target();
  const installOf = (name: string) => () =>
    installDriverUnderTest((image, options) => target.install(image, options), machine, {
      imagePath: sampleDriver(name),
      serviceName: `dc_bench_${name}`,
      type: 'kernel',
      group: undefined,
      kind: 'legacy',
    });
  const plan: ReproPlan = {
    ...PLAN,
    family: 'cycles',
    cyclesPerAttempt: 20_000,
    signature: 'load-failure/load/1450',
  };
  const seconds: number[] = [];
  const cycles: number[] = [];
  let plainMsPerCycle = 0;
  try {
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      const run = await reproduce(
        { machine, folder, install: installOf('flaky_entry'), log: () => {} },
        plan,
        { failures: 1, attempts: 20, cycles: 20_000, minutes: 30 },
        performance.now() + 30 * 60_000,
      );
      const failed = run.attempts.find((a) => a.same);
      if (!failed) throw new Error(`flaky_entry did not fail in ${run.attempts.length} attempts`);
      seconds.push((performance.now() - started) / 1000);
      cycles.push(run.attempts.reduce((sum, a) => sum + a.cycles, 0));
    }
    // The plain cycle plan on the same machine, right after: what a cycle costs without repro.
    const driver = await installOf('clean')();
    const collector = new Collector(path.join(folder, 'plain.ndjson'));
    const started = performance.now();
    await runCyclePlan(
      {
        target,
        machine,
        driver,
        collector,
        sampleRequest: {},
        reinstall: installOf('clean'),
      },
      { ...PLAN, family: 'cycles', count: 500 },
    );
    plainMsPerCycle = (performance.now() - started) / 500;
    collector.close();
    await target.uninstall(driver);
  } finally {
    await machine.release();
  }
  const reproMsPerCycle =
    (seconds.reduce((a, b) => a + b, 0) * 1000) / cycles.reduce((a, b) => a + b, 0);
  return {
    repeats,
    medianSecondsToReproduce: Number(median(seconds).toFixed(1)),
    secondsEach: seconds.map((s) => s.toFixed(1)).join(' / '),
    cyclesEach: cycles.join(' / '),
    reproMsPerCycle: Number(reproMsPerCycle.toFixed(1)),
    plainMsPerCycle: Number(plainMsPerCycle.toFixed(1)),
    overheadRatio: Number((reproMsPerCycle / plainMsPerCycle).toFixed(2)),
    // At 1 in 500, the expected time: 500 cycles at repro's cost per cycle.
    expectedSecondsAt500: Number(((500 * reproMsPerCycle) / 1000).toFixed(1)),
    machineBootSeconds: Number(bootSeconds.toFixed(1)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { provisionLab } = await import('../src/lab/provision.ts');
  await provisionLab(() => {});
  console.table([await benchRepro(Number(process.argv[2] ?? 3))]);
}
