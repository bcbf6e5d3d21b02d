/**
 * One live run per reports folder: a second run in the same checkout would wipe the first one's
 * test results and Allure results. The runner takes `<reports>/.run.lock` (its pid and run id);
 * a lock whose process is gone (a killed run) is taken over.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../core/child-process.ts';
import { ConfigError } from '../core/errors.ts';

interface RunLock {
  readonly pid: number;
  readonly runId: string;
  readonly host: string;
  readonly startedAt: string;
}

export function lockFile(reportsDir: string): string {
  return path.join(reportsDir, '.run.lock');
}

/** The live run holding the folder, if another process does. */
export function liveRunIn(reportsDir: string): RunLock | undefined {
  const file = lockFile(reportsDir);
  if (!existsSync(file)) return undefined;
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as RunLock;
    const ours = lock.pid === process.pid && lock.host === os.hostname();
    return !ours && lock.host === os.hostname() && processAlive(lock.pid) ? lock : undefined;
  } catch {
    return undefined;
  }
}

export function refuseIfBusy(reportsDir: string): void {
  const live = liveRunIn(reportsDir);
  if (live)
    throw new ConfigError(
      `Another drvcycle run (run ${live.runId}, process ${live.pid}, since ${live.startedAt}) is writing to ${reportsDir}.`,
      'Wait for it to finish, or give this run its own folder: DRVCYCLE_REPORTS_DIR=reports-2 npx playwright test …',
    );
}

/**
 * Whether this process is a `playwright test` runner: the one process of a run that holds the
 * lock. Workers (TEST_WORKER_INDEX) and long-lived hosts that load the config without running
 * tests (an editor's test server) do not.
 */
export function isTestRunner(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return env.TEST_WORKER_INDEX === undefined && argv.slice(2).includes('test');
}

/** Takes the folder for this process until it exits. */
export function takeRunLock(reportsDir: string, runId: string): void {
  refuseIfBusy(reportsDir);
  mkdirSync(reportsDir, { recursive: true });
  const lock: RunLock = {
    pid: process.pid,
    runId,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
  };
  writeFileSync(lockFile(reportsDir), JSON.stringify(lock));
  process.once('exit', () => {
    const current = liveRunIn(reportsDir);
    if (!current) rmSync(lockFile(reportsDir), { force: true });
  });
}
