/** `drvcycle compare`: its arguments, and the exit code CI reads from the run's compare verdicts. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { expect, test } from '@playwright/test';
import { runProcess } from '../../src/core/child-process.ts';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';
import { lockFile } from '../../src/report/run-lock.ts';
import { COMPARE_EXIT, compareExitCode, parseCompareArgs } from '../../src/cli/compare-command.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { summarise, type VerdictKind, type VerdictSummary } from '../../src/core/verdict.ts';
import { scratchDir } from './scratch.ts';

test('arguments: both builds, --cycles, and the rest handed to playwright test', () => {
  expect(
    parseCompareArgs(['--baseline', 'old.sys', '--candidate=new.sys', '--cycles', '500', '-x']),
  ).toEqual({ baseline: 'old.sys', candidate: 'new.sys', cycles: '500', rest: ['-x'] });
  expect(
    parseCompareArgs(['--baseline', 'old.sys', '--candidate', 'new.sys', '--io=drivers/io.json']),
  ).toEqual({ baseline: 'old.sys', candidate: 'new.sys', io: 'drivers/io.json', rest: [] });
  expect(() => parseCompareArgs(['--baseline', 'a.sys', '--candidate', 'b.sys', '--io'])).toThrow(
    /--io needs a value/,
  );
  expect(() => parseCompareArgs(['--baseline', 'old.sys'])).toThrow(
    /drvcycle compare needs both builds: --candidate is missing\./,
  );
  expect(() => parseCompareArgs(['--baseline', '--candidate', 'new.sys'])).toThrow(
    /--baseline needs a value/,
  );
  expect(() =>
    parseCompareArgs(['--baseline', 'a.sys', '--candidate', 'b.sys', '--project=lab']),
  ).toThrow(ConfigError);
});

const run = (kinds: VerdictKind[], scenario = 'compare', runId = 'r1'): VerdictSummary =>
  summarise(
    kinds.map((kind) => ({
      kind,
      driver: 'dc_new',
      scenario,
      summary: kind,
      evidence: {},
      test: 'compare › candidate against the baseline build',
      project: 'compare',
      status: kind === 'pass' ? 'passed' : 'failed',
    })),
    runId,
  );

test('exit codes: 0 same or improved, 1 regressed or the candidate failed, 2 no comparison', () => {
  expect(compareExitCode(run(['pass']), 'r1')).toBe(COMPARE_EXIT.sameOrImproved);
  expect(compareExitCode(run(['regression']), 'r1')).toBe(COMPARE_EXIT.regressed);
  expect(compareExitCode(run(['pass', 'crash']), 'r1')).toBe(COMPARE_EXIT.regressed);
  // A lab failure, a failed baseline (environment) or drvcycle's own failure is no regression.
  expect(compareExitCode(run(['environment']), 'r1')).toBe(COMPARE_EXIT.noComparison);
  expect(compareExitCode(run(['error']), 'r1')).toBe(COMPARE_EXIT.noComparison);
  // No compare verdict of this run: an earlier run's file, another family's verdicts, none at all.
  expect(compareExitCode(run(['pass'], 'compare', 'r0'), 'r1')).toBe(COMPARE_EXIT.noComparison);
  expect(compareExitCode(run(['pass'], 'cycles'), 'r1')).toBe(COMPARE_EXIT.noComparison);
  expect(compareExitCode(undefined, 'r1')).toBe(COMPARE_EXIT.noComparison);
});

test('a run that cannot start (its reports folder held by another live run) exits 2, never 1', async () => {
  const dir = scratchDir('drvcycle-compare-busy-');
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    writeFileSync(
      lockFile(dir),
      JSON.stringify({
        pid: other.pid,
        runId: 'other-run',
        host: os.hostname(),
        startedAt: 'then',
      }),
    );
    const env: NodeJS.ProcessEnv = { ...process.env, DRVCYCLE_REPORTS_DIR: dir };
    delete env.DRVCYCLE_RUN_LOCK_PID;
    const result = await runProcess(
      process.execPath,
      [
        'bin/drvcycle.js',
        'compare',
        '--baseline',
        sampleDriver('clean'),
        '--candidate',
        sampleDriver('clean'),
      ],
      { cwd: PACKAGE_ROOT, env, output: 'capture', allowFailure: true, timeoutMs: 60_000 },
    );
    expect(result.code).toBe(COMPARE_EXIT.noComparison);
    expect(result.stdout).toContain('[drvcycle] compare: no comparison (the run could not start');
    expect(result.stderr).toContain('Another drvcycle run (run other-run');
  } finally {
    other.kill('SIGKILL');
  }
});
