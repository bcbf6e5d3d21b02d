/**
 * What the self-check's I/O cases (src/families/self-check-io.ts) leave out: fuzz mode on two of
 * the I/O samples, and a PnP driver opened by its device interface (pnp_io). One project each;
 * tests/e2e/io.spec.ts runs this configuration and asserts each verdict.
 */
import { readFileSync } from 'node:fs';
import { defineConfig, sampleDriver, type DrvcycleOptions } from '../src/index.ts';
import { sampleIoTable } from '../src/core/paths.ts';

process.env.DRVCYCLE_REPORTS_DIR ??= 'reports/io-self-test';

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

export default defineConfig({
  testDir: '../specs',
  outputDir: process.env.DRVCYCLE_SELFTEST_OUTPUT ?? '../reports/io-self-test/test-results',
  timeout: 10 * 60_000,
  grepInvert: /soak/,
  reporter: [['line']],
  projects: [
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
      // A PnP driver named by its device interface class, not a \\.\ name.
      name: 'pnp_io',
      testMatch: CYCLES,
      use: {
        cycles: 5,
        driverUnderTest: {
          imagePath: sampleDriver('pnp_io'),
          kind: 'pnp',
          io: sampleIoTable('pnp_io'),
        },
      },
    },
  ],
});
