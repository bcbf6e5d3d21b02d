/**
 * The I/O samples' verdicts from the specs on the lab: a child Playwright run of
 * tests/io-verdicts.config.ts (the real spec files, one project per sample and table), then each
 * verdict asserted with the operation it names.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
// Only a child run boots machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';

test('each I/O sample gets its verdict, naming the operation', async ({}, testInfo) => {
  test.setTimeout(15 * 60_000);
  const file = testInfo.outputPath('verdicts.json');
  const env = {
    ...process.env,
    DRVCYCLE_VERDICTS_FILE: file,
    DRVCYCLE_SELFTEST_OUTPUT: testInfo.outputPath('run'),
    DRVCYCLE_RUN_ID: `${process.env.DRVCYCLE_RUN_ID ?? 'io'}-io`,
  };
  const code = await new Promise<number>((resolve) => {
    execFile(
      'npx',
      ['playwright', 'test', '-c', 'tests/io-verdicts.config.ts', '--workers=1'],
      { cwd: PACKAGE_ROOT, env, timeout: 14 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error) => resolve(error ? Number((error as { code?: number }).code ?? 1) : 0),
    );
  });
  expect(code, 'the run has failing drivers, so it exits 1').toBe(1);
  const { verdicts } = JSON.parse(readFileSync(file, 'utf8')) as VerdictSummary;
  const of = (project: string, scenario: 'cycles' | 'leaks') => {
    const found = verdicts.filter((v) => v.project === project && v.scenario === scenario);
    expect(found, `${project} ${scenario}`).toHaveLength(1);
    const v = found[0]!;
    return { v, say: `${project}: ${v.summary} ${JSON.stringify(v.evidence)}` };
  };

  for (const spec of ['cycles', 'leaks'] as const) {
    const { v, say } = of('io_clean', spec);
    expect(v.kind, say).toBe('pass');
    expect(v.evidence, say).toMatchObject({
      io: { operations: expect.arrayContaining(['get', 'read', 'write']) },
    });
  }
  {
    const { v, say } = of('io_clean_fuzz', 'cycles');
    expect(v.kind, say).toBe('pass');
    expect(v.summary, say).toContain('fuzzed with seed 7');
    expect(v.evidence, say).toMatchObject({ io: { fuzzSeed: 7 } });
  }
  {
    const { v, say } = of('io_leak_ioctl', 'leaks');
    expect(v.kind, say).toBe('leak');
    expect(v.summary, say).toMatch(
      /^LEAK at cycle 1: .*DcIo 256 B × 1 per cycle .*from io_leak_ioctl\.sys\+0x[0-9a-f]+ \(DcDeviceControl\); the operation alloc \(IOCTL 0x00222004 .*\) leaks 256 B per cycle run alone \(no I\/O: 0 B, get: 0 B, read: 0 B\)/,
    );
    expect(v.evidence, say).toMatchObject({ leakingOperations: ['alloc'] });
  }
  {
    const { v, say } = of('io_crash_short', 'cycles');
    expect(v.kind, say).toBe('crash');
    expect(v.phase, say).toBe('io');
    expect(v.summary, say).toMatch(
      /^CRASH in io at cycle 1: the driver host died in alloc-short \(IOCTL 0x00222004 .*\), call 1 with a 1-byte input and no output: wine: Unhandled page fault on write access to 0000000000000000/,
    );
    expect(v.evidence, say).toMatchObject({
      operation: 'alloc-short',
      ioctl: '0x00222004',
      request: { inputLength: 1 },
    });
  }
  {
    // Fuzzed without the table's short call: the first hostile case, no buffers at all, finds the crash.
    const { v, say } = of('io_crash_short_fuzz', 'cycles');
    expect(v.kind, say).toBe('crash');
    expect(v.summary, say).toMatch(
      /the driver host died in alloc \(IOCTL 0x00222004 .*\), call 2 with no input and no output \(fuzz case "zero buffers", seed 11\)/,
    );
    expect(v.evidence, say).toMatchObject({
      operation: 'alloc',
      seed: 11,
      request: { fuzz: 'zero buffers', seed: 11 },
    });
  }
  {
    const { v, say } = of('io_pending_read', 'cycles');
    expect(v.kind, say).toBe('hang');
    expect(v.summary, say).toContain(
      'HANG in io at cycle 1: read (ReadFile 16 bytes), call 1 with no input and a 16-byte output did not complete within 1000 ms; cancelled then, it ended at once',
    );
    expect(v.evidence, say).toMatchObject({
      operation: 'read',
      afterCancel: 'ended',
      boundMs: 1000,
    });
  }
  {
    const { v, say } = of('io_pending_read_cancel', 'cycles');
    expect(v.kind, say).toBe('pass');
  }
});
