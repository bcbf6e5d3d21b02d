/** The main job: set up the lab, run the specs on it with Playwright Test, report. */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from '../core/child-process.ts';
import { reportPaths } from '../config/report-paths.ts';
import { reportsDir } from '../config/environment.ts';
import { ensureRunId } from '../config/run-id-env.ts';
import { playwrightCommand } from './playwright-command.ts';
import { takeRunLock } from '../report/run-lock.ts';
import { generateReport } from '../report/generate.ts';

export async function runLabJob(args: string[]): Promise<number> {
  // The job holds the folder until its report is written; its `playwright test` runs under it.
  takeRunLock(reportsDir(), ensureRunId(), 'drvcycle lab');
  // Each run's report shows that run; the trend across runs lives in reports/history.
  rmSync(reportPaths.allureResults(), { recursive: true, force: true });
  const hasProject = args.some((arg) => arg.startsWith('--project'));
  const playwright = playwrightCommand(['test', ...(hasProject ? [] : ['--project=lab']), ...args]);
  const result = await runProcess(
    playwright.command,
    playwright.args,
    // Ctrl+C: Playwright stops the run and tears its machines down; this job waits for it, then
    // reports what ran (the interrupted tests' verdicts are `environment`).
    { timeoutMs: 7 * 24 * 3600_000, output: 'inherit', allowFailure: true, forwardSignals: true },
  );
  if (!hasResults()) {
    // A shard of a run with fewer tests than shards is given none: nothing to report, no failure.
    process.stdout.write(`\n[drvcycle] no test results in ${reportPaths.allureResults()}\n`);
    return result.code ?? 1;
  }
  const report = await generateReport({ quiet: true });
  process.stdout.write(
    [
      '',
      `[drvcycle] Allure report: ${report}  (open it with: npx allure open ${path.relative(process.cwd(), reportPaths.allureReport())})`,
      `[drvcycle] verdicts: ${reportPaths.verdicts()}`,
      '',
    ].join('\n'),
  );
  return result.code ?? 1;
}

function hasResults(): boolean {
  const dir = reportPaths.allureResults();
  return existsSync(dir) && readdirSync(dir).length > 0;
}
