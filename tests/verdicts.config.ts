/**
 * The specs themselves, run against the sample corpus on the lab: each project is one sample
 * driver. tests/e2e/verdicts.spec.ts runs this configuration and asserts each verdict.
 */
import { defineConfig } from '@playwright/test';
import type { DrvcycleOptions } from '../fixtures/options.ts';
import { sampleDriver } from '../src/core/paths.ts';
import { newRunId } from '../src/windows/scm/ownership.ts';

process.env.DRVCYCLE_RUN_ID ??= newRunId();
process.env.DRVCYCLE_VERDICTS_FILE ??= 'reports/verdict-self-test/verdicts.json';

const sample = (name: string, extra: Partial<DrvcycleOptions> = {}) => ({
  driverUnderTest: { imagePath: sampleDriver(name) },
  ...extra,
});
const CYCLES = /cycles\.spec\.ts/;
const LEAKS = /leaks\.spec\.ts/;

export default defineConfig<DrvcycleOptions>({
  testDir: '../specs',
  outputDir: process.env.DRVCYCLE_SELFTEST_OUTPUT ?? '../reports/verdict-self-test',
  globalSetup: '../fixtures/global-setup.ts',
  workers: 2,
  fullyParallel: true,
  timeout: 10 * 60_000,
  grepInvert: /soak/,
  reporter: [['line'], ['../src/report/reporters/verdicts.ts']],
  projects: [
    {
      name: 'clean',
      testMatch: [CYCLES, LEAKS],
      use: sample('clean', { cycles: 20, leakCycles: 200 }),
    },
    { name: 'device_legacy', testMatch: LEAKS, use: sample('device_legacy', { leakCycles: 200 }) },
    { name: 'leak_small', testMatch: LEAKS, use: sample('leak_small', { leakCycles: 60 }) },
    { name: 'leak_large', testMatch: LEAKS, use: sample('leak_large', { leakCycles: 60 }) },
    {
      name: 'entry_fail_resources',
      testMatch: CYCLES,
      use: sample('entry_fail_resources', { cycles: 5 }),
    },
    {
      name: 'entry_fail_config',
      testMatch: CYCLES,
      use: sample('entry_fail_config', { cycles: 5 }),
    },
    { name: 'crash_in_entry', testMatch: CYCLES, use: sample('crash_in_entry', { cycles: 5 }) },
    { name: 'crash_in_unload', testMatch: CYCLES, use: sample('crash_in_unload', { cycles: 5 }) },
    {
      name: 'hang_in_unload',
      testMatch: CYCLES,
      use: sample('hang_in_unload', { cycles: 5, stopTimeoutMs: 3_000 }),
    },
  ],
});
