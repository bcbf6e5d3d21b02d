/**
 * BENCH_TESTS (default 6) load/unload cycles tests of CYCLES cycles each on the driver under test,
 * as the cycles spec runs them: what bench/fixed-cost.ts times, test after test on one worker.
 */
import { SPEC_TITLES, test } from '../src/index.ts';

const tests = Number(process.env.BENCH_TESTS ?? 6);

test.describe(SPEC_TITLES.cycles, () => {
  for (let i = 1; i <= tests; i++)
    test.describe(`#${i}`, () => {
      test(SPEC_TITLES.loadUnload, async ({ cycleRunner, settings }) => {
        await cycleRunner({ family: 'cycles', count: settings.cycles });
      });
    });
});
