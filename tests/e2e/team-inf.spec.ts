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
import { pnpHostOptions } from '../../src/machines/machine.ts';
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
  expect(testLeftovers(await target.listOwned())).toEqual([]);
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
    { name: 'DcTeamPnp', pnp: true, inf: TEAM_INF, ...(await pnpHostOptions(machine)) },
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
    { name: 'DcTeamPnp', pnp: true, inf: TEAM_INF, ...(await pnpHostOptions(machine)) },
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
