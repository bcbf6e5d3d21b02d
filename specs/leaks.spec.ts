import { test } from '../src/index.ts';

test.describe('leaks', () => {
  test('memory returns to baseline after unload and does not grow across cycles', async ({
    cycleRunner,
    settings,
  }) => {
    await cycleRunner({
      family: 'leaks',
      count: settings.leakCycles,
      leak: { thresholds: settings.leakThresholds, poolTags: settings.driver.poolTags },
    });
  });
});
