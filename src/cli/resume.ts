/**
 * `drvcycle resume [playwright test arguments]`: finishes a run that was interrupted (runner
 * killed, Ctrl+C, a machine lost): the same run id, only the tests that did not complete, the
 * first part's verdicts and Allure results kept, then one report of both parts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from '../core/child-process.ts';
import { ConfigError } from '../core/errors.ts';
import { reportPaths, reportsDir } from '../core/paths.ts';
import type { VerdictSummary } from '../core/verdict.ts';
import { generateReport } from '../report/generate.ts';
import { completedTestList } from '../report/resume.ts';
import { refuseIfBusy } from '../report/run-lock.ts';

export async function resumeRun(args: string[]): Promise<number> {
  refuseIfBusy(reportsDir());
  const file = reportPaths.verdicts();
  if (!existsSync(file))
    throw new ConfigError(
      `Nothing to resume: ${file} does not exist.`,
      'Resume runs in the reports folder of the interrupted run (DRVCYCLE_REPORTS_DIR if it had one).',
    );
  const summary = JSON.parse(readFileSync(file, 'utf8')) as VerdictSummary;
  if (!summary.runId) throw new ConfigError(`${file} names no run id.`, 'Start a new run instead.');
  const list = path.join(reportsDir(), `resume-${summary.runId}.txt`);
  writeFileSync(list, completedTestList(summary));
  const done = summary.verdicts.filter((v) => v.status !== 'interrupted').length;
  process.stdout.write(
    `[drvcycle] resuming run ${summary.runId}: ${done} test${done === 1 ? '' : 's'} completed, the rest runs now\n`,
  );
  const result = await runProcess(
    'npx',
    ['playwright', 'test', '--test-list-invert', list, '--pass-with-no-tests', ...args],
    {
      timeoutMs: 7 * 24 * 3600_000,
      output: 'inherit',
      allowFailure: true,
      env: { ...process.env, DRVCYCLE_RUN_ID: summary.runId },
    },
  );
  const report = await generateReport({ quiet: true });
  process.stdout.write(`\n[drvcycle] Allure report of the whole run: ${report}\n`);
  return result.code ?? 1;
}
