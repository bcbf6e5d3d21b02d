/**
 * A run sharded over two "CI machines" (two child runs, --shard=1/2 and 2/2, each its own reports
 * folder, side by side on one lab with one run id) merged by `drvcycle report <shard folders…>`
 * into one report with both shards' tests and verdicts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
// Only a child run boots machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { runProcess } from '../../src/core/child-process.ts';
import { packagePaths } from '../../src/core/paths.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';
import { startRun } from './child-run.ts';

test('two shards of one run, side by side on one lab, merge into one report with both shards’ tests and verdicts', async ({}, testInfo) => {
  test.setTimeout(6 * 60_000);
  const runId = `${process.env.DRVCYCLE_RUN_ID}-shards`;
  // Side by side on this one lab, as two CI jobs sharing a runner's lab would run them: one run
  // id, each shard's worker 0 booting its machine at the same moment.
  const runs = ['1/2', '2/2'].map((shard) =>
    startRun(['specs/cycles.spec.ts', 'specs/leaks.spec.ts', '--project=lab', `--shard=${shard}`], {
      reports: testInfo.outputPath(`shard-${shard[0]}`),
      runId,
      env: { CYCLES: '20', LEAK_CYCLES: '40', DRVCYCLE_MACHINES_PER_WORKER: '1' },
    }),
  );
  const exits = await Promise.all(runs.map((run) => run.exited));
  const shards: string[] = [];
  for (const [i, run] of runs.entries()) {
    expect(exits[i]!.code, run.output().slice(-2000)).toBe(0);
    expect(readdirSync(path.join(run.reports, 'blob-report')).some((f) => f.endsWith('.zip'))).toBe(
      true,
    );
    shards.push(run.reports);
  }
  const perShard = shards.map(
    (dir) =>
      (JSON.parse(readFileSync(path.join(dir, 'verdicts.json'), 'utf8')) as VerdictSummary)
        .verdicts,
  );
  expect(perShard.every((verdicts) => verdicts.length >= 1)).toBe(true);

  const merged = testInfo.outputPath('merged');
  const report = await runProcess(process.execPath, [packagePaths.cli(), 'report', ...shards], {
    env: { ...process.env, DRVCYCLE_REPORTS_DIR: merged },
    timeoutMs: 4 * 60_000,
    allowFailure: true,
  });
  await testInfo.attach('report.txt', { body: report.stdout + report.stderr });
  expect(report.code, report.stdout + report.stderr).toBe(0);
  expect(report.stdout).toContain(`merged 2 shards into ${merged}`);
  const summary = JSON.parse(
    readFileSync(path.join(merged, 'verdicts.json'), 'utf8'),
  ) as VerdictSummary;
  expect(summary.runId).toBe(runId);
  expect(summary.verdicts.map((v) => v.test).sort()).toEqual([
    'cycles › load/unload cycles',
    'leaks › memory returns to baseline after unload and does not grow across cycles',
  ]);
  expect(summary.counts.pass).toBe(2);
  const results = readdirSync(path.join(merged, 'allure-results')).filter((f) =>
    f.endsWith('-result.json'),
  );
  const fromShards = shards.flatMap((dir) =>
    readdirSync(path.join(dir, 'allure-results')).filter((f) => f.endsWith('-result.json')),
  );
  expect(results.sort()).toEqual(fromShards.sort());
  expect(existsSync(path.join(merged, 'allure-report', 'index.html'))).toBe(true);
  expect(existsSync(path.join(merged, 'playwright-report', 'index.html'))).toBe(true);
});
