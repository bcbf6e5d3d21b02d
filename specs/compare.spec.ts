import { SPEC_TITLES, test } from '../src/index.ts';

// A release candidate (the driver under test) against the last good build of the same driver.
test.describe(SPEC_TITLES.compare, () => {
  // Decided before the test's fixtures install anything (see the soak in cycles.spec.ts).
  test.skip(
    ({ settings }) => settings.baseline === undefined,
    'Set BASELINE_DRIVER (or the baselineDriver option) to compare the driver with its last good build.',
  );
  test(SPEC_TITLES.againstBaseline, async ({ compareRunner }) => {
    test.setTimeout(60 * 60_000);
    await compareRunner();
  });
});
