import { test } from '../fixtures/index.ts';
import { cyclesCsv, latencySummary, runCycleSuite, CycleFailure } from '../src/suites/cycles.ts';

test('load/unload cycles', async ({
  target,
  driver,
  cycles,
  startTimeoutMs,
  stopTimeoutMs,
}, testInfo) => {
  const attach = async (records: Parameters<typeof cyclesCsv>[0]) => {
    await testInfo.attach('cycles.csv', { body: cyclesCsv(records), contentType: 'text/csv' });
    const summary = {
      driver: driver.name,
      requested: cycles,
      completed: records.filter((r) => r.outcome === 'ok').length,
      start: latencySummary(records.map((r) => r.startMs)),
      stop: latencySummary(records.map((r) => r.stopMs)),
    };
    await testInfo.attach('cycle-summary.json', {
      body: JSON.stringify(summary, null, 2),
      contentType: 'application/json',
    });
  };
  try {
    const run = await runCycleSuite(target, driver, {
      count: cycles,
      startTimeoutMs,
      stopTimeoutMs,
      onProgress: (line) => console.log(`[${driver.name}] ${line}`),
    });
    await attach(run.records);
  } catch (error) {
    if (error instanceof CycleFailure) await attach(error.run.records);
    throw error;
  }
});
