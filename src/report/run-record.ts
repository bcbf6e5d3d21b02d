/**
 * reports/run.json: what a run was started with, written as it starts (before its first test), so
 * `drvcycle resume` can finish it even when it was killed in its first test, with the same
 * settings: its run id, its `playwright test` arguments and the drvcycle settings it had from the
 * environment (CYCLES, DRIVER, DRVCYCLE_MACHINE…). A resumed run keeps the first part's record.
 */
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { checkedRunId } from '../core/run-id.ts';
import { atomicWrite } from './atomic-write.ts';
import { isRecord, readReportJson } from './read-json.ts';

export interface RunRecord {
  readonly runId: string;
  readonly startedAt: string;
  /** The `playwright test` arguments (after `test`). */
  readonly args: string[];
  /** The drvcycle settings the run had from its environment, by variable name. */
  readonly settings: Record<string, string>;
}

export function runRecordFile(reportsDir: string): string {
  return path.join(reportsDir, 'run.json');
}

const HINT = 'Start a new run instead (the interrupted run cannot be resumed without it).';

export function readRunRecord(reportsDir: string): RunRecord | undefined {
  const file = runRecordFile(reportsDir);
  const value = readReportJson(file, HINT);
  if (value === undefined) return undefined;
  if (
    !isRecord(value) ||
    !Array.isArray(value.args) ||
    !value.args.every((a) => typeof a === 'string') ||
    !isRecord(value.settings) ||
    !Object.values(value.settings).every((v) => typeof v === 'string')
  )
    throw new ConfigError(`${file} is not a drvcycle run record.`, HINT);
  checkedRunId(value.runId, file, HINT);
  return value as unknown as RunRecord;
}

/**
 * Records the run as it starts: `settingNames` are the variables to keep (RECORDED_SETTINGS of
 * src/config/run-id-env.ts), `argv` is the runner's (`node cli.js test …`). A record of the
 * same run id (the first part of a resumed run) is kept as it is.
 */
export function recordRun(
  reportsDir: string,
  runId: string,
  settingNames: readonly string[],
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): void {
  try {
    if (readRunRecord(reportsDir)?.runId === runId) return;
  } catch {
    // A damaged record of an earlier run: this run's replaces it.
  }
  const afterTest = argv.indexOf('test');
  const record: RunRecord = {
    runId,
    startedAt: new Date().toISOString(),
    args: afterTest < 0 ? [] : argv.slice(afterTest + 1),
    settings: Object.fromEntries(
      settingNames.flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
    ),
  };
  atomicWrite(runRecordFile(reportsDir), `${JSON.stringify(record, null, 2)}\n`);
}
