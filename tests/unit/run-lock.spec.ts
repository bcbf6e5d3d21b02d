import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ConfigError } from '../../src/core/errors.ts';
import {
  isTestRunner,
  liveRunIn,
  lockFile,
  refuseIfBusy,
  takeRunLock,
} from '../../src/report/run-lock.ts';

const lockOf = (dir: string, pid: number) =>
  writeFileSync(
    lockFile(dir),
    JSON.stringify({ pid, runId: 'other-run', host: os.hostname(), startedAt: 'then' }),
  );

test('a second run in the same reports folder is refused while the first one lives', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-reports-'));
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    lockOf(dir, other.pid!);
    expect(liveRunIn(dir)).toMatchObject({ runId: 'other-run', pid: other.pid });
    const error = (() => {
      try {
        refuseIfBusy(dir);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problem).toBe(
      `Another drvcycle run (run other-run, process ${other.pid}, since then) is writing to ${dir}.`,
    );
    expect(error!.hint).toContain('DRVCYCLE_REPORTS_DIR=');
  } finally {
    other.kill('SIGKILL');
  }
});

test("a killed run's lock is taken over; the taker's own lock does not stop it", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-reports-'));
  const gone = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => gone.on('exit', resolve));
  lockOf(dir, gone.pid!);
  expect(liveRunIn(dir)).toBeUndefined();
  takeRunLock(dir, 'this-run');
  expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({
    pid: process.pid,
    runId: 'this-run',
  });
  expect(() => refuseIfBusy(dir)).not.toThrow();
  expect(existsSync(lockFile(dir))).toBe(true);
});

test('only a `playwright test` runner holds the lock: not its workers, not an editor loading the config', () => {
  expect(isTestRunner(['node', 'cli.js', 'test', '--project=lab'], {})).toBe(true);
  expect(isTestRunner(['node', 'cli.js', 'test'], { TEST_WORKER_INDEX: '0' })).toBe(false);
  expect(isTestRunner(['node', 'cli.js', 'test-server'], {})).toBe(false);
  expect(isTestRunner(['node', 'worker.js'], {})).toBe(false);
});
