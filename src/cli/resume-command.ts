/**
 * `drvcycle resume [playwright test arguments]`: finishes a run that was interrupted (runner
 * killed, Ctrl+C, a machine lost), in its first test or later: the same run id and settings, only
 * the tests that did not complete, the first part's verdicts and Allure results kept, then one
 * report of both parts. It holds the reports folder until its report is written.
 */
import { playwrightCommand } from './playwright-command.ts';
import path from 'node:path';
import { checkedRunId } from '../core/run-id.ts';
import { runProcess } from '../core/child-process.ts';
import { ConfigError } from '../core/errors.ts';
import { reportPaths } from '../config/report-paths.ts';
import { reportsDir } from '../config/environment.ts';
import { RUN_ID_ENV } from '../config/run-id-env.ts';
import type { VerdictSummary } from '../core/verdict.ts';
import { atomicWrite } from '../report/atomic-write.ts';
import { generateReport } from '../report/generate.ts';
import { isRecord, readReportJson } from '../report/read-json.ts';
import { completedTestList, restoreSettings } from '../report/resume-plan.ts';
import { readRunRecord, runRecordFile } from '../report/run-record.ts';
import { takeRunLock } from '../report/run-lock.ts';

const HINT = 'Start a new run instead.';

function readSummary(file: string): VerdictSummary | undefined {
  const value = readReportJson(file, HINT);
  if (value === undefined) return undefined;
  if (!isRecord(value) || !Array.isArray(value.verdicts))
    throw new ConfigError(`${file} is not a drvcycle verdicts.json.`, HINT);
  if (value.runId !== undefined) checkedRunId(value.runId, file, HINT);
  return value as unknown as VerdictSummary;
}

export async function resumeRun(args: string[]): Promise<number> {
  const dir = reportsDir();
  const file = reportPaths.verdicts();
  // run.json is written as a run starts: the last run, even one killed before any verdict.
  const record = readRunRecord(dir);
  const summary = readSummary(file);
  if (!record && !summary)
    throw new ConfigError(
      `Nothing to resume: neither ${runRecordFile(dir)} nor ${file} exists.`,
      'Resume runs in the reports folder of the interrupted run (DRVCYCLE_REPORTS_DIR if it had one).',
    );
  const runId = record?.runId ?? summary?.runId;
  if (!runId) throw new ConfigError(`${file} names no run id.`, HINT);
  takeRunLock(dir, runId, 'drvcycle resume');
  // A verdicts.json of another run id is an earlier run's: this one ended before its first verdict.
  const verdicts = summary?.runId === runId ? summary.verdicts : [];
  const list = path.join(dir, `resume-${runId}.txt`);
  atomicWrite(list, completedTestList({ verdicts }));
  const done = verdicts.filter((v) => v.status !== 'interrupted').length;
  process.stdout.write(
    `[drvcycle] resuming run ${runId}: ${done} test${done === 1 ? '' : 's'} completed, the rest runs now\n`,
  );
  const settings = restoreSettings(record, process.env, args);
  if (!record)
    process.stdout.write(
      `[drvcycle] ${runRecordFile(dir)} is missing: the run's settings are not known, the current ones apply\n`,
    );
  if (settings.restored.length > 0)
    process.stdout.write(
      `[drvcycle] settings restored from the interrupted run: ${settings.restored.join(', ')}\n`,
    );
  if (settings.overridden.length > 0)
    process.stdout.write(
      `[drvcycle] settings given now instead of the interrupted run's: ${settings.overridden.join(', ')}\n`,
    );
  if (settings.argsRestored)
    process.stdout.write(
      `[drvcycle] arguments restored from the interrupted run: ${settings.args.join(' ')}\n`,
    );
  const playwright = playwrightCommand([
    'test',
    '--test-list-invert',
    list,
    '--pass-with-no-tests',
    ...settings.args,
  ]);
  const result = await runProcess(playwright.command, playwright.args, {
    timeoutMs: 7 * 24 * 3600_000,
    output: 'inherit',
    allowFailure: true,
    env: { ...process.env, ...settings.env, [RUN_ID_ENV]: runId },
  });
  const report = await generateReport({ quiet: true });
  process.stdout.write(`\n[drvcycle] Allure report of the whole run: ${report}\n`);
  return result.code ?? 1;
}
