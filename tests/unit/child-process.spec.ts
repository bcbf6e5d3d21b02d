/**
 * runProcess: a command that cannot start is its typed error, its log file closed once; with
 * forwardSignals a Ctrl+C reaches the child's whole group once and the parent waits for it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { runProcess } from '../../src/core/child-process.ts';
import { scratchDir } from './scratch.ts';

test('forwardSignals: a SIGINT to the parent reaches the child group once, and its ending is awaited', async () => {
  // A node process and its own child (the npx → playwright → workers chain in small): each
  // reports the SIGINT it gets; the parent waits for its child, then exits 7.
  const child = `process.on('SIGINT', () => { console.log('child-got-int'); process.exit(0); }); console.log('child-ready'); setTimeout(() => {}, 10000);`;
  const parent = `const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'inherit' });
    process.on('SIGINT', () => { console.log('parent-got-int'); c.on('exit', () => process.exit(7)); });
    setTimeout(() => console.log('ready'), 100);`;
  const run = runProcess(process.execPath, ['-e', parent], {
    timeoutMs: 20_000,
    allowFailure: true,
    forwardSignals: true,
  });
  // Both processes up (a node start can take a second on a loaded machine).
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const started = Date.now();
  // What a terminal's Ctrl+C does to this process (the child's group is not the terminal's).
  process.emit('SIGINT', 'SIGINT');
  const result = await run;
  expect(Date.now() - started).toBeLessThan(4_000);
  expect(result.code).toBe(7);
  expect(result.stdout.match(/parent-got-int/g)).toHaveLength(1);
  expect(result.stdout.match(/child-got-int/g)).toHaveLength(1);
  // Once done, the handlers are gone: no SIGINT listener of runProcess is left behind.
  expect(process.listeners('SIGINT').length).toBeLessThanOrEqual(1);
});

test('a command that cannot start, with its output to a log file, is a DrvcycleError (was EBADF)', async () => {
  const logFile = path.join(scratchDir('drvcycle-run-'), 'out.log');
  // A file that is not executable: spawn emits 'error', then 'close'.
  await expect(
    runProcess(path.join(os.tmpdir(), 'drvcycle-no-such-command'), [], {
      timeoutMs: 10_000,
      output: { logFile },
    }),
  ).rejects.toMatchObject({
    code: 'DRVCYCLE_LAB_SETUP',
    message: expect.stringMatching(/could not start/),
  });
});

test('no file of the package runs a program but through core/child-process.ts', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const files = ['src', 'fixtures', 'specs', 'bin'].flatMap((dir) =>
    readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.[cm]?[jt]s$/.test(file))
      .map((file) => path.posix.join(dir, file.split(path.sep).join('/'))),
  );
  expect(files.length).toBeGreaterThan(50);
  // A value import of node:child_process (types, such as ChildProcess, load nothing).
  const runsPrograms = files.filter(
    (file) =>
      file !== 'src/core/child-process.ts' &&
      /^import (?!type )[^;]*from '(node:)?child_process'|require\('(node:)?child_process'\)/m.test(
        readFileSync(path.join(root, file), 'utf8'),
      ),
  );
  expect(runsPrograms).toEqual([]);
});
