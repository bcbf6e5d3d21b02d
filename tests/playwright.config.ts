/** The project's own tests: unit tests of pure logic, and end-to-end tests on the Wine lab. */
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { ensureRunId } from '../src/config/run-id-env.ts';
import { isTestRunner, takeRunLock } from '../src/report/run-lock.ts';

const runId = ensureRunId();
// The self-tests' verdicts and reports stay out of the main job's reports/. A second run at the
// same time gets its own with DRVCYCLE_REPORTS_DIR (its test results then go inside it).
const ownReports = process.env.DRVCYCLE_REPORTS_DIR;
const reportsDir = (process.env.DRVCYCLE_REPORTS_DIR ??= 'reports/self-test');
// One self-test run per reports folder at a time: a second one would wipe the first one's test
// results. The lock is in the reports folder, not in the test-results folder, which Playwright
// empties as a run starts (a lock there was wiped by the very run it was to refuse).
if (isTestRunner()) takeRunLock(reportsDir, runId);

export default defineConfig({
  outputDir: ownReports ? path.resolve(ownReports, 'test-results') : '../reports/self-test-results',
  workers: 2,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['../src/report/reporters/summary.ts']],
  projects: [
    { name: 'unit', testDir: 'unit', timeout: 30_000, fullyParallel: true },
    { name: 'lab-setup', testDir: '.', testMatch: /lab\.setup\.ts$/, timeout: 20 * 60_000 },
    { name: 'e2e', testDir: 'e2e', dependencies: ['lab-setup'], timeout: 5 * 60_000 },
  ],
});
