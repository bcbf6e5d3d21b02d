import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { expect, test } from '@playwright/test';
import { DrvcycleError } from '../../src/core/errors.ts';
import { provisionLockFile, withProvisionLock } from '../../src/lab/provision-lock.ts';
import { scratchDir } from './scratch.ts';

const holdBy = (root: string, pid: number) =>
  writeFileSync(
    provisionLockFile(root),
    JSON.stringify({ pid, host: os.hostname(), startedAt: 'then' }),
  );

test('a second set-up of the lab waits for the first, says for whom, then runs', async () => {
  const root = scratchDir('drvcycle-lab-');
  // Another drvcycle setting up the lab: a process that lives for a second, holding the lock.
  const other = spawn('sleep', ['1']);
  holdBy(root, other.pid!);
  const exited = new Promise((resolve) => other.once('exit', resolve));
  const lines: string[] = [];
  let ranWhileOtherLived: boolean | undefined;
  await withProvisionLock(
    root,
    (line) => lines.push(line),
    async () => {
      ranWhileOtherLived = other.exitCode === null && other.signalCode === null;
      expect(existsSync(provisionLockFile(root))).toBe(true);
    },
  );
  await exited;
  expect(ranWhileOtherLived).toBe(false);
  expect(lines).toEqual([
    `  waiting for drvcycle process ${other.pid}, which is setting up this lab since then`,
  ]);
  expect(existsSync(provisionLockFile(root))).toBe(false);
});

test("a killed set-up's lock is taken over at once", async () => {
  const root = scratchDir('drvcycle-lab-');
  const gone = spawn('true');
  await new Promise((resolve) => gone.once('exit', resolve));
  holdBy(root, gone.pid!);
  const lines: string[] = [];
  expect(
    await withProvisionLock(
      root,
      (line) => lines.push(line),
      async () => 'ran',
    ),
  ).toBe('ran');
  expect(lines).toEqual([]);
  expect(existsSync(provisionLockFile(root))).toBe(false);
});

test('a set-up that holds the lab too long is named, and the lock is released after a failure', async () => {
  const root = scratchDir('drvcycle-lab-');
  const other = spawn('sleep', ['30']);
  try {
    holdBy(root, other.pid!);
    const error = await withProvisionLock(
      root,
      () => {},
      async () => 'ran',
      300,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrvcycleError);
    expect((error as DrvcycleError).problem).toBe(
      `Process ${other.pid} has been setting up the lab in ${root} for longer than 0.3 s.`,
    );
  } finally {
    other.kill();
  }
  await expect(
    withProvisionLock(
      root,
      () => {},
      async () => {
        throw new Error('apt-get failed');
      },
    ),
  ).rejects.toThrow('apt-get failed');
  expect(existsSync(provisionLockFile(root))).toBe(false);
});
