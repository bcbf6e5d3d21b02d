/**
 * The I/O samples under the specs, each with its I/O table (drivers/io): one project per sample
 * and table. tests/e2e/io.spec.ts runs this configuration and asserts each verdict.
 */
import { readFileSync } from 'node:fs';
import { defineConfig, sampleDriver, type DrvcycleOptions } from '../src/index.ts';
import { sampleIoTable } from '../src/core/paths.ts';

process.env.DRVCYCLE_REPORTS_DIR ??= 'reports/io-self-test';

const withTable = (name: string, table = name, extra: DrvcycleOptions = {}): DrvcycleOptions => ({
  driverUnderTest: { imagePath: sampleDriver(name), io: sampleIoTable(table) },
  ...extra,
});
/** The sample's table with fuzz mode on, seeded (the verdict must name the seed). */
const fuzzed = (name: string, seed: number, extra: DrvcycleOptions = {}): DrvcycleOptions => ({
  driverUnderTest: {
    imagePath: sampleDriver(name),
    io: {
      ...JSON.parse(readFileSync(sampleIoTable(name), 'utf8')),
      fuzz: { seed, randomCalls: 4 },
    },
  },
  ...extra,
});
const CYCLES = /cycles\.spec\.ts/;
const LEAKS = /leaks\.spec\.ts/;

export default defineConfig({
  testDir: '../specs',
  outputDir: process.env.DRVCYCLE_SELFTEST_OUTPUT ?? '../reports/io-self-test/test-results',
  timeout: 10 * 60_000,
  grepInvert: /soak/,
  reporter: [['line']],
  projects: [
    {
      name: 'io_clean',
      testMatch: [CYCLES, LEAKS],
      use: withTable('io_clean', 'io_clean', { cycles: 10, leakCycles: 40 }),
    },
    { name: 'io_clean_fuzz', testMatch: CYCLES, use: fuzzed('io_clean', 7, { cycles: 5 }) },
    {
      name: 'io_crash_short_fuzz',
      testMatch: CYCLES,
      use: {
        cycles: 3,
        driverUnderTest: {
          imagePath: sampleDriver('io_crash_short'),
          io: {
            device: '\\\\.\\DcIoCrash',
            fuzz: { seed: 11, randomCalls: 0 },
            operations: [
              { name: 'alloc', ioctl: '0x222004', inputHex: '01000000', timeoutMs: 15000 },
            ],
          },
        },
      },
    },
    {
      name: 'io_leak_ioctl',
      testMatch: LEAKS,
      use: withTable('io_leak_ioctl', 'io_leak_ioctl', { leakCycles: 40 }),
    },
    {
      name: 'io_crash_short',
      testMatch: CYCLES,
      use: withTable('io_crash_short', 'io_crash_short', { cycles: 5 }),
    },
    {
      name: 'io_pending_read',
      testMatch: CYCLES,
      use: withTable('io_pending_read', 'io_pending_read', { cycles: 5 }),
    },
    {
      name: 'io_pending_read_cancel',
      testMatch: CYCLES,
      use: withTable('io_pending_read', 'io_pending_read.cancel', { cycles: 5 }),
    },
  ],
});
