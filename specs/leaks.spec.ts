import { test } from '../fixtures/index.ts';
import { runLeakSuite } from '../src/suites/leaks.ts';

test.describe('leaks', () => {
  test('memory returns to baseline after unload and does not grow across cycles', async ({
    target,
    machine,
    driver,
    leakCycles,
    leakThresholds,
    startTimeoutMs,
    stopTimeoutMs,
    verdict,
  }, testInfo) => {
    const result = await runLeakSuite(target, machine, driver, {
      cycles: leakCycles,
      thresholds: leakThresholds,
      startTimeoutMs,
      stopTimeoutMs,
      onProgress: (done) => {
        if (done % 100 === 0) console.log(`[${driver.name}] leak cycles ${done}/${leakCycles}`);
      },
    });
    if (result.signal) {
      const ndjson = result.signal.series
        .map((s) => JSON.stringify({ signal: result.signal!.name, ...s }))
        .join('\n');
      await testInfo.attach('memory.ndjson', {
        body: `${ndjson}\n`,
        contentType: 'application/x-ndjson',
      });
    }
    if (result.analysis)
      await testInfo.attach('leak-analysis.json', {
        body: JSON.stringify(result.analysis, null, 2),
        contentType: 'application/json',
      });
    verdict.conclude(result.verdict);
  });
});
