/**
 * drvcycle as a driver team uses it: packed with `npm pack`, installed from the tarball into a
 * fresh project that has its own playwright.config.ts built with drvcycle's defineConfig and a spec
 * file that imports drvcycle's cycles family, run against the lab with "their" driver.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { runProcess } from '../../src/core/child-process.ts';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';

const playwrightVersion = (
  JSON.parse(
    readFileSync(path.join(PACKAGE_ROOT, 'node_modules/@playwright/test/package.json'), 'utf8'),
  ) as { version: string }
).version;

test('a driver team installs the packed drvcycle and runs the cycles spec on its driver', async ({}, testInfo) => {
  test.setTimeout(8 * 60_000);
  const packs = testInfo.outputPath('packs');
  const project = testInfo.outputPath('driver-team');
  mkdirSync(packs, { recursive: true });
  mkdirSync(path.join(project, 'build'), { recursive: true });
  mkdirSync(path.join(project, 'tests'), { recursive: true });

  await runProcess('npm', ['pack', '--pack-destination', packs], {
    cwd: PACKAGE_ROOT,
    timeoutMs: 180_000,
  });
  const tarball = path.join(
    packs,
    readdirSync(packs).find((f) => f.endsWith('.tgz'))!,
  );

  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'driver-team', private: true, type: 'module' }, null, 2),
  );
  // The team's own build output.
  copyFileSync(sampleDriver('clean'), path.join(project, 'build', 'my.sys'));
  writeFileSync(
    path.join(project, 'playwright.config.ts'),
    [
      "import { defineConfig } from 'drvcycle';",
      '',
      'export default defineConfig({',
      "  testDir: 'tests',",
      "  use: { driverUnderTest: { imagePath: './build/my.sys' }, cycles: 3 },",
      "  projects: [{ name: 'lab' }],",
      '});',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(project, 'tests', 'cycles.spec.ts'), "import 'drvcycle/specs/cycles';\n");

  await runProcess(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      tarball,
      `@playwright/test@${playwrightVersion}`,
    ],
    { cwd: project, timeoutMs: 300_000 },
  );

  // A clean environment for the child run: its own run id and reports folder.
  const env = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith('DRVCYCLE_') && name !== 'DRVCYCLE_LAB_DIR') delete env[name];
  const run = await runProcess('npx', ['playwright', 'test', '--workers=1'], {
    cwd: project,
    env,
    timeoutMs: 240_000,
    allowFailure: true,
  });
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toContain('dc_my: 3/3 cycles');

  const summary = JSON.parse(
    readFileSync(path.join(project, 'reports', 'verdicts.json'), 'utf8'),
  ) as VerdictSummary;
  expect(summary.verdicts).toHaveLength(1);
  expect(summary.verdicts[0]).toMatchObject({
    kind: 'pass',
    driver: 'dc_my',
    scenario: 'cycles',
    evidence: { cycles: 3 },
  });
  expect(readdirSync(path.join(project, 'reports', 'allure-results')).length).toBeGreaterThan(0);
});
