/**
 * A PnP driver installed from its team's own INF (DRIVER_INF) on the lab: drvcycle's copy of the
 * INF carries its ownership marker, the device comes from the INF's first model line, the cycles
 * run, and uninstall leaves nothing. An INF for a file drvcycle was not given is refused and
 * leaves nothing either.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';
import { testLeftovers } from '../../src/machines/machine.ts';
import { runProcess } from '../../src/core/child-process.ts';
import type { LabMachine } from '../../src/machines/lab.ts';
import { wineEnv } from '../../src/lab/wine-env.ts';
import { driverHostOptions } from '../../src/machines/machine.ts';
import { RemoteTarget } from '../../src/target/remote-target.ts';
import { lab, refTo } from './support.ts';

async function wineReg(machine: LabMachine, args: string[]): Promise<string> {
  const result = await runProcess('wine', ['reg', ...args], {
    env: wineEnv(machine.prefix),
    timeoutMs: 60_000,
    allowFailure: true,
  });
  return result.stdout;
}

const TEAM_INF = readFileSync(path.join(PACKAGE_ROOT, 'drivers/src/pnp_team.inf'), 'utf8');
/** Where the INF's ServiceBinary (%12%\pnp_clean.sys) puts the image, seen from Linux. */
const deployedOnLinux = (prefix: string) =>
  path.join(prefix, 'drive_c/windows/system32/drivers/pnp_clean.sys');

test('a PnP driver from its team’s INF: the INF’s service and device, drvcycle’s marker, cycles, nothing left', async ({
  machine,
  target,
}) => {
  const agent = lab(machine);
  const group = await agent.driverHost(undefined);
  const mark = agent.debugMark();
  const driver = await target.install(
    { file: sampleDriver('pnp_clean') },
    { name: 'DcTeamPnp', pnp: true, inf: TEAM_INF, ...(group ? { group } : {}) },
  );
  try {
    expect(driver.pnp).toEqual({ hardwareId: 'Root\\DcTeamPnp' });
    expect(driver.binaryPath).toBe('C:\\windows\\system32\\drivers\\pnp_clean.sys');
    expect(driver.config.displayName).toBe(
      `DcTeamPnp (drvcycle:run=${process.env.DRVCYCLE_RUN_ID})`,
    );

    const records: CycleRecord[] = [];
    for await (const record of target.runCycles(driver, { count: 3, pnp: true }))
      records.push(record);
    expect(records.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok']);
    // The team INF's service section, as installed: drvcycle's marker replaced its DisplayName,
    // the rest (its AddReg parameters among it) went in as written.
    expect(testLeftovers(await target.listOwned()).map((s) => s.name)).toEqual(['DcTeamPnp']);
    const key = 'HKLM\\System\\CurrentControlSet\\Services\\DcTeamPnp';
    const service = await wineReg(agent, ['query', key]);
    expect(service).toMatch(/DisplayName\s+REG_SZ\s+DcTeamPnp \(drvcycle:run=/);
    expect(service).toMatch(/Group\s+REG_SZ\s+drvcycle-host/);
    expect(await wineReg(agent, ['query', `${key}\\Parameters`, '/v', 'CycleTag'])).toMatch(
      /CycleTag\s+REG_DWORD\s+0x44635470/,
    );
    const debug = agent.debugOutput(mark);
    expect(debug.match(/drvcycle:pnp_clean: START_DEVICE/g)).toHaveLength(3);
  } finally {
    await target.uninstall(driver, { timeoutMs: 10_000 });
  }
  await expect(target.query(refTo('DcTeamPnp'))).rejects.toMatchObject({ win32Code: 1060 });
  expect(existsSync(deployedOnLinux(agent.prefix))).toBe(false);
  // The package the device installs published (Wine: a copy of the INF in C:\windows\inf) went.
  expect(publishedOnLinux(agent.prefix)).toEqual([]);
  expect(testLeftovers(await target.listOwned())).toEqual([]);
});

/** The sample as a signed package has it: CatalogFile, and no DisplayName for drvcycle to replace. */
const SIGNED_INF = TEAM_INF.replace(/^DisplayName .*\r?\n/m, '').replace(
  'PnpLockdown=1',
  'PnpLockdown=1\r\nCatalogFile=pnp_team.cat',
);
/** Where Wine's SetupCopyOEMInf adds an INF's catalog (CryptCATAdminAddCatalog). */
const catrootOnLinux = (prefix: string) =>
  path.join(prefix, 'drive_c/windows/system32/catroot/{f750e6c3-38ee-11d1-85e5-00c04fc295ee}');
/** The INF copies SetupAPI published for DcTeamPnp in C:\windows\inf (and their .pnf). */
const publishedOnLinux = (prefix: string) =>
  readdirSync(path.join(prefix, 'drive_c/windows/inf')).filter((f) =>
    /^(DcTeamPnp|oem\d+)\./i.test(f),
  );

test('a package with its catalog: the INF installed as written, the catalog beside it, the marker from creation', async ({
  machine,
  target,
}) => {
  const agent = lab(machine);
  const group = await agent.driverHost(undefined);
  // A catalog's bytes (Wine's SetupAPI copies it without checking a signature).
  const catalog = Buffer.from('0\x82 drvcycle e2e stand-in for pnp_team.cat', 'latin1');
  const written = Buffer.from(SIGNED_INF, 'latin1');
  const driver = await target.install(
    { file: sampleDriver('pnp_clean') },
    { name: 'DcTeamPnp', pnp: true, inf: written, catalog, ...(group ? { group } : {}) },
  );
  try {
    const records: CycleRecord[] = [];
    for await (const record of target.runCycles(driver, { count: 2, pnp: true }))
      records.push(record);
    expect(records.map((r) => r.outcome)).toEqual(['ok', 'ok']);
    // The INF went as written (AddService left the service's marker and group alone) ...
    const key = 'HKLM\\System\\CurrentControlSet\\Services\\DcTeamPnp';
    const service = await wineReg(agent, ['query', key]);
    expect(service).toMatch(/DisplayName\s+REG_SZ\s+DcTeamPnp \(drvcycle:run=/);
    expect(service).toMatch(/Description\s+REG_SZ\s+Driver under test, created by drvcycle/);
    expect(service).toMatch(/Group\s+REG_SZ\s+drvcycle-host/);
    const published = publishedOnLinux(agent.prefix).filter((f) => /\.inf$/i.test(f));
    expect(published).toHaveLength(1);
    expect(
      readFileSync(path.join(agent.prefix, 'drive_c/windows/inf', published[0]!)).equals(written),
    ).toBe(true);
    // ... and its catalog was beside it: SetupCopyOEMInf found and added it under its name.
    expect(
      readFileSync(path.join(catrootOnLinux(agent.prefix), 'pnp_team.cat')).equals(catalog),
    ).toBe(true);
  } finally {
    await target.uninstall(driver, { timeoutMs: 10_000 });
  }
  await expect(target.query(refTo('DcTeamPnp'))).rejects.toMatchObject({ win32Code: 1060 });
  expect(existsSync(deployedOnLinux(agent.prefix))).toBe(false);
  expect(publishedOnLinux(agent.prefix)).toEqual([]);
  expect(existsSync(path.join(catrootOnLinux(agent.prefix), 'pnp_team.cat'))).toBe(false);
  const staging = path.join(agent.prefix, 'drive_c/drvcycle/images');
  const files = existsSync(staging)
    ? readdirSync(staging, { recursive: true, encoding: 'utf8' }).map((f) => path.basename(f))
    : [];
  expect(files.filter((f) => /^(pnp_clean\.sys|DcTeamPnp\.inf|pnp_team\.cat)$/i.test(f))).toEqual(
    [],
  );
  // Without its catalog the package is refused before anything is installed.
  await expect(
    target.install(
      { file: sampleDriver('pnp_clean') },
      { name: 'DcTeamPnp', pnp: true, inf: written },
    ),
  ).rejects.toMatchObject({
    code: 'DRVCYCLE_PNP',
    problem:
      'The INF cannot be installed: its [Version] names the catalog pnp_team.cat, and none came with it.',
  });
  await expect(target.query(refTo('DcTeamPnp'))).rejects.toMatchObject({ win32Code: 1060 });
});

test('an INF that runs its image from the driver store (DIRID 13) is refused on the lab, which has none', async ({
  machine,
  target,
}) => {
  const agent = lab(machine);
  const store = TEAM_INF.replace('DefaultDestDir = 12', 'DefaultDestDir = 13').replace(
    '%12%\\pnp_clean.sys',
    '%13%\\pnp_clean.sys',
  );
  await expect(
    target.install(
      { file: sampleDriver('pnp_clean') },
      { name: 'DcTeamPnp', pnp: true, inf: store },
    ),
  ).rejects.toMatchObject({
    code: 'DRVCYCLE_PNP',
    problem: expect.stringMatching(
      /^The INF cannot be installed: it runs its image from the driver store \(DIRID 13\), which Wine 8 does not have: its SetupAPI puts a DIRID 13 file in C:\\windows\\system32\\unknown/,
    ),
  });
  await expect(target.query(refTo('DcTeamPnp'))).rejects.toMatchObject({ win32Code: 1060 });
  expect(
    existsSync(path.join(agent.prefix, 'drive_c/windows/system32/unknown/pnp_clean.sys')),
  ).toBe(false);
});

test('an INF for a file drvcycle was not given is refused, with nothing installed or left staged', async ({
  machine,
  target,
}) => {
  const agent = lab(machine);
  const other = TEAM_INF.replaceAll('pnp_clean.sys', 'team_missing.sys');
  await expect(
    target.install(
      { file: sampleDriver('pnp_clean') },
      { name: 'DcTeamPnp', pnp: true, inf: other },
    ),
  ).rejects.toMatchObject({
    code: 'DRVCYCLE_PNP',
    problem:
      'The INF cannot be installed: its install section copies team_missing.sys, not the driver image pnp_clean.sys: the INF is for a file drvcycle was not given.',
  });
  await expect(target.query(refTo('DcTeamPnp'))).rejects.toMatchObject({ win32Code: 1060 });
  expect(existsSync(deployedOnLinux(agent.prefix))).toBe(false);
  // Neither the uploaded image nor the uploaded INF stays in the staging folder.
  const staging = path.join(agent.prefix, 'drive_c/drvcycle/images');
  const files = existsSync(staging)
    ? readdirSync(staging, { recursive: true, encoding: 'utf8' }).map((f) => path.basename(f))
    : [];
  expect(files.filter((f) => /^(pnp_clean\.sys|DcTeamPnp\.inf)$/i.test(f))).toEqual([]);
});

test('a hostile team INF touches nothing outside the driver: system files, foreign services, other folders', async ({
  machine,
  target,
}) => {
  const agent = lab(machine);
  const drivers = path.join(agent.prefix, 'drive_c/windows/system32/drivers');
  const fltmgr = readFileSync(path.join(drivers, 'fltmgr.sys'));
  const beepKey = 'HKLM\\System\\CurrentControlSet\\Services\\Beep';
  const beepBefore = await wineReg(agent, ['query', beepKey]);
  const image = path.join(test.info().outputDir, 'fltmgr.sys');
  mkdirSync(path.dirname(image), { recursive: true });
  copyFileSync(sampleDriver('pnp_clean'), image);
  const attempts: [string, string, RegExp][] = [
    // The image named after a system driver, into the drivers folder: the file exists.
    [
      'an image over a system driver',
      TEAM_INF.replaceAll('pnp_clean.sys', 'fltmgr.sys'),
      /fltmgr\.sys already exists: installing the PnP driver "DcTeamPnp" would overwrite it/,
    ],
    [
      'a destination outside the drivers folder',
      TEAM_INF.replaceAll('pnp_clean.sys', 'fltmgr.sys').replace(
        'DefaultDestDir = 12',
        'DefaultDestDir = -1,C:\\somewhere',
      ),
      /\[DestinationDirs\] "DefaultDestDir = -1,C:\\somewhere" is refused/,
    ],
    [
      'a foreign service rewritten by AddReg',
      TEAM_INF.replaceAll('pnp_clean.sys', 'fltmgr.sys').replace(
        '[DcTeamPnp_Parameters]',
        '[DcTeamPnp_Parameters]\nHKLM,System\\CurrentControlSet\\Services\\Beep,Start,0x00010001,2',
      ),
      /\[DcTeamPnp_Parameters\] "HKLM,System\\CurrentControlSet\\Services\\Beep,Start,0x00010001,2" is refused: it writes HKLM\\System\\CurrentControlSet\\Services\\Beep/,
    ],
  ];
  for (const [what, inf, problem] of attempts) {
    await test.step(what, async () => {
      const error = await target
        .install({ file: image }, { name: 'DcTeamPnp', pnp: true, inf })
        .then(
          () => undefined,
          (e: unknown) => e as { problem?: string },
        );
      expect(error?.problem).toMatch(problem);
      await expect(target.query(refTo('DcTeamPnp'))).rejects.toMatchObject({ win32Code: 1060 });
    });
  }
  expect(readFileSync(path.join(drivers, 'fltmgr.sys')).equals(fltmgr)).toBe(true);
  expect(existsSync(path.join(agent.prefix, 'drive_c/somewhere'))).toBe(false);
  expect(await wineReg(agent, ['query', beepKey])).toBe(beepBefore);
  expect(testLeftovers(await target.listOwned())).toEqual([]);
});

test('a PnP driver an earlier run left behind is swept with its device, image and staged INF', async ({
  machine,
  target,
}) => {
  const agent = lab(machine);
  // The earlier run (killed before its teardown): the same agent, another run's marker.
  const earlier = new RemoteTarget({
    endpoint: () => ({
      url: agent.url,
      token: readFileSync(path.join(agent.dir, 'agent.token'), 'utf8').trim(),
      ...(agent.fingerprint ? { fingerprint: agent.fingerprint } : {}),
    }),
    runId: 'earlier-killed-run',
  });
  const left = await earlier.install(
    { file: sampleDriver('pnp_clean') },
    { name: 'DcTeamPnp', pnp: true, inf: TEAM_INF, ...(await driverHostOptions(machine)) },
  );
  // It cycled, then its runner was killed: the agent ended the batch after the cycle under way,
  // and the service, its deployed image and its staged INF stayed.
  for await (const record of earlier.runCycles(left, { count: 1, pnp: true }))
    expect(record.outcome).toBe('ok');

  expect(await target.cleanupStale()).toEqual({ removed: ['DcTeamPnp'], failed: [] });
  await expect(target.query(refTo('DcTeamPnp'))).rejects.toMatchObject({ win32Code: 1060 });
  expect(existsSync(deployedOnLinux(agent.prefix))).toBe(false);
  const device = await wineReg(agent, [
    'query',
    'HKLM\\System\\CurrentControlSet\\Enum\\ROOT\\DCTEAMPNP',
  ]);
  expect(device).toMatch(/Unable to find the specified registry key/);
  const staging = path.join(agent.prefix, 'drive_c/drvcycle/images');
  const files = existsSync(staging)
    ? readdirSync(staging, { recursive: true, encoding: 'utf8' }).map((f) => path.basename(f))
    : [];
  expect(files.filter((f) => /^(pnp_clean\.sys|DcTeamPnp\.inf)$/i.test(f))).toEqual([]);
  // The next run installs the same driver again (a deployed image left behind would refuse it).
  const again = await target.install(
    { file: sampleDriver('pnp_clean') },
    { name: 'DcTeamPnp', pnp: true, inf: TEAM_INF, ...(await driverHostOptions(machine)) },
  );
  try {
    const records = [];
    for await (const record of target.runCycles(again, { count: 2, pnp: true }))
      records.push(record);
    expect(records.map((r) => r.outcome)).toEqual(['ok', 'ok']);
  } finally {
    await target.uninstall(again, { timeoutMs: 10_000 });
  }
});
