/**
 * Warm lab machines (src/machines/warm-lab.ts): a dev run keeps its clean machine booted, the next
 * run of the same project takes it instead of booting one; `lab down` stops it, and so does its
 * reaper when its time is up, leaving nothing running. Child runs of the root config's dev project.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
// Only the child runs boot machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { processesOfPrefix } from '../../src/lab/wine-processes.ts';
import { LabMachine } from '../../src/machines/lab.ts';
import { parkedFolders } from '../../src/machines/warm-lab.ts';

let runs = 0;
function devRun(reports: string, output: string, warmSeconds: number) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DRVCYCLE_REPORTS_DIR: reports,
    DRVCYCLE_RUN_ID: `${process.env.DRVCYCLE_RUN_ID}-warm${++runs}`,
    DRVCYCLE_MACHINES_PER_WORKER: '1',
    DRVCYCLE_WARM_SECONDS: String(warmSeconds),
    CYCLES: '5',
  };
  delete env.DRVCYCLE_VERDICTS_FILE;
  delete env.DRIVER;
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      'npx',
      [
        'playwright',
        'test',
        '--project=dev',
        '--workers=1',
        'specs/cycles.spec.ts',
        `--output=${output}`,
      ],
      { cwd: PACKAGE_ROOT, env, timeout: 150_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

const TOOK_WARM = /lab machine 0: took a warm machine \(parked \d+ s ago by an earlier run\)/;

test('a dev run keeps its clean machine warm, the next run takes it; lab down and the reaper stop it', async ({}, testInfo) => {
  test.setTimeout(8 * 60_000);
  const reports = testInfo.outputPath('reports');
  const first = await devRun(reports, testInfo.outputPath('run-1'), 120);
  await testInfo.attach('run-1.txt', { body: first.output });
  expect(first.code, 'the first run passes').toBe(0);
  expect(first.output).not.toMatch(TOOK_WARM);
  const parked = parkedFolders(reports);
  expect(parked, 'one machine parked for this reports folder').toHaveLength(1);
  const prefix = path.join(parked[0]!, 'prefix');
  expect(processesOfPrefix(prefix).length, 'its Wine processes still run').toBeGreaterThan(0);

  // The next run of the project takes it, and leaves it warm again.
  const second = await devRun(reports, testInfo.outputPath('run-2'), 120);
  await testInfo.attach('run-2.txt', { body: second.output });
  expect(second.code, 'the second run passes').toBe(0);
  expect(second.output).toMatch(TOOK_WARM);
  expect(parkedFolders(reports)).toEqual(parked);

  // What `drvcycle lab down` does for this project's warm machines.
  expect(await LabMachine.stopWarm(reports)).toBe(1);
  expect(processesOfPrefix(prefix)).toEqual([]);
  expect(parkedFolders(reports)).toEqual([]);

  // Kept 3 s: a new machine (the stopped one is gone), stopped and deleted by its reaper.
  const third = await devRun(reports, testInfo.outputPath('run-3'), 3);
  await testInfo.attach('run-3.txt', { body: third.output });
  expect(third.code, 'the third run passes').toBe(0);
  expect(third.output).not.toMatch(TOOK_WARM);
  const [reaped] = parkedFolders(reports);
  expect(reaped, 'parked again').toBeDefined();
  await expect
    .poll(() => existsSync(reaped!) || processesOfPrefix(path.join(reaped!, 'prefix')).length > 0, {
      timeout: 60_000,
      message: 'the reaper stopped the machine and deleted its folder',
    })
    .toBe(false);
});
