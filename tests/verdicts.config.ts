/**
 * The specs themselves, run against the sample corpus on the lab: each project is one sample
 * driver. tests/e2e/verdicts.spec.ts runs this configuration and asserts each verdict.
 */
import { defineConfig, sampleDriver, type DrvcycleOptions } from '../src/index.ts';

// Its own reports folder, so the self-test never mixes into the main job's report.
process.env.DRVCYCLE_REPORTS_DIR ??= 'reports/verdict-self-test';

const sample = (name: string, extra: DrvcycleOptions = {}): DrvcycleOptions => ({
  driverUnderTest: { imagePath: sampleDriver(name) },
  ...extra,
});
const pnp = (name: string, extra: DrvcycleOptions = {}): DrvcycleOptions => ({
  driverUnderTest: { imagePath: sampleDriver(name), kind: 'pnp' },
  ...extra,
});
const CYCLES = /cycles\.spec\.ts/;
const LEAKS = /leaks\.spec\.ts/;
const ERROR_PATHS = /error-paths\.spec\.ts/;
const SELF_CHECK = /self-check\.spec\.ts/;

export default defineConfig({
  testDir: '../specs',
  outputDir: process.env.DRVCYCLE_SELFTEST_OUTPUT ?? '../reports/verdict-self-test/test-results',
  timeout: 10 * 60_000,
  grepInvert: /soak/,
  reporter: [['line']],
  projects: [
    {
      name: 'clean',
      testMatch: [CYCLES, LEAKS, ERROR_PATHS, SELF_CHECK],
      use: sample('clean', { cycles: 20, leakCycles: 200 }),
    },
    { name: 'device_legacy', testMatch: LEAKS, use: sample('device_legacy', { leakCycles: 200 }) },
    { name: 'leak_small', testMatch: LEAKS, use: sample('leak_small', { leakCycles: 60 }) },
    { name: 'leak_large', testMatch: LEAKS, use: sample('leak_large', { leakCycles: 60 }) },
    { name: 'leak_every5', testMatch: LEAKS, use: sample('leak_every5', { leakCycles: 60 }) },
    { name: 'late_free', testMatch: LEAKS, use: sample('late_free', { leakCycles: 10 }) },
    {
      name: 'entry_fail_resources',
      testMatch: [CYCLES, ERROR_PATHS],
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
    // PnP function drivers, each on a root-enumerated device from the INF drvcycle writes.
    {
      name: 'pnp_clean',
      testMatch: [CYCLES, LEAKS, ERROR_PATHS],
      use: pnp('pnp_clean', { cycles: 10, leakCycles: 40 }),
    },
    { name: 'pnp_leak_start', testMatch: LEAKS, use: pnp('pnp_leak_start', { leakCycles: 40 }) },
    { name: 'pnp_fail_start', testMatch: CYCLES, use: pnp('pnp_fail_start', { cycles: 5 }) },
    { name: 'pnp_crash_remove', testMatch: CYCLES, use: pnp('pnp_crash_remove', { cycles: 5 }) },
    {
      name: 'pnp_hang_remove',
      testMatch: CYCLES,
      use: pnp('pnp_hang_remove', { cycles: 5, stopTimeoutMs: 15_000 }),
    },
  ],
});
