import type { TestInfo } from '@playwright/test';
import { test } from '../fixtures/index.ts';
import type { TestCollector } from '../fixtures/collector.ts';
import { formatProgress } from '../src/suites/cycles.ts';
import type { CycleOptions, CycleRecord, ServiceRef, Target } from '../src/target/types.ts';
import { classifyCycleFailure } from '../src/verdict/classify.ts';
import { makeVerdict } from '../src/verdict/verdict.ts';
import type { Machine } from '../src/vm/machine.ts';

/**
 * Runs cycles through the target's batch form into the collector; returns the first failed
 * cycle, if any. A machine that stops answering mid-batch fails the next cycle.
 */
async function cycleInto(
  target: Target,
  ref: ServiceRef,
  options: CycleOptions,
  collector: TestCollector,
  firstCycle: number,
  onRecord: (done: number) => void,
): Promise<CycleRecord | undefined> {
  let last = firstCycle - 1;
  try {
    for await (const raw of target.runCycles(ref, options)) {
      const record = { ...raw, cycle: firstCycle + raw.cycle - 1 };
      last = record.cycle;
      collector.metrics.cycle(record);
      onRecord(record.cycle);
      if (record.outcome !== 'ok') return record;
    }
    return undefined;
  } catch (error) {
    const lost: CycleRecord = {
      cycle: last + 1,
      outcome: 'start-failed',
      startMs: null,
      stopMs: null,
      state: 'UNKNOWN',
      error: {
        type: 'DrvcycleError',
        code: 'DRVCYCLE_AGENT_UNREACHABLE',
        message: (error as Error).message,
      },
    };
    collector.metrics.cycle(lost);
    return lost;
  }
}

function progress(driver: string, total: number | undefined) {
  const started = performance.now();
  let last = started;
  return (done: number) => {
    const now = performance.now();
    if (now - last < 5_000) return;
    last = now;
    const perSecond = done / ((now - started) / 1000);
    console.log(
      `[${driver}] ${total ? formatProgress({ done, total, perSecond, etaSeconds: (total - done) / perSecond }) : `cycle ${done} (${perSecond.toFixed(1)}/s)`}`,
    );
  };
}

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
