import { defineConfig } from '@playwright/test';
import type { DrvcycleOptions } from './fixtures/options.ts';
import { newRunId } from './src/windows/scm/ownership.ts';
import { reportPaths } from './src/report/paths.ts';

// One run id for the whole run: the runner sets it, its workers inherit it.
process.env.DRVCYCLE_RUN_ID ??= newRunId();

export default defineConfig<DrvcycleOptions>({
  testDir: 'specs',
  outputDir: reportPaths.testResults(),
  globalSetup: './fixtures/global-setup.ts',
  // One Wine prefix (a "machine") per worker; the lab machine has 2 cores.
  workers: Number(process.env.WORKERS ?? 2),
  fullyParallel: true,
  timeout: 30 * 60_000,
  reporter: [
    ['list'],
    ['./src/report/reporters/summary.ts'],
    ['./src/report/reporters/verdicts.ts'],
    ['./src/report/reporters/environment.ts'],
    ['allure-playwright', { resultsDir: reportPaths.allureResults() }],
  ],
  projects: [
    {
      name: 'lab',
      use: { startTimeoutMs: 30_000, stopTimeoutMs: 30_000 },
    },
  ],
});
