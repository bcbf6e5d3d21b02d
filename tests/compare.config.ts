/**
 * The compare spec on the lab, on pairs of sample drivers whose comparison is known: the same
 * build twice, a slower start, a leak gone and a leak added. tests/e2e/compare.spec.ts runs it (and
 * `drvcycle compare -c tests/compare.config.ts`, whose `compare` project takes both builds from
 * the command line). Small cycle counts: the file runs in about a minute.
 */
import { readFileSync } from 'node:fs';
import { defineConfig, sampleDriver, type DrvcycleOptions } from '../src/index.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';

process.env.DRVCYCLE_REPORTS_DIR ??= 'reports/compare-self-test';

const pair = (
  baseline: string,
  candidate: string,
  compare: DrvcycleOptions['compare'],
  io?: string | Record<string, unknown>,
): DrvcycleOptions => ({
  baselineDriver: { imagePath: sampleDriver(baseline) },
  driverUnderTest: { imagePath: sampleDriver(candidate), ...(io ? { io } : {}) },
  compare,
});
// io_clean's table, and the same with a 250 ms bound on get (io_slow_get's takes 500 ms).
const ioCleanTable = `${PACKAGE_ROOT}/drivers/io/io_clean.json`;
const ioClean = JSON.parse(readFileSync(ioCleanTable, 'utf8')) as {
  operations: Record<string, unknown>[];
};
const tightGet = {
  ...ioClean,
  operations: ioClean.operations.map((op) => (op.name === 'get' ? { ...op, timeoutMs: 250 } : op)),
};
// No error paths unless a project asks: each case runs on both builds (seconds per case). Each
// build gets 6 blocks past the warm-up: what an interval at 99.29 % (alpha 0.05 over the lab's 7
// figures) needs to be able to exclude zero.
const quick = { errorPaths: false, warmupCycles: 1 };

export default defineConfig({
  testDir: '../specs',
  testMatch: /compare\.spec\.ts$/,
  outputDir: process.env.DRVCYCLE_SELFTEST_OUTPUT ?? '../reports/compare-self-test/test-results',
  reporter: [['line']],
  workers: 1,
  projects: [
    // drvcycle compare: both builds from the command line (DRIVER, BASELINE_DRIVER).
    // Block size 1: a two-second start alternates with a clean one, cycle by cycle.
    { name: 'compare', use: { compare: { ...quick, blockSize: 1 } } },
    {
      name: 'clean-vs-clean',
      use: pair('clean', 'clean', { ...quick, cycles: 48, blockSize: 8 }),
    },
    {
      name: 'leak-gone',
      use: pair('leak_small', 'clean', { ...quick, cycles: 24, blockSize: 4 }),
    },
    {
      name: 'leak-added',
      use: pair('clean', 'leak_small', { cycles: 24, blockSize: 4, warmupCycles: 1 }),
    },
    // With an I/O table: both builds run it; 6 blocks each past the warm-up (9 intervals).
    {
      name: 'io-same',
      use: pair('io_clean', 'io_clean', { ...quick, cycles: 24, blockSize: 4 }, ioCleanTable),
    },
    {
      name: 'io-candidate-fails',
      use: pair('io_clean', 'io_slow_get', { ...quick, cycles: 8, blockSize: 4 }, tightGet),
    },
    {
      name: 'io-baseline-fails',
      use: pair('io_slow_get', 'io_clean', { ...quick, cycles: 8, blockSize: 4 }, tightGet),
    },
  ],
});
