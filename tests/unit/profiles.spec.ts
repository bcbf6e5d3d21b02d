/** The drivers manifest, the projects it generates, and the profiles' rules (certify above all). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { drvcycleProjects } from '../../fixtures/projects.ts';
import { chooseManifest, parseManifest } from '../../src/config/manifest.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';
import { completedTestList } from '../../src/report/resume-plan.ts';
import { peImage } from './pe-fixtures.ts';
import { scratchDir } from './scratch.ts';

/** Driver images as a linker writes their headers (the sample drivers are built only by the lab set-up). */
function image(name: string): string {
  const file = path.join(scratchDir('drvcycle-image-'), `${name}.sys`);
  writeFileSync(file, peImage());
  return file;
}
const clean = image('clean');
const leak = image('leak_small');

function manifestFile(lines: string[]): string {
  const dir = scratchDir('drvcycle-manifest-');
  const file = path.join(dir, 'drivers.jsonl');
  writeFileSync(file, lines.join('\n'));
  return file;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('a manifest: one JSON object per line, comments and blank lines allowed, paths from its folder', () => {
  const drivers = parseManifest(
    [
      '# the nightly drivers',
      '{"image": "build/mydrv.sys", "service": "mydrv", "poolTags": ["MyDr"]}',
      '',
      '{"image": "/abs/fs.sys", "type": "filesystem", "group": "FSFilter Activity Monitor"}',
      '{"image": "pnp.sys", "kind": "pnp", "pnpStrategy": "remove-readd"}',
    ].join('\n'),
    '/work/team/drivers.jsonl',
  );
  expect(drivers).toEqual([
    {
      imagePath: '/work/team/build/mydrv.sys',
      serviceName: 'mydrv',
      line: 'drivers.jsonl:2',
      poolTags: ['MyDr'],
    },
    {
      imagePath: '/abs/fs.sys',
      serviceName: 'dc_fs',
      line: 'drivers.jsonl:4',
      type: 'filesystem',
      group: 'FSFilter Activity Monitor',
    },
    {
      imagePath: '/work/team/pnp.sys',
      serviceName: 'dc_pnp',
      line: 'drivers.jsonl:5',
      kind: 'pnp',
      pnpStrategy: 'remove-readd',
    },
  ]);
});

test('a manifest line with the team’s INF: a PnP driver whose service is the INF’s', () => {
  const dir = scratchDir('drvcycle-manifest-');
  writeFileSync(
    path.join(dir, 'echo.inf'),
    [
      '[Version]',
      'Class=System',
      '[DestinationDirs]',
      'DefaultDestDir=12',
      '[Manufacturer]',
      '%M%=Models,NTamd64',
      '[Models.NTamd64]',
      '%D%=Install, Root\\ECHO',
      '[Install.NT]',
      'CopyFiles=@echo.sys',
      '[Install.NT.Services]',
      'AddService=ECHO,2,Svc',
      '[Svc]',
      'ServiceBinary=%12%\\echo.sys',
    ].join('\r\n'),
  );
  const file = path.join(dir, 'drivers.jsonl');
  expect(parseManifest('{"image": "build/echo.sys", "inf": "echo.inf"}', file)).toEqual([
    {
      imagePath: path.join(dir, 'build/echo.sys'),
      serviceName: 'ECHO',
      line: 'drivers.jsonl:1',
      infPath: path.join(dir, 'echo.inf'),
    },
  ]);
});

test('a manifest line that is wrong is named by its line, with what to write instead', () => {
  const cases: [string, RegExp][] = [
    ['{"image": "a.sys",}', /^m\.jsonl:1 is not a JSON object/],
    ['["a.sys"]', /^m\.jsonl:1 is not a JSON object\.$/],
    ['{"service": "x"}', /^m\.jsonl:1 names no "image"\.$/],
    ['{"image": "a.sys", "tags": ["x"]}', /^m\.jsonl:1 has unknown field tags\.$/],
    ['{"image": "a.sys", "type": "usermode"}', /"type" usermode is not a driver type/],
    ['{"image": "a.sys", "poolTags": "Ab"}', /"poolTags" must be a list of strings/],
    ['{"image": "a.sys", "kind": "wdf"}', /"kind" wdf is not a driver kind/],
  ];
  for (const [line, message] of cases)
    expect(configError(() => parseManifest(line, '/x/m.jsonl')).problem).toMatch(message);
  expect(
    configError(() => parseManifest('{"image": "a.sys"}\n{"image": "b/a.sys"}', '/x/m.jsonl'))
      .problem,
  ).toBe('m.jsonl:2 and m.jsonl:1 both use the service name dc_a.');
  expect(configError(() => parseManifest('# nothing\n', '/x/m.jsonl')).problem).toBe(
    '/x/m.jsonl lists no driver.',
  );
});

test('projects from a manifest: dev, and nightly and certify per driver (certify without retries)', () => {
  const file = manifestFile([
    `{"image": ${JSON.stringify(clean)}, "service": "dc_clean"}`,
    `{"image": ${JSON.stringify(leak)}, "service": "dc_leak"}`,
  ]);
  const projects = drvcycleProjects({ manifest: file });
  expect(projects.map((p) => p.name)).toEqual([
    'dev',
    'nightly-dc_clean',
    'nightly-dc_leak',
    'certify-dc_clean',
    'certify-dc_leak',
  ]);
  const [dev, , nightlyLeak, certifyClean] = projects;
  expect(dev!.use).toEqual({
    profile: 'dev',
    driverUnderTest: { imagePath: clean, serviceName: 'dc_clean', declaredAt: 'drivers.jsonl:1' },
  });
  expect(String(dev!.testMatch)).toContain('cycles|leaks');
  expect(nightlyLeak!.use).toMatchObject({
    profile: 'nightly',
    driverUnderTest: { imagePath: leak },
  });
  expect(certifyClean).toMatchObject({ retries: 0, use: { profile: 'certify' } });
  expect(drvcycleProjects({ manifest: file, profiles: ['certify'] }).map((p) => p.name)).toEqual([
    'certify-dc_clean',
    'certify-dc_leak',
  ]);
});

test('a manifest line whose image is no kernel driver is named by its line, and the fix is in the manifest', () => {
  // Wine's own cng.sys is a user-mode DLL (subsystem 3) with a .sys name.
  const dll = path.join(scratchDir('drvcycle-image-'), 'cng.sys');
  writeFileSync(dll, peImage({ subsystem: 3, dll: true }));
  const file = manifestFile([
    `{"image": ${JSON.stringify(clean)}, "service": "dc_clean"}`,
    `{"image": ${JSON.stringify(dll)}, "service": "hx_cng"}`,
  ]);
  const nightly = drvcycleProjects({ manifest: file }).find((p) => p.name === 'nightly-hx_cng')!;
  const error = configError(() => resolveSettings(nightly.use!, {}));
  expect(error.problem).toBe(
    `drivers.jsonl:2 ("image"): ${dll} cannot be loaded as a kernel driver: it is a user-mode DLL (subsystem 3), not a kernel driver (native subsystem, 1).`,
  );
  expect(error.hint).toBe(
    `Fix the "image" of drivers.jsonl:2 (the .sys of that driver's build), or remove the line. It must be an x64 kernel driver (linked with /SUBSYSTEM:NATIVE).`,
  );
  // The dev project takes DRIVER from the command line over the manifest: the hint says DRIVER.
  const dev = drvcycleProjects({ manifest: file }).find((p) => p.name === 'dev')!;
  const viaEnv = configError(() => resolveSettings(dev.use!, { DRIVER: dll }));
  expect(viaEnv.problem).toMatch(/^DRIVER=.*cng\.sys: /);
  expect(viaEnv.hint).toMatch(/^Point DRIVER /);
});

test("DRVCYCLE_MANIFEST and the config naming two manifests is an error, never the config's drivers tested in silence", () => {
  expect(chooseManifest(undefined, undefined)).toBeUndefined();
  expect(chooseManifest('drivers.jsonl', undefined)).toBe('drivers.jsonl');
  expect(chooseManifest(undefined, '/ci/team.jsonl')).toBe('/ci/team.jsonl');
  expect(chooseManifest('drivers.jsonl', path.resolve('drivers.jsonl'))).toBe('drivers.jsonl');
  const file = manifestFile([`{"image": ${JSON.stringify(clean)}, "service": "dc_clean"}`]);
  const other = manifestFile([`{"image": ${JSON.stringify(leak)}, "service": "dc_leak"}`]);
  const before = process.env.DRVCYCLE_MANIFEST;
  process.env.DRVCYCLE_MANIFEST = other;
  try {
    const conflict = (() => {
      try {
        drvcycleProjects({ manifest: file });
      } catch (error) {
        return error;
      }
    })();
    expect(conflict).toBeInstanceOf(ConfigError);
    expect((conflict as ConfigError).problem).toBe(
      `DRVCYCLE_MANIFEST names ${other}, but the config's drvcycleProjects({ manifest }) names ${file}: which drivers to test is not clear.`,
    );
    expect((conflict as ConfigError).hint).toMatch(/^Unset DRVCYCLE_MANIFEST/);
    expect(drvcycleProjects().map((p) => p.name)).toContain('nightly-dc_leak');
  } finally {
    if (before === undefined) delete process.env.DRVCYCLE_MANIFEST;
    else process.env.DRVCYCLE_MANIFEST = before;
  }
});

test('profiles set their defaults; dev and nightly still take the environment', () => {
  const driverUnderTest = { imagePath: clean };
  const dev = resolveSettings({ profile: 'dev', driverUnderTest }, {});
  expect([dev.cycles, dev.leakCycles, dev.soakSeconds]).toEqual([20, 40, 0]);
  const nightly = resolveSettings({ profile: 'nightly', driverUnderTest }, { CYCLES: '500' });
  expect([nightly.cycles, nightly.leakCycles, nightly.soakSeconds]).toEqual([500, 1000, 1800]);
  // A nightly project's driver is its manifest line's, whatever DRIVER says.
  expect(
    resolveSettings({ profile: 'nightly', driverUnderTest }, { DRIVER: leak }).driver.imagePath,
  ).toBe(clean);
  expect(
    resolveSettings({ profile: 'dev', driverUnderTest }, { DRIVER: leak }).driver.imagePath,
  ).toBe(leak);
  expect(configError(() => resolveSettings({ profile: 'weekly' as 'dev' }, {})).problem).toBe(
    'use.profile "weekly" is not a drvcycle profile.',
  );
});

test('certify: stricter is fine, looser is refused, and no environment variable may change it', () => {
  const driverUnderTest = { imagePath: clean };
  const certify = resolveSettings({ profile: 'certify', driverUnderTest }, {});
  expect([certify.cycles, certify.leakCycles, certify.soakSeconds]).toEqual([1000, 1000, 600]);
  expect(certify.leakThresholds).toEqual({
    perCycle: 64,
    warmupCycles: 5,
    minSamples: 20,
    residualTolerance: 0,
  });
  const stricter = resolveSettings(
    {
      profile: 'certify',
      driverUnderTest,
      cycles: 5000,
      leakThresholds: { perCycle: 16, warmupCycles: 2, minSamples: 50, residualTolerance: 0 },
    },
    {},
  );
  expect([stricter.cycles, stricter.leakThresholds.perCycle]).toEqual([5000, 16]);

  const looser = configError(() =>
    resolveSettings(
      {
        profile: 'certify',
        driverUnderTest,
        cycles: 100,
        leakThresholds: { perCycle: 4096, warmupCycles: 5, minSamples: 20, residualTolerance: 256 },
      },
      {},
    ),
  );
  expect(looser.problem).toBe(
    "A certify project cannot loosen the certification: cycles 100 is below the certification's 1000; leakThresholds.perCycle 4096 is above the certification's 64; leakThresholds.residualTolerance 256 is above the certification's 0.",
  );

  const env = { LEAK_THRESHOLD_BYTES: '100000', CYCLES: '3', DRIVER: leak };
  expect(
    configError(() => resolveSettings({ profile: 'certify', driverUnderTest }, env)).problem,
  ).toBe(
    `A certification is a fixed suite: CYCLES=3, LEAK_THRESHOLD_BYTES=100000, DRIVER=${leak} would change it.`,
  );
  // Global set-up checks every project, selected or not: there the environment is not held
  // against a certify project, and it is not applied either.
  const unselected = resolveSettings({ profile: 'certify', driverUnderTest }, env, {
    selected: false,
  });
  expect([
    unselected.cycles,
    unselected.leakThresholds.perCycle,
    unselected.driver.imagePath,
  ]).toEqual([1000, 64, clean]);
});

test('resume skips what completed: a Playwright test list of every verdict but an interrupted one', () => {
  const entry = (test: string, status: string, file?: string) => ({
    kind: 'pass' as const,
    driver: 'dc_clean',
    scenario: 'cycles',
    summary: 'PASS',
    evidence: {},
    test,
    project: 'nightly-dc_clean',
    status,
    ...(file ? { file } : {}),
  });
  const list = completedTestList({
    generatedAt: '',
    runId: 'r1',
    counts: {} as VerdictSummary['counts'],
    verdicts: [
      entry('cycles › load/unload cycles', 'passed', 'cycles.spec.ts'),
      entry('leaks › memory returns to baseline', 'failed', 'leaks.spec.ts'),
      entry('cycles › soak: cycles for a set duration', 'interrupted', 'cycles.spec.ts'),
      entry('error paths › second start', 'passed'),
    ],
  });
  expect(list.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
    '[nightly-dc_clean] › cycles.spec.ts › cycles › load/unload cycles',
    '[nightly-dc_clean] › leaks.spec.ts › leaks › memory returns to baseline',
  ]);
});
