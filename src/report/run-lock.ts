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
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLockHolder, setRunLockHolder } from '../config/environment.ts';
import { processAlive } from '../core/child-process.ts';
import { ConfigError } from '../core/errors.ts';

interface RunLock {
  readonly pid: number;
  readonly runId: string;
  readonly host: string;
  readonly startedAt: string;
  /** The drvcycle command holding it (`drvcycle report`…); absent for a `playwright test` runner. */
  readonly command?: string;
}

/** Set by a lock holder for the processes it starts: its pid. */

/** A lock file being written by a taker on a filesystem without hard links, for this long at most. */
const WRITING_MS = 5_000;
/** A takeover that takes longer than this was interrupted (its taker killed). */
const TAKEOVER_MS = 10_000;

export function lockFile(reportsDir: string): string {
  return path.join(reportsDir, '.run.lock');
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseLock(text: string | undefined): RunLock | undefined {
  if (text === undefined) return undefined;
  try {
    const lock = JSON.parse(text) as RunLock;
    return typeof lock.pid === 'number' && typeof lock.host === 'string' ? lock : undefined;
  } catch {
    return undefined;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

const isOurs = (lock: RunLock) => lock.pid === process.pid && lock.host === os.hostname();
const isLive = (lock: RunLock) => lock.host === os.hostname() && processAlive(lock.pid);

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The live run holding the folder, if another process does. */
export function liveRunIn(reportsDir: string): RunLock | undefined {
  const lock = parseLock(readText(lockFile(reportsDir)));
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

/** Creates `file` with `body` unless it exists; false when it does. */
function createExclusive(file: string, body: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, body);
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    // No hard links here: an exclusive create, then the body (a reader may see it empty briefly).
    try {
      writeFileSync(file, body, { flag: 'wx' });
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallback;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Removes a dead run's lock, as seen (`seen`), unless another taker is at it or it changed. */
function removeStale(file: string, seen: string | undefined): void {
  const takeover = `${file}.takeover`;
  const token = JSON.stringify({ pid: process.pid, host: os.hostname() });
  if (!createExclusive(takeover, token)) {
    const taker = parseLock(readText(takeover));
    if ((taker && !isLive(taker)) || ageMs(takeover) > TAKEOVER_MS)
      rmSync(takeover, { force: true });
    return;
  }
  try {
    const now = readText(file);
    if (now === undefined || now === seen) rmSync(file, { force: true });
  } finally {
    rmSync(takeover, { force: true });
  }
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
        const current = parseLock(readText(file));
        if (current && isOurs(current)) rmSync(file, { force: true });
      });
      return;
    }
    const seen = readText(file);
    const holder = parseLock(seen);
    if (holder && isOurs(holder)) return;
    if (holder && isLive(holder)) {
      if (startedBy(holder)) return;
      throw busy(reportsDir, holder);
    }
    if (!holder && seen !== undefined && ageMs(file) < WRITING_MS) {
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
