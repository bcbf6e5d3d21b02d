/** The project's own tests: unit tests of pure logic, and end-to-end tests on the Wine lab. */
import { defineConfig } from '@playwright/test';
import { ensureRunId } from '../src/config/run-id.ts';
import { isTestRunner, takeRunLock } from '../src/report/run-lock.ts';

const runId = ensureRunId();
// One self-test run per checkout at a time: a second one would wipe the first one's results.
if (isTestRunner()) takeRunLock('reports/self-test-results', runId);
// The self-tests' verdicts and reports stay out of the main job's reports/.
process.env.DRVCYCLE_REPORTS_DIR ??= 'reports/self-test';

export default defineConfig({
  outputDir: '../reports/self-test-results',
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
