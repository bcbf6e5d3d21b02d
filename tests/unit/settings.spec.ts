/**
 * Settings are resolved once: the defaults, then `use` in playwright.config.ts, then the
 * environment (env wins). Every bad value is a ConfigError naming the option and what it accepts.
 */
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { peImage } from './pe-fixtures.ts';
import { machineSettingsFromEnv } from '../../src/config/machine-settings.ts';
import {
  BASELINE_DRIVER_ENV,
  COMPARE_CYCLES_ENV,
  DRIVER_ENV,
  LEAK_THRESHOLD_ENV,
  NUMBER_OPTIONS,
  resolveSettings,
  serviceNameFor,
  teamInf,
  type DrvcycleOptions,
} from '../../src/config/settings.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { decodeInf } from '../../src/core/team-inf.ts';
import { DEFAULT_BYTE_THRESHOLDS } from '../../src/core/leak-decision.ts';
import { DEFAULT_COMPARE_SETTINGS } from '../../src/core/build-compare.ts';
import { packagePaths, sampleDriver } from '../../src/core/paths.ts';
import { scratchDir } from './scratch.ts';

/** A scratch folder with two real driver images and a folder that only looks like one. */
function scratch() {
  const dir = scratchDir('drvcycle-settings-');
  const image = (name: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, peImage());
    return file;
  };
  const folder = path.join(dir, 'folder.sys');
  mkdirSync(folder);
  return {
    mine: image('my_driver.sys'),
    other: image('Other Driver.sys'),
    folder,
    missing: path.join(dir, 'missing.sys'),
  };
}

/** The ConfigError `resolve` throws (failing the test when it throws nothing or something else). */
function configError(resolve: () => unknown): ConfigError {
  try {
    resolve();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('DRVCYCLE_CONFIG');
    return error as ConfigError;
  }
  throw new Error('Expected a ConfigError, but the settings resolved.');
}

test('service names derived from image file names are valid and recognisable', () => {
  expect(serviceNameFor('/x/clean.sys')).toBe('dc_clean');
  expect(serviceNameFor('/x/My Drïver (v2).sys')).toBe('dc_My_Dr_ver_v2');
  expect(serviceNameFor('/x/___.sys')).toBe('dc_driver');
});

test('with nothing set, every option takes its default and the driver is the clean sample', () => {
  expect(resolveSettings({}, {}, { samplesNotBuiltYet: true })).toEqual({
    driver: {
      imagePath: sampleDriver('clean'),
      serviceName: 'dc_clean',
      type: 'kernel',
      group: undefined,
      poolTags: [],
      kind: 'legacy',
    },
    cycles: 50,
    leakCycles: 200,
    soakSeconds: 0,
    sampleEvery: 10,
    startTimeoutMs: 30_000,
    stopTimeoutMs: 30_000,
    errorPathStopTimeoutMs: 5_000,
    leakThresholds: DEFAULT_BYTE_THRESHOLDS,
    baseline: undefined,
    compare: DEFAULT_COMPARE_SETTINGS,
  });
  expect(sampleDriver('clean')).toMatch(/drivers[\\/]build[\\/]clean\.sys$/);
});

test('values set in use beat the defaults', () => {
  const { mine, other } = scratch();
  const thresholds = { perCycle: 128, warmupCycles: 2, minSamples: 10, residualTolerance: 16 };
  const use: DrvcycleOptions = {
    driverUnderTest: {
      imagePath: mine,
      serviceName: 'dc_mine',
      type: 'filesystem',
      group: 'FSFilter Activity Monitor',
      poolTags: ['DcLs', 'Dc1'],
    },
    cycles: 7,
    leakCycles: 70,
    soakSeconds: 60,
    sampleEvery: 0,
    startTimeoutMs: 1_000,
    stopTimeoutMs: 2_000,
    errorPathStopTimeoutMs: 3_000,
    leakThresholds: thresholds,
    baselineDriver: { imagePath: other },
    compare: { cycles: 40, blockSize: 10, thresholds: { latencyP50: 0.1 } },
  };
  expect(resolveSettings(use, {})).toEqual({
    driver: {
      imagePath: mine,
      serviceName: 'dc_mine',
      type: 'filesystem',
      group: 'FSFilter Activity Monitor',
      poolTags: ['DcLs', 'Dc1'],
      kind: 'legacy',
    },
    cycles: 7,
    leakCycles: 70,
    soakSeconds: 60,
    sampleEvery: 0,
    startTimeoutMs: 1_000,
    stopTimeoutMs: 2_000,
    errorPathStopTimeoutMs: 3_000,
    leakThresholds: thresholds,
    baseline: { imagePath: other, serviceName: 'dc_base_Other_Driver' },
    compare: {
      ...DEFAULT_COMPARE_SETTINGS,
      cycles: 40,
      blockSize: 10,
      thresholds: { ...DEFAULT_COMPARE_SETTINGS.thresholds, latencyP50: 0.1 },
    },
  });
  // Without a service name, it is derived from the image's file name.
  expect(resolveSettings({ driverUnderTest: { imagePath: mine } }, {}).driver.serviceName).toBe(
    'dc_my_driver',
  );
});

test('the environment beats use for every numeric option; an empty variable is unset', () => {
  const { mine } = scratch();
  for (const option of NUMBER_OPTIONS) {
    const use = { driverUnderTest: { imagePath: mine }, [option.key]: option.min + 1 };
    const env = { [option.env]: String(option.min + 2) };
    expect(resolveSettings(use, env)[option.key], option.env).toBe(option.min + 2);
    expect(resolveSettings(use, { [option.env]: '' })[option.key], option.env).toBe(option.min + 1);
    expect(resolveSettings({ driverUnderTest: { imagePath: mine } }, env)[option.key]).toBe(
      option.min + 2,
    );
  }
  expect(NUMBER_OPTIONS.map((o) => o.env).sort()).toEqual([
    'CYCLES',
    'ERROR_PATH_STOP_TIMEOUT_MS',
    'LEAK_CYCLES',
    'SAMPLE_EVERY',
    'SOAK_SECONDS',
    'START_TIMEOUT_MS',
    'STOP_TIMEOUT_MS',
  ]);
});

const fullDriver = (imagePath: string) => ({
  driverUnderTest: {
    imagePath,
    serviceName: 'dc_from_use',
    type: 'filesystem' as const,
    group: 'use group',
    poolTags: ['UseT'],
  },
});

test('DRIVER replaces the whole driverUnderTest of use', () => {
  const { mine, other } = scratch();
  expect(resolveSettings(fullDriver(mine), { [DRIVER_ENV.imagePath]: other }).driver).toEqual({
    imagePath: other,
    serviceName: 'dc_Other_Driver',
    type: 'kernel',
    group: undefined,
    poolTags: [],
    kind: 'legacy',
  });
});

test('DRIVER_SERVICE, DRIVER_TYPE, DRIVER_GROUP and DRIVER_POOL_TAGS beat use', () => {
  const { mine } = scratch();
  const env = {
    [DRIVER_ENV.serviceName]: 'dc_from_env',
    [DRIVER_ENV.type]: 'kernel',
    [DRIVER_ENV.group]: 'env group',
    [DRIVER_ENV.poolTags]: 'DcLs, DcXx,Ab',
  };
  expect(resolveSettings(fullDriver(mine), env).driver).toEqual({
    imagePath: mine,
    serviceName: 'dc_from_env',
    type: 'kernel',
    group: 'env group',
    poolTags: ['DcLs', 'DcXx', 'Ab'],
    kind: 'legacy',
  });
  // Each one alone overrides only its own field.
  const alone = resolveSettings(fullDriver(mine), { [DRIVER_ENV.group]: 'env group' }).driver;
  expect(alone).toEqual({
    ...fullDriver(mine).driverUnderTest,
    group: 'env group',
    kind: 'legacy',
  });
  // DRIVER and its companions together.
  const { other } = scratch();
  expect(
    resolveSettings(fullDriver(mine), { ...env, [DRIVER_ENV.imagePath]: other }).driver,
  ).toEqual({
    imagePath: other,
    serviceName: 'dc_from_env',
    type: 'kernel',
    group: 'env group',
    poolTags: ['DcLs', 'DcXx', 'Ab'],
    kind: 'legacy',
  });
});

test('DRIVER_KIND=pnp: a PnP driver, with no load-order group', () => {
  const { mine } = scratch();
  expect(
    resolveSettings({ driverUnderTest: { imagePath: mine } }, { DRIVER_KIND: 'pnp' }).driver.kind,
  ).toBe('pnp');
  expect(
    resolveSettings({ driverUnderTest: { imagePath: mine, kind: 'pnp' } }, {}).driver.kind,
  ).toBe('pnp');
  expect(
    configError(() =>
      resolveSettings({ driverUnderTest: { imagePath: mine } }, { DRIVER_KIND: 'wdf' }),
    ).problem,
  ).toBe('The driver kind "wdf" (DRIVER_KIND, driverUnderTest.kind) is not a driver kind.');
  expect(
    configError(() =>
      resolveSettings({ driverUnderTest: { imagePath: mine, kind: 'pnp', group: 'x' } }, {}),
    ).problem,
  ).toBe('A PnP driver takes no load-order group (DRIVER_GROUP=x).');
});

/** A driver team's INF for my_driver.sys, beside it (UTF-16LE with a BOM, as Unicode INFs are). */
function teamInfFor(dir: string, image: string, service = 'MyDriver') {
  const file = path.join(dir, `${service}.inf`);
  const text = [
    '[Version]',
    'Signature="$WINDOWS NT$"',
    'Class=System',
    'ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}',
    '[DestinationDirs]',
    'DefaultDestDir=12',
    '[Manufacturer]',
    '%Mfg%=Models,NTamd64',
    '[Models.NTamd64]',
    `%Desc%=Install, Root\\${service}`,
    '[Install.NT]',
    `CopyFiles=@${image}`,
    '[Install.NT.Services]',
    `AddService=${service},0x00000002,Service_Inst`,
    '[Service_Inst]',
    'ServiceType=1',
    'StartType=3',
    'ErrorControl=1',
    `ServiceBinary=%12%\\${image}`,
    '[Strings]',
    'Mfg="Team"',
    'Desc="Team device"',
  ].join('\r\n');
  writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  return file;
}

test('DRIVER_INF: the INF makes a PnP driver, names its service, and is checked before a machine boots', () => {
  const { mine, other, missing } = scratch();
  const dir = path.dirname(mine);
  const inf = teamInfFor(dir, 'my_driver.sys');
  const driver = resolveSettings(
    { driverUnderTest: { imagePath: mine } },
    { DRIVER_INF: inf },
  ).driver;
  expect(driver).toMatchObject({ kind: 'pnp', serviceName: 'MyDriver', infPath: inf });
  // The INF goes as the team wrote it (UTF-16LE here, its byte-order mark kept): no catalog.
  expect(Buffer.from(teamInf({ driver }).inf!).equals(readFileSync(inf))).toBe(true);
  expect(teamInf({ driver }).catalog).toBeUndefined();
  // From playwright.config.ts too.
  expect(
    resolveSettings({ driverUnderTest: { imagePath: mine, infPath: inf } }, {}).driver.serviceName,
  ).toBe('MyDriver');

  expect(
    configError(() =>
      resolveSettings({ driverUnderTest: { imagePath: other } }, { DRIVER_INF: inf }),
    ).problem,
  ).toBe(
    `DRIVER_INF=${inf}: ${inf} cannot be installed: its install section copies my_driver.sys, not the driver image Other Driver.sys: the INF is for a file drvcycle was not given.`,
  );
  expect(
    configError(() =>
      resolveSettings({ driverUnderTest: { imagePath: mine } }, { DRIVER_INF: missing }),
    ).problem,
  ).toBe(`DRIVER_INF=${missing}: ${missing} does not exist.`);
  expect(
    configError(() =>
      resolveSettings({ driverUnderTest: { imagePath: mine } }, { DRIVER_INF: dir }),
    ).problem,
  ).toBe(`DRIVER_INF=${dir}: ${dir} is not a file.`);
  expect(
    configError(() =>
      resolveSettings(
        { driverUnderTest: { imagePath: mine } },
        { DRIVER_INF: inf, DRIVER_SERVICE: 'dc_other' },
      ),
    ).problem,
  ).toBe(
    `The service name dc_other (DRIVER_SERVICE, driverUnderTest.serviceName) is not the one ${inf} installs (MyDriver).`,
  );
  expect(
    configError(() =>
      resolveSettings(
        { driverUnderTest: { imagePath: mine } },
        { DRIVER_INF: inf, DRIVER_KIND: 'legacy' },
      ),
    ).problem,
  ).toBe(`DRIVER_KIND=legacy with an INF (${inf}): an INF installs a PnP driver.`);
});

test('DRIVER_INF with a CatalogFile: the catalog beside the INF goes with it, a missing one is refused before boot', () => {
  const { mine } = scratch();
  const dir = path.dirname(mine);
  const inf = teamInfFor(dir, 'my_driver.sys');
  const signed = path.join(dir, 'Signed.inf');
  const text = decodeInf(readFileSync(inf)).replace(
    'Signature="$WINDOWS NT$"',
    'Signature="$WINDOWS NT$"\r\nCatalogFile=MyDriver.cat',
  );
  writeFileSync(signed, text);
  const refusal = configError(() =>
    resolveSettings({ driverUnderTest: { imagePath: mine } }, { DRIVER_INF: signed }),
  );
  expect(refusal.problem).toBe(
    `DRIVER_INF=${signed}: ${signed} names the catalog MyDriver.cat ([Version] CatalogFile), which is not beside it in ${dir}.`,
  );
  expect(refusal.hint).toMatch(/^Put MyDriver\.cat next to the INF/);
  // Found without case, as Windows finds it; carried with the INF.
  const catalog = path.join(dir, 'mydriver.CAT');
  writeFileSync(catalog, Buffer.from([0x30, 0x82, 0x01, 0x00]));
  const driver = resolveSettings(
    { driverUnderTest: { imagePath: mine } },
    { DRIVER_INF: signed },
  ).driver;
  expect(driver.catalogPath).toBe(catalog);
  expect(Buffer.from(teamInf({ driver }).catalog!)).toEqual(Buffer.from([0x30, 0x82, 0x01, 0x00]));
  // Bounded like the INF: a catalog is kilobytes.
  writeFileSync(catalog, Buffer.alloc(4 * 1024 * 1024 + 1));
  expect(
    configError(() =>
      resolveSettings({ driverUnderTest: { imagePath: mine } }, { DRIVER_INF: signed }),
    ).problem,
  ).toBe(
    `DRIVER_INF=${signed}: its catalog ${catalog} is 4194305 bytes long, over the 4194304 bytes drvcycle carries with an INF.`,
  );
});

test('LEAK_THRESHOLD_BYTES overrides the bytes per cycle, and only that', () => {
  const { mine } = scratch();
  const leakThresholds = { perCycle: 10, warmupCycles: 3, minSamples: 5, residualTolerance: 1 };
  expect(
    resolveSettings(
      { driverUnderTest: { imagePath: mine }, leakThresholds },
      { [LEAK_THRESHOLD_ENV]: '4096' },
    ).leakThresholds,
  ).toEqual({ ...leakThresholds, perCycle: 4096 });
  expect(
    resolveSettings({ driverUnderTest: { imagePath: mine } }, { LEAK_THRESHOLD_BYTES: '1' })
      .leakThresholds,
  ).toEqual({ ...DEFAULT_BYTE_THRESHOLDS, perCycle: 1 });
  const bad = configError(() =>
    resolveSettings({ driverUnderTest: { imagePath: mine } }, { LEAK_THRESHOLD_BYTES: 'lots' }),
  );
  expect(bad.problem).toMatch(/^leakThresholds: .*perCycle/);
  expect(bad.hint).toContain('Set LEAK_THRESHOLD_BYTES to the bytes per cycle');
});

test('numbers that are not whole numbers in range are refused, naming the option', () => {
  const { mine } = scratch();
  const resolve = (use: DrvcycleOptions, env: NodeJS.ProcessEnv) =>
    configError(() => resolveSettings({ driverUnderTest: { imagePath: mine }, ...use }, env));

  const many = resolve({}, { CYCLES: 'many' });
  expect(many.problem).toBe(
    'CYCLES=many is not allowed: cycles must be a whole number from 1 to 10000000.',
  );
  expect(many.hint).toBe(
    'Set CYCLES (or `use: { cycles }` in playwright.config.ts) to a number such as 50, or leave it unset for the default (50).',
  );
  expect(many.message).toBe(`${many.problem}\n${many.hint}`);

  const zero = resolve({}, { CYCLES: '0' });
  expect(zero.problem).toBe(
    'CYCLES=0 is not allowed: cycles must be a whole number from 1 to 10000000.',
  );
  expect(zero.hint).toContain('Set CYCLES');

  const negative = resolve({}, { SOAK_SECONDS: '-5' });
  expect(negative.problem).toBe(
    'SOAK_SECONDS=-5 is not allowed: soakSeconds must be a whole number from 0 to 604800.',
  );
  expect(negative.hint).toContain('Set SOAK_SECONDS (or `use: { soakSeconds }`');

  const fraction = resolve({ cycles: 1.5 }, {});
  expect(fraction.problem).toBe(
    'use.cycles (1.5) is not allowed: cycles must be a whole number from 1 to 10000000.',
  );
  expect(fraction.hint).toContain('`use: { cycles }` in playwright.config.ts');

  // A bad use value does not matter when the environment overrides it.
  expect(
    resolveSettings({ driverUnderTest: { imagePath: mine }, cycles: 1.5 }, { CYCLES: '3' }).cycles,
  ).toBe(3);
});

test('driver settings that Windows would refuse are refused, naming the variable', () => {
  const { mine } = scratch();
  const resolve = (env: NodeJS.ProcessEnv, driver: Partial<{ serviceName: string }> = {}) =>
    configError(() => resolveSettings({ driverUnderTest: { imagePath: mine, ...driver } }, env));

  const usb = resolve({ DRIVER_TYPE: 'usb' });
  expect(usb.problem).toBe(
    'The driver type "usb" (DRIVER_TYPE, driverUnderTest.type) is not a driver type.',
  );
  expect(usb.hint).toBe('Use kernel (the default) or filesystem.');

  for (const [env, driver, name] of [
    [{ DRIVER_SERVICE: '..' }, {}, '..'],
    [{}, { serviceName: 'my driver' }, 'my driver'],
  ] as const) {
    const error = resolve(env, driver);
    expect(error.problem).toBe(
      `The service name "${name}" (DRIVER_SERVICE, driverUnderTest.serviceName) is not allowed.`,
    );
    expect(error.hint).toBe('Use 1-64 letters, digits, "_" or "-".');
  }

  const tag = resolve({ DRIVER_POOL_TAGS: 'DcLs,Toolong' });
  expect(tag.problem).toBe(
    'The pool tag "Toolong" (DRIVER_POOL_TAGS, driverUnderTest.poolTags) is not a pool tag.',
  );
  expect(tag.hint).toMatch(/^A pool tag has 1-4 printable ASCII characters/);
});

test('a DRIVER that does not exist, or is a folder, is refused', () => {
  const { missing, folder, mine } = scratch();
  const gone = configError(() => resolveSettings({}, { DRIVER: missing }));
  expect(gone.problem).toBe(`DRIVER=${missing}: ${missing} does not exist.`);
  expect(gone.hint).toContain(
    "Point DRIVER (or driverUnderTest.imagePath in playwright.config.ts) at your driver's .sys file",
  );

  const notFile = configError(() => resolveSettings({}, { DRIVER: folder }));
  expect(notFile.problem).toBe(`DRIVER=${folder}: ${folder} is not a file.`);

  const fromUse = configError(() =>
    resolveSettings({ driverUnderTest: { imagePath: missing } }, {}),
  );
  expect(fromUse.problem).toBe(`driverUnderTest.imagePath: ${missing} does not exist.`);

  // DRIVER wins even when use names a good image.
  expect(() =>
    resolveSettings({ driverUnderTest: { imagePath: mine } }, { DRIVER: missing }),
  ).toThrow(ConfigError);
});

test('a sample driver the lab has not built yet is let through; a missing user image is not', () => {
  const { missing } = scratch();
  const unbuilt = path.join(packagePaths.driverBuild(), 'not_built_yet.sys');
  expect(unbuilt).toBe(sampleDriver('not_built_yet'));
  const use = { driverUnderTest: { imagePath: unbuilt } };
  expect(resolveSettings(use, {}, { samplesNotBuiltYet: true }).driver).toMatchObject({
    imagePath: unbuilt,
    serviceName: 'dc_not_built_yet',
  });
  expect(
    resolveSettings({}, { DRIVER: unbuilt }, { samplesNotBuiltYet: true }).driver.imagePath,
  ).toBe(unbuilt);
  expect(configError(() => resolveSettings(use, {})).problem).toBe(
    `driverUnderTest.imagePath: ${unbuilt} does not exist.`,
  );
  expect(
    configError(() => resolveSettings({}, { DRIVER: missing }, { samplesNotBuiltYet: true }))
      .problem,
  ).toBe(`DRIVER=${missing}: ${missing} does not exist.`);
});

/** A token file and two agent URLs, as DRVCYCLE_AGENTS and DRVCYCLE_AGENT_TOKEN_FILE. */
function agentsEnv(urls = 'http://10.0.0.1:8765, http://10.0.0.2:8765') {
  const tokenFile = path.join(scratchDir('drvcycle-token-'), 'token');
  writeFileSync(tokenFile, `${'t'.repeat(40)}\n`);
  return { DRVCYCLE_AGENTS: urls, DRVCYCLE_AGENT_TOKEN_FILE: tokenFile };
}

test('machines: the lab by default, existing agents when asked', () => {
  expect(machineSettingsFromEnv({})).toEqual({
    provider: 'lab',
    hostMode: 'shared',
    machinesPerWorker: 2,
  });
  expect(machineSettingsFromEnv({ DRVCYCLE_MACHINE: '' })).toEqual({
    provider: 'lab',
    hostMode: 'shared',
    machinesPerWorker: 2,
  });
  expect(machineSettingsFromEnv({ DRVCYCLE_LAB_HOST: 'own' })).toEqual({
    provider: 'lab',
    hostMode: 'own',
    machinesPerWorker: 2,
  });
  expect(configError(() => machineSettingsFromEnv({ DRVCYCLE_LAB_HOST: 'one' })).problem).toBe(
    'Unknown DRVCYCLE_LAB_HOST "one".',
  );
  expect(machineSettingsFromEnv({ ...agentsEnv(), DRVCYCLE_MACHINE: 'existing' })).toEqual({
    provider: 'existing',
    agents: { urls: ['http://10.0.0.1:8765', 'http://10.0.0.2:8765'], token: 't'.repeat(40) },
    machinesPerWorker: 1,
  });
});

test('machines: an unknown provider is refused with the ones there are', () => {
  const error = configError(() => machineSettingsFromEnv({ DRVCYCLE_MACHINE: 'vmware' }));
  expect(error.problem).toBe('Unknown DRVCYCLE_MACHINE "vmware".');
  expect(error.hint).toBe('Use one of: lab, existing, hyperv, libvirt.');
});

test('machines: existing without agents is refused, saying what to set', () => {
  const error = configError(() => machineSettingsFromEnv({ DRVCYCLE_MACHINE: 'existing' }));
  expect(error.problem).toBe(
    'DRVCYCLE_MACHINE=existing needs DRVCYCLE_AGENTS (or DRVCYCLE_AGENTS_FILE).',
  );
  expect(error.hint).toContain('Set DRVCYCLE_AGENTS to the agent URL(s)');
  const { DRVCYCLE_AGENTS } = agentsEnv();
  expect(
    configError(() => machineSettingsFromEnv({ DRVCYCLE_MACHINE: 'existing', DRVCYCLE_AGENTS }))
      .problem,
  ).toBe('DRVCYCLE_MACHINE=existing needs DRVCYCLE_AGENT_TOKEN_FILE.');
});

test('machines: as many VMs as agents, or the settings are refused', () => {
  const env = {
    ...agentsEnv(),
    DRVCYCLE_MACHINE: 'hyperv',
    DRVCYCLE_VMS: 'vm1,vm2,vm3',
    DRVCYCLE_SNAPSHOT: 'clean',
  };
  const error = configError(() => machineSettingsFromEnv(env));
  expect(error.problem).toBe('DRVCYCLE_VMS has 3 names but DRVCYCLE_AGENTS 2 URLs.');
  expect(error.hint).toBe('Give one agent URL per VM, in the same order.');
  expect(machineSettingsFromEnv({ ...env, DRVCYCLE_VMS: 'vm1, vm2' })).toMatchObject({
    provider: 'hyperv',
    vms: ['vm1', 'vm2'],
    snapshot: 'clean',
    powershell: 'powershell.exe',
  });
});

test('a PnP driver named like a device Windows reserves (nul, con) is refused before a machine boots', () => {
  const { mine } = scratch();
  for (const name of ['nul', 'CON', 'com1'])
    expect(
      configError(() =>
        resolveSettings(
          { driverUnderTest: { imagePath: mine, serviceName: name, kind: 'pnp' } },
          {},
        ),
      ).problem,
    ).toBe(
      `The service name "${name}" cannot name a PnP driver: its image would be ${name}.sys, a name Windows reserves for a device.`,
    );
  // A legacy driver's image keeps its own file name: the service name names no file.
  expect(
    resolveSettings({ driverUnderTest: { imagePath: mine, serviceName: 'nul' } }, {}).driver
      .serviceName,
  ).toBe('nul');
});

test('a 200 MB DRIVER_INF is refused by its size, before it is read', () => {
  const { mine } = scratch();
  const huge = path.join(path.dirname(mine), 'huge.inf');
  writeFileSync(huge, '');
  truncateSync(huge, 200 * 1024 * 1024);
  expect(
    configError(() =>
      resolveSettings({ driverUnderTest: { imagePath: mine } }, { DRIVER_INF: huge }),
    ).problem,
  ).toBe(
    `DRIVER_INF=${huge}: ${huge} is 209715200 bytes long, over the 1048576 bytes drvcycle reads from an INF.`,
  );
});

test('the compare spec: BASELINE_DRIVER and COMPARE_CYCLES beat use; the baseline is checked as the driver is', () => {
  const { mine, other, missing, folder } = scratch();
  const use: DrvcycleOptions = {
    driverUnderTest: { imagePath: mine },
    baselineDriver: { imagePath: mine },
    compare: { cycles: 30 },
  };
  const fromEnv = resolveSettings(use, {
    [BASELINE_DRIVER_ENV]: other,
    [COMPARE_CYCLES_ENV]: '12',
  });
  expect(fromEnv.baseline).toEqual({ imagePath: other, serviceName: 'dc_base_Other_Driver' });
  expect(fromEnv.compare.cycles).toBe(12);
  // The same file as both builds is allowed (clean against clean): two services, one image.
  expect(resolveSettings(use, {}).baseline).toEqual({
    imagePath: mine,
    serviceName: 'dc_base_my_driver',
  });
  expect(configError(() => resolveSettings(use, { [BASELINE_DRIVER_ENV]: missing })).message).toBe(
    `${BASELINE_DRIVER_ENV}=${missing}: ${missing} does not exist.\nPoint BASELINE_DRIVER (or baselineDriver.imagePath) at the last good build of your driver (a .sys).`,
  );
  expect(
    configError(() => resolveSettings(use, { [BASELINE_DRIVER_ENV]: folder })).message,
  ).toMatch(/folder\.sys is not a file\.\n/);
  const notPe = path.join(path.dirname(mine), 'notes.sys');
  writeFileSync(notPe, 'not a driver');
  expect(configError(() => resolveSettings(use, { [BASELINE_DRIVER_ENV]: notPe })).message).toMatch(
    /cannot be loaded as a kernel driver/,
  );
  const badCycles = configError(() => resolveSettings(use, { [COMPARE_CYCLES_ENV]: 'many' }));
  expect(badCycles.message.split('\n')[0]).toBe(
    `compare: cycles must be a whole number ≥ 2 (got NaN) (${COMPARE_CYCLES_ENV}=many).`,
  );
  expect(
    configError(() => resolveSettings({ ...use, compare: { blockSize: 0 } }, {})).message,
  ).toMatch(/^compare: blockSize must be a whole number ≥ 1/);
  const pnp = configError(() =>
    resolveSettings({ ...use, driverUnderTest: { imagePath: mine, kind: 'pnp' } }, {}),
  );
  expect(pnp.message).toMatch(/the compare spec cycles legacy drivers/);
});
