/**
 * A run killed half-way is finished by `drvcycle resume`: the same run id, only the tests that
 * did not complete, and one verdicts.json and one Allure report for both parts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
// Only a child run boots machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { runProcess } from '../../src/core/child-process.ts';
import { packagePaths } from '../../src/core/paths.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';
import { startRun } from './child-run.ts';

test('a killed run is resumed: what completed is kept, the rest runs, one run in the report', async ({}, testInfo) => {
  test.setTimeout(6 * 60_000);
  const reports = testInfo.outputPath('reports');
  const runId = `${process.env.DRVCYCLE_RUN_ID}-resume`;
  const specs = ['specs/cycles.spec.ts', 'specs/leaks.spec.ts', '--project=lab', '--workers=1'];
  const first = startRun(specs, { reports, runId, env: { CYCLES: '30', LEAK_CYCLES: '100000' } });
  // The cycles test is done once the leaks test streams its cycles.
  await first.waitFor(/\[dc_clean\] cycle \d+\/100000/, 120_000);
  first.signal('SIGKILL');
  await first.exited;
  const before = first.verdicts();
  expect(before.runId).toBe(runId);
  expect(before.verdicts.map((v) => [v.test, v.status])).toEqual([
    ['cycles › load/unload cycles', 'passed'],
  ]);
  const firstResults = readdirSync(path.join(reports, 'allure-results')).filter((f) =>
    f.endsWith('-result.json'),
  );

  const resumed = await runProcess(process.execPath, [packagePaths.cli(), 'resume', ...specs], {
    env: { ...process.env, DRVCYCLE_REPORTS_DIR: reports, LEAK_CYCLES: '40', DRVCYCLE_RUN_ID: '' },
    timeoutMs: 4 * 60_000,
    allowFailure: true,
  });
  await testInfo.attach('resume.txt', { body: resumed.stdout + resumed.stderr });
  expect(resumed.code, resumed.stdout.slice(-2000)).toBe(0);
  expect(resumed.stdout).toContain(`resuming run ${runId}: 1 test completed, the rest runs now`);
  // Only the leaks test ran (and the soak test, skipped without SOAK_SECONDS), not cycles again.
  expect(resumed.stdout).toContain('drvcycle: 1 passed, 0 failed, 1 skipped (passed)');
  expect(resumed.stdout).not.toContain('cycles › load/unload cycles  dc_clean');

  const after = JSON.parse(
    readFileSync(path.join(reports, 'verdicts.json'), 'utf8'),
  ) as VerdictSummary;
  expect(after.runId).toBe(runId);
  expect(after.verdicts.map((v) => [v.test, v.status, v.kind]).sort()).toEqual([
    ['cycles › load/unload cycles', 'passed', 'pass'],
    [
      'leaks › memory returns to baseline after unload and does not grow across cycles',
      'passed',
      'pass',
    ],
  ]);
  const results = readdirSync(path.join(reports, 'allure-results')).filter((f) =>
    f.endsWith('-result.json'),
  );
  expect(results.length).toBeGreaterThan(firstResults.length);
  expect(results).toEqual(expect.arrayContaining(firstResults));
  expect(readdirSync(path.join(reports, 'allure-report'))).toContain('index.html');
});

test('a run killed in its first test is resumed with the settings and arguments it was started with', async ({}, testInfo) => {
  test.setTimeout(6 * 60_000);
  const reports = testInfo.outputPath('reports');
  const runId = `${process.env.DRVCYCLE_RUN_ID}-first`;
  const specs = ['specs/cycles.spec.ts', 'specs/leaks.spec.ts', '--project=lab', '--workers=1'];
  // Enough cycles that the first progress line (5 s in) comes before the test ends: 400 took
  // 3 s on a quiet machine, and the run was never killed in its first test.
  const first = startRun(specs, { reports, runId, env: { CYCLES: '2000', LEAK_CYCLES: '40' } });
  await first.waitFor(/\[dc_clean\] cycle \d+\/2000/, 120_000);
  first.signal('SIGKILL');
  await first.exited;
  expect(first.verdicts()).toMatchObject({ runId, verdicts: [] });

  // No arguments and no CYCLES: the resume restores both from the first part.
  const resumed = await runProcess(process.execPath, [packagePaths.cli(), 'resume'], {
    env: {
      ...process.env,
      DRVCYCLE_REPORTS_DIR: reports,
      DRVCYCLE_RUN_ID: '',
      CYCLES: '',
      LEAK_CYCLES: '',
    },
    timeoutMs: 4 * 60_000,
    allowFailure: true,
  });
  await testInfo.attach('resume.txt', { body: resumed.stdout + resumed.stderr });
  expect(resumed.code, resumed.stdout.slice(-2000)).toBe(0);
  expect(resumed.stdout).toContain(`resuming run ${runId}: 0 tests completed, the rest runs now`);
  expect(resumed.stdout).toContain(
    'settings restored from the interrupted run: CYCLES=2000, LEAK_CYCLES=40',
  );
  expect(resumed.stdout).toContain(
    `arguments restored from the interrupted run: ${specs.join(' ')}`,
  );
  expect(resumed.stdout).toContain('dc_clean: 2000/2000 cycles');
  expect(resumed.stdout).toContain('drvcycle: 2 passed, 0 failed, 1 skipped (passed)');
  const after = JSON.parse(
    readFileSync(path.join(reports, 'verdicts.json'), 'utf8'),
  ) as VerdictSummary;
  expect(after.runId).toBe(runId);
  expect(after.verdicts.map((v) => v.status)).toEqual(['passed', 'passed']);
});
