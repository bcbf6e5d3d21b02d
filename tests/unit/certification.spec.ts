/** Driver Verifier's settings as `verifier /querysettings` prints them, and the certification files. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { resolveSettings } from '../../src/config/settings.ts';
import type { Verdict } from '../../src/core/verdict.ts';
import { ConfigError } from '../../src/core/errors.ts';
import {
  buildCertification,
  certificationMarkdown,
  combineDriverCertifications,
  missingLine,
  missingCriteria,
  type CertifiedTest,
} from '../../src/report/certification-verdict.ts';
import { certificationCriteria } from '../../src/families/criteria.ts';
import { embeddedSignature } from '../../src/report/driver-file.ts';
import { identify } from '../../src/report/reporters/certification.ts';
import { peImage } from './pe-fixtures.ts';
import {
  parseVerifierQuerySettings,
  verifierProblem,
} from '../../src/windows/nt/verifier-settings.ts';
import { scratchDir } from './scratch.ts';

/** As documented for `verifier /querysettings` (Driver Verifier, Low Resources Simulation page). */
const DOCUMENTED = `Special pool: Disabled
Pool tracking: Disabled
Force IRQL checking: Disabled
I/O verification: Disabled
Enhanced I/O verification: Disabled
Deadlock detection: Disabled
DMA checking: Disabled
Security checks: Disabled
Force pending I/O requests: Disabled
Low resources simulation: Enabled
IRP Logging: Disabled
Miscellaneous checks: Disabled
Disk integrity checking: Disabled

Low Resources Simulation options:

- Fault injection probability: 1/10000.
- Fail only allocations using pool tags: Tag1 Tag2.
- Simulate low resources conditions only in applications: test1.exe test2.exe.
- Boot time delay: 2 minutes.

Verified drivers:

blah.sys
`;

/** `verifier /standard /driver mydrv.sys` on Windows 10/11, CRLF line ends as the console writes. */
const STANDARD = [
  'Special pool: Enabled',
  'Force IRQL checking: Enabled',
  'Pool tracking: Enabled',
  'I/O verification: Enabled',
  'Deadlock detection: Enabled',
  'DMA checking: Enabled',
  'Security checks: Enabled',
  'Force pending I/O requests: Disabled',
  'Low resources simulation: Disabled',
  'IRP Logging: Disabled',
  'Miscellaneous checks: Enabled',
  'DDI compliance checking: Enabled',
  '',
  'Verified drivers:',
  '',
  'MyDrv.sys',
  '',
].join('\r\n');

test('verifier /querysettings: options and verified drivers, as printed', () => {
  const documented = parseVerifierQuerySettings(DOCUMENTED);
  expect(documented.drivers).toEqual(['blah.sys']);
  expect(documented.options['low resources simulation']).toBe(true);
  expect(documented.options['pool tracking']).toBe(false);
  expect(Object.keys(documented.options)).toHaveLength(13);
  const standard = parseVerifierQuerySettings(STANDARD);
  expect(standard.drivers).toEqual(['mydrv.sys']);
  expect(standard.options['pool tracking']).toBe(true);
  expect(parseVerifierQuerySettings(STANDARD.replace('MyDrv.sys', 'None')).drivers).toEqual([]);
  expect(
    parseVerifierQuerySettings(STANDARD.replace('MyDrv.sys', 'No drivers are currently verified.'))
      .drivers,
  ).toEqual([]);
  expect(parseVerifierQuerySettings(STANDARD.replace('MyDrv.sys', 'All Drivers')).drivers).toBe(
    'all',
  );
});

test('a certification needs Verifier on the driver, with pool tracking', () => {
  expect(verifierProblem(parseVerifierQuerySettings(STANDARD), 'mydrv.sys')).toBeUndefined();
  expect(
    verifierProblem(
      parseVerifierQuerySettings(STANDARD.replace('MyDrv.sys', 'All Drivers')),
      'x.sys',
    ),
  ).toBeUndefined();
  expect(verifierProblem(parseVerifierQuerySettings(STANDARD), 'other.sys')).toBe(
    'Driver Verifier verifies mydrv.sys, not other.sys',
  );
  expect(
    verifierProblem(parseVerifierQuerySettings(STANDARD.replace('MyDrv.sys', 'None')), 'x.sys'),
  ).toBe('Driver Verifier verifies no driver, so not x.sys');
  expect(verifierProblem(parseVerifierQuerySettings(DOCUMENTED), 'blah.sys')).toBe(
    'Driver Verifier verifies blah.sys without pool tracking, so leaks at unload go unseen',
  );
});

/** A driver image as a linker writes its headers (the samples are built only by the lab set-up). */
const cleanImage = (() => {
  const file = path.join(scratchDir('drvcycle-image-'), 'clean.sys');
  writeFileSync(file, peImage());
  return file;
})();

const settings = resolveSettings(
  {
    profile: 'certify',
    driverUnderTest: { imagePath: cleanImage, serviceName: 'dc_clean' },
  },
  {},
);
const windows = {
  hostname: 'vm1',
  os: 'Windows_NT',
  osVersion: '10.0.22631',
  arch: 'x64',
  wineVersion: null,
  agentVersion: '0.1.0',
  pid: 1,
  stagingDir: 'C:\\ProgramData\\drvcycle\\images',
};
const verdict = (kind: Verdict['kind'], scenario: string, summary: string): Verdict => ({
  kind,
  driver: 'dc_clean',
  scenario,
  summary,
  evidence: {},
});
const certified = (v: Verdict, test: string): CertifiedTest => ({
  project: 'certify-dc_clean',
  test,
  status: v.kind === 'pass' ? 'passed' : 'failed',
  verdict: v,
  target: windows,
  rehearsal: undefined,
  verifier: parseVerifierQuerySettings(STANDARD.replace('MyDrv.sys', 'clean.sys')),
  settings,
});

test('a certification passes only when every criterion passed, each with its requirement and measure', () => {
  const identity = identify(cleanImage);
  const pass = buildCertification(
    [
      certified(verdict('pass', 'cycles', 'PASS: 1000 cycles'), 'cycles › load/unload cycles'),
      certified(verdict('pass', 'leaks', 'PASS: 0 B/cycle'), 'leaks › memory returns to baseline'),
    ],
    () => identity,
    { runId: 'r1', now: new Date('2026-11-25T00:00:00Z') },
  );
  expect(pass).toMatchObject({ verdict: 'pass', certified: true, runId: 'r1' });
  expect(pass.drivers[0]).toMatchObject({
    service: 'dc_clean',
    target: 'Windows_NT 10.0.22631, x64 (vm1)',
    verdict: 'pass',
  });
  expect(pass.drivers[0]!.verifier).toContain('verifies clean.sys; enabled: special pool');
  expect(pass.drivers[0]!.criteria[0]).toEqual({
    name: 'cycles › load/unload cycles',
    requirement:
      '1000 load/unload cycles, each start within 30000 ms and stop within 30000 ms, every one clean',
    measured: 'PASS: 1000 cycles',
    passed: true,
  });
  expect(pass.drivers[0]!.criteria[1]!.requirement).toBe(
    "1000 cycles: no allocation of the driver alive after the next cycle's unload (exact pool trace), or else pool growth ≤ 64 B/cycle after 5 warm-up cycles (≥ 20 samples), ≤ 0 B left after the last unload",
  );

  const fail = buildCertification(
    [
      certified(verdict('pass', 'cycles', 'PASS: 1000 cycles'), 'cycles › load/unload cycles'),
      certified(
        verdict('leak', 'leaks', 'LEAK: 256 B/cycle'),
        'leaks › memory returns to baseline',
      ),
    ],
    () => identity,
  );
  expect(fail.verdict).toBe('fail');
  const markdown = certificationMarkdown(fail);
  expect(markdown).toContain('# Driver certification: FAIL');
  expect(markdown).toContain(
    "| leaks › memory returns to baseline | 1000 cycles: no allocation of the driver alive after the next cycle's unload",
  );
  expect(markdown).toContain('| LEAK: 256 B/cycle | **FAIL** |');
  expect(markdown).toContain(`SHA-256 ${identity.sha256}`);
  expect(buildCertification([], () => identity).verdict).toBe('fail');
});

test('a leak on the exact pool trace lists its call sites under the criteria', () => {
  const identity = identify(cleanImage);
  const leak: Verdict = {
    ...verdict(
      'leak',
      'leaks',
      'LEAK at cycle 1: 1 allocation alive after unload: DcLs 256 B × 1 per cycle (NonPagedPool) from leak_small.sys+0x103c (DriverEntry)',
    ),
    cycle: 1,
    evidence: {
      callSites: [
        {
          site: 'leak_small.sys+0x103c',
          function: 'DriverEntry',
          tag: 'DcLs',
          size: 256,
          poolType: 'NonPagedPool',
          count: 2,
          bytes: 512,
          perCycle: { 1: 1, 2: 1 },
        },
      ],
    },
  };
  const certification = buildCertification(
    [certified(leak, 'leaks › memory returns to baseline')],
    () => identity,
  );
  expect(certification.drivers[0]!.criteria[0]!.leakedAllocations).toEqual([
    'DcLs 256 B × 1 per cycle (NonPagedPool) from leak_small.sys+0x103c (DriverEntry)',
  ]);
  expect(certificationMarkdown(certification)).toContain(
    'Left allocated by leaks › memory returns to baseline:\n\n- DcLs 256 B × 1 per cycle (NonPagedPool) from leak_small.sys+0x103c (DriverEntry)',
  );
  // A slope verdict (Windows pool tags) has no call sites: nothing listed.
  const slope = buildCertification(
    [
      certified(
        verdict('leak', 'leaks', 'LEAK: 256 B/cycle'),
        'leaks › memory returns to baseline',
      ),
    ],
    () => identity,
  );
  expect(slope.drivers[0]!.criteria[0]!.leakedAllocations).toBeUndefined();
});

test('a lab certification is a rehearsal, never a certification, whatever its verdict', () => {
  const rehearsal = buildCertification(
    [
      {
        ...certified(verdict('pass', 'cycles', 'PASS'), 'cycles › load/unload cycles'),
        target: { ...windows, wineVersion: '8.0' },
        rehearsal: 'the lab runs Wine 8.0',
        verifier: undefined,
      },
    ],
    identify,
  );
  expect(rehearsal).toMatchObject({ verdict: 'pass', certified: false });
  expect(certificationMarkdown(rehearsal)).toContain('PASS (rehearsal, not a certification)');
});

test('signature state from the PE certificate table: unsigned, or an embedded signature present', () => {
  const image = readFileSync(cleanImage);
  expect(embeddedSignature(image)).toBe('absent');
  // The same image with a certificate table entry (data directory 4) set.
  const signed = Buffer.from(image);
  const pe = signed.readUInt32LE(0x3c);
  signed.writeUInt32LE(0x1000, pe + 24 + 112 + 4 * 8);
  signed.writeUInt32LE(0x200, pe + 24 + 112 + 4 * 8 + 4);
  expect(embeddedSignature(signed)).toBe('present');
  expect(embeddedSignature(Buffer.from('not a driver'))).toBe('not a PE image');
  expect(identify(cleanImage)).toMatchObject({ file: 'clean.sys', bytes: 1024, version: null });
  expect(identify(cleanImage).signature).toContain('unsigned');
});

test('a certification requires every criterion: one filtered out (-g, testMatch, --shard…) or skipped fails it, named', () => {
  const required = certificationCriteria('legacy');
  const withRequired = (t: CertifiedTest): CertifiedTest => ({ ...t, required });
  // `-g "second start"`: the one criterion that ran passed.
  const narrowed = buildCertification(
    [
      withRequired(
        certified(
          verdict('pass', 'error paths › second start', 'PASS'),
          'error paths › second start',
        ),
      ),
    ],
    identify,
  );
  expect(narrowed.verdict).toBe('fail');
  const [driver] = narrowed.drivers;
  expect(driver!.verdict).toBe('fail');
  expect(driver!.criteria.every((c) => c.passed)).toBe(true);
  expect(driver!.missing).toEqual(required.filter((name) => name !== 'error paths › second start'));
  expect(driver!.missing).toContain('cycles › load/unload cycles');
  expect(driver!.missing).toContain(
    'leaks › memory returns to baseline after unload and does not grow across cycles',
  );
  const markdown = certificationMarkdown(narrowed);
  expect(markdown).toContain('# Driver certification: FAIL');
  expect(markdown).toContain(
    `**${required.length - 1} required criteria did not run (filtered out by -g/--grep`,
  );
  expect(markdown).toContain(
    '| cycles › soak: cycles for a set duration | required | did not run | **FAIL** |',
  );

  // Every criterion ran and passed, but one was skipped: still a fail.
  const all = required.map((name) => withRequired(certified(verdict('pass', name, 'PASS'), name)));
  expect(buildCertification(all, identify).verdict).toBe('pass');
  const skipped = all.map((t, i) => (i === 1 ? { ...t, status: 'skipped' } : t));
  const oneSkipped = buildCertification(skipped, identify);
  expect(oneSkipped.verdict).toBe('fail');
  expect(oneSkipped.drivers[0]!.missing).toEqual([required[1]]);
  expect(missingCriteria(skipped)).toEqual([required[1]]);
});

test("the criteria follow the driver's kind: a PnP driver's certification needs the PnP error paths, not the legacy ones", () => {
  const legacy = certificationCriteria('legacy');
  const pnp = certificationCriteria('pnp');
  expect(legacy.slice(0, 3)).toEqual([
    'cycles › load/unload cycles',
    'cycles › soak: cycles for a set duration',
    'leaks › memory returns to baseline after unload and does not grow across cycles',
  ]);
  expect(legacy).toContain('error paths › second start');
  expect(legacy).not.toContain('error paths › duplicate install (PnP)');
  expect(pnp).toContain('error paths › duplicate install (PnP)');
  expect(pnp).not.toContain('error paths › second start');
});

test('a certify project refuses every loosened option: sampleEvery 0 or sparser, an error-path stop bound past its ceiling', () => {
  const certify = (extra: Record<string, unknown>) => () =>
    resolveSettings(
      { profile: 'certify', driverUnderTest: { imagePath: cleanImage }, ...extra },
      {},
    );
  expect(certify({ sampleEvery: 0 })).toThrow(ConfigError);
  expect(certify({ sampleEvery: 0 })).toThrow(
    'A certify project cannot loosen the certification: sampleEvery 0 never samples memory between the first load and the last unload; the certification samples after every 10th unload at least.',
  );
  expect(certify({ sampleEvery: 50 })).toThrow(/sampleEvery 50 is above the certification's 10/);
  expect(certify({ errorPathStopTimeoutMs: 15 * 60_000 })).toThrow(
    /errorPathStopTimeoutMs 900000 is above the certification's 5000/,
  );
  // Stricter is fine; and the defaults are the certification's own numbers.
  expect(certify({ sampleEvery: 1, errorPathStopTimeoutMs: 2_000 })()).toMatchObject({
    sampleEvery: 1,
    errorPathStopTimeoutMs: 2_000,
  });
  expect(certify({})()).toMatchObject({ sampleEvery: 10, errorPathStopTimeoutMs: 5_000 });
  // Outside a certification, 0 still means no system samples in a cycles run.
  expect(
    resolveSettings(
      { profile: 'nightly', driverUnderTest: { imagePath: cleanImage }, sampleEvery: 0 },
      {},
    ).sampleEvery,
  ).toBe(0);
});

test('shards of one certification combine: a criterion missing from one shard but run in another is not missing', () => {
  const required = certificationCriteria('legacy');
  const all = required.map((name) => ({
    ...certified(verdict('pass', name, 'PASS'), name),
    required,
  }));
  const first = buildCertification(all.slice(0, 4), identify).drivers;
  const second = buildCertification(all.slice(4), identify).drivers;
  expect(first[0]!.verdict).toBe('fail');
  expect(second[0]!.verdict).toBe('fail');
  const [both] = combineDriverCertifications([...first, ...second]);
  expect(both).toMatchObject({ verdict: 'pass', missing: [] });
  expect(both!.criteria).toHaveLength(required.length);
  // Without the second shard's last criterion, it is still missing, and fails the driver.
  const partial = buildCertification(all.slice(4, -1), identify).drivers;
  const [short] = combineDriverCertifications([...first, ...partial]);
  expect(short).toMatchObject({ verdict: 'fail', missing: [required.at(-1)] });
});

test('a criterion skipped with a reason says why it did not run, in the files and on the console, across shards too', () => {
  const required = certificationCriteria('legacy');
  const withRequired = (t: CertifiedTest): CertifiedTest => ({ ...t, required });
  const skippedCase = 'error paths › second start';
  const why =
    'needs the driver loaded and unloaded, and it cannot be unloaded: UNLOAD FAILURE at cycle 1: the driver set no DriverUnload (see its cycles verdict)';
  const ran = required
    .filter((name) => name !== skippedCase && name !== 'cycles › soak: cycles for a set duration')
    .map((name) => withRequired(certified(verdict('pass', name, 'PASS'), name)));
  const project = ran[0]!.project;
  const result = buildCertification(ran, identify, {
    skipped: new Map([[project, new Map([[skippedCase, why]])]]),
  });
  const [driver] = result.drivers;
  expect(driver!.missing).toEqual(
    expect.arrayContaining([skippedCase, 'cycles › soak: cycles for a set duration']),
  );
  expect(driver!.skipped).toEqual({ [skippedCase]: why });
  expect(missingLine(driver!.missing!, driver!.skipped)).toBe(
    `2 required criteria did not run (filtered out by -g/--grep, --grep-invert, testMatch/testIgnore, --shard, --last-failed or --only-changed, or skipped): ${driver!.missing!.map((n) => (n === skippedCase ? `${n} (skipped: ${why})` : n)).join('; ')}`,
  );
  expect(missingLine([skippedCase], { [skippedCase]: why })).toBe(
    `1 required criterion did not run (each skipped, for the reason given): ${skippedCase} (skipped: ${why})`,
  );
  // One reason for several criteria is given once.
  expect(
    missingLine(['error paths › a', 'error paths › b', 'error paths › c'], {
      'error paths › a': 'the driver under test does not unload',
      'error paths › c': 'the driver under test does not unload',
    }),
  ).toBe(
    '3 required criteria did not run (filtered out by -g/--grep, --grep-invert, testMatch/testIgnore, --shard, --last-failed or --only-changed, or skipped): error paths › b; error paths › a, error paths › c (skipped: the driver under test does not unload)',
  );
  expect(certificationMarkdown(result)).toContain(
    `| ${skippedCase} | required | did not run: skipped, ${why} | **FAIL** |`,
  );
  // Two shards: the reason stays while no shard ran the case, and goes once one did.
  const other = {
    ...driver!,
    criteria: [],
    missing: [skippedCase],
    skipped: { [skippedCase]: why },
  };
  expect(combineDriverCertifications([driver!, other])[0]!.skipped).toEqual({ [skippedCase]: why });
  const ranIt = {
    ...driver!,
    criteria: [{ name: skippedCase, requirement: '', measured: 'PASS', passed: true }],
    missing: [],
    skipped: undefined,
  };
  expect(combineDriverCertifications([driver!, ranIt])[0]!.skipped).toBeUndefined();
});
