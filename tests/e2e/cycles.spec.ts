import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';
import { reviveError, ScmError } from '../../src/core/errors.ts';
import { runCycleBatch } from '../../src/families/cycle-batch.ts';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { sample } from './support.ts';

test('200 cycles of the clean driver through the batch form, every cycle recorded', async ({
  install,
  target,
}) => {
  const ref = await install(...sample('clean'));
  const records: CycleRecord[] = [];
  for await (const record of target.runCycles(ref, { count: 200 })) records.push(record);
  expect(records.map((r) => r.cycle)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect(records.every((r) => r.outcome === 'ok' && r.state === 'STOPPED')).toBe(true);
  expect(records.every((r) => r.startMs! > 0 && r.stopMs! > 0)).toBe(true);
  expect((await target.query(ref)).stateName).toBe('STOPPED');
});

test('the cycle suite stops at the first bad cycle with its number, typed error and state', async ({
  install,
  target,
}) => {
  const ref = await install(...sample('entry_fail_resources'));
  const seen: CycleRecord[] = [];
  const failed = await runCycleBatch(target, ref, { count: 5 }, { onRecord: (r) => seen.push(r) });
  expect(seen).toHaveLength(1);
  expect(failed).toMatchObject({
    cycle: 1,
    outcome: 'start-failed',
    state: 'STOPPED',
    error: { code: 'DRVCYCLE_SCM', name: 'ScmError', win32Code: 1450, cycle: 1 },
  });
  expect(reviveError(failed!.error!)).toBeInstanceOf(ScmError);
  const verdict = classifyCycleFailure({ driver: ref.name, scenario: 'cycles', record: failed! });
  expect(verdict).toMatchObject({ kind: 'load-failure', cycle: 1 });
  expect(verdict.summary).toMatch(
    /^LOAD FAILURE at cycle 1: StartService on service "dc_entry_fail_resources" failed at cycle 1: 1450 ERROR_NO_SYSTEM_RESOURCES/,
  );
});

test('specs/cycles.spec.ts takes DRIVER and CYCLES and fails with the cycle number', async ({}, testInfo) => {
  test.setTimeout(180_000);
  const report = testInfo.outputPath('report.json');
  const env = {
    ...process.env,
    DRIVER: sampleDriver('entry_fail_config'),
    CYCLES: '4',
    PLAYWRIGHT_JSON_OUTPUT_NAME: report,
    DRVCYCLE_RUN_ID: `${process.env.DRVCYCLE_RUN_ID}-child`,
  };
  const code = await new Promise<number>((resolve) => {
    execFile(
      'npx',
      [
        'playwright',
        'test',
        'specs/cycles.spec.ts',
        '--project=lab',
        '--workers=1',
        '--reporter=json',
        `--output=${testInfo.outputPath('child')}`,
      ],
      { cwd: PACKAGE_ROOT, env, timeout: 170_000 },
      (error) => resolve(error ? Number((error as { code?: number }).code ?? 1) : 0),
    );
  });
  expect(code).toBe(1);
  type Suite = {
    title: string;
    specs: { title: string; tests: { results: { error?: { message?: string } }[] }[] }[];
    suites?: Suite[];
  };
  const specs = (suite: Suite): Suite['specs'] => [
    ...suite.specs,
    ...(suite.suites ?? []).flatMap(specs),
  ];
  const json = JSON.parse(readFileSync(report, 'utf8')) as { suites: Suite[] };
  const spec = json.suites.flatMap(specs).find((s) => s.title === 'load/unload cycles');
  const message = spec!.tests[0]!.results[0]!.error!.message!;
  expect(message).toContain(
    'LOAD FAILURE at cycle 1: StartService on service "dc_entry_fail_config" failed at cycle 1',
  );
  expect(message).toContain('87 ERROR_INVALID_PARAMETER');
  expect(path.basename(sampleDriver('entry_fail_config'))).toBe('entry_fail_config.sys');
});
