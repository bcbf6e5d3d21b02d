/**
 * The specs' verdicts on the sample corpus: a child Playwright run of tests/verdicts.config.ts
 * (the real spec files, one project per sample driver), then each verdict asserted.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
// Only a child run boots machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';
import { caseKind, DRIVER_ERROR_PATHS, ERROR_PATH_CASES } from '../../src/families/error-paths.ts';
import { SELF_CHECK_IO_CASES } from '../../src/families/self-check-io.ts';

test('every sample driver gets its verdict from the specs', async ({}, testInfo) => {
  test.setTimeout(15 * 60_000);
  const file = testInfo.outputPath('verdicts.json');
  const env = {
    ...process.env,
    DRVCYCLE_VERDICTS_FILE: file,
    DRVCYCLE_SELFTEST_OUTPUT: testInfo.outputPath('run'),
    DRVCYCLE_RUN_ID: `${process.env.DRVCYCLE_RUN_ID}-verdicts`,
    // One project per sample: each project's worker takes the clean machine the last one left
    // (machines/warm-lab.ts) instead of booting its own.
    DRVCYCLE_WARM_SECONDS: '20',
  };
  const code = await new Promise<number>((resolve) => {
    execFile(
      'npx',
      ['playwright', 'test', '-c', 'tests/verdicts.config.ts'],
      { cwd: PACKAGE_ROOT, env, timeout: 14 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error) => resolve(error ? Number((error as { code?: number }).code ?? 1) : 0),
    );
  });
  expect(code, 'the run has failing drivers, so it exits 1').toBe(1);
  const { verdicts, counts } = JSON.parse(readFileSync(file, 'utf8')) as VerdictSummary;
  const of = (project: string, scenario: RegExp) => {
    const found = verdicts.filter((v) => v.project === project && scenario.test(v.test));
    expect(found, `${project} ${scenario}`).toHaveLength(1);
    return found[0]!;
  };
  // A failed check names the verdict it got, whole: the evidence a CI log needs.
  const check = (project: string, scenario: RegExp) => {
    const v = of(project, scenario);
    return expect(v, `${project}: ${v.summary} ${JSON.stringify(v.evidence)}`);
  };

  check('clean', /cycles › load\/unload/).toMatchObject({ kind: 'pass', status: 'passed' });
  for (const project of ['clean', 'device_legacy']) {
    // Anchored: the clean project's self-check has an I/O case about a leak too.
    const v = of(project, /^leaks › /);
    expect(v, v.summary).toMatchObject({
      kind: 'pass',
      evidence: {
        signal: 'wine-pool-trace',
        decision: 'exact',
        allocationsAlive: 0,
        slopeBytesPerCycle: 0,
        residualBytes: 0,
      },
    });
    expect(v.evidence.samples as number).toBeGreaterThanOrEqual(195);
  }
  // The exact verdict: the first cycle whose allocation outlived the next unload, with its call
  // site named from the image's symbols; the run stops once that is certain (after cycle 2).
  check('leak_small', /leaks/).toMatchObject({
    kind: 'leak',
    status: 'failed',
    cycle: 1,
    evidence: {
      leakCycle: 1,
      loadsTraced: 2,
      callSites: [
        {
          site: 'leak_small.sys+0x103c',
          function: 'DriverEntry',
          tag: 'DcLs',
          size: 256,
          poolType: 'NonPagedPool',
        },
      ],
    },
  });
  // The cycles the agent ran before it saw the stop are counted: cyclesRun names what ran.
  const small = of('leak_small', /leaks/).evidence;
  expect(small.cyclesRun, JSON.stringify(small)).toBe(
    2 + ((small.loadsPastStop as number | undefined) ?? 0),
  );
  expect(small.stoppedEarly).toBe(
    `after cycle ${small.cyclesRun as number} of 60: the leak at cycle 1 was certain from cycle 2's end in the pool trace`,
  );
  expect(of('leak_small', /leaks/).summary).toBe(
    'LEAK at cycle 1: 1 allocation alive after unload: DcLs 256 B × 1 per cycle (NonPagedPool) from leak_small.sys+0x103c (DriverEntry)',
  );
  check('leak_large', /leaks/).toMatchObject({
    kind: 'leak',
    cycle: 1,
    evidence: { callSites: [{ tag: 'DcLl', size: 1_048_576, function: 'DriverEntry' }] },
  });
  // Leaks at its 5th load only (a load counter in its service key): leak@5, certain after cycle 6.
  check('leak_every5', /leaks/).toMatchObject({
    kind: 'leak',
    cycle: 5,
    evidence: { leakCycle: 5, callSites: [{ tag: 'DcE5', perCycle: { 5: 1 } }] },
  });
  // Certain once the trace had cycle 6's unload. The agent runs on until it sees the stop; those
  // cycles are counted (their loads left out of the trace), and the evidence says so coherently.
  const every5 = of('leak_every5', /leaks/).evidence;
  const shown = JSON.stringify(every5);
  expect(every5.loadsTraced, shown).toBe(6);
  expect(every5.cyclesRun, shown).toBe(6 + ((every5.loadsPastStop as number | undefined) ?? 0));
  expect(every5.stoppedEarly, shown).toBe(
    `after cycle ${every5.cyclesRun as number} of 60: the leak at cycle 5 was certain from cycle 6's end in the pool trace`,
  );
  // Frees at each load the buffer the previous load left: alive after every unload, never leaked.
  check('late_free', /leaks/).toMatchObject({
    kind: 'pass',
    evidence: { decision: 'exact', confirmationCycles: 1 },
  });

  check('entry_fail_resources', /cycles/).toMatchObject({
    kind: 'load-failure',
    cycle: 1,
    phase: 'load',
    evidence: { win32Code: 1450, ntstatus: '0xC000009A STATUS_INSUFFICIENT_RESOURCES' },
  });
  check('entry_fail_config', /cycles/).toMatchObject({
    kind: 'load-failure',
    cycle: 1,
    evidence: { win32Code: 87, ntstatus: '0xC0000182 STATUS_DEVICE_CONFIGURATION_ERROR' },
  });
  expect(of('entry_fail_config', /cycles/).summary).toMatch(
    /^LOAD FAILURE at cycle 1: StartService on service "dc_entry_fail_config" failed at cycle 1: 87 ERROR_INVALID_PARAMETER/,
  );
  check('crash_in_entry', /cycles/).toMatchObject({ kind: 'crash', cycle: 1, phase: 'load' });
  check('crash_in_unload', /cycles/).toMatchObject({
    kind: 'crash',
    cycle: 1,
    phase: 'unload',
  });
  expect(of('crash_in_unload', /cycles/).summary).toMatch(
    /^CRASH in unload at cycle 1: the driver host died: wine: Unhandled page fault/,
  );
  check('hang_in_unload', /cycles/).toMatchObject({
    kind: 'hang',
    cycle: 1,
    phase: 'unload',
    evidence: { state: 'STOP_PENDING', boundMs: 3000 },
  });

  // PnP drivers: cycled through their root-enumerated device (remove, stop, re-add).
  check('pnp_clean', /cycles › load\/unload/).toMatchObject({
    kind: 'pass',
    status: 'passed',
  });
  check('pnp_clean', /leaks/).toMatchObject({ kind: 'pass', status: 'passed' });
  check('pnp_leak_start', /leaks/).toMatchObject({
    kind: 'leak',
    cycle: 1,
    evidence: {
      signal: 'wine-pool-trace',
      callSites: [{ tag: 'DcPl', size: 256, function: 'DcPnpDispatchPnp' }],
    },
  });
  // Wine 8 ignores a failed START_DEVICE (Windows gives the device problem code 10): on the lab
  // the driver cycles, which the README says.
  check('pnp_fail_start', /cycles › load\/unload/).toMatchObject({ kind: 'pass' });
  check('pnp_crash_remove', /cycles › load\/unload/).toMatchObject({
    kind: 'crash',
    cycle: 1,
    phase: 'unload',
  });
  check('pnp_hang_remove', /cycles › load\/unload/).toMatchObject({
    kind: 'hang',
    cycle: 1,
    phase: 'unload',
  });

  // The error-path catalog and the self-check on the clean driver: every case as expected.
  const catalog = verdicts.filter(
    (v) => v.project === 'clean' && /^(error paths|self-check) › /.test(v.test),
  );
  const legacyCatalog = ERROR_PATH_CASES.filter((c) => caseKind(c) === 'legacy');
  expect(catalog.map((v) => `${v.kind} ${v.test}`).sort()).toEqual(
    [
      ...legacyCatalog.map(
        (c) => `pass ${c.family === 'self-check' ? 'self-check' : 'error paths'} › ${c.title}`,
      ),
      ...SELF_CHECK_IO_CASES.map((c) => `pass self-check › ${c.title}`),
    ].sort(),
  );
  // Each I/O sample got its real verdict from the cycles or leaks spec's runner (the self-check
  // passes only then): the open that never completes is named with its device.
  const hangCreate = of('clean', /self-check › I\/O: an open that never completes/);
  expect(hangCreate.evidence, hangCreate.summary).toMatchObject({
    observed: {
      kind: 'hang',
      phase: 'io',
      evidence: { operation: 'open', device: '\\\\.\\DcIoHangCreate' },
    },
    // The machine was recovered after the hang, and the clean driver loaded on it again.
    recovered: true,
  });
  // A PnP driver gets the PnP cases (the legacy ones are skipped, saying why), each as expected.
  const pnpCases = DRIVER_ERROR_PATHS.filter((c) => caseKind(c) === 'pnp');
  expect(pnpCases.length).toBeGreaterThan(0);
  expect(
    verdicts
      .filter((v) => v.project === 'pnp_clean' && v.test.startsWith('error paths › '))
      .map((v) => `${v.kind} ${v.test}`)
      .sort(),
  ).toEqual(pnpCases.map((c) => `pass error paths › ${c.title}`).sort());
  // Self-checks name their sample drivers, never the driver under test.
  for (const v of catalog.filter((c) => c.test.startsWith('self-check')))
    expect(v.driver).toMatch(/^dc_ep_/);
  // A driver that cannot load: the cases that need it loaded are skipped, the rest still judged.
  const unloadable = verdicts.filter(
    (v) => v.project === 'entry_fail_resources' && v.test.startsWith('error paths › '),
  );
  expect(unloadable.map((v) => v.test).sort()).toEqual(
    DRIVER_ERROR_PATHS.filter((c) => !c.needsLoad && caseKind(c) === 'legacy')
      .map((c) => `error paths › ${c.title}`)
      .sort(),
  );
  expect(unloadable.every((v) => v.kind === 'pass')).toBe(true);

  expect(counts).toMatchObject({
    pass:
      7 +
      ERROR_PATH_CASES.length +
      SELF_CHECK_IO_CASES.length +
      DRIVER_ERROR_PATHS.filter((c) => !c.needsLoad && caseKind(c) === 'legacy').length,
    leak: 4,
    'load-failure': 2,
    crash: 3,
    hang: 2,
    environment: 0,
    error: 0,
    'error-path-mismatch': 0,
    regression: 0,
  });
});
