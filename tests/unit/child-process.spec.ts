/** runProcess: a command that cannot start is its typed error, its log file closed once. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
