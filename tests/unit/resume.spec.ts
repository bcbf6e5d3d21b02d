/**
 * `drvcycle resume`: the run record a run writes as it starts, the settings a resume restores from
 * it, and what a resume refuses (a run id that is no run id). The resume of a real killed run is
 * tests/e2e/resume.spec.ts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { RECORDED_SETTINGS } from '../../src/config/run-id-env.ts';
import { LOCK_HOLDER_ENV } from '../../src/config/environment.ts';
import { runProcess } from '../../src/core/child-process.ts';
import { packagePaths } from '../../src/core/paths.ts';
import { summarise } from '../../src/core/verdict.ts';
import { restoreSettings } from '../../src/report/resume-plan.ts';
import { readRunRecord, recordRun, runRecordFile } from '../../src/report/run-record.ts';
import { scratchDir } from './scratch.ts';

const tmp = () => scratchDir('drvcycle-resume-');

test('a run records its arguments and drvcycle settings as it starts; its resume keeps that record', () => {
  const dir = tmp();
  const argv = ['node', 'cli.js', 'test', 'specs/cycles.spec.ts', '--project=lab'];
  recordRun(dir, 'run-1', RECORDED_SETTINGS, argv, {
    CYCLES: '30',
    DRIVER: 'x.sys',
    HOME: '/root',
    CI: '',
  });
  expect(readRunRecord(dir)).toMatchObject({
    runId: 'run-1',
    args: ['specs/cycles.spec.ts', '--project=lab'],
    settings: { CYCLES: '30', DRIVER: 'x.sys' },
  });
  // The resumed part (same run id, other arguments and settings) leaves the first part's record.
  recordRun(
    dir,
    'run-1',
    RECORDED_SETTINGS,
    ['node', 'cli.js', 'test', '--test-list-invert', 'l'],
    { CYCLES: '5' },
  );
  expect(readRunRecord(dir)).toMatchObject({ args: ['specs/cycles.spec.ts', '--project=lab'] });
  recordRun(dir, 'run-2', RECORDED_SETTINGS, ['node', 'cli.js', 'test'], {});
  expect(readRunRecord(dir)).toMatchObject({ runId: 'run-2', args: [], settings: {} });
});

test('resume restores the settings it is not given, names them, and lets those it is given win', () => {
  const record = { settings: { CYCLES: '30', LEAK_CYCLES: '100000' }, args: ['--project=lab'] };
  expect(restoreSettings(record, { LEAK_CYCLES: '40', CYCLES: '' }, [])).toEqual({
    env: { CYCLES: '30' },
    restored: ['CYCLES=30'],
    overridden: ['LEAK_CYCLES=40 (the first part had 100000)'],
    args: ['--project=lab'],
    argsRestored: true,
  });
  expect(restoreSettings(record, { CYCLES: '30', LEAK_CYCLES: '100000' }, ['a.spec.ts'])).toEqual({
    env: {},
    restored: [],
    overridden: [],
    args: ['a.spec.ts'],
    argsRestored: false,
  });
  expect(restoreSettings(undefined, {}, [])).toMatchObject({ restored: [], args: [] });
});

const resume = (reports: string, args: string[], env: Record<string, string> = {}) =>
  runProcess(process.execPath, [packagePaths.cli(), 'resume', ...args], {
    env: { ...process.env, DRVCYCLE_REPORTS_DIR: reports, [LOCK_HOLDER_ENV]: '', ...env },
    timeoutMs: 120_000,
    allowFailure: true,
  });

test('a verdicts.json whose run id is a path is refused: resume writes nothing outside the folder', async () => {
  const parent = tmp();
  const reports = path.join(parent, 'a', 'reports');
  mkdirSync(reports, { recursive: true });
  writeFileSync(
    path.join(reports, 'verdicts.json'),
    JSON.stringify(summarise([], '/../../x' as string)),
  );
  const result = await resume(reports, ['--project=no-such-project']);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    `${path.join(reports, 'verdicts.json')} gives the run id "/../../x": a run id is 1-40 letters, digits or dashes.`,
  );
  expect(readdirSync(parent)).toEqual(['a']);
  expect(readdirSync(path.join(parent, 'a'))).toEqual(['reports']);
  expect(readdirSync(reports)).toEqual(['verdicts.json']);
});

test('a run killed in its first test (no verdict of its own yet) is resumed under its id, with its settings', async () => {
  test.setTimeout(120_000);
  const reports = tmp();
  // The run started (run.json) and was killed before its first verdict: verdicts.json is still
  // the earlier run's.
  writeFileSync(
    path.join(reports, 'verdicts.json'),
    JSON.stringify(
      summarise(
        [
          {
            kind: 'pass',
            driver: 'dc_clean',
            scenario: 'cycles',
            summary: 'ok',
            evidence: {},
            test: 'cycles › load/unload cycles',
            project: 'lab',
            file: 'specs/cycles.spec.ts',
            status: 'passed',
          },
        ],
        'earlier-run',
      ),
    ),
  );
  writeFileSync(
    runRecordFile(reports),
    JSON.stringify({
      runId: 'killed-run',
      startedAt: 'then',
      // A project that does not exist: the resumed child ends at once.
      args: ['--project=no-such-project'],
      settings: { CYCLES: '7' },
    }),
  );
  const result = await resume(reports, [], { CYCLES: '' });
  expect(result.stdout).toContain('resuming run killed-run: 0 tests completed, the rest runs now');
  expect(result.stdout).toContain('settings restored from the interrupted run: CYCLES=7');
  expect(result.stdout).toContain(
    'arguments restored from the interrupted run: --project=no-such-project',
  );
  // The earlier run's completed test is not skipped: it is not this run's.
  expect(readFileSync(path.join(reports, 'resume-killed-run.txt'), 'utf8')).not.toContain(
    'load/unload cycles',
  );
  expect(existsSync(path.join(reports, 'resume-earlier-run.txt'))).toBe(false);
});
