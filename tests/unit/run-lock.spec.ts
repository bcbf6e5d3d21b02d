import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { LOCK_HOLDER_ENV } from '../../src/config/environment.ts';
import { runProcess } from '../../src/core/child-process.ts';
import { packagePaths, PACKAGE_ROOT } from '../../src/core/paths.ts';
import { ConfigError } from '../../src/core/errors.ts';
import {
  isTestRunner,
  liveRunIn,
  lockFile,
  refuseIfBusy,
  takeRunLock,
} from '../../src/report/run-lock.ts';
import { scratchDir } from './scratch.ts';

const lockOf = (dir: string, pid: number) =>
  writeFileSync(
    lockFile(dir),
    JSON.stringify({ pid, runId: 'other-run', host: os.hostname(), startedAt: 'then' }),
  );

test('a second run in the same reports folder is refused while the first one lives', async () => {
  const dir = scratchDir('drvcycle-reports-');
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
  const dir = scratchDir('drvcycle-reports-');
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

/**
 * A process that takes the lock at `startAt` (all of them at the same instant), prints `took` or
 * `refused`, and stays alive holding what it took until it is killed.
 */
function taker(dir: string, startAt: number, env: NodeJS.ProcessEnv = process.env) {
  const script = `
    const { takeRunLock } = await import(${JSON.stringify(path.join(PACKAGE_ROOT, 'src/report/run-lock.ts'))});
    while (Date.now() < ${startAt});
    try { takeRunLock(${JSON.stringify(dir)}, 'run-' + process.pid); console.log('took'); }
    catch (e) { console.log(e.name === 'ConfigError' ? 'refused' : 'error ' + e.message); }
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: PACKAGE_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const answer = new Promise<string>((resolve) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) resolve(text.trim());
    });
    child.on('exit', () => resolve(text.trim() || 'exited'));
  });
  return { child, answer };
}

test('runs started at the same instant: exactly one takes the folder, the others are refused', async () => {
  test.setTimeout(120_000);
  const children: ChildProcess[] = [];
  try {
    for (let round = 0; round < 5; round++) {
      const dir = scratchDir('drvcycle-race-');
      // The takers start together 1.5 s from now, once each has loaded the module.
      const startAt = Date.now() + 1_500;
      const takers = Array.from({ length: 4 }, () => taker(dir, startAt));
      children.push(...takers.map((t) => t.child));
      const answers = await Promise.all(takers.map((t) => t.answer));
      expect(answers.sort(), `round ${round}`).toEqual(['refused', 'refused', 'refused', 'took']);
      const holder = JSON.parse(readFileSync(lockFile(dir), 'utf8')) as { pid: number };
      expect(takers.some((t) => t.child.pid === holder.pid)).toBe(true);
      for (const t of takers) t.child.kill('SIGKILL');
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
});

test('dead runs taken over by several takers at once: one takes it', async () => {
  test.setTimeout(60_000);
  const dir = scratchDir('drvcycle-race-');
  const gone = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => gone.on('exit', resolve));
  lockOf(dir, gone.pid!);
  const startAt = Date.now() + 1_500;
  const takers = Array.from({ length: 4 }, () => taker(dir, startAt));
  try {
    expect((await Promise.all(takers.map((t) => t.answer))).sort()).toEqual([
      'refused',
      'refused',
      'refused',
      'took',
    ]);
  } finally {
    for (const t of takers) t.child.kill('SIGKILL');
  }
});

test('a process started by the holder runs under its lock; any other process is refused', async () => {
  const dir = scratchDir('drvcycle-reports-');
  const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    lockOf(dir, holder.pid!);
    const startedByHolder = taker(dir, 0, { ...process.env, [LOCK_HOLDER_ENV]: `${holder.pid}` });
    const other = taker(dir, 0, { ...process.env, [LOCK_HOLDER_ENV]: '1' });
    expect(await startedByHolder.answer).toBe('took');
    expect(await other.answer).toBe('refused');
    startedByHolder.child.kill('SIGKILL');
    other.child.kill('SIGKILL');
    // The child did not make the lock its own: the holder's lock is left as it was.
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: holder.pid });
  } finally {
    holder.kill('SIGKILL');
  }
});

test('`drvcycle report` in a folder a live run holds is refused and leaves its results alone', async () => {
  const dir = scratchDir('drvcycle-reports-');
  const live = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    lockOf(dir, live.pid!);
    mkdirSync(path.join(dir, 'allure-results'));
    writeFileSync(path.join(dir, 'allure-results', 'a-result.json'), '{}');
    const shard = scratchDir('drvcycle-shard-');
    writeFileSync(path.join(shard, 'verdicts.json'), JSON.stringify({ runId: 'r1', verdicts: [] }));
    for (const args of [['report'], ['report', '--gate'], ['report', shard]]) {
      const result = await runProcess(process.execPath, [packagePaths.cli(), ...args], {
        env: { ...process.env, DRVCYCLE_REPORTS_DIR: dir, [LOCK_HOLDER_ENV]: '' },
        timeoutMs: 30_000,
        allowFailure: true,
      });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toContain(`Another drvcycle run (run other-run, process ${live.pid}`);
      expect(existsSync(path.join(dir, 'allure-results', 'a-result.json'))).toBe(true);
      expect(existsSync(path.join(dir, 'allure-report'))).toBe(false);
    }
  } finally {
    live.kill('SIGKILL');
  }
});
