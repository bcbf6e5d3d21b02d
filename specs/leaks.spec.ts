import { SPEC_TITLES, test } from '../src/index.ts';

test.describe(SPEC_TITLES.leaks, () => {
  test(SPEC_TITLES.leakBaseline, async ({ cycleRunner, settings }) => {
    await cycleRunner({
      family: 'leaks',
      count: settings.leakCycles,
      leak: { thresholds: settings.leakThresholds, poolTags: settings.driver.poolTags },
    });
  });
});
