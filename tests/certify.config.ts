/**
 * A certification rehearsal on the lab, as a driver team writes it: the certify projects that
 * drvcycleProjects generates from the drivers manifest in DRVCYCLE_MANIFEST.
 * tests/e2e/certify.spec.ts runs it on a passing and a failing sample driver.
 */
import { defineConfig, drvcycleProjects } from '../src/index.ts';

export default defineConfig({
  testDir: '../specs',
  testIgnore: /self-check/,
  outputDir: process.env.DRVCYCLE_SELFTEST_OUTPUT ?? '../reports/certify-self-test/test-results',
  reporter: [['line']],
  projects: drvcycleProjects({ profiles: ['certify'] }),
});
