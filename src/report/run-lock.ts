/**
 * One live run per reports folder: a second run in the same checkout would wipe the first one's
 * test results and Allure results. A run takes `<reports>/.run.lock` (its pid and run id) by
 * creating it exclusively (a hard link of a complete file, so two runs started together cannot
 * both get it, and no reader sees half of it), and holds it until its process exits: the
 * `playwright test` runner for a plain run; `drvcycle lab`, `resume` and `report` for their whole
 * command, the report step included. Their `playwright test` child finds the lock held by the
 * command that started it (DRVCYCLE_RUN_LOCK_PID) and runs under it. A lock whose process is gone
 * (a killed run) is taken over, by one taker at a time (`.run.lock.takeover`).
 */
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLockHolder, setRunLockHolder } from '../config/environment.ts';
import { ConfigError } from '../core/errors.ts';
import {
  beingWritten,
  createExclusive,
  isLive,
  isOurs,
  parseHolder,
  readText,
  removeStale,
} from '../core/exclusive-file.ts';

interface RunLock {
  readonly pid: number;
  readonly runId: string;
  readonly host: string;
  readonly startedAt: string;
  /** The drvcycle command holding it (`drvcycle report`…); absent for a `playwright test` runner. */
  readonly command?: string;
}

export function lockFile(reportsDir: string): string {
  return path.join(reportsDir, '.run.lock');
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The live run holding the folder, if another process does. */
export function liveRunIn(reportsDir: string): RunLock | undefined {
  const lock = parseHolder<RunLock>(readText(lockFile(reportsDir)));
  return lock && !isOurs(lock) && isLive(lock) ? lock : undefined;
}

function busy(reportsDir: string, live: RunLock): ConfigError {
  const what = live.command
    ? `${live.command}${live.runId ? ` of run ${live.runId}` : ''}`
    : `run ${live.runId}`;
  return new ConfigError(
    `Another drvcycle run (${what}, process ${live.pid}, since ${live.startedAt}) is writing to ${reportsDir}.`,
    'Wait for it to finish, or give this run its own folder: DRVCYCLE_REPORTS_DIR=reports-2 npx playwright test …',
  );
}

export function refuseIfBusy(reportsDir: string): void {
  const live = liveRunIn(reportsDir);
  if (live && !startedBy(live)) throw busy(reportsDir, live);
}

/** Whether the lock's holder is the drvcycle command that started this process. */
function startedBy(lock: RunLock): boolean {
  return runLockHolder() === String(lock.pid) && lock.host === os.hostname();
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

/**
 * Takes the folder for this process until it exits (`command`: the drvcycle command taking it,
 * shown to a run it refuses). Refused while another live process holds it, unless that process
 * started this one (a `playwright test` started by `drvcycle lab`, which holds the folder).
 */
export function takeRunLock(reportsDir: string, runId: string, command?: string): void {
  mkdirSync(reportsDir, { recursive: true });
  const file = lockFile(reportsDir);
  const lock: RunLock = {
    pid: process.pid,
    runId,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    ...(command ? { command } : {}),
  };
  const body = JSON.stringify(lock);
  for (let attempt = 0; attempt < 500; attempt++) {
    if (createExclusive(file, body)) {
      setRunLockHolder(process.pid);
      process.once('exit', () => {
        const current = parseHolder<RunLock>(readText(file));
        if (current && isOurs(current)) rmSync(file, { force: true });
      });
      return;
    }
    const seen = readText(file);
    const holder = parseHolder<RunLock>(seen);
    if (holder && isOurs(holder)) return;
    if (holder && isLive(holder)) {
      if (startedBy(holder)) return;
      throw busy(reportsDir, holder);
    }
    if (beingWritten(file, seen)) {
      sleepSync(10); // a taker without hard links writing its lock
      continue;
    }
    removeStale(file, seen);
    sleepSync(5 + Math.floor(Math.random() * 10));
  }
  throw new ConfigError(
    `Could not take ${file}: it kept changing hands.`,
    `Check no other drvcycle run uses ${reportsDir}, delete ${file} and start again.`,
  );
}
