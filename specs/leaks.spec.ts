import { test } from '../fixtures/index.ts';
import { runLeakSuite } from '../src/runner/leaks.ts';

test.describe('leaks', () => {
  test('memory returns to baseline after unload and does not grow across cycles', async ({
    target,
    machine,
    driver,
    leakCycles,
    leakThresholds,
    driverUnderTest,
    startTimeoutMs,
    stopTimeoutMs,
    collector,
    verdict,
  }, testInfo) => {
    const result = await runLeakSuite(target, machine, driver, {
      cycles: leakCycles,
      thresholds: leakThresholds,
      poolTags: driverUnderTest.poolTags,
      startTimeoutMs,
      stopTimeoutMs,
      onProgress: (done) => {
        if (done % 100 === 0) console.log(`[${driver.name}] leak cycles ${done}/${leakCycles}`);
      },
    });
    for (const record of result.records) collector.metrics.cycle(record);
    if (result.signal) {
      collector.memory({
        signal: result.signal.name,
        title: `${driver.name}: ${result.signal.name} after each unload`,
        unit: result.signal.unit,
        series: result.signal.series,
        fit: result.analysis
          ? { slope: result.analysis.slopePerCycle, intercept: result.analysis.intercept }
          : undefined,
        warmupCycles: leakThresholds.warmupCycles,
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
