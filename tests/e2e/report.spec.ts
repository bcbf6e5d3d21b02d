/**
 * The main job end to end: `drvcycle lab` on the leaking sample writes an Allure report whose leak
 * test sits in the Leaks category with its memory chart and metrics attached; a second run adds a
 * history point.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
// Only a child run boots machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';

/** In Allure 3's report data an attachment is a step of type "attachment" with a link. */
type Step = { type?: string; link?: { name: string; contentType?: string }; steps?: Step[] };
const attachmentsOf = (step: Step): { name: string; contentType?: string }[] =>
  (step.steps ?? []).flatMap((s) =>
    s.type === 'attachment' && s.link ? [s.link] : attachmentsOf(s),
  );

function runLabJob(reports: string, runId: string): Promise<{ code: number; output: string }> {
  const env = {
    ...process.env,
    DRVCYCLE_REPORTS_DIR: reports,
    DRVCYCLE_RUN_ID: runId,
    DRIVER: sampleDriver('leak_small'),
    LEAK_CYCLES: '40',
  };
  return new Promise((resolve) => {
    execFile(
      'node',
      ['bin/drvcycle.js', 'lab', 'specs/leaks.spec.ts', '--workers=1'],
      { cwd: PACKAGE_ROOT, env, timeout: 280_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
}

test('the main job writes an Allure report with the leak in its category, charts, metrics and history', async ({}, testInfo) => {
  test.setTimeout(600_000);
  const reports = testInfo.outputPath('reports');
  const first = await runLabJob(reports, `${process.env.DRVCYCLE_RUN_ID}-report1`);
  expect(first.code, first.output.slice(-3000)).toBe(1);
  expect(first.output).toContain(
    `[drvcycle] Allure report: ${path.join(reports, 'allure-report', 'index.html')}`,
  );

  const report = path.join(reports, 'allure-report');
  const categories = JSON.parse(
    readFileSync(path.join(report, 'widgets', 'categories.json'), 'utf8'),
  ) as {
    roots: string[];
    nodes: Record<string, { name: string; statistic: { total: number; failed?: number } }>;
  };
  const leaks = categories.roots
    .map((id) => categories.nodes[id]!)
    .find((node) => node.name === 'Leaks');
  expect(leaks?.statistic).toMatchObject({ total: 1, failed: 1 });

  const results = readdirSync(path.join(report, 'data', 'test-results')).map(
    (f) =>
      JSON.parse(readFileSync(path.join(report, 'data', 'test-results', f), 'utf8')) as Step & {
        labels: { name: string; value: string }[];
        status: string;
      },
  );
  const leakTest = results.find((r) =>
    r.labels.some((l) => l.name === 'verdict' && l.value === 'leak'),
  );
  expect(leakTest?.status).toBe('failed');
  const attached = attachmentsOf(leakTest!).map((a) => `${a.name} ${a.contentType ?? ''}`);
  expect(attached).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^memory-wine-pool-trace\.svg image\/svg\+xml/),
      expect.stringMatching(/^leak-allocations\.md text\/markdown/),
      expect.stringMatching(/^metrics\.ndjson /),
      expect.stringMatching(/^latency\.svg /),
      expect.stringMatching(/^events\.txt /),
      expect.stringMatching(/^verdict\.json /),
    ]),
  );
  const svgs = readdirSync(path.join(report, 'data', 'attachments')).filter((f) =>
    f.endsWith('.svg'),
  );
  expect(
    svgs.some((f) =>
      readFileSync(path.join(report, 'data', 'attachments', f), 'utf8').includes(
        'Theil–Sen slope 256.0 B/cycle',
      ),
    ),
  ).toBe(true);

  const history = path.join(reports, 'history', 'history.jsonl');
  expect(readFileSync(history, 'utf8').trim().split('\n')).toHaveLength(1);
  const second = await runLabJob(reports, `${process.env.DRVCYCLE_RUN_ID}-report2`);
  expect(second.code).toBe(1);
  expect(readFileSync(history, 'utf8').trim().split('\n')).toHaveLength(2);
  expect(existsSync(path.join(reports, 'verdicts.json'))).toBe(true);
});
