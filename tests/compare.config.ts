/**
 * The compare spec on the lab, on pairs of sample drivers whose comparison is known: the same
 * build twice, a slower start, a leak gone and a leak added. tests/e2e/compare.spec.ts runs it (and
 * `drvcycle compare -c tests/compare.config.ts`, whose `compare` project takes both builds from
 * the command line). Small cycle counts: the file runs in about a minute.
 */
import { defineConfig, sampleDriver, type DrvcycleOptions } from '../src/index.ts';

process.env.DRVCYCLE_REPORTS_DIR ??= 'reports/compare-self-test';

const pair = (
  baseline: string,
  candidate: string,
  compare: DrvcycleOptions['compare'],
): DrvcycleOptions => ({
  baselineDriver: { imagePath: sampleDriver(baseline) },
  driverUnderTest: { imagePath: sampleDriver(candidate) },
  compare,
});
// No error paths unless a project asks: each case runs on both builds (seconds per case).
const quick = { errorPaths: false, warmupCycles: 1 };

export default defineConfig({
  testDir: '../specs',
  testMatch: /compare\.spec\.ts$/,
  outputDir: process.env.DRVCYCLE_SELFTEST_OUTPUT ?? '../reports/compare-self-test/test-results',
  reporter: [['line']],
  workers: 1,
  projects: [
    // drvcycle compare: both builds from the command line (DRIVER, BASELINE_DRIVER).
    { name: 'compare', use: { compare: { ...quick, cycles: 5, blockSize: 2 } } },
    {
      name: 'clean-vs-clean',
      use: pair('clean', 'clean', { ...quick, cycles: 40, blockSize: 10 }),
    },
    {
      name: 'leak-gone',
      use: pair('leak_small', 'clean', { ...quick, cycles: 20, blockSize: 10 }),
    },
    {
      name: 'leak-added',
      use: pair('clean', 'leak_small', { cycles: 20, blockSize: 10, warmupCycles: 1 }),
    },
  ],
});
