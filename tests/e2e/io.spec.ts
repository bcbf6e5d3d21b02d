/**
 * The I/O verdicts the self-check does not give (its I/O cases are asserted with the rest of the
 * self-check in tests/e2e/verdicts.spec.ts): fuzz mode, and a PnP driver found by its device
 * interface. A child Playwright run of tests/io-verdicts.config.ts (the real spec files, one
 * project per sample and table), then each verdict asserted.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
// Only a child run boots machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';

test('fuzz mode names the failing case and its seed; a device interface is found and called', async ({}, testInfo) => {
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

  {
    const { v, say } = of('io_clean_fuzz', 'cycles');
    expect(v.kind, say).toBe('pass');
    expect(v.summary, say).toContain('fuzzed with seed 7');
    expect(v.evidence, say).toMatchObject({ io: { fuzzSeed: 7 } });
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
    // The interface path came from SetupAPI (no \\.\ name), and every call reached the driver:
    // 5 cycles of get (4 bytes back), alloc, read (16 bytes) and write (5 bytes taken).
    const { v, say } = of('pnp_io', 'cycles');
    expect(v.kind, say).toBe('pass');
    expect(v.summary, say).toBe('PASS: 5 cycles with the I/O table (4 operations)');
    expect(v.evidence, say).toMatchObject({
      io: {
        device: '{5C0F3A52-7D1E-4B8C-9E2A-1D3C5B7A9F01}',
        totals: {
          get: { calls: 5, bytes: 20 },
          alloc: { calls: 5, bytes: 0 },
          read: { calls: 5, bytes: 80 },
          write: { calls: 5, bytes: 25 },
        },
      },
    });
  }
});
