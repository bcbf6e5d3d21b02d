import type { TestInfo } from '@playwright/test';
import { test } from '../fixtures/index.ts';
import { cyclesCsv, latencySummary } from '../src/suites/cycles.ts';
import type { CycleRecord } from '../src/target/types.ts';
import { classifyCycleFailure } from '../src/verdict/classify.ts';
import { makeVerdict } from '../src/verdict/verdict.ts';
import { formatProgress } from '../src/suites/cycles.ts';

test.describe('cycles', () => {
  test('load/unload cycles', async ({
    target,
    machine,
    driver,
    cycles,
    startTimeoutMs,
    stopTimeoutMs,
    verdict,
  }, testInfo) => {
    const mark = machine.debugMark();
    const records: CycleRecord[] = [];
    const started = performance.now();
    let lastReport = started;
    try {
      for await (const record of target.runCycles(driver, {
        count: cycles,
        startTimeoutMs,
        stopTimeoutMs,
      })) {
        records.push(record);
        if (performance.now() - lastReport > 5_000) {
          lastReport = performance.now();
          const perSecond = records.length / ((lastReport - started) / 1000);
          console.log(
            `[${driver.name}] ${formatProgress({ done: records.length, total: cycles, perSecond, etaSeconds: (cycles - records.length) / perSecond })}`,
          );
        }
      }
    } catch (error) {
      // The machine stopped answering mid-batch: the cycle after the last recorded one is the culprit.
      const lost = {
        cycle: records.length + 1,
        outcome: 'start-failed' as const,
        startMs: null,
        stopMs: null,
        state: 'UNKNOWN',
        error: {
          type: 'DrvcycleError',
          code: 'DRVCYCLE_AGENT_UNREACHABLE' as const,
          message: (error as Error).message,
        },
      };
      records.push(lost);
    } finally {
      await attachCycles(testInfo, driver.name, cycles, records);
    }
    const failed = records.find((r) => r.outcome !== 'ok');
    if (failed)
      verdict.conclude(
        classifyCycleFailure({
          driver: driver.name,
          scenario: 'cycles',
          record: failed,
          debugOutput: machine.debugOutput(mark),
          machineLost: !(await machine.healthy()),
        }),
      );
    verdict.conclude(
      makeVerdict({
        kind: 'pass',
        driver: driver.name,
        scenario: 'cycles',
        detail: `${records.length} cycles`,
        evidence: {
          cycles: records.length,
          start: latencySummary(records.map((r) => r.startMs)),
          stop: latencySummary(records.map((r) => r.stopMs)),
        },
      }),
    );
  });

  test('soak: cycles for a set duration', async ({
    target,
    machine,
    driver,
    soakSeconds,
    startTimeoutMs,
    stopTimeoutMs,
    verdict,
  }, testInfo) => {
    test.skip(soakSeconds === 0, 'Set SOAK_SECONDS (or the soakSeconds option) to run the soak.');
    test.setTimeout((soakSeconds + 300) * 1000);
    const mark = machine.debugMark();
    const records: CycleRecord[] = [];
    const deadline = performance.now() + soakSeconds * 1000;
    while (performance.now() < deadline && !records.some((r) => r.outcome !== 'ok')) {
      for await (const record of target.runCycles(driver, {
        count: 100,
        startTimeoutMs,
        stopTimeoutMs,
      }))
        records.push({ ...record, cycle: records.length + 1 });
      console.log(
        `[${driver.name}] soak: ${records.length} cycles, ${Math.max(0, Math.round((deadline - performance.now()) / 1000))} s left`,
      );
    }
    await attachCycles(testInfo, driver.name, records.length, records);
    const failed = records.find((r) => r.outcome !== 'ok');
    if (failed)
      verdict.conclude(
        classifyCycleFailure({
          driver: driver.name,
          scenario: 'soak',
          record: failed,
          debugOutput: machine.debugOutput(mark),
          machineLost: !(await machine.healthy()),
        }),
      );
    verdict.conclude(
      makeVerdict({
        kind: 'pass',
        driver: driver.name,
        scenario: 'soak',
        detail: `${records.length} cycles in ${soakSeconds} s`,
        evidence: { cycles: records.length },
      }),
    );
  });
});

async function attachCycles(
  testInfo: TestInfo,
  driver: string,
  requested: number,
  records: CycleRecord[],
) {
  await testInfo.attach('cycles.csv', { body: cyclesCsv(records), contentType: 'text/csv' });
  const summary = {
    driver,
    requested,
    completed: records.filter((r) => r.outcome === 'ok').length,
    start: latencySummary(records.map((r) => r.startMs)),
    stop: latencySummary(records.map((r) => r.stopMs)),
  };
  await testInfo.attach('cycle-summary.json', {
    body: JSON.stringify(summary, null, 2),
    contentType: 'application/json',
  });
}
