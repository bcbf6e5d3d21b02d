import type { TestInfo } from '@playwright/test';
import { test } from '../fixtures/index.ts';
import type { TestCollector } from '../fixtures/collector.ts';
import { progressReporter, runCycleBatch } from '../src/runner/cycles.ts';
import type { CycleOptions, CycleRecord, ServiceRef, Target } from '../src/target/types.ts';
import { classifyCycleFailure } from '../src/core/classify.ts';
import { makeVerdict } from '../src/core/verdict.ts';
import type { Machine } from '../src/machines/machine.ts';

/** Runs one batch into the collector, with progress lines; returns the first bad cycle. */
function cycleInto(
  target: Target,
  ref: ServiceRef,
  options: CycleOptions,
  collector: TestCollector,
  firstCycle: number,
  progress: (done: number) => void,
) {
  return runCycleBatch(target, ref, options, {
    firstCycle,
    onRecord: (record) => {
      collector.metrics.cycle(record);
      progress(record.cycle);
    },
  });
}

const progress = (driver: string, total: number | undefined) =>
  progressReporter(driver, total, (line) => console.log(line));

async function conclude(
  failed: CycleRecord | undefined,
  scenario: string,
  ref: ServiceRef,
  machine: Machine,
  mark: number,
  collector: TestCollector,
  verdict: { conclude(v: ReturnType<typeof makeVerdict>): void },
  testInfo: TestInfo,
) {
  const latency = collector.metrics.latency();
  await testInfo.attach('cycle-summary.json', {
    body: JSON.stringify(
      {
        driver: ref.name,
        requested: collector.metrics.cycles,
        completed: collector.metrics.cycles - (failed ? 1 : 0),
        start: latency.start,
        stop: latency.stop,
      },
      null,
      2,
    ),
    contentType: 'application/json',
  });
  if (failed)
    verdict.conclude(
      classifyCycleFailure({
        driver: ref.name,
        scenario,
        record: failed,
        debugOutput: machine.debugOutput(mark),
        machineLost: !(await machine.healthy()),
      }),
    );
  verdict.conclude(
    makeVerdict({
      kind: 'pass',
      driver: ref.name,
      scenario,
      detail: `${collector.metrics.cycles} cycles`,
      evidence: { cycles: collector.metrics.cycles, startMs: latency.start, stopMs: latency.stop },
    }),
  );
}

test.describe('cycles', () => {
  test('load/unload cycles', async ({
    target,
    machine,
    driver,
    cycles,
    startTimeoutMs,
    stopTimeoutMs,
    sampleEvery,
    collector,
    verdict,
  }, testInfo) => {
    const mark = machine.debugMark();
    const failed = await cycleInto(
      target,
      driver,
      {
        count: cycles,
        startTimeoutMs,
        stopTimeoutMs,
        sampleEvery,
        sample: collector.sampleRequest,
      },
      collector,
      1,
      progress(driver.name, cycles),
    );
    await conclude(failed, 'cycles', driver, machine, mark, collector, verdict, testInfo);
  });

  test('soak: cycles for a set duration', async ({
    target,
    machine,
    driver,
    soakSeconds,
    startTimeoutMs,
    stopTimeoutMs,
    sampleEvery,
    collector,
    verdict,
  }, testInfo) => {
    test.skip(soakSeconds === 0, 'Set SOAK_SECONDS (or the soakSeconds option) to run the soak.');
    test.setTimeout((soakSeconds + 300) * 1000);
    const mark = machine.debugMark();
    const deadline = performance.now() + soakSeconds * 1000;
    const report = progress(driver.name, undefined);
    let failed: CycleRecord | undefined;
    while (!failed && performance.now() < deadline) {
      failed = await cycleInto(
        target,
        driver,
        { count: 100, startTimeoutMs, stopTimeoutMs, sampleEvery, sample: collector.sampleRequest },
        collector,
        collector.metrics.cycles + 1,
        report,
      );
    }
    await conclude(failed, 'soak', driver, machine, mark, collector, verdict, testInfo);
  });
});
