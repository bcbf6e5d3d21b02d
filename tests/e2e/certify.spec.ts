/**
 * A certification on the lab: the certify projects of a two-line manifest (a clean and a leaking
 * sample), run as a child Playwright run without the soak, write certification.json and .md with a
 * verdict per driver (the soak that did not run fails even the clean one); the lab says it is a
 * rehearsal; the quality gate fails the run.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
// Only a child run boots machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT, packagePaths, sampleDriver } from '../../src/core/paths.ts';
import type { Certification } from '../../src/report/certification-verdict.ts';

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      command,
      args,
      { cwd: PACKAGE_ROOT, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

test('certify projects from a manifest: a passing and a failing driver, a rehearsal on the lab, the gate fails', async ({}, testInfo) => {
  test.setTimeout(15 * 60_000);
  const manifest = testInfo.outputPath('drivers.jsonl');
  writeFileSync(
    manifest,
    [
      JSON.stringify({ image: sampleDriver('clean'), service: 'dc_cert_clean' }),
      JSON.stringify({ image: sampleDriver('leak_small'), service: 'dc_cert_leak' }),
    ].join('\n'),
  );
  const reports = testInfo.outputPath('reports');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DRVCYCLE_MANIFEST: manifest,
    DRVCYCLE_REPORTS_DIR: reports,
    DRVCYCLE_SELFTEST_OUTPUT: testInfo.outputPath('run'),
    DRVCYCLE_RUN_ID: `${process.env.DRVCYCLE_RUN_ID}-certify`,
  };
  delete env.DRVCYCLE_VERDICTS_FILE;
  const result = await run(
    'npx',
    ['playwright', 'test', '-c', 'tests/certify.config.ts', '--grep-invert', 'soak'],
    env,
    14 * 60_000,
  );
  await testInfo.attach('run.txt', { body: result.output });
  expect(result.code, 'a failing driver fails the run').toBe(1);

  const certification = JSON.parse(
    readFileSync(`${reports}/certification.json`, 'utf8'),
  ) as Certification;
  expect(certification).toMatchObject({ verdict: 'fail', certified: false });
  const clean = certification.drivers.find((d) => d.service === 'dc_cert_clean')!;
  const leak = certification.drivers.find((d) => d.service === 'dc_cert_leak')!;
  // The soak was filtered out (--grep-invert, to keep this test short): every criterion that ran
  // passed, yet a certification missing one fails, and names it.
  expect(
    clean.criteria.every((c) => c.passed),
    JSON.stringify(clean.criteria, null, 2),
  ).toBe(true);
  expect(clean.missing).toEqual(['cycles › soak: cycles for a set duration']);
  expect(clean.verdict).toBe('fail');
  expect(result.output).toContain(
    '[drvcycle] dc_cert_clean: 1 required criterion did not run (filtered out by -g/--grep, --grep-invert',
  );
  expect(leak.verdict).toBe('fail');
  expect(clean.rehearsal).toMatch(/^the lab runs Wine .* a rehearsal of the certification/);
  expect(clean.driver).toMatchObject({ file: 'clean.sys', bytes: expect.any(Number) });
  expect(clean.driver.signature).toMatch(/^unsigned/);
  expect(clean.target).toMatch(/^Wine \d/);
  expect(clean.criteria.map((c) => c.name)).toEqual(
    expect.arrayContaining(['cycles › load/unload cycles']),
  );
  expect(clean.criteria.find((c) => c.name.startsWith('cycles'))!.requirement).toMatch(
    /^1000 load\/unload cycles/,
  );
  const leakCriterion = leak.criteria.find((c) => c.name.startsWith('leaks'))!;
  expect(leakCriterion).toMatchObject({ passed: false, measured: expect.stringMatching(/^LEAK/) });
  expect(leak.criteria.find((c) => c.name.startsWith('cycles'))!.passed).toBe(true);

  const markdown = readFileSync(`${reports}/certification.md`, 'utf8');
  expect(markdown).toContain('# Driver certification: FAIL (rehearsal, not a certification)');
  expect(markdown).toContain('## dc_cert_clean: FAIL');
  expect(markdown).toContain(
    '| cycles › soak: cycles for a set duration | required | did not run | **FAIL** |',
  );

  const gate = await run(process.execPath, [packagePaths.cli(), 'report', '--gate'], env, 120_000);
  expect(gate.output).toContain('certification verdict: fail (rehearsal, not a certification)');
  expect(gate.code).not.toBe(0);
});
