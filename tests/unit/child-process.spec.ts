/** runProcess: a command that cannot start is its typed error, its log file closed once. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { runProcess } from '../../src/core/child-process.ts';

test('a command that cannot start, with its output to a log file, is a DrvcycleError (was EBADF)', async () => {
  const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'drvcycle-run-')), 'out.log');
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
